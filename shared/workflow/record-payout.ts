// Step 4: the payout. One transaction moves the claim to PAID, writes the ledger entry keyed by
// claimId, raises the household's cap counter only while it stays within the cap and, where the
// policy says so, adds the claim's self-paid cost to the household's annual total and draws the
// region's fund. Run it twice and the second run finds the first one's result and writes nothing.
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import { chinaDate } from '#shared/dates.ts';
import type { Fen } from '#shared/money.ts';
import type { Message } from '#shared/messages/render.ts';
import { findPolicy, type Category, type Policy } from '#shared/policy.ts';
import { priceOf } from '#shared/compensation.ts';
import { accumulates } from '#shared/eligibility.ts';
import { routeForPayout } from '#shared/review-routing.ts';
import { TransientError, type PayoutCharge } from '#shared/ports.ts';
import {
  changeClaim,
  versionCheckedWrite,
  type ClaimChange,
  type ClaimWriter,
} from '#shared/claim-change.ts';
import { ClaimBusyError, InvariantError, StateConflictError } from '#shared/errors.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';
import { refreshBurdenAfterCounting } from '#shared/warnings.ts';

const MAX_ATTEMPTS = 8;

/** States a payout is recorded from: approved (no notice), after the notice, or from the fund's queue. */
const payableStates = new Set(['APPROVED', 'NOTICE', 'AWAITING_FUNDS']);

