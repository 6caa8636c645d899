import * as z from 'zod';
import { requestReview } from '#shared/workflow/review-gates.ts';
import { reviewGateSchema } from '#shared/policy.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const requestReviewInputSchema = z.object({
  claimId: z.string().min(1),
  gate: reviewGateSchema,
  taskToken: z.string().min(1),
});

export function makeHandler(deps: () => StepDeps) {
  return workflowStep(makeLogger(), requestReviewInputSchema, (input) => requestReview(deps(), input));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ reviews: sfnReviews })));
