import * as z from 'zod';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const claimStepInputSchema = z.object({ claimId: z.string().min(1) });

type PayoutDeps = Pick<StepDeps, 'claims' | 'clock' | 'policies'> &
  Partial<Pick<StepDeps, 'roster' | 'feeds' | 'warnings'>>;

export function makeHandler(deps: () => PayoutDeps) {
  const logger = makeLogger();
  // A failed warning refresh is logged by its code alone and the payout stands.
  const report = (code: string) => logger.warn('carried on past a failure', { code });
  return workflowStep(logger, claimStepInputSchema, (input) => recordPayout({ ...deps(), report }, input));
}

export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, feeds: dynamoFeeds, warnings: dynamoWarnings }),
  ),
);
