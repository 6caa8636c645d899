// How a domain refusal travels over HTTP: its class says the status, its code and parameters
// make the JSON body ({ error: { code, message, ...params } }).
import {
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  StateConflictError,
} from '#shared/errors.ts';

export interface HttpErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Record<string, unknown>;
}

/** The status a domain error answers with; anything unforeseen is the server's fault. */
export function statusOf(error: DomainError): number {
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof StateConflictError) return 409;
  return 500;
}

/** The reply for a domain error, or undefined for any other error (which stays unexplained). */
export function httpErrorOf(error: unknown): HttpErrorReply | undefined {
  if (!(error instanceof DomainError)) return undefined;
  return {
    status: statusOf(error),
    code: error.code,
    message: error.message,
    ...(error.params ? { extra: error.params } : {}),
  };
}
