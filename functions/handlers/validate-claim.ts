import * as z from 'zod';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Receipts } from '#functions/adapters/s3-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const validateClaimInputSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  time: z.string().optional(),
});

export function makeHandler(deps: () => StepDeps) {
  return workflowStep(makeLogger(), validateClaimInputSchema, (input) => validateClaim(deps(), input));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ receipts: s3Receipts })));
