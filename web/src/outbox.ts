// Claims on their way up. A claim is saved in IndexedDB (form + the compressed receipts) the
// moment it is submitted and stays there until its manifest is in the bucket, so a lost
// connection, a closed tab or a dead battery never loses it: the next page load carries on.
//
// The order is the CLI's: POST /claims for upload grants, each receipt, then the manifest
// (which starts the workflow). Grants live 15 minutes; a claim that waited longer asks for new
// ones, but first checks whether an earlier manifest already landed, so a lost response never
// turns into a second claim with the same receipts.
import { api, ApiError, NetworkError } from './api.ts';
import { idbAll, idbDelete, idbGet, idbPut } from './idb.ts';
import { postToS3, UploadRefused } from './upload.ts';
import type { ReceiptType } from './image.ts';
import type { Category, CreatedClaim } from './types.ts';

export interface DraftReceipt {
  readonly name: string;
  readonly contentType: ReceiptType;
  readonly bytes: ArrayBuffer;
  readonly sha256: string;
  readonly originalSize: number;
}

export interface DraftForm {
  readonly householdId: string;
  readonly category: Category;
  readonly expenseDate: string;
  /** Canonical yuan strings (fenToYuan), as the API and manifest expect. */
  readonly totalCost: string;
  readonly reimbursed: string;
}

export interface Draft {
  readonly id: string;
  readonly username: string;
  readonly createdAt: string;
  /** editing: the form being filled in (kept so a reload after the camera does not lose it). */
  stage: 'editing' | 'queued';
  /** While editing the amounts are what the person typed, not yet validated. */
  form: DraftForm;
  receipts: DraftReceipt[];
  created?: CreatedClaim;
  /** Receipts (by index) already in the bucket under created.claimId. */
  uploaded: number[];
  /** Claims whose manifest upload was attempted: one of them may exist already. */
  manifestTried: string[];
  /** Set when people must act (the API refused the claim); cleared on retry. */
  error?: { code: string; message: string };
}

export type Phase = 'queued' | 'uploading' | 'retrying' | 'offline' | 'failed' | 'done';

export interface DraftStatus {
  readonly id: string;
  readonly phase: Phase;
  /** 0..100 over all bytes of this claim. */
  readonly percent: number;
  readonly retryAt?: number;
  readonly error?: { code: string; message: string };
  readonly claimId?: string;
}

type Listener = (statuses: ReadonlyMap<string, DraftStatus>) => void;

const statuses = new Map<string, DraftStatus>();
const listeners = new Set<Listener>();
const wakers = new Set<() => void>();
let running: Promise<void> | undefined;
let currentUser: string | undefined;

function emit(status: DraftStatus): void {
  statuses.set(status.id, status);
  const snapshot = new Map(statuses);
  for (const l of listeners) l(snapshot);
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  listener(new Map(statuses));
  return () => listeners.delete(listener);
}

export function draftStatus(id: string): DraftStatus | undefined {
  return statuses.get(id);
}

