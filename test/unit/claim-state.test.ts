import { describe, expect, it } from 'vitest';
import {
  canTransition,
  claimStates,
  rejectionReasons,
  transition,
  transitions,
} from '#shared/claim-state.ts';

const at = '2026-09-01T00:00:00.000Z';

describe('claim state machine', () => {
  it.each([
    ['RECEIVED', 'APPROVED', undefined],
    ['RECEIVED', 'PENDING_REVIEW', undefined],
    ['RECEIVED', 'REJECTED', 'BELOW_THRESHOLD'],
    ['PENDING_REVIEW', 'APPROVED', undefined],
    ['PENDING_REVIEW', 'REJECTED', 'REVIEW_REJECTED'],
    ['APPROVED', 'PAID', undefined],
    ['APPROVED', 'REJECTED', 'CAP_EXHAUSTED'],
    ['PAID', 'DISBURSED', undefined],
    ['RECEIVED', 'ERROR', undefined],
    ['ERROR', 'RECEIVED', undefined],
  ] as const)('allows %s -> %s (%s)', (from, to, reason) => {
    const result = transition(from, { to, actor: 'system', at, reason });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.event).toMatchObject({ from, to, actor: 'system', at });
  });

  it.each([
    ['RECEIVED', 'PAID', undefined],
    ['PENDING_REVIEW', 'PAID', undefined],
    ['PAID', 'REJECTED', 'CAP_EXHAUSTED'],
    ['PAID', 'PAID', undefined],
    ['REJECTED', 'APPROVED', undefined],
    ['DISBURSED', 'PAID', undefined],
    ['RECEIVED', 'REJECTED', undefined],
    ['RECEIVED', 'REJECTED', 'REVIEW_REJECTED'],
    ['PENDING_REVIEW', 'REJECTED', 'BELOW_THRESHOLD'],
    ['RECEIVED', 'APPROVED', 'BELOW_THRESHOLD'],
    ['ERROR', 'PAID', undefined],
  ] as const)('refuses %s -> %s (%s)', (from, to, reason) => {
    expect(transition(from, { to, actor: 'system', at, reason }).ok).toBe(false);
  });

  it('terminal states have no way out (a review rejection only by appeal) and every state is in the table', () => {
    expect(Object.keys(transitions).sort()).toEqual([...claimStates].sort());
    expect(transitions.REJECTED).toEqual([{ to: 'APPEALED' }]);
    expect(transitions.DISBURSED).toEqual([]);
    expect(transitions.APPEALED.find((r) => r.to === 'REJECTED')?.reasons).toEqual(['APPEAL_REJECTED']);
  });

  it('a payout ends paid, waiting for the fund or refused for the cap, from approval, notice or the queue', () => {
    for (const from of ['APPROVED', 'NOTICE', 'AWAITING_FUNDS'] as const) {
      expect(canTransition(from, 'PAID')).toBe(true);
      expect(canTransition(from, 'REJECTED', 'CAP_EXHAUSTED')).toBe(true);
      expect(canTransition(from, 'REJECTED', 'BELOW_THRESHOLD')).toBe(false);
    }
    expect(canTransition('APPROVED', 'AWAITING_FUNDS')).toBe(true);
    expect(canTransition('AWAITING_FUNDS', 'AWAITING_FUNDS')).toBe(false);
    expect(canTransition('NOTICE', 'PENDING_REVIEW')).toBe(true);
    expect(canTransition('APPROVED', 'PENDING_REVIEW')).toBe(true);
    expect(canTransition('PAID', 'PENDING_REVIEW')).toBe(false);
    expect(canTransition('DISBURSEMENT_FAILED', 'PAID')).toBe(true);
    expect(canTransition('DISBURSEMENT_FAILED', 'DISBURSED')).toBe(false);
  });

  it('every rejection reason is reachable from some state', () => {
    for (const reason of rejectionReasons) {
      expect(claimStates.some((s) => canTransition(s, 'REJECTED', reason))).toBe(true);
    }
  });
});
