// The deployed workflow definitions (infra/workflows/*.asl.json) run by the local Step Functions
// service over any claim store, with the real handler modules, and a fault injector between the
// handlers and their dependencies. Retry and Catch are the ASL's own, not a re-implementation.
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { isStaleTaskToken } from '#functions/adapters/sfn-review-tasks.ts';
import { randomUUID } from 'node:crypto';
import { workflowHandlers } from '#functions/catalog.ts';
import type { ExecutionDescription, LocalStepFunctions } from '#cli/local/step-functions.ts';
import {
  assessArn,
  handlerModules,
  lambdaContext,
  localWorkflows,
  manifestEvent,
  noSuchFunction,
  reviewArn,
} from '#cli/local/world.ts';
import { claimIdFromManifestKey } from '#shared/manifest.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import type {
  ClaimStore,
  Clock,
  LedgerStore,
  ReceiptStore,
  ReviewTasks,
  RosterStore,
} from '#shared/ports.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { faultyClaims, faultyReviews, type FaultInjector } from '#verify/lib/fault-injection.ts';

export interface HarnessPorts {
  readonly store: ClaimStore & LedgerStore & RosterStore;
  readonly receipts: ReceiptStore;
  readonly clock: Clock;
}

export interface Harness {
  readonly sfn: LocalStepFunctions;
  /** Starts assess-claim with the manifest's "Object Created" event and waits for it to end. */
  deliver(key: string): Promise<ExecutionDescription>;
  /** The review execution of a claim, or undefined when none was started. */
  review(claimId: string): ExecutionDescription | undefined;
  /**
   * No request-review call of the claim is running or about to be retried: a gate token parked
   * now stays parked until someone decides (so a reviewer's timing cannot change what happens).
   */
  reviewSettled(claimId: string): boolean;
  /** API dependencies as a reviewer's request sees them, faults included. */
  apiDeps(scope: string): ApiDeps;
  close(): Promise<void>;
}

/** One run's world: its ports, its fault plan and how its claims are named in fault sites. */
export interface RunContext {
  readonly ports: HarnessPorts;
  readonly injector: FaultInjector;
  /** A stable name for a claim in fault sites (claimIds differ between runs on one table). */
  readonly label: (claimId: string) => string;
  /** Steps never faulted (e.g. mark-error, whose own failure is a separate experiment). */
  readonly spare?: (step: string) => boolean;
}

/**
 * Compiling the definitions costs a few hundred milliseconds, so one harness serves many runs:
 * `use` switches it to the next run's world (runs are sequential).
 */
export async function createHarness(
  first: RunContext,
  options: {
    /** Shortens the review gates' 14-day wait (seconds), to exercise the timeout path. */
    readonly gateTimeoutSeconds?: number;
  } = {},
): Promise<Harness & { use(context: RunContext): void }> {
  const mods = await handlerModules<StepDeps>(workflowHandlers);
  let context = first;
  let attempts = new Map<string, number>();
  // The review port the steps and the API use: the local service's task-token calls.
  const sfnRef: { current?: LocalStepFunctions } = {};
  const reviews: ReviewTasks = {
    start: async () => {
      throw new Error('the workflows start reviews through StartReview, not this port');
    },
    succeed: async (token, output) => {
      try {
        sfnRef.current?.sendTaskSuccess(token, JSON.stringify(output));
      } catch (error) {
        if (!isStaleTaskToken(error)) throw error;
      }
    },
    fail: async (token, error, cause) => sfnRef.current?.sendTaskFailure(token, error, cause),
  };
  const fingerprints = sharpFingerprinter();
  const scoped = (scope: string, faulted: boolean): StepDeps & ApiDeps => {
    const { ports, injector } = context;
    return {
      claims: faulted ? faultyClaims(ports.store, injector, scope) : ports.store,
      roster: ports.store,
      ledger: ports.store,
      receipts: ports.receipts,
      reviews: faulted ? faultyReviews(reviews, injector, scope) : reviews,
      clock: ports.clock,
      fingerprints,
      ids: { next: () => randomUUID() },
      workflows: {
        resumeAssessment: async () => {
          throw new Error('no workflow starts here');
        },
        resumeReview: async () => {
          throw new Error('no workflow starts here');
        },
      },
      exports: {
        save: async () => {
          throw new Error('no exports here');
        },
        link: async () => {
          throw new Error('no exports here');
        },
      },
      uploads: {
        grant: async () => {
          throw new Error('no uploads in the workflow harness');
        },
        viewUrl: async (key) => `memory://${key}`,
      },
    };
  };
  // request-review calls per claim: in flight, and whether the last one threw (a retry is coming).
  const reviewCalls = new Map<string, { inflight: number; threw: boolean }>();
  const settleReviewCall = (claimId: string, threw: boolean) => {
    const calls = reviewCalls.get(claimId) ?? { inflight: 1, threw };
    reviewCalls.set(claimId, { inflight: calls.inflight - 1, threw });
  };
  const sfn = localWorkflows({
    ...(options.gateTimeoutSeconds !== undefined ? { gateTimeoutSeconds: options.gateTimeoutSeconds } : {}),
    // Backoff shrunk to microseconds: the retry count and order are what is under test.
    retryIntervalScale: 0.0001,
    invoke: async (step, payload) => {
      const mod = mods.get(step);
      if (!mod) throw noSuchFunction(step);
      const p = payload as { claimId?: string | null; key?: string };
      const claimId = p.claimId ?? (p.key ? claimIdFromManifestKey(p.key) : undefined) ?? '?';
      const who = `${step}/${context.label(claimId)}`;
      const attempt = (attempts.get(who) ?? 0) + 1;
      attempts.set(who, attempt);
      const scope = `${who}#${attempt}`;
      const faulted = !(context.spare?.(step) ?? false);
      if (faulted) context.injector.at(`${scope}/start`);
      const deps = scoped(scope, faulted);
      const calls = reviewCalls.get(claimId) ?? { inflight: 0, threw: false };
      if (step === 'request-review') reviewCalls.set(claimId, { ...calls, inflight: calls.inflight + 1 });
      try {
        const out = await mod.makeHandler(() => deps)(payload, lambdaContext(step, 'verify'));
        if (step === 'request-review') settleReviewCall(claimId, false);
        return out;
      } catch (error) {
        if (step === 'request-review') settleReviewCall(claimId, true);
        throw error;
      }
    },
  });
  sfnRef.current = sfn;
  return {
    sfn,
    use(next) {
      context = next;
      attempts = new Map();
      reviewCalls.clear();
    },
    async deliver(key) {
      const { executionArn } = sfn.startExecution({
        stateMachineArn: assessArn,
        input: JSON.stringify(manifestEvent(key, 400, new Date())),
      });
      return sfn.waitForExecution(executionArn);
    },
    reviewSettled(claimId) {
      const calls = reviewCalls.get(claimId);
      return !calls || (calls.inflight === 0 && !calls.threw);
    },
    review(claimId) {
      try {
        return sfn.describeExecution(`${reviewArn.replace(':stateMachine:', ':execution:')}:${claimId}`);
      } catch {
        return undefined;
      }
    },
    apiDeps: (scope) => scoped(scope, true),
    close: () => sfn.close(),
  };
}
