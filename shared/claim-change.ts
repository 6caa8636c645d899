// The one way a stored claim changes: read it, let the caller decide on what it reads, check a
// state change against the state table, bump the version, stamp the time, append the history
// line and write conditionally on the version read. A write that loses a race is not an error:
// the claim is read again and the caller decides again on what is there now.
import type { ClaimRecord } from '#shared/claim.ts';
import type { Note } from '#shared/messages/render.ts';
import { transition, type ClaimState, type HistoryEvent, type RejectionReason } from '#shared/claim-state.ts';
import { ConflictError, type ClaimStore, type Clock } from '#shared/ports.ts';
import { ClaimBusyError, claimNotFound, TransitionRefusedError } from '#shared/errors.ts';

export type ClaimChange<R> =
  /** Nothing to write. */
  | { readonly kind: 'keep'; readonly result: R }
  /** A state change through the state table, with what else changes beside it. */
  | {
      readonly kind: 'move';
      readonly to: ClaimState;
      readonly actor: string;
      readonly reason?: RejectionReason;
      readonly detail?: Note;
      readonly patch?: Partial<ClaimRecord>;
      readonly result: R;
    }
  /** A change within the same state, with an optional history line. */
  | {
      readonly kind: 'patch';
      readonly patch: Partial<ClaimRecord>;
      readonly note?: { readonly actor: string; readonly detail: Note };
      readonly result: R;
    };

/** A change that writes something. */
export type ClaimWrite<R> = Exclude<ClaimChange<R>, { readonly kind: 'keep' }>;

/**
 * Writes a decided change. Resolves false (or throws ConflictError) when the stored claim moved
 * on, so it is read again and decided again. The default is the store's version-checked update;
 * a step whose change must land in one transaction with other writes (a payout and its ledger
 * entry) passes its own.
 */
export type ClaimWriter = (
  next: ClaimRecord,
  expectedVersion: number,
  event?: HistoryEvent,
) => Promise<boolean>;

/** The plain write: the store's version-checked update of the claim and its history line. */
export function versionCheckedWrite(claims: ClaimStore): ClaimWriter {
  return async (next, expectedVersion, event) => {
    await claims.update(next, expectedVersion, event);
    return true;
  };
}

export interface ChangeOptions {
  /** Reads (and decisions) before giving up with ClaimBusyError; 5 unless given. */
  readonly attempts?: number;
  readonly write?: ClaimWriter;
}

export const DEFAULT_CHANGE_ATTEMPTS = 5;

/**
 * The record and history line a change makes of `claim` at `at`, or TransitionRefusedError when
 * the state table forbids the move. A patch key set to undefined removes that field.
 */
export function applyChange(
  claim: ClaimRecord,
  change: ClaimWrite<unknown>,
  at: string,
): { readonly next: ClaimRecord; readonly event?: HistoryEvent } {
  if (change.kind === 'patch') {
    const next = withPatch(claim, change.patch, { updatedAt: at, version: claim.version + 1 });
    if (!change.note) return { next };
    const { actor, detail } = change.note;
    return { next, event: { at, from: claim.state, to: claim.state, actor, detail } };
  }
  const { to, actor, reason, detail } = change;
  const checked = transition(claim.state, {
    to,
    actor,
    at,
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
  });
  if (!checked.ok) {
    throw new TransitionRefusedError('TRANSITION_REFUSED', `claim ${claim.claimId}: ${checked.error}`, {
      params: { from: claim.state, to, ...(reason !== undefined ? { reason } : {}) },
    });
  }
  const next = withPatch(claim, change.patch ?? {}, {
    state: to,
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
    updatedAt: at,
    version: claim.version + 1,
  });
  return { next, event: checked.event };
}

function withPatch(claim: ClaimRecord, patch: Partial<ClaimRecord>, own: Partial<ClaimRecord>): ClaimRecord {
  const next: Record<string, unknown> = { ...claim, ...patch, ...own };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
  return next as ClaimRecord;
}

/**
 * Reads the claim, asks `decide` what to do with it (at the instant `at`) and writes that,
 * version-checked. On a lost race it reads again and asks again; after `attempts` tries it
 * throws ClaimBusyError. A missing claim is NotFoundError (before `decide` is called); `decide`
 * may throw a domain error to refuse.
 */
export async function changeClaim<R>(
  deps: { readonly claims: ClaimStore; readonly clock: Clock },
  claimId: string,
  decide: (claim: ClaimRecord, at: string) => ClaimChange<R> | Promise<ClaimChange<R>>,
  options?: ChangeOptions,
): Promise<{ readonly claim: ClaimRecord; readonly changed: boolean; readonly result: R }> {
  const attempts = options?.attempts ?? DEFAULT_CHANGE_ATTEMPTS;
  const write = options?.write ?? versionCheckedWrite(deps.claims);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const claim = await deps.claims.get(claimId);
    if (!claim) throw claimNotFound();
    const at = deps.clock.now().toISOString();
    const change = await decide(claim, at);
    if (change.kind === 'keep') return { claim, changed: false, result: change.result };
    const { next, event } = applyChange(claim, change, at);
    try {
      if (!(await write(next, claim.version, event))) continue;
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
    return { claim: next, changed: true, result: change.result };
  }
  throw new ClaimBusyError('BUSY', 'the claim is changing; try again', { params: { attempts } });
}
