import * as z from 'zod';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const claimStepInputSchema = z.object({ claimId: z.string().min(1) });

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'clock' | 'policies'>) {
  return workflowStep(makeLogger(), claimStepInputSchema, (input) => recordPayout(deps(), input));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims })));
