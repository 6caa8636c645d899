// The payout step's money rules, one property per test: re-pricing against the cap left now,
// refusing only when nothing is left, never writing for a claim that is not APPROVED, and a
// bounded, retryable give-up under contention. Stryker (npm run verify, check 10) runs these.
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { describe, expect, it } from 'vitest';
import type { ClaimRecord } from '#shared/claim.ts';
import { ConflictError, TransientError, type PayoutOutcome } from '#shared/ports.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { FakeClock, claimRecord } from '#test/support/fixtures.ts';
import { MemoryReceipts, MemoryStore, RecordingReviews } from '#functions/adapters/memory/memory-ports.ts';

const CAP = 2_000_000; // education, 20,000 yuan
const at = '2026-09-05T02:00:00.000Z';

function approved(
  over: Partial<ClaimRecord> & { grossFen?: number; capRemainingFen?: number } = {},
): ClaimRecord {
  const { grossFen = 350_000, capRemainingFen = CAP, ...rest } = over;
  return claimRecord({
    claimId: '01JC0000000000000000000001',
    state: 'APPROVED',
    assessment: {
      policyId: 'demo-fangpin',
      policyVersion: 1,
      region: 'demo',
      capYear: 2026,
      selfPaidFen: 1_500_000,
      grossFen,
      capFen: CAP,
      capRemainingFen,
      payoutFen: Math.min(grossFen, capRemainingFen),
      bands: [],
      rosterStatus: 'unstable',
    },
    payoutFen: Math.min(grossFen, capRemainingFen),
    version: 2,
    ...rest,
  });
}

async function setup(claim: ClaimRecord, usedFen = 0) {
  const store = new MemoryStore();
  await store.create(claim, [{ at, from: 'RECEIVED', to: claim.state, actor: 'system' }]);
  if (usedFen > 0) store.caps.set('HH-0001#2026#education', usedFen);
  const deps: StepDeps = {
    claims: store,
    roster: store,
    receipts: new MemoryReceipts(),
    reviews: new RecordingReviews(),
    clock: { now: new FakeClock().now },
    fingerprints: sharpFingerprinter(),
  };
  return { store, deps };
}

