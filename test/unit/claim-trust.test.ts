// A claim is only what its filer was allowed to file: grants, separation of duties, one
// disbursement truth, roster identity and hostile ids. Each case replays an attack that once
// got through.
import { describe, expect, it } from 'vitest';
import { claimGrant, claimOf, makeWorld, upload, type World } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { createClaim, decideReview, getClaim, markDisbursed, receiptLink } from '#shared/api/claims-api.ts';
import { noteUpload } from '#shared/workflow/note-upload.ts';
import { fakeJpeg } from '#cli/local/demo-data.ts';
import { renderReceipt, receiptSpec, transformReceipt } from '../../verify/lib/receipt-images.ts';
import { seededRandom } from '../../verify/lib/random.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { DomainError } from '#shared/errors.ts';
import { httpErrorOf, type HttpErrorReply } from '#functions/http-errors.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import type { Principal } from '#shared/access.ts';
import type { ClaimStore, ReceiptStore } from '#shared/ports.ts';
import { rosterColumns } from '#shared/roster.ts';

const ROSTER_HEADER = rosterColumns.join(',');

const worker1: Principal = { username: 'worker1', roles: ['gridWorker'] };
const worker2: Principal = { username: 'worker2', roles: ['gridWorker'] };
const finance1: Principal = { username: 'finance1', roles: ['finance'] };

/** The refusal as the HTTP API answers it. */
async function httpError(work: Promise<unknown>): Promise<HttpErrorReply> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  const reply = httpErrorOf(error);
  if (!reply) throw new Error(`expected a domain error, got ${String(error)}`);
  return reply;
}

