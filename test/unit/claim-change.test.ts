// changeClaim: read, decide, check, write version-checked, and on a lost race decide again on
// what is stored now.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { blankClaim, type ClaimRecord } from '#shared/claim.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { ConflictError } from '#shared/ports.ts';
import {
  ClaimBusyError,
  ForbiddenError,
  NotFoundError,
  StateConflictError,
  TransitionRefusedError,
} from '#shared/errors.ts';

const ID = '01JC0000000000000000000001';
const FILED = '2026-03-01T00:00:00.000Z';
const NOW = '2026-03-02T08:00:00.000Z';

async function setup(over: Partial<ClaimRecord> = {}) {
  const store = new MemoryStore();
  await store.create({ ...blankClaim(ID, FILED), householdId: 'HH-0001', ...over }, [
    { at: FILED, from: null, to: 'RECEIVED', actor: 'worker1' },
  ]);
  const deps = { claims: store, clock: { now: () => new Date(NOW) } };
  return { store, deps };
}

/** A store whose first `n` updates lose a race: another writer moves the claim first. */
function racing(store: MemoryStore, n: number, meanwhile: (c: ClaimRecord) => Partial<ClaimRecord>) {
  let left = n;
  let updates = 0;
  const claims = Object.assign(Object.create(store) as MemoryStore, {
    update: async (...args: Parameters<MemoryStore['update']>) => {
      updates += 1;
      if (left-- > 0) {
        const current = (await store.get(ID)) as ClaimRecord;
        await store.update(
          { ...current, ...meanwhile(current), version: current.version + 1 },
          current.version,
        );
      }
      return store.update(...args);
    },
  });
  return { claims, updates: () => updates };
}

