// Step 4: the payout. One transaction moves the claim to PAID, writes the ledger entry keyed by
// claimId and raises the household's cap counter only while it stays within the cap. Run it
// twice and the second run finds the first one's result and writes nothing.
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import { chinaDate } from '#shared/dates.ts';
import type { Fen } from '#shared/money.ts';
import type { Message } from '#shared/messages/render.ts';
import { TransientError } from '#shared/ports.ts';
import {
  changeClaim,
  versionCheckedWrite,
  type ClaimChange,
  type ClaimWriter,
} from '#shared/claim-change.ts';
import { ClaimBusyError, InvariantError, StateConflictError } from '#shared/errors.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';

const MAX_ATTEMPTS = 8;

export async function recordPayout(
  deps: Pick<StepDeps, 'claims' | 'clock'>,
  input: { claimId: string },
): Promise<StepResult> {
  let attempt = 0;
  /** The ledger entry of the payout being tried; none while the try is a refusal. */
  let payout: { readonly entry: LedgerEntry; readonly capFen: Fen } | undefined;
  const decide = async (claim: ClaimRecord, at: string): Promise<ClaimChange<StepResult>> => {
    const tried = attempt++;
    payout = undefined;
    if (claim.state !== 'APPROVED') {
      if (claim.state === 'PAID' || claim.state === 'DISBURSED' || claim.state === 'REJECTED') {
        return { kind: 'keep', result: { claimId: claim.claimId, outcome: outcomeForState(claim.state) } };
      }
      throw new StateConflictError(
        'NOT_APPROVED',
        `claim ${claim.claimId} is ${claim.state}, not APPROVED; nothing to pay`,
        { params: { state: claim.state } },
      );
    }
    const a = claim.assessment;
    if (!a || claim.householdId === null || claim.category === null) {
      throw new InvariantError('NO_ASSESSMENT', `claim ${claim.claimId} is approved without an assessment`);
    }
    // Re-price against what is left of the cap now: another claim may have been paid since. The
    // first try trusts what the assessment saw, saving a read on every claim's path: if the
    // counter has moved, the transaction's condition (used + amount <= cap) refuses it as a
    // cap conflict and the next try reads the counter.
    const used =
      tried === 0 && a.capRemainingFen > 0
        ? a.capFen - a.capRemainingFen
        : await deps.claims.capUsed(claim.householdId, a.capYear, claim.category);
    const remaining = Math.max(0, a.capFen - used);
    const payoutFen = Math.min(a.grossFen, remaining);
    if (payoutFen === 0) {
      return {
        kind: 'move',
        to: 'REJECTED',
        actor: SYSTEM_ACTOR,
        reason: 'CAP_EXHAUSTED',
        detail: {
          code: 'CAP_USED_BY_EARLIER',
          params: { capYear: a.capYear, category: claim.category, capFen: a.capFen },
        },
        result: { claimId: claim.claimId, outcome: 'rejected' },
      };
    }
    const detail: Message | undefined =
      payoutFen < a.grossFen
        ? { code: 'CAP_LIMITED_PAYOUT', params: { payoutFen, grossFen: a.grossFen } }
        : undefined;
    payout = {
      capFen: a.capFen,
      entry: {
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
      },
    };
    return {
      kind: 'move',
      to: 'PAID',
      actor: SYSTEM_ACTOR,
      ...(detail ? { detail } : {}),
      patch: { payoutFen },
      result: { claimId: claim.claimId, outcome: 'paid' },
    };
  };
  // The payout lands in one transaction with its ledger entry and cap counter; a refusal is a
  // plain version-checked write.
  const write: ClaimWriter = async (next, expectedVersion, event) => {
    if (!payout) return versionCheckedWrite(deps.claims)(next, expectedVersion, event);
    if (!event) throw new Error('a payout is a state change: it has its history event');
    const outcome = await deps.claims.recordPayout(next, expectedVersion, payout.entry, payout.capFen, event);
    // A cap conflict re-prices against the counter as it is now.
    return outcome.kind !== 'cap-conflict';
  };
  try {
    return (await changeClaim(deps, input.claimId, decide, { attempts: MAX_ATTEMPTS, write })).result;
  } catch (error) {
    // TransientError, not a conflict: the workflow retries this one with backoff and jitter
    // (spreading out the claims that keep colliding on one counter); any other error would go
    // straight to MarkError and leave a payable claim in ERROR.
    if (error instanceof ClaimBusyError)
      throw new TransientError(`claim ${input.claimId}: payout kept conflicting; will retry`);
    throw error;
  }
}
