import * as z from 'zod';
import { sweepStuckClaims } from '#shared/workflow/sweep-claims.ts';
import type { SweepDeps } from '#shared/workflow/sweep-claims.ts';
import { contextMetrics, handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import {
  dynamoClaims,
  dynamoFeeds,
  dynamoFunds,
  dynamoRoster,
  dynamoWarnings,
} from '#functions/adapters/dynamo-ports.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { businessMetrics } from '#functions/catalog.ts';
import type { Metrics } from '#functions/metrics.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

// EventBridge's scheduled event; nothing in it is needed beyond its arrival.
export const sweepInputSchema = z.looseObject({});

export function makeHandler(deps: () => SweepDeps & { readonly metrics: Metrics }) {
  const logger = makeLogger();
  return workflowStep(logger, sweepInputSchema, async () => {
    const { resumed, more, inError, drained } = await sweepStuckClaims(deps());
    // A resumed claim means a run was lost: the "claims resumed" alarm reads this metric, so an
    // operator hears of it even though it was repaired. Every run reports, zero included.
    deps().metrics.emit({ name: businessMetrics.claimsResumed.name, value: resumed.length });
    if (resumed.length > 0)
      logger.warn('claims resumed', { resumed: resumed.length, claimIds: resumed.slice(0, 50) });
    // Claims paid from a fund after a top-up could not finish the drain (regions and counts only).
    if (drained.length > 0) logger.info('funds drained', { drained });
    return { resumed: resumed.length, more, inError, drained };
  });
}

export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({
      claims: dynamoClaims,
      funds: dynamoFunds,
      // The claims a drain pays refresh their households' warning levels.
      roster: dynamoRoster,
      feeds: dynamoFeeds,
      warnings: dynamoWarnings,
      workflows: sfnWorkflows,
      reviews: sfnReviews,
      metrics: contextMetrics,
    }),
  ),
);
