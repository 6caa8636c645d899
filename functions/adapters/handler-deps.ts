// What a deployed handler builds from its environment: a clock, an ID source and exactly the
// ports it names, each from its adapter module's factory. A handler that never touches S3 or
// Step Functions then never imports their SDK clients, which keeps them out of its bundle (and
// its cold start), and its dependencies' type has no port it was not given.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { monotonicFactory } from 'ulid';
import { powertoolsMetrics, type Metrics } from '#functions/metrics.ts';
import type { Clock, IdSource } from '#shared/ports.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the local runtime points the SDK clients; on AWS nothing is overridden. */
export interface ClientOverrides {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly endpoints?: { readonly dynamodb?: string; readonly s3?: string; readonly sfn?: string };
  /** The local stack's: its DynamoDB requests wait here while the database is checkpointed. */
  readonly dynamodbGate?: RequestGate;
}

/** Where a request waits before it is sent (`enter`) and says it is done (`leave`). */
export interface RequestGate {
  enter(): Promise<void>;
  leave(): void;
}

/** Sends each of the client's requests (every try) through the gate. */
export function withRequestGate(client: DynamoDBClient, gate: RequestGate): DynamoDBClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      await gate.enter();
      try {
        return await next(args);
      } finally {
        gate.leave();
      }
    },
    { step: 'deserialize', name: 'requestGate', priority: 'low' },
  );
  return client;
}

/** What a port factory is given to build its adapter. */
export interface AdapterContext {
  readonly env: Env;
  readonly overrides: ClientOverrides;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Where the claim port reports what its writes did. */
  readonly metrics: Metrics;
}

export type PortFactory<T> = (context: AdapterContext) => T;

/** The ports a handler names, each built by a factory from its adapter module. */
export type PortFactories = Readonly<Record<string, PortFactory<unknown>>>;

/** Every handler gets these; the rest is what it named. */
export interface BaseDeps {
  readonly clock: Clock;
  readonly ids: IdSource;
}

export type BuiltDeps<F extends PortFactories> = BaseDeps & { readonly [K in keyof F]: ReturnType<F[K]> };

/** Where the clients point and where metrics go: the defaults are Lambda's. */
export interface DepsSettings {
  readonly env?: Env;
  readonly overrides?: ClientOverrides;
  readonly metrics?: Metrics;
  /** The handlers' clock; real time unless the local runtime gives its own (`claims clock`). */
  readonly clock?: Clock;
}

export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Region and credentials every client shares (only the local runtime sets them). */
export function baseClientConfig(overrides: ClientOverrides) {
  return {
    ...(overrides.region ? { region: overrides.region } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  };
}

/**
 * Drops the SDK's logger middleware from a client. With no logger configured (the handlers never
 * give the SDK one) it still runs on every call, copying the request and the response through
 * the operation schema's sensitive-data filter to build a log entry that goes nowhere.
 */
export function withoutSdkLogger<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/** The metrics port itself, for a handler that emits a metric of its own. */
export const contextMetrics = (context: AdapterContext): Metrics => context.metrics;

export function handlerDeps<F extends PortFactories>(ports: F, settings: DepsSettings = {}): BuiltDeps<F> {
  const realTime = { now: () => new Date() };
  const clock = settings.clock ?? realTime;
  const ulid = monotonicFactory();
  const ids = { next: () => ulid() };
  const context: AdapterContext = {
    // Without overrides the SDK reads AWS_ENDPOINT_URL_* and the Lambda role itself.
    env: settings.env ?? process.env,
    overrides: settings.overrides ?? {},
    // Adapters sign links and upload forms, which expire in real time whatever the handlers' clock.
    clock: realTime,
    ids,
    metrics: settings.metrics ?? powertoolsMetrics(),
  };
  const built = Object.fromEntries(Object.entries(ports).map(([name, make]) => [name, make(context)]));
  return { clock, ids, ...built } as BuiltDeps<F>;
}

/** Dependencies built on first use, so importing a handler module does no work. */
export function lazyDeps<T>(build: () => T): () => T {
  let deps: T | undefined;
  return () => (deps ??= build());
}
