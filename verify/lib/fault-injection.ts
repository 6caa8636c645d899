// A seeded fault injector for the workflow steps. Every side effect a step has (a write to the
// claim store, a call to the review service) is a pair of sites, "before" and "after": a fault
// before it means the step died with nothing written, a fault after it means the write happened
// and the step died before it could say so. Sites are named by step, claim, attempt and operation,
// never by time, so the same plan hits the same sites on every replay.
import type { ClaimStore, ReviewTasks } from '#shared/ports.ts';
import { TransientError } from '#shared/ports.ts';

/** `crash`: the Lambda runtime dies (not retried by the workflow). `transient`: throttling, a dropped reply. */
export type FaultKind = 'crash' | 'transient';

/** What the Lambda runtime reports when the process dies mid-invocation. */
export class InjectedCrash extends Error {
  constructor(site: string) {
    super(`injected crash at ${site}`);
    this.name = 'Runtime.ExitError';
  }
}

export type FaultPlan = (site: string) => FaultKind | undefined;

export class FaultInjector {
  /** Every site reached, in order (the fault-free run's list is the systematic matrix). */
  readonly visited: string[] = [];
  readonly fired: { site: string; kind: FaultKind }[] = [];
  enabled = true;

  constructor(private readonly plan: FaultPlan) {}

  at(site: string): void {
    if (!this.enabled) return;
    this.visited.push(site);
    const kind = this.plan(site);
    if (!kind) return;
    this.fired.push({ site, kind });
    throw kind === 'crash' ? new InjectedCrash(site) : new TransientError(`injected fault at ${site}`);
  }
}

const claimWrites = ['create', 'update', 'registerReceipt', 'transferReceipt', 'recordPayout'] as const;

/**
 * The store with a fault site before and after each write. Reads pass through: a step that dies
 * while reading has written nothing, the same as dying before its first write.
 */
export function faultyClaims(inner: ClaimStore, injector: FaultInjector, scope: string): ClaimStore {
  const counts = new Map<string, number>();
  const wrapped: Record<string, unknown> = {};
  for (const op of claimWrites) {
    wrapped[op] = async (...args: unknown[]) => {
      const n = (counts.get(op) ?? 0) + 1;
      counts.set(op, n);
      injector.at(`${scope}/${op}#${n}:before`);
      const result = await (inner[op] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
      injector.at(`${scope}/${op}#${n}:after`);
      return result;
    };
  }
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in wrapped) return wrapped[prop];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function faultyReviews(inner: ReviewTasks, injector: FaultInjector, scope: string): ReviewTasks {
  let n = 0;
  const site = async <T>(op: string, work: () => Promise<T>): Promise<T> => {
    n += 1;
    injector.at(`${scope}/${op}#${n}:before`);
    const result = await work();
    injector.at(`${scope}/${op}#${n}:after`);
    return result;
  };
  return {
    start: (claimId, round) => site('reviews.start', () => inner.start(claimId, round)),
    succeed: (token, output) => site('reviews.succeed', () => inner.succeed(token, output)),
    fail: (token, error, cause) => site('reviews.fail', () => inner.fail(token, error, cause)),
  };
}