describe('re-pricing at payout time', () => {
  it('pays the full gross while the cap has room, and the claim, ledger and counter agree', async () => {
    const { store, deps } = await setup(approved(), 1_000_000);
    expect(await recordPayout(deps, { claimId: '01JC0000000000000000000001' })).toEqual({
      claimId: '01JC0000000000000000000001',
      outcome: 'paid',
    });
    const claim = await store.get('01JC0000000000000000000001');
    expect(claim).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
    expect(claim?.detail).toBeUndefined();
    expect(store.ledger.get('01JC0000000000000000000001')).toMatchObject({
      payoutFen: 350_000,
      householdId: 'HH-0001',
      village: '红星村',
      gridWorker: 'worker1',
      capYear: 2026,
      paidDate: '2026-09-05',
    });
    expect(await store.capUsed('HH-0001', 2026, 'education')).toBe(1_350_000);
    const events = await store.history('01JC0000000000000000000001');
    expect(events.at(-1)).toMatchObject({ from: 'APPROVED', to: 'PAID', actor: 'system' });
    expect(events.at(-1)?.detail).toBeUndefined();
  });

  it('cuts the payout to what another claim left since the assessment, and says so', async () => {
    // Assessed with the whole cap free; meanwhile 18,500 yuan went to other claims.
    const { store, deps } = await setup(approved(), 1_850_000);
    await recordPayout(deps, { claimId: '01JC0000000000000000000001' });
    const claim = await store.get('01JC0000000000000000000001');
    expect(claim).toMatchObject({ state: 'PAID', payoutFen: 150_000 });
    expect(store.ledger.get('01JC0000000000000000000001')?.payoutFen).toBe(150_000);
    expect(await store.capUsed('HH-0001', 2026, 'education')).toBe(CAP);
    const detail = { code: 'CAP_LIMITED_PAYOUT', params: { payoutFen: 150_000, grossFen: 350_000 } };
    expect(claim?.detail).toEqual(detail);
    expect((await store.history('01JC0000000000000000000001')).at(-1)).toMatchObject({ to: 'PAID', detail });
  });

  it('pays exactly what is left when that equals the gross (not a cut)', async () => {
    const { store, deps } = await setup(approved(), CAP - 350_000);
    await recordPayout(deps, { claimId: '01JC0000000000000000000001' });
    const claim = await store.get('01JC0000000000000000000001');
    expect(claim).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
    expect(claim?.detail).toBeUndefined();
  });

  it('refuses CAP_EXHAUSTED when nothing is left, writing no ledger entry', async () => {
    const { store, deps } = await setup(approved(), CAP);
    expect(await recordPayout(deps, { claimId: '01JC0000000000000000000001' })).toEqual({
      claimId: '01JC0000000000000000000001',
      outcome: 'rejected',
    });
    const claim = await store.get('01JC0000000000000000000001');
    expect(claim).toMatchObject({ state: 'REJECTED', reason: 'CAP_EXHAUSTED' });
    expect(claim?.detail).toEqual({
      code: 'CAP_USED_BY_EARLIER',
      params: { capYear: 2026, category: 'education', capFen: 2_000_000 },
    });
    expect(store.ledger.size).toBe(0);
    expect(await store.capUsed('HH-0001', 2026, 'education')).toBe(CAP);
    expect((await store.history('01JC0000000000000000000001')).at(-1)).toMatchObject({
      from: 'APPROVED',
      to: 'REJECTED',
      reason: 'CAP_EXHAUSTED',
      actor: 'system',
    });
  });

  it("never refuses on the assessment's word alone: an assessment that saw no room still reads the counter", async () => {
    const { store, deps } = await setup(approved({ capRemainingFen: 0 }), 0);
    await recordPayout(deps, { claimId: '01JC0000000000000000000001' });
    expect(await store.get('01JC0000000000000000000001')).toMatchObject({
      state: 'PAID',
      payoutFen: 350_000,
    });
  });

  it('trusts the assessment on the first try (one counter read saved), reads the counter after a conflict', async () => {
    const { store, deps } = await setup(approved(), 0);
    let reads = 0;
    const counting = Object.assign(Object.create(store) as MemoryStore, {
      capUsed: async (...args: Parameters<MemoryStore['capUsed']>) => {
        reads += 1;
        return store.capUsed(...args);
      },
    });
    await recordPayout({ ...deps, claims: counting }, { claimId: '01JC0000000000000000000001' });
    expect(reads).toBe(0);
    // Another claim took 17,000 yuan meanwhile: the transaction refuses, the retry reads.
    const second = await setup(approved(), 1_700_000);
    let reads2 = 0;
    const counting2 = Object.assign(Object.create(second.store) as MemoryStore, {
      capUsed: async (...args: Parameters<MemoryStore['capUsed']>) => {
        reads2 += 1;
        return second.store.capUsed(...args);
      },
    });
    await recordPayout({ ...second.deps, claims: counting2 }, { claimId: '01JC0000000000000000000001' });
    expect(reads2).toBe(1);
    expect(await second.store.get('01JC0000000000000000000001')).toMatchObject({ payoutFen: 300_000 });
  });

  it('keeps an empty village and grid worker as empty strings in the ledger', async () => {
    const { store, deps } = await setup(approved({ village: null, gridWorker: null }));
    await recordPayout(deps, { claimId: '01JC0000000000000000000001' });
    expect(store.ledger.get('01JC0000000000000000000001')).toMatchObject({ village: '', gridWorker: '' });
  });
});

