// A claim exists only by a grant: the signed-in filer asks the API for one, naming the household,
// and the manifest that later arrives (from the web app, the CLI or any S3 client) must agree
// with it. The grant is what ties the uploaded bytes to a person allowed to file for that
// household; the manifest's own `householdId` and `submittedBy` are only claims to check.
import * as z from 'zod';
import { claimIdSchema, householdIdSchema, usernameSchema, type ClaimFacts } from '#shared/manifest.ts';
import type { Message } from '#shared/messages/render.ts';

export const claimGrantSchema = z.object({
  claimId: claimIdSchema,
  householdId: householdIdSchema,
  /** The signed-in user who asked for it: the manifest's `submittedBy` must be this user. */
  filer: usernameSchema,
  grantedAt: z.string(),
  /** Manifests stored after this instant are refused: the filer asks again (same claimId) instead. */
  expiresAt: z.string(),
});
export type ClaimGrant = z.infer<typeof claimGrantSchema>;

/** Upload forms and grants live minutes: long enough for a slow village connection, short enough to be safe. */
export const CLAIM_GRANT_SECONDS = 10 * 60;

/** S3 event times can run a little behind the upload; a manifest is judged with this much slack. */
const EVENT_CLOCK_SLACK_MS = 60_000;

/**
 * Why a manifest may not become the claim its grant allowed, or undefined when it may. Never
 * quotes the manifest's values: they are whatever the uploader typed.
 */
export function grantProblem(
  grant: ClaimGrant | undefined,
  facts: Pick<ClaimFacts, 'householdId' | 'submittedBy'>,
  storedAt: string,
): Message | undefined {
  if (!grant) return { code: 'GRANT_MISSING', params: {} };
  // The grant's household is a roster id (HH-0001), never the manifest's value.
  if (facts.householdId !== grant.householdId)
    return { code: 'GRANT_HOUSEHOLD_DIFFERS', params: { householdId: grant.householdId } };
  if (facts.submittedBy !== grant.filer) return { code: 'GRANT_FILER_DIFFERS', params: {} };
  if (Date.parse(storedAt) > Date.parse(grant.expiresAt) + EVENT_CLOCK_SLACK_MS)
    return { code: 'GRANT_EXPIRED', params: {} };
  return undefined;
}