describe('changeClaim', () => {
  it('moves a claim through the state table: version, time, reason and history event', async () => {
    const { store, deps } = await setup();
    const done = await changeClaim(deps, ID, (claim, at) => {
      expect(at).toBe(NOW);
      return {
        kind: 'move',
        to: 'REJECTED',
        actor: 'system',
        reason: 'NOT_COVERED',
        detail: 'why',
        result: 7,
      };
    });
    expect(done).toMatchObject({ changed: true, result: 7, claim: { state: 'REJECTED', version: 1 } });
    expect(await store.get(ID)).toMatchObject({
      state: 'REJECTED',
      reason: 'NOT_COVERED',
      detail: 'why',
      updatedAt: NOW,
      version: 1,
    });
    expect((await store.history(ID)).at(-1)).toEqual({
      at: NOW,
      from: 'RECEIVED',
      to: 'REJECTED',
      actor: 'system',
      reason: 'NOT_COVERED',
      detail: 'why',
    });
  });

  it('a move carries its patch; a patch key set to undefined removes the field', async () => {
    const { store, deps } = await setup({ state: 'ERROR', errorFrom: 'APPROVED', detail: 'boom' });
    await changeClaim(deps, ID, () => ({
      kind: 'move',
      to: 'APPROVED',
      actor: 'admin1',
      detail: 'retried',
      patch: { errorFrom: undefined, payoutFen: 100 },
      result: undefined,
    }));
    const stored = await store.get(ID);
    expect(stored).toMatchObject({ state: 'APPROVED', detail: 'retried', payoutFen: 100, version: 1 });
    expect(stored && 'errorFrom' in stored).toBe(false);
  });

  it('refuses a transition the state table forbids, and writes nothing', async () => {
    const { store, deps } = await setup({ state: 'PAID' });
    for (const change of [
      { kind: 'move', to: 'REJECTED', actor: 'system', reason: 'NOT_COVERED', result: 0 },
      { kind: 'move', to: 'REJECTED', actor: 'system', result: 0 },
      { kind: 'move', to: 'APPROVED', actor: 'system', result: 0 },
    ] as const) {
      const error = await changeClaim(deps, ID, () => change).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransitionRefusedError);
      expect(error).toBeInstanceOf(StateConflictError);
      expect(error).toMatchObject({ code: 'TRANSITION_REFUSED', params: { from: 'PAID', to: change.to } });
    }
    expect(await store.get(ID)).toMatchObject({ state: 'PAID', version: 0 });
    expect(await store.history(ID)).toHaveLength(1);
  });

  it('keep writes nothing and returns the claim as read', async () => {
    const { store, deps } = await setup();
    const claims = Object.assign(Object.create(store) as MemoryStore, {
      update: async () => {
        throw new Error('keep must not write');
      },
    });
    const done = await changeClaim({ ...deps, claims }, ID, () => ({ kind: 'keep', result: 'same' }));
    expect(done).toMatchObject({ changed: false, result: 'same', claim: { state: 'RECEIVED', version: 0 } });
    expect(await store.history(ID)).toHaveLength(1);
  });

  it('a patch without a note changes the record and adds no history line', async () => {
    const { store, deps } = await setup();
    await changeClaim(deps, ID, () => ({
      kind: 'patch',
      patch: { possibleDuplicates: [{ claimId: 'other', by: 'facts' }] },
      result: undefined,
    }));
    expect(await store.get(ID)).toMatchObject({
      state: 'RECEIVED',
      possibleDuplicates: [{ claimId: 'other', by: 'facts' }],
      updatedAt: NOW,
      version: 1,
    });
    expect(await store.history(ID)).toHaveLength(1);
  });

  it('a patch with a note records a same-state history line', async () => {
    const { store, deps } = await setup({ state: 'PENDING_REVIEW' });
    await changeClaim(deps, ID, () => ({
      kind: 'patch',
      patch: {},
      note: { actor: 'system', detail: 'noted' },
      result: undefined,
    }));
    expect(await store.get(ID)).toMatchObject({ state: 'PENDING_REVIEW', version: 1, updatedAt: NOW });
    expect((await store.history(ID)).at(-1)).toEqual({
      at: NOW,
      from: 'PENDING_REVIEW',
      to: 'PENDING_REVIEW',
      actor: 'system',
      detail: 'noted',
    });
  });

  it('on a lost race it reads again and decides again on the fresh record', async () => {
    const { store, deps } = await setup();
    // Another writer approves the claim first; the second decision sees APPROVED and keeps it.
    const { claims, updates } = racing(store, 1, () => ({ state: 'APPROVED' }));
    const seen: string[] = [];
    const done = await changeClaim({ ...deps, claims }, ID, (claim): ClaimChange<string> => {
      seen.push(`${claim.state}@${claim.version}`);
      return claim.state === 'RECEIVED'
        ? { kind: 'move', to: 'REJECTED', actor: 'system', reason: 'NOT_COVERED', result: 'rejected' }
        : { kind: 'keep', result: claim.state };
    });
    expect(seen).toEqual(['RECEIVED@0', 'APPROVED@1']);
    expect(done).toMatchObject({ changed: false, result: 'APPROVED' });
    expect(updates()).toBe(1);
    expect(await store.get(ID)).toMatchObject({ state: 'APPROVED', version: 1 });
  });

  it('a retried write lands on the fresh version', async () => {
    const { store, deps } = await setup();
    const { claims } = racing(store, 2, (c) => ({ detail: `touched ${c.version}` }));
    const done = await changeClaim({ ...deps, claims }, ID, () => ({
      kind: 'patch',
      patch: { payoutFen: 5 },
      result: undefined,
    }));
    expect(done.claim.version).toBe(3);
    expect(await store.get(ID)).toMatchObject({ payoutFen: 5, detail: 'touched 1', version: 3 });
  });

  it('gives up after N attempts with ClaimBusyError', async () => {
    const { store, deps } = await setup();
    let writes = 0;
    const claims = Object.assign(Object.create(store) as MemoryStore, {
      update: async () => {
        writes += 1;
        throw new ConflictError();
      },
    });
    const change = () => ({ kind: 'patch', patch: {}, result: undefined }) as const;
    const error = await changeClaim({ ...deps, claims }, ID, change, { attempts: 3 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClaimBusyError);
    expect(error).toMatchObject({ code: 'BUSY' });
    expect(writes).toBe(3);
    writes = 0;
    await expect(changeClaim({ ...deps, claims }, ID, change)).rejects.toBeInstanceOf(ClaimBusyError);
    expect(writes).toBe(5);
  });

  it('a writer that reports "not written" is retried like a conflict', async () => {
    const { store, deps } = await setup();
    let calls = 0;
    const done = await changeClaim(
      deps,
      ID,
      () => ({ kind: 'patch', patch: { payoutFen: 1 }, result: 'ok' }),
      {
        write: async (next, expected, event) => {
          calls += 1;
          if (calls < 3) return false;
          await store.update(next, expected, event);
          return true;
        },
      },
    );
    expect([calls, done.result, done.claim.version]).toEqual([3, 'ok', 1]);
  });

  it('a missing claim is NotFoundError and decide is never called', async () => {
    const { deps } = await setup();
    const error = await changeClaim(deps, 'nope', () => {
      throw new Error('not called');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('decide refuses with a domain error; other store errors are not retried', async () => {
    const { store, deps } = await setup();
    await expect(
      changeClaim(deps, ID, () => {
        throw new ForbiddenError('NOT_YOURS', 'not yours');
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    let writes = 0;
    const claims = Object.assign(Object.create(store) as MemoryStore, {
      update: async () => {
        writes += 1;
        throw new Error('disk on fire');
      },
    });
    await expect(
      changeClaim({ ...deps, claims }, ID, () => ({ kind: 'patch', patch: {}, result: 0 })),
    ).rejects.toThrow('disk on fire');
    expect(writes).toBe(1);
  });
});
