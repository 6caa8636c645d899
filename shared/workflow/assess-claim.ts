// Step 3: eligibility on the expense date, pricing under the policy then in force, and the
// route: automatic approval, or review at the gates the policy's routes name.
import { assessClaim } from '#shared/eligibility.ts';
import { chinaDate } from '#shared/dates.ts';
import type { AssessmentRecord, ClaimRecord, ReviewReason } from '#shared/claim.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { InvariantError } from '#shared/errors.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';

type AssessDeps = Pick<StepDeps, 'claims' | 'roster' | 'clock' | 'policies'>;

export async function assessClaimStep(deps: AssessDeps, input: { claimId: string }): Promise<StepResult> {
  const { result } = await changeClaim(deps, input.claimId, (claim) =>
    claim.state !== 'RECEIVED'
      ? { kind: 'keep', result: { claimId: claim.claimId, outcome: outcomeForState(claim.state) } }
      : assessOnce(deps, claim),
  );
  return result;
}

async function assessOnce(deps: AssessDeps, claim: ClaimRecord): Promise<ClaimChange<StepResult>> {
  const { householdId, category, expenseDate, totalCostFen, reimbursedFen } = claim;
  if (
    householdId === null ||
    category === null ||
    expenseDate === null ||
    totalCostFen === null ||
    reimbursedFen === null
  ) {
    throw new InvariantError('NO_FACTS', `claim ${claim.claimId} has no manifest facts to assess`);
  }
  const capYear = Number(expenseDate.slice(0, 4));
  // Two independent reads: one round trip, not two.
  const [periods, capUsed] = await Promise.all([
    deps.roster.periods(householdId),
    deps.claims.capUsed(householdId, capYear, category),
  ]);
  // A possible duplicate is never paid automatically: people compare it with the other claim.
  const duplicates: ReviewReason[] = (claim.possibleDuplicates ?? []).map((d) => ({
    code: 'POSSIBLE_DUPLICATE',
    params: { claimId: d.claimId, by: d.by },
  }));
  const result = assessClaim({
    claim: { householdId, category, expenseDate, totalCostFen, reimbursedFen },
    filedDate: chinaDate(new Date(claim.filedAt)),
    periods,
    capUsedFen: () => capUsed,
    ...(deps.policies ? { policies: deps.policies } : {}),
    ...(duplicates.length > 0 ? { extraAnomalies: duplicates } : {}),
  });
  if (!result.ok) {
    return {
      kind: 'move',
      to: 'REJECTED',
      actor: SYSTEM_ACTOR,
      reason: result.reason,
      detail: result.detail,
      result: { claimId: claim.claimId, outcome: 'rejected' },
    };
  }
  const { compensation: c, policy, period, routing } = result;
  const assessment: AssessmentRecord = {
    policyId: policy.policyId,
    policyVersion: policy.version,
    region: period.region,
    capYear: result.capYear,
    selfPaidFen: c.selfPaidFen,
    grossFen: c.grossFen,
    capFen: c.capFen,
    capRemainingFen: c.capRemainingFen,
    payoutFen: c.payoutFen,
    bands: c.bands.map((b) => ({ ...b })),
    rosterStatus: period.status,
  };
  return {
    kind: 'move',
    to: routing.review ? 'PENDING_REVIEW' : 'APPROVED',
    actor: SYSTEM_ACTOR,
    patch: {
      assessment,
      payoutFen: c.payoutFen,
      gridWorker: period.gridWorker,
      region: period.region,
      village: period.village,
      // Kept on the claim: a later policy change leaves the gates of a claim in review alone.
      ...(routing.review
        ? { requiredGates: [...routing.requiredGates], reviewReasons: [...routing.reasons] }
        : {}),
    },
    result: { claimId: claim.claimId, outcome: routing.review ? 'review' : 'approved' },
  };
}
