import * as z from 'zod';
import { sweepStuckClaims } from '#shared/workflow/sweep-claims.ts';
import type { SweepDeps } from '#shared/workflow/sweep-claims.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

// EventBridge's scheduled event; nothing in it is needed beyond its arrival.
export const sweepInputSchema = z.looseObject({});

export function makeHandler(deps: () => SweepDeps) {
  const logger = makeLogger();
  return workflowStep(logger, sweepInputSchema, async () => {
    const { resumed, more, inError } = await sweepStuckClaims(deps());
    // The metric filter behind the "claims resumed" alarm reads this line: a resumed claim
    // means a run was lost, which an operator should hear about even though it was repaired.
    if (resumed.length > 0)
      logger.warn('claims resumed', { resumed: resumed.length, claimIds: resumed.slice(0, 50) });
    return { resumed: resumed.length, more, inError };
  });
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ workflows: sfnWorkflows })));
