// What a claim's page and lists say about its money and its gates, by state: the pure rules,
// in node. Only a paid claim has a payout; an open one an estimate; a rejected one nothing.
// Every state belongs to exactly one group (open, paid, closed), the same for every page.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { capAfterClaim, claimAmount, claimTakesFen, type ClaimAmount } from '../../web/src/amounts.ts';
import { gateStatus, type GateStatus } from '../../web/src/review-state.ts';
import { claimStates, type ClaimState } from '#shared/vocabulary.ts';
import { closedStates, openStates, paidStates, stateGroup } from '#shared/claim-groups.ts';

const priced = { payoutFen: 812_000 };

describe('claimAmount', () => {
  it.each<[ClaimState, number | undefined, boolean, ClaimAmount]>([
    ['RECEIVED', undefined, false, { kind: 'none' }],
    ['RECEIVED', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['review', 'cap'] }],
    ['PENDING_REVIEW', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['review', 'cap'] }],
    ['APPROVED', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['cap'] }],
    // On appeal, on public notice, waiting for the fund: still an estimate, fixed only when paid.
    ['APPEALED', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['appeal', 'cap'] }],
    ['NOTICE', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['notice', 'cap'] }],
    ['AWAITING_FUNDS', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['funds', 'cap'] }],
    ['ERROR', undefined, true, { kind: 'estimate', fen: 812_000, caveats: ['review', 'cap'] }],
    ['ERROR', undefined, false, { kind: 'none' }],
    // Paid: what was paid, which the cap may have cut below the price.
    ['PAID', 700_000, true, { kind: 'paid', fen: 700_000, transferFailed: false }],
    ['DISBURSED', 812_000, true, { kind: 'paid', fen: 812_000, transferFailed: false }],
    ['PAID', undefined, true, { kind: 'paid', fen: 812_000, transferFailed: false }],
    // The bank returned the transfer: paid all the same (the same amount is sent again).
    ['DISBURSEMENT_FAILED', 700_000, true, { kind: 'paid', fen: 700_000, transferFailed: true }],
    // Rejected at review, or at payout for the cap: priced, but nothing is payable.
    ['REJECTED', undefined, true, { kind: 'none' }],
    ['REJECTED', undefined, false, { kind: 'none' }],
  ])('%s (payout %s, priced %s)', (state, payoutFen, isPriced, expected) => {
    const claim = {
      state,
      ...(payoutFen !== undefined ? { payoutFen } : {}),
      ...(isPriced ? { assessment: priced } : {}),
    };
    expect(claimAmount(claim)).toEqual(expected);
  });

  it('never shows a payout outside the paid states, nor anything payable on a rejected claim', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...claimStates),
        fc.option(fc.nat(10_000_000), { nil: undefined }),
        fc.option(fc.nat(10_000_000), { nil: undefined }),
        (state, payoutFen, assessed) => {
          const amount = claimAmount({
            state,
            ...(payoutFen !== undefined ? { payoutFen } : {}),
            ...(assessed !== undefined ? { assessment: { payoutFen: assessed } } : {}),
          });
          if (amount.kind === 'paid') expect(['PAID', 'DISBURSED', 'DISBURSEMENT_FAILED']).toContain(state);
          if (amount.kind === 'paid') expect(amount.transferFailed).toBe(state === 'DISBURSEMENT_FAILED');
          if (state === 'REJECTED') expect(amount).toEqual({ kind: 'none' });
        },
      ),
    );
  });
});

describe('state groups', () => {
  it('puts every state in exactly one group, the new ones where they belong', () => {
    for (const state of claimStates) {
      const groups = [openStates, paidStates, closedStates].filter((g) => g.includes(state));
      expect(groups, state).toHaveLength(1);
    }
    expect(claimStates.filter((s) => stateGroup(s) === 'paid')).toEqual([
      'PAID',
      'DISBURSED',
      'DISBURSEMENT_FAILED',
    ]);
    expect(claimStates.filter((s) => stateGroup(s) === 'closed')).toEqual(['REJECTED']);
    for (const open of ['APPEALED', 'NOTICE', 'AWAITING_FUNDS', 'ERROR'] as const)
      expect(stateGroup(open), open).toBe('open');
  });
});

describe('cap left after this claim', () => {
  it.each<[string, ClaimState, number | undefined, number, number]>([
    // capRemaining was 1,000,000 fen when priced at 812,000.
    ['paid in full', 'PAID', 812_000, 1_000_000, 188_000],
    ['paid, cut by the cap', 'PAID', 700_000, 700_000, 0],
    ['still in review (projected)', 'PENDING_REVIEW', undefined, 1_000_000, 188_000],
    ['on public notice (projected)', 'NOTICE', undefined, 1_000_000, 188_000],
    ['transfer failed: still paid', 'DISBURSEMENT_FAILED', 812_000, 1_000_000, 188_000],
    ['rejected: takes nothing', 'REJECTED', undefined, 1_000_000, 1_000_000],
  ])('%s', (_name, state, payoutFen, capRemainingFen, after) => {
    const claim = { state, ...(payoutFen !== undefined ? { payoutFen } : {}), assessment: priced };
    expect(capAfterClaim(capRemainingFen, claimTakesFen(claim))).toBe(after);
  });

  it('is never negative', () => {
    expect(capAfterClaim(100, 500)).toBe(0);
  });
});

describe('gateStatus', () => {
  const approve = { decision: 'approve' as const, by: 'village1', at: '2026-11-02T00:00:00Z' };
  const reject = { decision: 'reject' as const, by: 'village1', at: '2026-11-02T00:00:00Z' };
  it.each<[string, ClaimState, string | null, Record<string, typeof approve | typeof reject>, GateStatus[]]>([
    ['waiting on the first gate', 'PENDING_REVIEW', 'village', {}, ['current', 'queued', 'queued']],
    [
      'first approved',
      'PENDING_REVIEW',
      'department',
      { village: approve },
      ['approve', 'current', 'queued'],
    ],
    [
      'rejected at the first gate',
      'REJECTED',
      null,
      { village: reject },
      ['reject', 'notStarted', 'notStarted'],
    ],
    [
      'rejected at the second gate',
      'REJECTED',
      null,
      { village: approve, department: reject },
      ['approve', 'reject', 'notStarted'],
    ],
    [
      'all approved and paid',
      'PAID',
      null,
      { village: approve, department: approve, audit: approve },
      ['approve', 'approve', 'approve'],
    ],
    ['a fault during review', 'ERROR', null, { village: approve }, ['approve', 'notStarted', 'notStarted']],
  ])('%s', (_name, state, nextGate, gates, expected) => {
    const claim = { state, nextGate, gates };
    expect(['village', 'department', 'audit'].map((g) => gateStatus(claim, g))).toEqual(expected);
  });
});