describe('only an APPROVED claim is ever paid', () => {
  it.each([
    ['PAID', 'paid'],
    ['DISBURSED', 'paid'],
    ['REJECTED', 'rejected'],
  ] as const)('a %s claim is answered %s and nothing is written', async (state, outcome) => {
    const { store, deps } = await setup(approved({ state, version: 5 }), 500_000);
    expect(await recordPayout(deps, { claimId: '01JC0000000000000000000001' })).toEqual({
      claimId: '01JC0000000000000000000001',
      outcome,
    });
    expect(store.ledger.size).toBe(0);
    expect((await store.get('01JC0000000000000000000001'))?.version).toBe(5);
    expect(await store.capUsed('HH-0001', 2026, 'education')).toBe(500_000);
  });

  it.each(['RECEIVED', 'PENDING_REVIEW', 'ERROR'] as const)('a %s claim is refused loudly', async (state) => {
    const { store, deps } = await setup(approved({ state }));
    await expect(recordPayout(deps, { claimId: '01JC0000000000000000000001' })).rejects.toThrow(
      `claim 01JC0000000000000000000001 is ${state}, not APPROVED; nothing to pay`,
    );
    expect(store.ledger.size).toBe(0);
  });

  it.each([
    ['no assessment', { assessment: undefined }],
    ['no household', { householdId: null }],
    ['no category', { category: null }],
  ] as const)('an approved claim with %s is refused', async (_, over) => {
    const { store, deps } = await setup(approved(over as Partial<ClaimRecord>));
    await expect(recordPayout(deps, { claimId: '01JC0000000000000000000001' })).rejects.toThrow(
      'claim 01JC0000000000000000000001 is approved without an assessment',
    );
    expect(store.ledger.size).toBe(0);
  });
});

describe('contention', () => {
  it('a claim changed under the payout is re-read and paid once', async () => {
    const { store, deps } = await setup(approved());
    let conflicts = 1;
    const flaky = Object.assign(Object.create(store) as MemoryStore, {
      recordPayout: async (...args: Parameters<MemoryStore['recordPayout']>): Promise<PayoutOutcome> => {
        if (conflicts-- > 0) throw new ConflictError();
        return store.recordPayout(...args);
      },
    });
    await recordPayout({ ...deps, claims: flaky }, { claimId: '01JC0000000000000000000001' });
    expect(store.ledger.get('01JC0000000000000000000001')?.payoutFen).toBe(350_000);
  });

  it('a refusal that conflicts is retried too', async () => {
    const { store, deps } = await setup(approved(), CAP);
    let conflicts = 1;
    const flaky = Object.assign(Object.create(store) as MemoryStore, {
      update: async (...args: Parameters<MemoryStore['update']>) => {
        if (conflicts-- > 0) throw new ConflictError();
        return store.update(...args);
      },
    });
    expect(
      (await recordPayout({ ...deps, claims: flaky }, { claimId: '01JC0000000000000000000001' })).outcome,
    ).toBe('rejected');
    expect(await store.get('01JC0000000000000000000001')).toMatchObject({ reason: 'CAP_EXHAUSTED' });
  });

  it('gives up after eight tries with a TransientError, which the workflow retries with backoff', async () => {
    const { store, deps } = await setup(approved());
    let tries = 0;
    const busy = Object.assign(Object.create(store) as MemoryStore, {
      recordPayout: async (): Promise<PayoutOutcome> => {
        tries += 1;
        return { kind: 'cap-conflict', capUsedFen: 0 };
      },
    });
    const error = await recordPayout(
      { ...deps, claims: busy },
      { claimId: '01JC0000000000000000000001' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'claim 01JC0000000000000000000001: payout kept conflicting; will retry',
    );
    expect(tries).toBe(8);
    expect(store.ledger.size).toBe(0);
  });

  it('other store errors are not swallowed', async () => {
    const { store, deps } = await setup(approved());
    const broken = Object.assign(Object.create(store) as MemoryStore, {
      recordPayout: async (): Promise<PayoutOutcome> => {
        throw new Error('disk on fire');
      },
    });
    await expect(
      recordPayout({ ...deps, claims: broken }, { claimId: '01JC0000000000000000000001' }),
    ).rejects.toThrow('disk on fire');
    const brokenUpdate = Object.assign(Object.create(store) as MemoryStore, {
      update: async () => {
        throw new Error('disk on fire');
      },
    });
    store.caps.set('HH-0001#2026#education', CAP);
    await expect(
      recordPayout({ ...deps, claims: brokenUpdate }, { claimId: '01JC0000000000000000000001' }),
    ).rejects.toThrow('disk on fire');
  });

  it('stops after the payout it made: one write, no extra round', async () => {
    const { store, deps } = await setup(approved());
    let gets = 0;
    const counting = Object.assign(Object.create(store) as MemoryStore, {
      get: async (id: string) => {
        gets += 1;
        return store.get(id);
      },
    });
    await recordPayout({ ...deps, claims: counting }, { claimId: '01JC0000000000000000000001' });
    expect(gets).toBe(1);
  });
});
