import * as z from 'zod';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims, dynamoFeeds } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';
import { s3Receipts } from '#functions/adapters/s3-ports.ts';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';

export const claimStepInputSchema = z.object({ claimId: z.string().min(1) });

export function makeHandler(
  deps: () => Pick<StepDeps, 'claims' | 'receipts' | 'fingerprints' | 'clock' | 'feeds'>,
) {
  return workflowStep(makeLogger(), claimStepInputSchema, (input) => checkDuplicates(deps(), input));
}

// Reads each receipt and fingerprints its image (sharp, a native module installed into this bundle),
// and the household's feed records (a receipt and a department's record for the same bill).
export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({
      claims: dynamoClaims,
      receipts: s3Receipts,
      fingerprints: sharpFingerprinter,
      feeds: dynamoFeeds,
    }),
  ),
);
