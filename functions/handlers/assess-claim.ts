import * as z from 'zod';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const claimStepInputSchema = z.object({ claimId: z.string().min(1) });

type AssessDeps = Pick<StepDeps, 'claims' | 'roster' | 'clock'> &
  Partial<Pick<StepDeps, 'feeds' | 'warnings'>>;

export function makeHandler(deps: () => AssessDeps) {
  const logger = makeLogger();
  // A failed warning refresh is logged by its code alone and the assessment stands.
  const report = (code: string) => logger.warn('carried on past a failure', { code });
  return workflowStep(logger, claimStepInputSchema, (input) => assessClaimStep({ ...deps(), report }, input));
}

export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, feeds: dynamoFeeds, warnings: dynamoWarnings }),
  ),
);
