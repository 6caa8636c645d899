// The payout step under annual accumulation and a fund, on the memory store: the amount is fixed
// from the household's counted year when paid, and a payout that grew past a review line since
// the claim was approved automatically goes to people first.
import { describe, expect, it } from 'vitest';
import { claimRecord, FakeClock } from '#cli/local/world.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { builtInPolicies } from '#shared/policy.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { ClaimRecord } from '#shared/claim.ts';

const fund = builtInPolicies.find((p) => p.region === 'demo-fund')!;

async function approved(
  store: MemoryStore,
  selfPaidFen: number,
  estimateFen: number,
  over: Partial<ClaimRecord> = {},
) {
  const claim = claimRecord({
    householdId: 'HH-F001',
    category: 'medical',
    region: 'demo-fund',
    state: 'APPROVED',
    totalCostFen: selfPaidFen,
    payoutFen: estimateFen,
    assessment: {
      policyId: fund.policyId,
      policyVersion: fund.version,
      region: 'demo-fund',
      capYear: 2026,
      selfPaidFen,
      grossFen: estimateFen,
      capFen: 5_000_000,
      capRemainingFen: 5_000_000,
      payoutFen: estimateFen,
      bands: [],
      rosterStatus: 'out_of_poverty',
    },
    version: 2,
    ...over,
  });
  await store.create(claim, []);
  return claim;
}

const deps = (store: MemoryStore) => ({ claims: store, clock: new FakeClock(), policies: builtInPolicies });
// demo-fund has a notice: the step pays a claim whose notice is over.
const noticeOver = { state: 'NOTICE' as const, noticeEndsAt: '2026-09-01T00:00:00.000Z' };

describe('the payout step under annual accumulation', () => {
  it('an approved claim under a policy with a notice is not paid before it: the workflow posts it', async () => {
    const store = new MemoryStore();
    const claim = await approved(store, 1_600_000, 300_000);
    expect(await recordPayout(deps(store), { claimId: claim.claimId })).toMatchObject({ outcome: 'notice' });
    expect((await store.get(claim.claimId))?.state).toBe('APPROVED');
    const early = await approved(store, 1_600_000, 300_000, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-10T00:00:00.000Z',
    });
    expect(await recordPayout(deps(store), { claimId: early.claimId })).toMatchObject({ outcome: 'notice' });
    expect(await store.ledgerEntry(early.claimId)).toBeUndefined();
  });

  it('pays the margin over what the household counted this year, and counts it', async () => {
    const store = new MemoryStore();
    store.counted.set('HH-F001#2026#medical', 900_000);
    const claim = await approved(store, 700_000, 0, noticeOver);
    expect(await recordPayout(deps(store), { claimId: claim.claimId })).toMatchObject({ outcome: 'paid' });
    expect(await store.get(claim.claimId)).toMatchObject({
      state: 'PAID',
      payoutFen: 300_000,
      accumulated: { beforeFen: 900_000, afterFen: 1_600_000 },
    });
    expect(await store.capCounter('HH-F001', 2026, 'medical')).toEqual({
      usedFen: 300_000,
      countedFen: 1_600_000,
    });
    expect((await store.fund('demo-fund', 0)).balanceFen).toBe(500_000_000 - 300_000);
  });

  it('a payout that grew past the review line since its automatic approval goes to review, unpaid', async () => {
    const store = new MemoryStore();
    // Approved on an estimate of 3,000 (counted 0, self-paid 16,000); meanwhile 14,000 counted:
    // at 30,000 the claim pays price(30,000) - price(14,000) = 10,000 - 2,000 = 8,000, above 5,000.
    store.counted.set('HH-F001#2026#medical', 1_400_000);
    const claim = await approved(store, 1_600_000, 300_000, noticeOver);
    expect(await recordPayout(deps(store), { claimId: claim.claimId })).toMatchObject({ outcome: 'review' });
    const now = await store.get(claim.claimId);
    expect(now).toMatchObject({
      state: 'PENDING_REVIEW',
      payoutFen: 800_000,
      requiredGates: ['village', 'department', 'audit'],
      reviewReasons: [{ code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } }],
    });
    expect(now?.noticeEndsAt).toBeUndefined();
    expect(await store.ledgerEntry(claim.claimId)).toBeUndefined();
    expect(await store.capCounter('HH-F001', 2026, 'medical')).toEqual({ usedFen: 0, countedFen: 1_400_000 });
    // Once reviewed (gates on record), the same amount is paid.
    const reviewed = await approved(store, 1_600_000, 300_000, { ...noticeOver, requiredGates: ['village'] });
    expect(await recordPayout(deps(store), { claimId: reviewed.claimId })).toMatchObject({ outcome: 'paid' });
    expect((await store.get(reviewed.claimId))?.payoutFen).toBe(800_000);
  });

  it('an objection during the notice leaves the payout to the new review round', async () => {
    const store = new MemoryStore();
    const claim = await approved(store, 1_600_000, 300_000, {
      state: 'PENDING_REVIEW',
      objections: [{ by: 'village1', at: '2026-09-02T00:00:00.000Z', text: '家中另有收入' }],
    });
    expect(await recordPayout(deps(store), { claimId: claim.claimId })).toMatchObject({ outcome: 'skip' });
    expect(await store.ledgerEntry(claim.claimId)).toBeUndefined();
  });
});
