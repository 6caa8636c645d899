// How a claim listing is answered, as data both claim stores follow: which index a filter reads,
// the partition and sort-key range within it, and the opaque cursor that resumes it. Every
// listing is in filing-time order, newest first (the sweeper's "quiet since" listing aside,
// which is in last-change order); the other filters are applied to the claims as they are now.
import { createdBounds, type ClaimFilter } from '#shared/ports.ts';
import type { ClaimRecord } from '#shared/claim.ts';

/**
 * The indexes, most selective first. `quiet` is the state index ordered by last change (the
 * sweeper's key range); the others are ordered by filing time.
 */
export type ClaimListingIndex =
  'household' | 'gridWorker' | 'quiet' | 'villageState' | 'village' | 'state' | 'all';

export interface ClaimListingPlan {
  readonly index: ClaimListingIndex;
  /** The index partition the listing reads (a grid worker's listing never leaves theirs). */
  readonly partition: string;
  /** Sort-key range: from `lo` (inclusive) to `hi` (exclusive). */
  readonly lo?: string;
  readonly hi?: string;
}

/** The partition of every claim, in filing-time order (see docs/architecture.md, Claim listings). */
export const ALL_CLAIMS_PARTITION = 'CLAIMS';

/** Each index's partition and sort key for a claim; absent where the claim lacks the field. */
export function claimListingKeys(
  claim: Pick<
    ClaimRecord,
    'claimId' | 'state' | 'householdId' | 'gridWorker' | 'village' | 'createdAt' | 'updatedAt'
  >,
): Partial<Record<ClaimListingIndex, { readonly pk: string; readonly sk: string }>> {
  const filed = `${claim.createdAt}#${claim.claimId}`;
  return {
    all: { pk: ALL_CLAIMS_PARTITION, sk: filed },
    state: { pk: `STATE#${claim.state}`, sk: filed },
    quiet: { pk: `STATE#${claim.state}`, sk: `${claim.updatedAt}#${claim.claimId}` },
    ...(claim.householdId ? { household: { pk: `HH#${claim.householdId}`, sk: filed } } : {}),
    ...(claim.gridWorker ? { gridWorker: { pk: `GW#${claim.gridWorker}`, sk: filed } } : {}),
    ...(claim.village
      ? {
          village: { pk: `VILLAGE#${claim.village}`, sk: filed },
          villageState: { pk: `VILLAGE#${claim.village}#STATE#${claim.state}`, sk: filed },
        }
      : {}),
  };
}

/**
 * The index a filter reads: the most selective one it names (a household has a few claims, a
 * grid worker's 30 households some hundreds, a village thousands, a state up to most of them);
 * the category and the dates are filters on it (the dates as a sort-key range).
 */
export function claimListingPlan(filter: ClaimFilter): ClaimListingPlan {
  const created = createdBounds(filter);
  const filed = {
    ...(created.from ? { lo: created.from } : {}),
    ...(created.before ? { hi: created.before } : {}),
  };
  if (filter.householdId) return { index: 'household', partition: `HH#${filter.householdId}`, ...filed };
  if (filter.gridWorker) return { index: 'gridWorker', partition: `GW#${filter.gridWorker}`, ...filed };
  if (filter.state && filter.updatedBefore)
    return { index: 'quiet', partition: `STATE#${filter.state}`, hi: filter.updatedBefore };
  if (filter.village && filter.state)
    return { index: 'villageState', partition: `VILLAGE#${filter.village}#STATE#${filter.state}`, ...filed };
  if (filter.village) return { index: 'village', partition: `VILLAGE#${filter.village}`, ...filed };
  if (filter.state) return { index: 'state', partition: `STATE#${filter.state}`, ...filed };
  return { index: 'all', partition: ALL_CLAIMS_PARTITION, ...filed };
}

/** The cursor after the item with sort key `sk`: opaque to callers, checked when it comes back. */
export function encodeListingCursor(plan: ClaimListingPlan, sk: string): string {
  return toBase64Url(JSON.stringify({ i: plan.index, p: plan.partition, s: sk }));
}

// base64url of UTF-8 text without Node's Buffer (shared/ runs in the browser bundle too).
function toBase64Url(text: string): string {
  const binary = Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join('');
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RangeError('cursor is malformed');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const SORT_KEY = /^\d{4}-\d\d-\d\dT[\d:.]{8,15}Z#[0-9A-Za-z_-]{1,64}$/;

/**
 * The sort key a cursor resumes after, only if the cursor was made by this very listing: one of
 * another index, another partition (another grid worker's claims) or outside the listing's range
 * is refused with a RangeError (the API answers 400 BAD_CURSOR).
 */
export function decodeListingCursor(cursor: string | undefined, plan: ClaimListingPlan): string | undefined {
  if (!cursor) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw new RangeError('cursor is malformed');
  }
  const { i, p, s } = (fields && typeof fields === 'object' ? fields : {}) as Record<string, unknown>;
  const fits =
    i === plan.index &&
    p === plan.partition &&
    typeof s === 'string' &&
    SORT_KEY.test(s) &&
    (plan.lo === undefined || s >= plan.lo) &&
    (plan.hi === undefined || s < plan.hi);
  if (!fits) throw new RangeError('cursor does not belong to this listing');
  return s as string;
}

/** The claim id a sort key ends with. */
export function claimIdOfSortKey(sk: string): string {
  return sk.slice(sk.lastIndexOf('#') + 1);
}