describe('claim grants', () => {
  it("a manifest naming another worker's household is INVALID_MANIFEST, on record under the granted household and its real filer", async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, {
      householdId: 'HH-0031',
      submittedBy: 'worker2',
      grant: { householdId: 'HH-0001', filer: 'worker1' },
    });
    expect(await runAssessSteps(world, key)).toBe('rejected');
    const claim = await claimOf(world, claimId);
    expect(claim).toMatchObject({
      state: 'REJECTED',
      reason: 'INVALID_MANIFEST',
      householdId: 'HH-0001',
      submittedBy: 'worker1',
    });
    expect(claim.detail).toEqual({ code: 'GRANT_HOUSEHOLD_DIFFERS', params: { householdId: 'HH-0001' } });
    expect((await world.store.history(claimId))[0]).toMatchObject({ to: 'RECEIVED', actor: 'worker1' });
    expect(world.store.ledger.size).toBe(0);
    // Nothing uploaded is deleted.
    expect(world.bucket.objects.has(key)).toBe(true);
    expect(world.bucket.objects.has(`claims/${claimId}/receipt-1.jpg`)).toBe(true);
  });

  it('a manifest whose submittedBy is someone else (a reviewer, an ID number) is INVALID_MANIFEST', async () => {
    const world = await makeWorld();
    for (const submittedBy of ['village1', 'worker2']) {
      const { claimId, key } = upload(world, {
        submittedBy,
        grant: { householdId: 'HH-0001', filer: 'worker1' },
      });
      await runAssessSteps(world, key);
      expect(await claimOf(world, claimId)).toMatchObject({
        reason: 'INVALID_MANIFEST',
        submittedBy: 'worker1',
        detail: { code: 'GRANT_FILER_DIFFERS', params: {} },
      });
    }
    const { claimId, key } = upload(world, {
      submittedBy: '110101199003074477',
      grant: { householdId: 'HH-0001', filer: 'worker1' },
    });
    await runAssessSteps(world, key);
    const claim = await claimOf(world, claimId);
    expect(claim.reason).toBe('INVALID_MANIFEST');
    expect(JSON.stringify(claim)).not.toContain('110101199003074477');
  });

  it('a manifest with no grant is INVALID_MANIFEST and names no household', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { grant: null });
    expect(await runAssessSteps(world, key)).toBe('rejected');
    expect(await claimOf(world, claimId)).toMatchObject({
      state: 'REJECTED',
      reason: 'INVALID_MANIFEST',
      householdId: null,
      submittedBy: null,
      detail: { code: 'GRANT_MISSING', params: {} },
    });
  });

  it('a manifest stored after the grant expired is INVALID_MANIFEST', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world);
    world.clockControl.advance(30 * 60_000);
    await runAssessSteps(world, key);
    expect((await claimOf(world, claimId)).detail).toEqual({ code: 'GRANT_EXPIRED', params: {} });
  });

  it('the API grants only assigned households, never a claimId granted to someone else or already on record', async () => {
    const world = await makeWorld();
    const refused = await httpError(createClaim(world, worker1, { householdId: 'HH-0031' }));
    expect([refused.status, refused.code]).toEqual([403, 'NOT_YOUR_HOUSEHOLD']);

    const granted = await createClaim(world, worker1, { householdId: 'HH-0001' });
    expect(granted).toMatchObject({ prefix: `claims/${granted.claimId}/`, receipts: [] });
    expect(world.store.grants.get(granted.claimId)).toMatchObject({
      householdId: 'HH-0001',
      filer: 'worker1',
    });
    // A phone offline kept its ULID: asking again renews the grant.
    world.clockControl.advance(60_000);
    const again = await createClaim(world, worker1, { householdId: 'HH-0001', claimId: granted.claimId });
    expect(again.claimId).toBe(granted.claimId);
    expect(Date.parse(again.expiresAt)).toBeGreaterThan(Date.parse(granted.expiresAt));
    // Another worker cannot take it over, even for their own household.
    const taken = await httpError(
      createClaim(world, worker2, { householdId: 'HH-0031', claimId: granted.claimId }),
    );
    expect([taken.status, taken.code]).toEqual([409, 'CLAIM_ID_TAKEN']);
    const moved = await httpError(
      createClaim(world, worker1, { householdId: 'HH-0002', claimId: granted.claimId }),
    );
    expect(moved.code).toBe('CLAIM_ID_TAKEN');

    const { claimId, key } = upload(world);
    await runAssessSteps(world, key);
    const exists = await httpError(createClaim(world, worker1, { householdId: 'HH-0001', claimId }));
    expect([exists.status, exists.code]).toEqual([409, 'CLAIM_EXISTS']);
  });

  it('a manifest posted again after the claim is judged costs one read and changes nothing', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    expect(await runAssessSteps(world, key)).toBe('paid');
    const calls: string[] = [];
    const count = <T extends object>(name: string, target: T): T =>
      new Proxy(target, {
        get: (t, prop, receiver) => {
          const value: unknown = Reflect.get(t, prop, receiver);
          return typeof value === 'function'
            ? (...args: unknown[]) => {
                calls.push(`${name}.${String(prop)}`);
                return (value as (...a: unknown[]) => unknown).apply(t, args);
              }
            : value;
        },
      });
    const deps = {
      ...world,
      claims: count<ClaimStore>('claims', world.store),
      receipts: count<ReceiptStore>('receipts', world.bucket),
    };
    for (let i = 0; i < 3; i++) {
      expect(await validateClaim(deps, { bucket: 'receipts', key })).toEqual({ claimId, outcome: 'paid' });
    }
    expect(calls).toEqual(['claims.grantAndClaim', 'claims.grantAndClaim', 'claims.grantAndClaim']);
  });
});