export async function recordPayout(
  deps: Pick<StepDeps, 'claims' | 'clock' | 'policies'> &
    Partial<Pick<StepDeps, 'roster' | 'feeds' | 'warnings' | 'report'>>,
  input: { claimId: string },
): Promise<StepResult> {
  let attempt = 0;
  /** The payout being tried; none while the try is a refusal or a wait. */
  let payout: { readonly entry: LedgerEntry; readonly charge: PayoutCharge } | undefined;
  /** The fund could not cover the last try: the claim waits (or keeps waiting) for a top-up. */
  let fundShort = false;
  let waitingFor: Fen = 0;
  const decide = async (claim: ClaimRecord, at: string): Promise<ClaimChange<StepResult>> => {
    const tried = attempt++;
    payout = undefined;
    const keep = (outcome: StepResult['outcome']): ClaimChange<StepResult> => ({
      kind: 'keep',
      result: { claimId: claim.claimId, outcome },
    });
    if (!payableStates.has(claim.state)) {
      // Paid already, refused, or sent back to review by an objection during its notice (the
      // notice's run wakes to find it so). Anything else asked to pay is a broken run: loud.
      // ('skip', not 'review': the objection's own run drives the new review round.)
      if (claim.state === 'PENDING_REVIEW' && (claim.objections?.length ?? 0) > 0) return keep('skip');
      if (['PAID', 'DISBURSED', 'DISBURSEMENT_FAILED', 'REJECTED'].includes(claim.state))
        return keep(outcomeForState(claim.state));
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
    const policy = findPolicy(a.policyId, a.policyVersion, deps.policies);
    if (!policy)
      throw new InvariantError('NO_POLICY', `claim ${claim.claimId} names a policy this build lacks`);
    // A policy with a public notice pays only after it: the review workflow (it can wait) posts it.
    if (claim.state === 'APPROVED' && policy.noticeDays > 0) return keep('notice');
    if (claim.state === 'NOTICE' && (!claim.noticeEndsAt || claim.noticeEndsAt > at)) return keep('notice');
    if (claim.state === 'AWAITING_FUNDS' && fundShort) return keep('waiting');
    if (fundShort) {
      // The fund can't cover it now: queue the claim, oldest first, for the next top-up.
      return {
        kind: 'move',
        to: 'AWAITING_FUNDS',
        actor: SYSTEM_ACTOR,
        detail: { code: 'FUND_SHORT', params: { payoutFen: waitingFor } },
        patch: { awaitingFundsSince: at, payoutFen: waitingFor },
        result: { claimId: claim.claimId, outcome: 'waiting' },
      };
    }
    const priced = await price(deps, claim, claim.householdId, claim.category, policy, tried);
    if (priced.payoutFen === 0) {
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
    const { payoutFen, grossFen } = priced;
    // Approved without review on its estimate, the claim's payout grew at the year's total (other
    // claims of the household counted meanwhile) past a line that needs people: review it first.
    const estimateFen = claim.payoutFen ?? 0;
    const reviewed = (claim.requiredGates?.length ?? 0) > 0;
    if (priced.counted && !reviewed && payoutFen > estimateFen) {
      const routing = routeForPayout(policy, claim.category, payoutFen, claim.source);
      if (routing.requiredGates.length > 0) {
        return {
          kind: 'move',
          to: 'PENDING_REVIEW',
          actor: SYSTEM_ACTOR,
          detail: { code: 'PAYOUT_GREW_TO_REVIEW', params: { estimateFen, payoutFen } },
          patch: {
            payoutFen,
            noticeEndsAt: undefined,
            requiredGates: [...routing.requiredGates],
            reviewReasons: [...routing.reasons],
          },
          result: { claimId: claim.claimId, outcome: 'review' },
        };
      }
    }
    const detail: Message | undefined =
      payoutFen < grossFen
        ? { code: 'CAP_LIMITED_PAYOUT', params: { payoutFen, grossFen } }
        : priced.counted
          ? {
              code: 'ACCUMULATED_PAYOUT',
              params: {
                beforeFen: priced.counted.before.countedFen,
                afterFen: priced.counted.afterFen,
                payoutFen,
              },
            }
          : undefined;
    waitingFor = payoutFen;
    payout = {
      charge: {
        capFen: a.capFen,
        ...(priced.counted ? { counted: priced.counted } : {}),
        ...(policy.fund
          ? { fund: { initialFen: policy.fund.initialFen, fromQueue: claim.state === 'AWAITING_FUNDS' } }
          : {}),
        ...(claim.awaitingFundsSince ? { queuedSince: claim.awaitingFundsSince } : {}),
      },
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
      patch: {
        payoutFen,
        noticeEndsAt: undefined,
        awaitingFundsSince: undefined,
        ...(priced.counted
          ? {
              accumulated: { beforeFen: priced.counted.before.countedFen, afterFen: priced.counted.afterFen },
            }
          : {}),
      },
      result: { claimId: claim.claimId, outcome: 'paid' },
    };
  };
  // The payout lands in one transaction with its ledger entry, cap counter and fund; starting
  // to wait lands with the fund's queue; a refusal is a plain version-checked write.
  const write: ClaimWriter = async (next, expectedVersion, event) => {
    if (!event) throw new Error('a payout is a state change: it has its history event');
    if (next.state === 'AWAITING_FUNDS') {
      const policy =
        next.assessment && findPolicy(next.assessment.policyId, next.assessment.policyVersion, deps.policies);
      await deps.claims.awaitFunds(next, expectedVersion, event, policy?.fund?.initialFen ?? 0);
      return true;
    }
    if (!payout) return versionCheckedWrite(deps.claims)(next, expectedVersion, event);
    const outcome = await deps.claims.recordPayout(next, expectedVersion, payout.entry, payout.charge, event);
    if (outcome.kind === 'fund-short') {
      fundShort = true;
      return false;
    }
    // A cap conflict re-prices against the counter as it is now.
    return outcome.kind !== 'cap-conflict';
  };
  try {
    const done = await changeClaim(deps, input.claimId, decide, { attempts: MAX_ATTEMPTS, write });
    // The paid claim's self-paid cost now counts in the household's warning level (a replay
    // refreshes again: harmless). Never fails the payout: see refreshBurdenAfterCounting.
    if (done.claim.state === 'PAID' && done.claim.accumulated)
      await refreshBurdenAfterCounting(deps, done.claim);
    return done.result;
  } catch (error) {
    // TransientError, not a conflict: the workflow retries this one with backoff and jitter
    // (spreading out the claims that keep colliding on one counter); any other error would go
    // straight to MarkError and leave a payable claim in ERROR.
    if (error instanceof ClaimBusyError)
      throw new TransientError(`claim ${input.claimId}: payout kept conflicting; will retry`);
    throw error;
  }
}

interface Priced {
  readonly payoutFen: Fen;
  /** Before the cap. */
  readonly grossFen: Fen;
  readonly counted?: PayoutCharge['counted'];
}

/**
 * What the claim pays now. Per claim: its assessed gross, limited by what is left of the cap.
 * Under annual accumulation: the margin its self-paid cost adds to the household's counted total
 * as it stands now, limited the same way; the payout's transaction requires that total unchanged.
 */
async function price(
  deps: Pick<StepDeps, 'claims'>,
  claim: ClaimRecord,
  householdId: string,
  category: Category,
  policy: Policy,
  tried: number,
): Promise<Priced> {
  const a = claim.assessment;
  if (!a) throw new InvariantError('NO_ASSESSMENT', `claim ${claim.claimId} has no assessment`);
  const rule = policy.categories[category];
  if (rule?.kind === 'tiered' && accumulates(policy, category)) {
    const before = await deps.claims.capCounter(householdId, a.capYear, category);
    const afterFen = before.countedFen + a.selfPaidFen;
    const grossFen = priceOf(rule, afterFen) - priceOf(rule, before.countedFen);
    const payoutFen = Math.min(grossFen, Math.max(0, a.capFen - before.usedFen));
    return { payoutFen, grossFen, counted: { before, afterFen } };
  }
  // Re-price against what is left of the cap now: another claim may have been paid since. The
  // first try trusts what the assessment saw, saving a read on every claim's path: if the
  // counter has moved, the transaction's condition (used + amount <= cap) refuses it as a
  // cap conflict and the next try reads the counter.
  const used =
    tried === 0 && a.capRemainingFen > 0
      ? a.capFen - a.capRemainingFen
      : await deps.claims.capUsed(householdId, a.capYear, category);
  return { payoutFen: Math.min(a.grossFen, Math.max(0, a.capFen - used)), grossFen: a.grossFen };
}
