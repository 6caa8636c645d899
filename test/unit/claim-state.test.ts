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

  it('terminal states have no way out and every state is in the table', () => {
    expect(Object.keys(transitions).sort()).toEqual([...claimStates].sort());
    expect(transitions.REJECTED).toEqual([]);
    expect(transitions.DISBURSED).toEqual([]);
  });

  it('every rejection reason is reachable from some state', () => {
    for (const reason of rejectionReasons) {
      expect(claimStates.some((s) => canTransition(s, 'REJECTED', reason))).toBe(true);
    }
  });
});
