import * as z from 'zod';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Receipts } from '#functions/adapters/s3-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const validateClaimInputSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  time: z.string().optional(),
});

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'receipts' | 'roster' | 'clock'>) {
  return workflowStep(makeLogger(), validateClaimInputSchema, (input) => validateClaim(deps(), input));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, receipts: s3Receipts, roster: dynamoRoster })),
);
