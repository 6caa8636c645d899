// Step 3: eligibility on the expense date, pricing under the policy then in force, and the
// route: automatic approval or the three-gate review.
import { assessClaim } from '#shared/eligibility.ts';
import { chinaDate } from '#shared/dates.ts';
import type { AssessmentRecord, ClaimRecord } from '#shared/claim.ts';
import type { Category } from '#shared/policy.ts';
import { ConflictError } from '#shared/ports.ts';
import {
  moveClaim,
  mustGet,
  outcomeForState,
  SYSTEM_ACTOR,
  type StepDeps,
  type StepResult,
} from '#shared/workflow/steps.ts';

export async function assessClaimStep(deps: StepDeps, input: { claimId: string }): Promise<StepResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await mustGet(deps.claims, input.claimId);
    if (claim.state !== 'RECEIVED') return { claimId: claim.claimId, outcome: outcomeForState(claim.state) };
    try {
      return await assessOnce(deps, claim);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`claim ${input.claimId} kept changing during assessment`);
}

async function assessOnce(deps: StepDeps, claim: ClaimRecord): Promise<StepResult> {
  const { householdId, category, expenseDate, totalCostFen, reimbursedFen } = claim;
  if (
    householdId === null ||
    category === null ||
    expenseDate === null ||
    totalCostFen === null ||
    reimbursedFen === null
  ) {
    throw new Error(`claim ${claim.claimId} has no manifest facts to assess`);
  }
  const capYear = Number(expenseDate.slice(0, 4));
  // Two independent reads: one round trip, not two.
  const [periods, capUsed] = await Promise.all([
    deps.roster.periods(householdId),
    deps.claims.capUsed(householdId, capYear, category as Category),
  ]);
  const result = assessClaim({
    claim: { householdId, category, expenseDate, totalCostFen, reimbursedFen },
    filedDate: chinaDate(new Date(claim.filedAt)),
    periods,
    capUsedFen: () => capUsed,
    ...(deps.policies ? { policies: deps.policies } : {}),
  });
  const at = deps.clock.now().toISOString();
  if (!result.ok) {
    const { next, event } = moveClaim(
      claim,
      { to: 'REJECTED', actor: SYSTEM_ACTOR, reason: result.reason, detail: result.detail },
      at,
    );
    await deps.claims.update(next, claim.version, event);
    return { claimId: claim.claimId, outcome: 'rejected' };
  }
  const { compensation: c, policy, period } = result;
  // A possible duplicate is never paid automatically: people compare it with the other claim.
  const duplicates = (claim.possibleDuplicates ?? []).map(
    (d) =>
      `possible duplicate of claim ${d.claimId} (${d.by === 'image' ? 'the same receipt image' : 'the same category, expense date and total cost'})`,
  );
  const routing = {
    review: result.routing.review || duplicates.length > 0,
    reasons: [...result.routing.reasons, ...duplicates],
  };
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
    reviewReasons: [...routing.reasons],
  };
  const to = routing.review ? 'PENDING_REVIEW' : 'APPROVED';
  const { next, event } = moveClaim(
    claim,
    {
      to,
      actor: SYSTEM_ACTOR,
      ...(routing.review ? { detail: `review: ${routing.reasons.join('; ')}` } : {}),
    },
    at,
    {
      assessment,
      payoutFen: c.payoutFen,
      gridWorker: period.gridWorker,
      region: period.region,
      village: period.village,
    },
  );
  await deps.claims.update(next, claim.version, event);
  return { claimId: claim.claimId, outcome: routing.review ? 'review' : 'approved' };
}
