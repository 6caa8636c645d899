// Step 4: the payout. One transaction moves the claim to PAID, writes the ledger entry keyed by
// claimId and raises the household's cap counter only while it stays within the cap. Run it
// twice and the second run finds the first one's result and writes nothing.
import type { LedgerEntry } from '#shared/claim.ts';
import { chinaDate } from '#shared/dates.ts';
import { formatFen } from '#shared/money.ts';
import { ConflictError, TransientError } from '#shared/ports.ts';
import {
  moveClaim,
  mustGet,
  outcomeForState,
  SYSTEM_ACTOR,
  type StepDeps,
  type StepResult,
} from '#shared/workflow/steps.ts';

const MAX_ATTEMPTS = 8;

export async function recordPayout(deps: StepDeps, input: { claimId: string }): Promise<StepResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const claim = await mustGet(deps.claims, input.claimId);
    if (claim.state !== 'APPROVED') {
      if (claim.state === 'PAID' || claim.state === 'DISBURSED' || claim.state === 'REJECTED') {
        return { claimId: claim.claimId, outcome: outcomeForState(claim.state) };
      }
      throw new Error(`claim ${claim.claimId} is ${claim.state}, not APPROVED; nothing to pay`);
    }
    const a = claim.assessment;
    if (!a || claim.householdId === null || claim.category === null) {
      throw new Error(`claim ${claim.claimId} is approved without an assessment`);
    }
    const at = deps.clock.now().toISOString();
    // Re-price against what is left of the cap now: another claim may have been paid since. The
    // first try trusts what the assessment saw, saving a read on every claim's path: if the
    // counter has moved, the transaction's condition (used + amount <= cap) refuses it as a
    // cap conflict and the next try reads the counter.
    const used =
      attempt === 0 && a.capRemainingFen > 0
        ? a.capFen - a.capRemainingFen
        : await deps.claims.capUsed(claim.householdId, a.capYear, claim.category);
    const remaining = Math.max(0, a.capFen - used);
    const payoutFen = Math.min(a.grossFen, remaining);
    if (payoutFen === 0) {
      const { next, event } = moveClaim(
        claim,
        {
          to: 'REJECTED',
          actor: SYSTEM_ACTOR,
          reason: 'CAP_EXHAUSTED',
          detail: `the household's ${a.capYear} ${claim.category} cap of ${formatFen(a.capFen)} was used up by earlier payouts`,
        },
        at,
      );
      try {
        await deps.claims.update(next, claim.version, event);
        return { claimId: claim.claimId, outcome: 'rejected' };
      } catch (error) {
        if (error instanceof ConflictError) continue;
        throw error;
      }
    }
    const detail =
      payoutFen < a.grossFen
        ? `paid ${formatFen(payoutFen)} of ${formatFen(a.grossFen)}: the annual cap allowed no more`
        : undefined;
    const { next, event } = moveClaim(
      claim,
      { to: 'PAID', actor: SYSTEM_ACTOR, ...(detail ? { detail } : {}) },
      at,
      {
        payoutFen,
      },
    );
    const entry: LedgerEntry = {
      claimId: claim.claimId,
      householdId: claim.householdId,
      region: a.region,
      village: claim.village ?? '',
      category: claim.category,
      gridWorker: claim.gridWorker ?? '',
      payoutFen,
      capYear: a.capYear,
      policyId: a.policyId,
      policyVersion: a.policyVersion,
      paidAt: at,
      paidDate: chinaDate(new Date(at)),
    };
    let outcome;
    try {
      outcome = await deps.claims.recordPayout(next, claim.version, entry, a.capFen, event);
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
    if (outcome.kind === 'cap-conflict') continue;
    return { claimId: claim.claimId, outcome: 'paid' };
  }
  // TransientError, not ConflictError: the workflow retries this one with backoff and jitter
  // (spreading out the claims that keep colliding on one counter); a ConflictError would go
  // straight to MarkError and leave a payable claim in ERROR.
  throw new TransientError(`claim ${input.claimId}: payout kept conflicting; will retry`);
}
