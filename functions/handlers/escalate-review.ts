import * as z from 'zod';
import { escalateReview } from '#shared/workflow/review-gates.ts';
import { gateIdSchema } from '#shared/policy.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const escalateReviewInputSchema = z.object({ claimId: z.string().min(1), gate: gateIdSchema });

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'clock'>) {
  return workflowStep(makeLogger(), escalateReviewInputSchema, (input) => escalateReview(deps(), input));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims })));
