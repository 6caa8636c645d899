import * as z from 'zod';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const claimStepInputSchema = z.object({ claimId: z.string().min(1) });

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'roster' | 'clock'>) {
  return workflowStep(makeLogger(), claimStepInputSchema, (input) => assessClaimStep(deps(), input));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster })),
);
