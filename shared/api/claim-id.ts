import { InvalidInputError } from '#shared/errors.ts';

/**
 * A claim id from a request path: what a manifest key can name (`claims/<id>/manifest.json`),
 * or refused before any store sees it. Never echoes the id: a path typed by a person can hold anything.
 */
export function claimIdParam(claimId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(claimId))
    throw new InvalidInputError('BAD_CLAIM_ID', 'a claim id is 1-64 letters, digits, - or _ (a ULID)');
  return claimId;
}
