/** An error the API reports as is: a status, a stable code and a message fit for people. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * A claim id from a request path: what a manifest key can name (`claims/<id>/manifest.json`),
 * or a 400 before any store sees it. Never echoes the id: a path typed by a person can hold anything.
 */
export function claimIdParam(claimId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(claimId))
    throw new HttpError(400, 'BAD_CLAIM_ID', 'a claim id is 1-64 letters, digits, - or _ (a ULID)');
  return claimId;
}
