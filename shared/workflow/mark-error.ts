// The catch-all: a step failed past its retries. The claim goes to ERROR with the cause, so an
// operator sees it and can retry; a claim whose record never got written gets one now.
import { claimIdFromManifestKey } from '#shared/manifest.ts';
import { blankClaim, type ClaimRecord } from '#shared/claim.ts';
import { ConflictError } from '#shared/ports.ts';
import { SYSTEM_ACTOR, type StepDeps } from '#shared/workflow/steps.ts';

export interface MarkErrorInput {
  readonly claimId?: string | null;
  readonly key?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Claims in these states are past the point where a workflow fault could hurt them. */
const settled = new Set(['REJECTED', 'PAID', 'DISBURSED', 'ERROR']);

export async function markError(
  deps: StepDeps,
  input: MarkErrorInput,
): Promise<{ claimId: string | null; outcome: 'error' | 'skip' }> {
  const claimId = input.claimId ?? (input.key ? claimIdFromManifestKey(input.key) : undefined) ?? null;
  if (!claimId) return { claimId: null, outcome: 'skip' };
  const detail = describeError(input.error);
  for (let attempt = 0; attempt < 5; attempt++) {
    const at = deps.clock.now().toISOString();
    const claim = await deps.claims.get(claimId);
    if (!claim) {
      const record: ClaimRecord = {
        ...blankClaim(claimId, at),
        state: 'ERROR',
        errorFrom: 'RECEIVED',
        detail,
      };
      const created = await deps.claims.create(record, [
        { at, from: null, to: 'RECEIVED', actor: SYSTEM_ACTOR },
        { at, from: 'RECEIVED', to: 'ERROR', actor: SYSTEM_ACTOR, detail },
      ]);
      if (created) return { claimId, outcome: 'error' };
      continue;
    }
    if (settled.has(claim.state)) return { claimId, outcome: 'skip' };
    const next: ClaimRecord = {
      ...claim,
      state: 'ERROR',
      errorFrom: claim.state,
      detail,
      updatedAt: at,
      version: claim.version + 1,
    };
    try {
      await deps.claims.update(next, claim.version, {
        at,
        from: claim.state,
        to: 'ERROR',
        actor: SYSTEM_ACTOR,
        detail,
      });
      return { claimId, outcome: 'error' };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`claim ${claimId} kept changing while marking the error`);
}

/** The error type and the first line of its message only: stack traces stay in the logs. */
export function describeError(error: MarkErrorInput['error']): string {
  const type = error?.Error ?? 'UnknownError';
  let message = '';
  try {
    const cause: unknown = error?.Cause ? JSON.parse(error.Cause) : undefined;
    if (cause && typeof cause === 'object' && 'errorMessage' in cause) message = String(cause.errorMessage);
  } catch {
    message = error?.Cause ?? '';
  }
  const firstLine = message.split('\n')[0]?.slice(0, 200) ?? '';
  return firstLine ? `${type}: ${firstLine}` : type;
}
