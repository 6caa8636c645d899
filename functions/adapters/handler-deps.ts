// What a deployed handler builds from its environment: the claims table always, and only the
// other ports it names. A handler that never touches S3 or Step Functions then never imports
// their SDK clients, which keeps them out of its bundle (and its cold start).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { monotonicFactory } from 'ulid';
import { envNames } from '#functions/catalog.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import type {
  ClaimWorkflows,
  Clock,
  ExportStore,
  IdSource,
  ReceiptStore,
  ReviewTasks,
  UploadSigner,
} from '#shared/ports.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import type { ReceiptFingerprinter } from '#shared/receipt-fingerprint.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the local runtime points the SDK clients; on AWS nothing is overridden. */
export interface ClientOverrides {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly endpoints?: { readonly dynamodb?: string; readonly s3?: string; readonly sfn?: string };
}

/** What a port factory is given to build its adapter. */
export interface AdapterContext {
  readonly env: Env;
  readonly overrides: ClientOverrides;
  readonly clock: Clock;
  readonly ids: IdSource;
}

/** Ports beyond the claims table, each built by a factory from its adapter module. */
export interface PortFactories {
  readonly receipts?: (context: AdapterContext) => ReceiptStore;
  readonly reviews?: (context: AdapterContext) => ReviewTasks;
  readonly uploads?: (context: AdapterContext) => UploadSigner;
  readonly exports?: (context: AdapterContext) => ExportStore;
  readonly workflows?: (context: AdapterContext) => ClaimWorkflows;
  readonly fingerprints?: (context: AdapterContext) => ReceiptFingerprinter;
}

export interface HandlerDeps extends StepDeps, ApiDeps {
  readonly store: DynamoClaimStore;
  readonly db: DynamoDBClient;
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

/** A port the handler was built without: using it is a wiring bug, so say which. */
function missingPort<T extends object>(port: string): T {
  return new Proxy({} as T, {
    get: (_target, prop) =>
      // Not a thenable: `await port` must not call into the proxy.
      prop === 'then'
        ? undefined
        : () => {
            throw new Error(`this handler was built without the ${port} port (${String(prop)})`);
          },
  });
}

export function handlerDeps(
  ports: PortFactories = {},
  env: Env = process.env,
  overrides: ClientOverrides = {},
): HandlerDeps {
  // Without overrides the SDK reads AWS_ENDPOINT_URL_* and the Lambda role itself.
  const db = withoutSdkLogger(
    new DynamoDBClient({
      ...baseClientConfig(overrides),
      ...(overrides.endpoints?.dynamodb ? { endpoint: overrides.endpoints.dynamodb } : {}),
    }),
  );
  const store = new DynamoClaimStore(db, requireEnv(env, envNames.claimsTable));
  const clock = { now: () => new Date() };
  const ulid = monotonicFactory();
  const ids = { next: () => ulid() };
  const context: AdapterContext = { env, overrides, clock, ids };
  return {
    store,
    db,
    claims: store,
    roster: store,
    ledger: store,
    ids,
    clock,
    receipts: ports.receipts?.(context) ?? missingPort<ReceiptStore>('receipts'),
    reviews: ports.reviews?.(context) ?? missingPort<ReviewTasks>('reviews'),
    uploads: ports.uploads?.(context) ?? missingPort<UploadSigner>('uploads'),
    exports: ports.exports?.(context) ?? missingPort<ExportStore>('exports'),
    workflows: ports.workflows?.(context) ?? missingPort<ClaimWorkflows>('workflows'),
    fingerprints: ports.fingerprints?.(context) ?? missingPort<ReceiptFingerprinter>('fingerprints'),
  };
}

/** Dependencies built on first use, so importing a handler module does no work. */
export function lazyDeps<T>(build: () => T): () => T {
  let deps: T | undefined;
  return () => (deps ??= build());
}
