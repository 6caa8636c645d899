// Step 3: eligibility on the expense date, pricing under the policy then in force, and the
// route: automatic approval, or review at the gates the policy's routes name.
import { assessClaim } from '#shared/eligibility.ts';
import { chinaDate } from '#shared/dates.ts';
import type { AssessmentRecord, ClaimRecord, ReviewReason } from '#shared/claim.ts';
import {
  changeClaim,
  versionCheckedWrite,
  type ClaimChange,
  type ClaimWriter,
} from '#shared/claim-change.ts';
import { TransientError, type CountedExpense } from '#shared/ports.ts';
import { ClaimBusyError, InvariantError } from '#shared/errors.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';
import { refreshBurdenAfterCounting } from '#shared/warnings.ts';

type AssessDeps = Pick<StepDeps, 'claims' | 'roster' | 'clock' | 'policies'> &
  Partial<Pick<StepDeps, 'feeds' | 'warnings' | 'report'>>;

export async function assessClaimStep(deps: AssessDeps, input: { claimId: string }): Promise<StepResult> {
  /** Under annual accumulation, a rejection below the threshold counts its expense as it lands. */
  let counting: CountedExpense | undefined;
  const write: ClaimWriter = async (next, expectedVersion, event) => {
    if (!counting || !event) return versionCheckedWrite(deps.claims)(next, expectedVersion, event);
    return deps.claims.countExpense(next, expectedVersion, event, counting);
  };
  try {
    const { result, claim: after } = await changeClaim(
      deps,
      input.claimId,
      async (claim) => {
        counting = undefined;
        if (claim.state !== 'RECEIVED')
          return { kind: 'keep', result: { claimId: claim.claimId, outcome: outcomeForState(claim.state) } };
        const decided = await assessOnce(deps, claim);
        counting = decided.counting;
        return decided.change;
      },
      { write },
    );
    // A rejection below the threshold counted its expense: the household's warning level moves
    // (never fails the step: see refreshBurdenAfterCounting).
    if (after.state === 'REJECTED' && after.reason === 'BELOW_THRESHOLD' && after.accumulated)
      await refreshBurdenAfterCounting(deps, after);
    return result;
  } catch (error) {
    // A household's bills counted at once keep moving its counter: the workflow retries with
    // backoff and jitter, as for the payout, instead of marking a sound claim ERROR.
    if (error instanceof ClaimBusyError)
      throw new TransientError(`claim ${input.claimId}: assessment kept conflicting; will retry`);
    throw error;
  }
}

async function assessOnce(
  deps: AssessDeps,
  claim: ClaimRecord,
): Promise<{ change: ClaimChange<StepResult>; counting?: CountedExpense }> {
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
  const [periods, counter] = await Promise.all([
    deps.roster.periods(householdId),
    deps.claims.capCounter(householdId, capYear, category),
  ]);
  // A possible duplicate is never paid automatically: people compare it with the other claim.
  const duplicates: ReviewReason[] = (claim.possibleDuplicates ?? []).map((d) => ({
    code: 'POSSIBLE_DUPLICATE',
    params: {
      by: d.by,
      ...(d.claimId !== undefined ? { claimId: d.claimId } : {}),
      ...(d.recordKey !== undefined ? { recordKey: d.recordKey } : {}),
    },
  }));
  const result = assessClaim({
    claim: { householdId, category, expenseDate, totalCostFen, reimbursedFen, source: claim.source },
    filedDate: chinaDate(new Date(claim.filedAt)),
    periods,
    capUsedFen: () => counter.usedFen,
    countedFen: () => counter.countedFen,
    ...(deps.policies ? { policies: deps.policies } : {}),
    ...(duplicates.length > 0 ? { extraAnomalies: duplicates } : {}),
  });
  if (!result.ok) {
    const counts = result.counts;
    return {
      change: {
        kind: 'move',
        to: 'REJECTED',
        actor: SYSTEM_ACTOR,
        reason: result.reason,
        detail: result.detail,
        ...(counts
          ? { patch: { accumulated: { beforeFen: counts.beforeFen, afterFen: counts.afterFen } } }
          : {}),
        result: { claimId: claim.claimId, outcome: 'rejected' },
      },
      ...(counts
        ? {
            counting: {
              householdId,
              year: counts.year,
              category,
              before: counter,
              afterFen: counts.afterFen,
            },
          }
        : {}),
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
  const counts = result.counts;
  const change: ClaimChange<StepResult> = {
    kind: 'move',
    to: routing.review ? 'PENDING_REVIEW' : 'APPROVED',
    actor: SYSTEM_ACTOR,
    patch: {
      assessment,
      // The estimate's view of the year; the payout re-prices from the total as it is then.
      ...(counts ? { accumulated: { beforeFen: counts.beforeFen, afterFen: counts.afterFen } } : {}),
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
  return { change };
}
