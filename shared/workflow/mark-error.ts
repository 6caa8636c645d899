// The catch-all: a step failed past its retries. The claim goes to ERROR with the cause, so an
// operator sees it and can retry; a claim whose record never got written gets one now.
import type { Message } from '#shared/messages/render.ts';
import { claimIdFromManifestKey } from '#shared/manifest.ts';
import { blankClaim, type ClaimRecord } from '#shared/claim.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { NotFoundError } from '#shared/errors.ts';
import { SYSTEM_ACTOR, type StepDeps } from '#shared/workflow/steps.ts';

export interface MarkErrorInput {
  readonly claimId?: string | null;
  readonly key?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Claims in these states are past the point where a workflow fault could hurt them. */
const settled = new Set(['REJECTED', 'PAID', 'DISBURSED', 'ERROR']);

export async function markError(
  deps: Pick<StepDeps, 'claims' | 'clock'>,
  input: MarkErrorInput,
): Promise<{ claimId: string | null; outcome: 'error' | 'skip' }> {
  const claimId = input.claimId ?? (input.key ? claimIdFromManifestKey(input.key) : undefined) ?? null;
  if (!claimId) return { claimId: null, outcome: 'skip' };
  const detail = describeError(input.error);
  const toError = (): Promise<{ claimId: string; outcome: 'error' | 'skip' }> =>
    changeClaim(deps, claimId, (claim): ClaimChange<'error' | 'skip'> =>
      settled.has(claim.state)
        ? { kind: 'keep', result: 'skip' }
        : {
            kind: 'move',
            to: 'ERROR',
            actor: SYSTEM_ACTOR,
            detail,
            patch: { errorFrom: claim.state },
            result: 'error',
          },
    ).then(({ result }) => ({ claimId, outcome: result }));
  try {
    return await toError();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  // No record yet (validation died before writing one): a blank one, in ERROR, to retry from.
  const at = deps.clock.now().toISOString();
  const record: ClaimRecord = { ...blankClaim(claimId, at), state: 'ERROR', errorFrom: 'RECEIVED', detail };
  const created = await deps.claims.create(record, [
    { at, from: null, to: 'RECEIVED', actor: SYSTEM_ACTOR },
    { at, from: 'RECEIVED', to: 'ERROR', actor: SYSTEM_ACTOR, detail },
  ]);
  if (created) return { claimId, outcome: 'error' };
  // Another writer created it meanwhile; records are never deleted, so it is there now.
  return toError();
}

/**
 * The fault as a message: its type names it for people; the first line of its message (never
 * the stack) goes along as `cause` for operators reading the API or the CLI's JSON.
 */
export function describeError(error: MarkErrorInput['error']): Message {
  const type = error?.Error ?? 'UnknownError';
  let message = '';
  try {
    const cause: unknown = error?.Cause ? JSON.parse(error.Cause) : undefined;
    if (cause && typeof cause === 'object' && 'errorMessage' in cause) message = String(cause.errorMessage);
  } catch {
    message = error?.Cause ?? '';
  }
  const firstLine = message.split('\n')[0]?.slice(0, 200) ?? '';
  return { code: 'FAULT', params: firstLine ? { error: type, cause: firstLine } : { error: type } };
}
