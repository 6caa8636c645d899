// Evidence, once judged, never changes: a file uploaded under a claim that is already on record
// (a still-valid upload form used again, an S3 client writing late) changes nothing the claim
// shows. Reviewers' links keep naming the version validation hashed. What such an upload does
// leave is a line in the claim's history, so nobody can swap a receipt unseen.
import type { Message } from '#shared/messages/render.ts';
import { isUnjudgedPlaceholder, type ClaimRecord } from '#shared/claim.ts';
import { MAX_RECEIPT_BYTES } from '#shared/manifest.ts';
import type { ClaimStore, Clock, ReceiptStore } from '#shared/ports.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { NotFoundError } from '#shared/errors.ts';
import { SYSTEM_ACTOR } from '#shared/workflow/steps.ts';

export interface NoteUploadInput {
  /** Object key of the upload, `claims/<claimId>/<file>`. */
  readonly key: string;
  /** The store refused to write it (the local emulator refuses overwrites of judged files). */
  readonly refused?: boolean;
}

export type NoteUploadResult =
  | { readonly noted: false; readonly why: 'not-a-claim-key' | 'no-claim-yet' | 'judged-file' }
  | { readonly noted: true; readonly claimId: string };

export interface NoteUploadDeps {
  readonly claims: ClaimStore;
  readonly receipts: ReceiptStore;
  readonly clock: Clock;
}

const claimKey = /^claims\/([A-Za-z0-9_-]{1,64})\/(.+)$/;

export async function noteUpload(deps: NoteUploadDeps, input: NoteUploadInput): Promise<NoteUploadResult> {
  const match = claimKey.exec(input.key);
  if (!match?.[1] || !match[2]) return { noted: false, why: 'not-a-claim-key' };
  const claimId = match[1];
  const file = match[2];
  try {
    const { result } = await changeClaim(
      deps,
      claimId,
      async (claim): Promise<ClaimChange<NoteUploadResult>> => {
        // Receipts arrive before their manifest; a manifest's own upload reaches here before or
        // after validation records it. Neither is late. A placeholder mark-error left (the manifest
        // never read) has judged nothing yet either.
        if (isUnjudgedPlaceholder(claim))
          return { kind: 'keep', result: { noted: false, why: 'no-claim-yet' } };
        const detail = await describe(deps, claim, file, input);
        if (!detail) return { kind: 'keep', result: { noted: false, why: 'judged-file' } };
        return {
          kind: 'patch',
          patch: {},
          note: { actor: SYSTEM_ACTOR, detail },
          result: { noted: true, claimId },
        };
      },
    );
    return result;
  } catch (error) {
    if (error instanceof NotFoundError) return { noted: false, why: 'no-claim-yet' };
    throw error;
  }
}

/**
 * The history line for the upload, in words that name no file (a file name can hold a person's
 * name), or undefined when it is the very file the claim was judged on (its own event, late).
 */
async function describe(
  deps: NoteUploadDeps,
  claim: ClaimRecord,
  file: string,
  input: NoteUploadInput,
): Promise<Message | undefined> {
  const position = claim.receipts.findIndex((r) => r.key === input.key);
  // Which file, by its place in the claim: the manifest, receipt n, or one the manifest does not name.
  const what: Message =
    file === 'manifest.json'
      ? { code: 'MANIFEST', params: {} }
      : position >= 0
        ? { code: 'RECEIPT', params: { n: position + 1 } }
        : { code: 'OTHER_FILE', params: {} };
  const noted = (code: string): Message => ({ code: `${what.code}_${code}`, params: what.params });
  if (input.refused) return noted('REFUSED_AFTER_JUDGED');
  if (file === 'manifest.json' || position >= 0) {
    const judged = file === 'manifest.json' ? claim.manifestSha256 : claim.receipts[position]?.sha256;
    // A manifest too large to read was never hashed: its own event cannot be told from a new one.
    if (!judged) return undefined;
    const now = await deps.receipts.inspect(input.key, MAX_RECEIPT_BYTES);
    // The same bytes again (its own event, or a retried upload) change nothing worth noting.
    if (now?.sha256 === judged) return undefined;
  }
  return noted('UPLOADED_AFTER_JUDGED');
}