describe('separation of duties', () => {
  async function inReview(world: World, spec: Parameters<typeof upload>[1] = {}) {
    const { claimId, key } = upload(world, { totalCost: '22700', ...spec });
    expect(await runAssessSteps(world, key)).toBe('review');
    return claimId;
  }

  it('a user who is grid worker and village verifier cannot decide a gate of the claim they filed', async () => {
    const world = await makeWorld();
    const claimId = await inReview(world);
    const both: Principal = { username: 'worker1', roles: ['gridWorker', 'villageVerifier'] };
    const refused = await httpError(
      decideReview(world, both, claimId, { gate: 'village', decision: 'approve' }),
    );
    expect([refused.status, refused.code]).toEqual([403, 'NOT_INDEPENDENT']);
    expect((await claimOf(world, claimId)).gates).toEqual({});
  });

  it("the household's grid worker decides no gate even of a claim someone else filed", async () => {
    const world = await makeWorld();
    // Filed by worker2 while HH-0001 was theirs; the roster now (and the claim) name worker1.
    const claimId = await inReview(world, { submittedBy: 'worker2' });
    const worker1AsVerifier: Principal = { username: 'worker1', roles: ['villageVerifier'] };
    const refused = await httpError(
      decideReview(world, worker1AsVerifier, claimId, { gate: 'village', decision: 'approve' }),
    );
    expect(refused.code).toBe('NOT_INDEPENDENT');
    const worker2AsVerifier: Principal = { username: 'worker2', roles: ['villageVerifier'] };
    expect(
      (
        await httpError(
          decideReview(world, worker2AsVerifier, claimId, { gate: 'village', decision: 'approve' }),
        )
      ).code,
    ).toBe('NOT_INDEPENDENT');
    const village1: Principal = { username: 'village1', roles: ['villageVerifier'] };
    await decideReview(world, village1, claimId, { gate: 'village', decision: 'approve' });
    expect((await claimOf(world, claimId)).gates.village?.by).toBe('village1');
  });
});

describe('one disbursement truth', () => {
  async function paidClaim(world: World, totalCost = '15000') {
    const { claimId, key } = upload(world, { totalCost });
    expect(await runAssessSteps(world, key)).toBe('paid');
    return claimId;
  }

  it('20 parallel batches with different references: claim and ledger name the same one; the others get 409 naming it', async () => {
    const world = await makeWorld();
    const claimId = await paidClaim(world);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        markDisbursed(world, finance1, { claimIds: [claimId], batchRef: `BATCH-${i + 1}` }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const claim = await claimOf(world, claimId);
    const recorded = claim.disbursement?.batchRef;
    expect(world.store.ledger.get(claimId)?.batchRef).toBe(recorded);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(DomainError);
        expect(httpErrorOf(r.reason)?.status).toBe(409);
        expect(httpErrorOf(r.reason)?.message).toContain(`batch ${recorded}`);
      }
    }
    expect((await world.store.history(claimId)).filter((h) => h.to === 'DISBURSED')).toHaveLength(1);
  });

  it('the same batch again is a no-op; another batch later is a 409 and changes nothing', async () => {
    const world = await makeWorld();
    const a = await paidClaim(world);
    const b = await paidClaim(world, '14000');
    expect(await markDisbursed(world, finance1, { claimIds: [a], batchRef: 'B-1' })).toMatchObject({
      disbursed: [a],
    });
    expect(await markDisbursed(world, finance1, { claimIds: [a], batchRef: 'B-1' })).toMatchObject({
      disbursed: [],
      repeated: [a],
    });
    const clash = await httpError(markDisbursed(world, finance1, { claimIds: [b, a], batchRef: 'B-2' }));
    expect([clash.status, clash.code, clash.extra]).toEqual([
      409,
      'DISBURSED_ELSEWHERE',
      { claimId: a, batchRef: 'B-1', disbursed: [] },
    ]);
    // The whole request was refused before anything changed: b is still PAID.
    expect((await claimOf(world, b)).state).toBe('PAID');
    expect(world.store.ledger.get(a)?.batchRef).toBe('B-1');
  });
});

describe('roster identity', () => {
  const row = (householdId: string, idNumber: string) =>
    `${householdId},demo,红星村,张三,${idNumber},3,out_of_poverty,2026-01-01,worker1,6230900000000001,12000`;

  it('one resident ID heads one household, within a file and across imports, naming the other household', async () => {
    const world = await makeWorld();
    const first = await importRoster(
      world.store,
      [ROSTER_HEADER, row('HH-9001', '110101199003074477'), row('HH-9002', '110101199003074477')].join('\n'),
    );
    expect(first.imported).toBe(1);
    expect(first.rejected).toEqual([
      {
        row: 3,
        reasons: [
          {
            code: 'ID_HEADS_OTHER_IN_FILE',
            params: { field: 'idNumber', householdId: 'HH-9001', earlierRow: 2 },
          },
        ],
      },
    ]);
    const second = await importRoster(
      world.store,
      [ROSTER_HEADER, row('HH-9003', '110101199003074477')].join('\n'),
    );
    expect(second).toEqual({
      imported: 0,
      rejected: [
        {
          row: 2,
          reasons: [{ code: 'ID_HEADS_OTHER', params: { field: 'idNumber', householdId: 'HH-9001' } }],
        },
      ],
    });
    expect(await world.store.periods('HH-9003')).toEqual([]);
  });
});

