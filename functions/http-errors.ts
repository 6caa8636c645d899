// How a refusal travels over HTTP: its class says the status; the JSON body says what happened
// as a code with its parameters ({ error: { code, params, message, ...params } }), which clients
// put into words from the shared catalog (shared/messages/). `message` is English for logs and
// programs that read no catalog; the extra top-level copies of the params are kept for callers
// that read them there.
import {
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  StateConflictError,
} from '#shared/errors.ts';

export type ErrorParams = Record<string, string | number>;

export interface HttpErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** What the catalog's words for `code` need: strings and numbers only. */
  readonly params: ErrorParams;
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

/** The strings and numbers of `values` (a message fills placeholders with nothing else). */
export function messageParams(values: Record<string, unknown> | undefined): ErrorParams {
  const params: ErrorParams = {};
  for (const [name, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string' || typeof value === 'number') params[name] = value;
  }
  return params;
}

/** The reply for a domain error, or undefined for any other error (which stays unexplained). */
export function httpErrorOf(error: unknown): HttpErrorReply | undefined {
  if (!(error instanceof DomainError)) return undefined;
  return {
    status: statusOf(error),
    code: error.code,
    message: error.message,
    params: messageParams(error.params),
    ...(error.params ? { extra: error.params } : {}),
  };
}

/** A request body or query that failed its schema: the fields at fault, never the values sent. */
export function invalidRequestOf(issues: readonly { path: string; message: string }[]): HttpErrorReply {
  const fields = [...new Set(issues.map((i) => i.path || 'body'))].join(',');
  return {
    status: 400,
    code: 'INVALID_REQUEST',
    message: issues.map((i) => `${i.path || 'body'}: ${i.message}`).join('; '),
    params: { fields },
    extra: { issues },
  };
}

/** The JSON body of an error reply: always a code and its params. */
export function errorBody(reply: Omit<HttpErrorReply, 'status'>): { error: Record<string, unknown> } {
  return { error: { ...reply.extra, code: reply.code, message: reply.message, params: reply.params } };
}