export async function listDrafts(username: string): Promise<Draft[]> {
  const all = await idbAll<Draft>();
  return all.filter((d) => d.username === username).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

export async function saveDraft(draft: Draft): Promise<void> {
  await idbPut(draft);
}

export async function discardDraft(id: string): Promise<void> {
  await idbDelete(id);
  statuses.delete(id);
  for (const l of listeners) l(new Map(statuses));
}

export function newDraftId(): string {
  return `d-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Queues a filled-in claim and starts uploading it. */
export async function submitDraft(draft: Draft): Promise<void> {
  draft.stage = 'queued';
  delete draft.error;
  await idbPut(draft);
  emit({ id: draft.id, phase: 'queued', percent: 0 });
  kick();
}

/** Starts (or wakes) the uploader for this person's queued claims: on load, sign-in, online. */
export function resume(username: string): void {
  currentUser = username;
  kick();
}

export function stop(): void {
  currentUser = undefined;
}

/** Retry a failed claim now (the person fixed something, or just wants to try again). */
export async function retryDraft(id: string): Promise<void> {
  const draft = await idbGet<Draft>(id);
  if (!draft) return;
  delete draft.error;
  await idbPut(draft);
  emit({ id, phase: 'queued', percent: 0 });
  kick();
}

function kick(): void {
  for (const wake of wakers) wake();
  running ??= drain().finally(() => {
    running = undefined;
  });
}

if (typeof window !== 'undefined') window.addEventListener('online', kick);

async function drain(): Promise<void> {
  for (;;) {
    const user = currentUser;
    if (!user) return;
    const queued = (await listDrafts(user)).filter((d) => d.stage === 'queued' && !d.error);
    const draft = queued[0];
    if (!draft) return;
    await send(draft);
  }
}

/** Waits `ms`, or less if the network comes back or someone kicks the queue. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      wakers.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    wakers.add(wake);
  });
}

function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429 || error.status === 401;
  return false;
}

async function send(draft: Draft): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (currentUser !== draft.username) return;
    try {
      const claimId = await upload(draft);
      await idbDelete(draft.id);
      emit({ id: draft.id, phase: 'done', percent: 100, claimId });
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        // Signed out under us: the claim waits, untouched, for the next sign-in.
        stop();
        emit({ id: draft.id, phase: 'retrying', percent: 0 });
        return;
      }
      if (!isTransient(error)) {
        draft.error =
          error instanceof ApiError || error instanceof UploadRefused
            ? { code: error.code, message: error.message }
            : { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
        await idbPut(draft);
        emit({ id: draft.id, phase: 'failed', percent: 0, error: draft.error });
        return;
      }
      // 1 s, 2 s, 4 s ... up to 30 s, with jitter so a village's phones do not retry in step.
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() / 2);
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
      emit({
        id: draft.id,
        phase: offline ? 'offline' : 'retrying',
        percent: statuses.get(draft.id)?.percent ?? 0,
        retryAt: Date.now() + delay,
      });
      await pause(offline ? 5 * 60_000 : delay);
    }
  }
}

const GRANT_MARGIN_MS = 2 * 60_000;

async function upload(draft: Draft): Promise<string> {
  if (draft.created && Date.parse(draft.created.manifest.expiresAt) - Date.now() < GRANT_MARGIN_MS) {
    delete draft.created;
    await idbPut(draft);
  }
  if (!draft.created) {
    for (const earlier of draft.manifestTried) {
      try {
        await api.claim(earlier);
        return earlier; // that manifest landed after all
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    draft.created = await api.createClaim({
      ...draft.form,
      receipts: draft.receipts.map((r) => ({ contentType: r.contentType })),
    });
    draft.uploaded = [];
    await idbPut(draft);
  }
  const created = draft.created;
  const manifest = new Blob(
    [
      JSON.stringify({
        ...created.manifestTemplate,
        receipts: draft.receipts.map((r, i) => ({
          key: created.receipts[i]?.key,
          sha256: r.sha256,
          contentType: r.contentType,
        })),
      }),
    ],
    { type: 'application/json' },
  );
  const sizes = draft.receipts.map((r) => r.bytes.byteLength);
  const total = sizes.reduce((a, b) => a + b, 0) + manifest.size;
  const doneBytes = () => draft.uploaded.reduce((sum, i) => sum + (sizes[i] ?? 0), 0);
  const report = (extra: number) =>
    emit({ id: draft.id, phase: 'uploading', percent: Math.floor(((doneBytes() + extra) / total) * 100) });
  report(0);
  try {
    for (const [i, receipt] of draft.receipts.entries()) {
      if (draft.uploaded.includes(i)) continue;
      const grant = created.receipts[i];
      if (!grant) throw new Error('the API granted fewer uploads than receipts');
      await postToS3(grant, new Blob([receipt.bytes], { type: receipt.contentType }), receipt.name, report);
      draft.uploaded.push(i);
      await idbPut(draft);
    }
    if (!draft.manifestTried.includes(created.claimId)) {
      draft.manifestTried.push(created.claimId);
      await idbPut(draft);
    }
    try {
      await postToS3(created.manifest, manifest, 'manifest.json', (n) => report(n));
    } catch (error) {
      // A retried manifest upload whose first try landed: the claim is on record, and its files
      // can no longer be replaced. That is success.
      if (
        error instanceof UploadRefused &&
        (await api.claim(created.claimId).then(
          () => true,
          () => false,
        ))
      )
        return created.claimId;
      throw error;
    }
  } catch (error) {
    if (error instanceof UploadRefused && error.expired) {
      // New grants fix it: start over with a fresh claim (after checking the manifest did not land).
      delete draft.created;
      await idbPut(draft);
      throw new NetworkError(error.message);
    }
    throw error;
  }
  return created.claimId;
}
