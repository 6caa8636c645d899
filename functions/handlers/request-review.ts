import * as z from 'zod';
import { nextReviewGate, requestReview } from '#shared/workflow/review-gates.ts';
import { gateIdSchema } from '#shared/policy.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

/**
 * Two questions of the review loop: with a gate and a task token, park the token on that gate
 * (the workflow waits on it); with the claim alone, say which gate is next (null: none).
 */
export const requestReviewInputSchema = z.union([
  z.object({ claimId: z.string().min(1), gate: gateIdSchema, taskToken: z.string().min(1) }).strict(),
  z.object({ claimId: z.string().min(1) }).strict(),
]);

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'reviews' | 'clock' | 'policies'>) {
  return workflowStep(makeLogger(), requestReviewInputSchema, async (input) =>
    'taskToken' in input ? requestReview(deps(), input) : nextReviewGate(deps(), input),
  );
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, reviews: sfnReviews })),
);
