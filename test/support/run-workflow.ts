// Drives the workflow steps in the order the assess-claim definition does, for fast tests of
// the domain path. The real definition runs in the end-to-end tests.
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';

export async function runAssess(deps: StepDeps, key: string): Promise<string> {
  let r: { claimId: string | null; outcome: string } = await validateClaim(deps, { bucket: 'receipts', key });
  if (r.claimId === null) return r.outcome;
  const claimId = r.claimId;
  if (r.outcome === 'continue') r = await checkDuplicates(deps, { claimId });
  if (r.outcome === 'continue') r = await assessClaimStep(deps, { claimId });
  if (r.outcome === 'review') await deps.reviews.start(claimId);
  if (r.outcome === 'approved') r = await recordPayout(deps, { claimId });
  return r.outcome;
}
