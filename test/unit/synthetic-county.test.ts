// The synthetic county behind `claims seed` and the listing benchmark: the same county for the
// same seed, real claim and roster shapes, every state and category, and local tables only.
import { describe, expect, it } from 'vitest';
import { claimRecordSchema, historyEventSchema, ledgerEntrySchema } from '#shared/claim.ts';
import { rosterPeriodSchema } from '#shared/roster.ts';
import { claimStates } from '#shared/claim-state.ts';
import { categories } from '#shared/vocabulary.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { seedCounty, syntheticClaims, syntheticRoster } from '#cli/local/synthetic-county.ts';
import { localEndpoint } from '#cli/local/seed.ts';
import { isValidResidentId } from '#shared/resident-id.ts';
import { main } from '#cli/claims.ts';

describe('synthetic county', () => {
  const county = syntheticRoster({ households: 1_200, seed: 3 });
  const claims = [...syntheticClaims(county, { claims: 3_000, seed: 3 })];

  it('is the same county for the same seed, another for another', () => {
    expect(syntheticRoster({ households: 1_200, seed: 3 })).toEqual(county);
    expect([...syntheticClaims(county, { claims: 3_000, seed: 3 })]).toEqual(claims);
    expect(syntheticRoster({ households: 1_200, seed: 4 }).households).not.toEqual(county.households);
  });

  it('has villages of about 300 households and grid workers of 30, with status histories', () => {
    expect(county.villages).toHaveLength(4);
    expect(county.workers).toHaveLength(40);
    const perWorker = new Map<string, number>();
    for (const periods of county.households) {
      for (const p of periods) rosterPeriodSchema.parse(p);
      const w = periods[0]!.gridWorker;
      perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
    }
    expect(new Set(perWorker.values())).toEqual(new Set([30]));
    const changed = county.households.filter((p) => p.length > 1).length;
    expect(changed / county.households.length).toBeGreaterThan(0.1);
    expect(changed / county.households.length).toBeLessThan(0.3);
  });

  it('gives every head of a county-sized roster an ID number of their own, and a valid one', () => {
    const county = syntheticRoster({ households: 100_000, seed: 7 });
    const ids = county.households.map((periods) => periods[0]?.idNumber ?? '');
    expect(new Set(ids).size).toBe(100_000);
    for (const id of ids.filter((_, i) => i % 997 === 0)) expect(isValidResidentId(id)).toBe(true);
  });

  it('spreads claims over every state, category and month, each in the real shapes', () => {
    // The county runs the demo policy: no public notice, no fund and no appeals.
    const reachable = claimStates.filter((s) => s !== 'NOTICE' && s !== 'AWAITING_FUNDS' && s !== 'APPEALED');
    expect(new Set(claims.map((c) => c.claim.state))).toEqual(new Set(reachable));
    expect(new Set(claims.map((c) => c.claim.category))).toEqual(new Set(categories));
    expect(new Set(claims.map((c) => c.claim.createdAt.slice(5, 7))).size).toBe(12);
    for (const { claim, events, ledger } of claims) {
      expect(claimRecordSchema.parse(claim)).toEqual(claim);
      for (const e of events) historyEventSchema.parse(e);
      expect(events.at(-1)?.to).toBe(claim.state);
      expect(events).toHaveLength(claim.version);
      expect(ledger !== undefined).toBe(['PAID', 'DISBURSED', 'DISBURSEMENT_FAILED'].includes(claim.state));
      if (ledger) expect(ledgerEntrySchema.parse(ledger).payoutFen).toBe(claim.payoutFen);
    }
  });

  it('loads through a store, listable at once', async () => {
    const store = new MemoryStore();
    const result = await seedCounty(store, { households: 300, claims: 500, seed: 9 });
    expect(result).toMatchObject({ households: 300, claims: 500 });
    expect(store.claimsById.size).toBe(500);
    expect(store.roster.size).toBe(300);
    const page = await store.list({ limit: 50 });
    expect(page.items).toHaveLength(50);
  });
});

describe('claims seed writes to local tables only', () => {
  it('accepts loopback endpoints and refuses any other', () => {
    expect(localEndpoint('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(localEndpoint('http://localhost:8000/')).toBe('http://localhost:8000');
    for (const url of ['https://dynamodb.cn-north-1.amazonaws.com.cn', 'http://10.0.0.5:8000', 'nonsense'])
      expect(() => localEndpoint(url)).toThrow(/local|URL/);
  });

  it('the verb refuses a remote endpoint before writing anything', async () => {
    const err: string[] = [];
    const code = await main(
      [
        'seed',
        '--households',
        '10',
        '--claims',
        '10',
        '--dynamodb',
        'https://dynamodb.us-east-1.amazonaws.com',
      ],
      { out: () => undefined, err: (t) => err.push(t) },
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/only to the local stack/);
  });
});