describe('hostile ids', () => {
  it('a 5,000-character or path-like claim id is a 400, never a store lookup', async () => {
    const world = await makeWorld();
    const admin: Principal = { username: 'admin1', roles: ['admin'] };
    for (const id of ['x'.repeat(5000), '../../etc', 'a b']) {
      const error = await httpError(getClaim(world, admin, id));
      expect([error.status, error.code]).toEqual([400, 'BAD_CLAIM_ID']);
      expect(error.message).not.toContain(id);
    }
  });

  it('a grant made for a claim id echoes nothing of a bad one', async () => {
    const world = await makeWorld();
    await expect(
      createClaim(world, worker1, { householdId: 'HH-0001', claimId: 'x'.repeat(300) }),
    ).rejects.toThrow();
    expect(world.store.grants.size).toBe(0);
    expect(claimGrant('01JC0000000000000000000001', 'HH-0001', 'worker1', new Date(0)).expiresAt).toBe(
      '1970-01-01T00:10:00.000Z',
    );
  });
});

describe('evidence pinned', () => {
  it('a file uploaded under a judged claim changes nothing and leaves one history line naming no file', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    expect(await runAssessSteps(world, key)).toBe('paid');
    const before = await claimOf(world, claimId);
    // Its own late events (the manifest and receipt as judged) are not noted.
    expect(await noteUpload(world, { key })).toEqual({ noted: false, why: 'judged-file' });
    expect(await noteUpload(world, { key: `claims/${claimId}/receipt-1.jpg` })).toMatchObject({
      noted: false,
    });
    // A replaced receipt, a new file named after a person, a refused overwrite: each noted.
    world.bucket.put(`claims/${claimId}/receipt-1.jpg`, fakeJpeg('a different photo'));
    expect(await noteUpload(world, { key: `claims/${claimId}/receipt-1.jpg` })).toEqual({
      noted: true,
      claimId,
    });
    world.bucket.put(`claims/${claimId}/110101199003074477.jpg`, fakeJpeg('extra'));
    await noteUpload(world, { key: `claims/${claimId}/110101199003074477.jpg` });
    await noteUpload(world, { key, refused: true });
    const after = await claimOf(world, claimId);
    expect({ ...after, version: 0, updatedAt: '' }).toEqual({ ...before, version: 0, updatedAt: '' });
    const notes = (await world.store.history(claimId)).filter((h) => h.from === h.to);
    expect(notes.map((h) => h.detail)).toEqual([
      { code: 'RECEIPT_UPLOADED_AFTER_JUDGED', params: { n: 1 } },
      { code: 'OTHER_FILE_UPLOADED_AFTER_JUDGED', params: {} },
      { code: 'MANIFEST_REFUSED_AFTER_JUDGED', params: {} },
    ]);
    expect(JSON.stringify(notes)).not.toContain('110101199003074477');
    // Uploads before the manifest (no claim yet) are not late.
    expect(await noteUpload(world, { key: 'claims/01JC9999999999999999999999/receipt-1.jpg' })).toEqual({
      noted: false,
      why: 'no-claim-yet',
    });
  });

  it('the receipt link signs the version validation judged', async () => {
    const world = await makeWorld();
    const signed: { key: string; versionId: string | undefined }[] = [];
    const pinned = {
      ...world,
      receipts: {
        read: world.bucket.read.bind(world.bucket),
        inspect: async (k: string, max: number) => {
          const found = await world.bucket.inspect(k, max);
          return found && { ...found, versionId: 'v-judged' };
        },
      },
      uploads: {
        ...world.uploads,
        viewUrl: async (k: string, _s: number, versionId?: string) => {
          signed.push({ key: k, versionId });
          return `memory://${k}?versionId=${versionId ?? ''}`;
        },
      },
    };
    const { claimId, key } = upload(world, { totalCost: '15000' });
    expect(await runAssessSteps(pinned, key)).toBe('paid');
    expect((await claimOf(world, claimId)).receipts[0]?.versionId).toBe('v-judged');
    const village1: Principal = { username: 'village1', roles: ['villageVerifier'] };
    await receiptLink(pinned, village1, claimId, '1');
    expect(signed).toEqual([{ key: `claims/${claimId}/receipt-1.jpg`, versionId: 'v-judged' }]);
  });
});

