// Typed domain errors: a stable code, its parameters and (ES2022) the cause. The domain says what
// went wrong; only the edge decides how that travels (an HTTP status, a workflow failure). The
// message is for logs and API callers that read no catalog: never personal data, never an id a
// person typed that did not check out.

export interface DomainErrorOptions {
  /** Facts a client needs to explain the refusal in its own language (ids, states, amounts). */
  readonly params?: Record<string, unknown>;
  readonly cause?: unknown;
}

export abstract class DomainError extends Error {
  readonly code: string;
  readonly params?: Record<string, unknown>;

  constructor(code: string, message: string, options: DomainErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    if (options.params) this.params = options.params;
  }
}

/** The thing asked for does not exist, or the caller may not know that it does. */
export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
}

/** The caller is known but may not do this (wrong role, not their household, not independent). */
export class ForbiddenError extends DomainError {
  override readonly name: string = 'ForbiddenError';
}

/** The input itself is wrong, whatever state anything is in. */
export class InvalidInputError extends DomainError {
  override readonly name: string = 'InvalidInputError';
}

/** The input is fine but the current state refuses it (exists already, decided, disbursed elsewhere). */
export class StateConflictError extends DomainError {
  override readonly name: string = 'StateConflictError';
}

/** A state change the claim state table does not allow. */
export class TransitionRefusedError extends StateConflictError {
  override readonly name: string = 'TransitionRefusedError';
}

/** A claim kept changing under every attempt to change it: asking again later may succeed. */
export class ClaimBusyError extends StateConflictError {
  override readonly name: string = 'ClaimBusyError';
}

/** The system's own data broke one of its rules; nothing the caller can fix. */
export class InvariantError extends DomainError {
  override readonly name: string = 'InvariantError';
}

/** The API's one answer for a claim that is missing or not the caller's to see (no id echoed). */
export function claimNotFound(): NotFoundError {
  return new NotFoundError('NOT_FOUND', 'no such claim');
}