describe('duplicates beyond bytes', () => {
  it('the same bill re-photographed or with the same facts goes to review beside the first; the same bytes stay DUPLICATE_RECEIPT', async () => {
    const world = await makeWorld();
    const original = await renderReceipt(receiptSpec(4242));
    const first = upload(world, {
      receipt: original.bytes,
      totalCost: '12000',
      contentType: original.contentType,
    });
    expect(await runAssessSteps(world, first.key)).toBe('paid');

    const copy = await transformReceipt(original, 'resize', seededRandom(7));
    const again = upload(world, { receipt: copy.bytes, totalCost: '15000', contentType: copy.contentType });
    expect(await runAssessSteps(world, again.key)).toBe('review');
    const claim = await claimOf(world, again.claimId);
    expect(claim.possibleDuplicates).toEqual([{ claimId: first.claimId, by: 'image' }]);
    expect(claim.reviewReasons).toContainEqual({
      code: 'POSSIBLE_DUPLICATE',
      params: { claimId: first.claimId, by: 'image' },
    });

    const sameFacts = upload(world, { totalCost: '12000' });
    expect(await runAssessSteps(world, sameFacts.key)).toBe('review');
    expect((await claimOf(world, sameFacts.claimId)).possibleDuplicates).toContainEqual({
      claimId: first.claimId,
      by: 'facts',
    });

    const exact = upload(world, {
      receipt: original.bytes,
      totalCost: '13000',
      contentType: original.contentType,
    });
    expect(await runAssessSteps(world, exact.key)).toBe('rejected');
    expect((await claimOf(world, exact.claimId)).reason).toBe('DUPLICATE_RECEIPT');
  });

  it('a claim like a rejected one is not held back by it', async () => {
    const world = await makeWorld();
    const original = await renderReceipt(receiptSpec(4243));
    const first = upload(world, {
      receipt: original.bytes,
      totalCost: '12000',
      contentType: original.contentType,
    });
    await runAssessSteps(world, first.key);
    const stored = await claimOf(world, first.claimId);
    await world.store.update(
      { ...stored, state: 'REJECTED', reason: 'REVIEW_REJECTED', version: stored.version + 1 },
      stored.version,
    );
    const copy = await transformReceipt(original, 'jpeg-quality', seededRandom(8));
    const again = upload(world, { receipt: copy.bytes, totalCost: '12000', contentType: copy.contentType });
    expect(await runAssessSteps(world, again.key)).toBe('paid');
  });
});

describe('messages carry no personal data', () => {
  it('a manifest with an ID number as a field name is refused without repeating it', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world);
    const manifest = JSON.parse(new TextDecoder().decode(world.bucket.objects.get(key))) as Record<
      string,
      unknown
    >;
    world.bucket.put(key, JSON.stringify({ ...manifest, '110101199003074477': '张三' }));
    await runAssessSteps(world, key);
    const claim = await claimOf(world, claimId);
    expect(claim.reason).toBe('INVALID_MANIFEST');
    expect(claim.detail).toEqual({ code: 'MANIFEST_UNKNOWN_FIELDS', params: { count: 1 } });
    expect(JSON.stringify(claim)).not.toContain('110101199003074477');
  });
});
