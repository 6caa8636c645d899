// Ports: what the domain needs from the outside world. AWS implementations live in
// functions/adapters; tests use in-memory ones. Nothing here knows about AWS.
import type { Fen } from '#shared/money.ts';
import type { Category } from '#shared/policy.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { ClaimState, HistoryEvent } from '#shared/claim-state.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { Member } from '#shared/members.ts';
import type { ClaimGrant } from '#shared/claim-grant.ts';
import type { FeedKind, FeedRecord } from '#shared/feed-record.ts';
import type { HouseholdBurden } from '#shared/warnings.ts';
import { addDays } from '#shared/dates.ts';

export interface Clock {
  now(): Date;
}

/** What the system learns about a stored object without holding it all in memory. */
export interface ObjectInspection {
  readonly size: number;
  /** The object version read, where the store keeps versions (S3 with versioning on). */
  readonly versionId?: string;
  /** Lowercase hex sha256 of the whole object; absent when it was too large to read. */
  readonly sha256?: string;
  /** The first bytes, for magic-number checks. */
  readonly head: Uint8Array;
  /**
   * The last bytes (up to 1 KiB), kept in the same pass that hashes the object, to tell a whole
   * file from a cut-off one; empty when the object was too large to read.
   */
  readonly tail: Uint8Array;
}

export interface ReceiptStore {
  /** The object's bytes (that version, when given), or undefined when missing; throws TooLargeError past maxBytes. */
  read(key: string, maxBytes: number, versionId?: string): Promise<Uint8Array | undefined>;
  /** Size, sha256 and leading bytes; the hash is skipped for objects above maxBytes. */
  inspect(key: string, maxBytes: number): Promise<ObjectInspection | undefined>;
}

/** The claim changed under us (another delivery or a person got there first): re-read and retry. */
export class ConflictError extends Error {
  constructor(message = 'the claim changed concurrently') {
    super(message);
    this.name = 'ConflictError';
  }
}

/** A fault worth retrying (throttling, a dropped connection): workflows retry it with backoff. */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

export interface ClaimFilter {
  readonly state?: ClaimState;
  readonly householdId?: string;
  readonly gridWorker?: string;
  readonly village?: string;
  readonly category?: Category;
  /** Filed on or after / on or before (ISO dates, China time). */
  readonly from?: string;
  readonly to?: string;
  /** Last changed before this instant (ISO): claims whose run has gone quiet. */
  readonly updatedBefore?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** The instants a filter's filing dates bound `createdAt` by: [from 00:00, the day after to 00:00). */
export function createdBounds(filter: Pick<ClaimFilter, 'from' | 'to'>): { from?: string; before?: string } {
  return {
    ...(filter.from ? { from: `${addDays(filter.from, 0)}T00:00:00.000Z` } : {}),
    ...(filter.to ? { before: `${addDays(filter.to, 1)}T00:00:00.000Z` } : {}),
  };
}

/** Whether a claim meets every condition of a filter (limit and cursor aside), as it is now. */
export function matchesClaimFilter(c: ClaimRecord, filter: ClaimFilter): boolean {
  const created = createdBounds(filter);
  return (
    (!filter.state || c.state === filter.state) &&
    (!filter.householdId || c.householdId === filter.householdId) &&
    (!filter.gridWorker || c.gridWorker === filter.gridWorker) &&
    (!filter.village || c.village === filter.village) &&
    (!filter.category || c.category === filter.category) &&
    (!created.from || c.createdAt >= created.from) &&
    (!created.before || c.createdAt < created.before) &&
    (!filter.updatedBefore || c.updatedAt < filter.updatedBefore)
  );
}

export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export type PayoutOutcome =
  | { readonly kind: 'paid'; readonly claim: ClaimRecord }
  | { readonly kind: 'already-paid'; readonly claim: ClaimRecord }
  /** The household's counter moved: `capUsedFen` is what it holds now. */
  | { readonly kind: 'cap-conflict'; readonly capUsedFen: Fen }
  /** The region's fund cannot cover the payout, or older claims wait for it first. */
  | { readonly kind: 'fund-short' };

/** A household's counter for one category and cap year. */
export interface CapCounter {
  /** Paid out so far (limited by the cap). */
  readonly usedFen: Fen;
  /** Under annual accumulation: the self-paid costs counted so far (paying or not). */
  readonly countedFen: Fen;
}

/** What a payout charges besides the claim and its ledger entry, all in one transaction. */
export interface PayoutCharge {
  readonly capFen: Fen;
  /**
   * Under annual accumulation: the counter as read and the total it becomes. The transaction
   * requires the counter unchanged (else a cap-conflict: read again and re-price).
   */
  readonly counted?: { readonly before: CapCounter; readonly afterFen: Fen };
  /**
   * The region's fund: drawn by the payout, never below 0. A claim from the fund's queue
   * (`fromQueue`) is paid even while others wait; any other waits behind them.
   */
  readonly fund?: { readonly initialFen: Fen; readonly fromQueue: boolean };
  /** For a claim from the fund's queue: when it started waiting (its place in the queue). */
  readonly queuedSince?: string;
}

/** A change of a household's counted total that pays nothing (an expense below the threshold). */
export interface CountedExpense {
  readonly householdId: string;
  readonly year: number;
  readonly category: Category;
  readonly before: CapCounter;
  readonly afterFen: Fen;
}

/** A region's relief fund as it stands. */
export interface FundAccount {
  readonly region: string;
  readonly initialFen: Fen;
  readonly toppedUpFen: Fen;
  readonly paidFen: Fen;
  /** initial + topped up - paid; never below 0. */
  readonly balanceFen: Fen;
  /** Claims in AWAITING_FUNDS. */
  readonly waiting: number;
}

export interface FundTopUp {
  readonly region: string;
  /** The finance team's reference (a transfer slip): one top-up per reference. */
  readonly ref: string;
  readonly amountFen: Fen;
  readonly by: string;
  readonly at: string;
}

/** The relief funds: balances, top-ups and the queue of claims waiting for money. */
export interface FundStore {
  /** The fund as it stands; a fund nothing has touched yet holds its initial amount. */
  fund(region: string, initialFen: Fen): Promise<FundAccount>;
  /** Adds money once per reference; false when that reference was applied before. */
  topUp(topUp: FundTopUp, initialFen: Fen): Promise<boolean>;
  topUps(region: string): Promise<FundTopUp[]>;
  /** Claims waiting for the fund, oldest first. */
  queue(region: string, limit: number): Promise<string[]>;
}

/** What a claim's evidence looks like, kept to find the same bill filed twice. */
export interface ClaimEvidence {
  readonly claimId: string;
  /** `category|expenseDate|totalCostFen`: equal facts of two live claims are a possible duplicate. */
  readonly facts: string;
  /** Perceptual fingerprints of the image receipts. */
  readonly fingerprints: readonly string[];
  /**
   * A data-feed claim's records, each as the facts a receipt for the same bill would carry
   * (feedRecordFacts); absent on a receipt claim's evidence.
   */
  readonly recordFacts?: readonly string[];
}

export interface ClaimStore {
  get(claimId: string): Promise<ClaimRecord | undefined>;
  /**
   * Stores a grant unless one exists for another household or filer (the same filer asking again
   * for the same household refreshes its expiry). Returns the grant on record afterwards.
   */
  putGrant(grant: ClaimGrant): Promise<ClaimGrant>;
  /** The claim's grant and its record, read together (one request). */
  grantAndClaim(claimId: string): Promise<{ grant?: ClaimGrant; claim?: ClaimRecord }>;
  /** Creates the claim with its first history events; false when it already exists. */
  create(claim: ClaimRecord, events: readonly HistoryEvent[]): Promise<boolean>;
  /**
   * Writes `next` if the stored claim still has `expectedVersion`, appending `event` to the
   * history in the same transaction. Throws ConflictError otherwise.
   */
  update(next: ClaimRecord, expectedVersion: number, event?: HistoryEvent): Promise<void>;
  history(claimId: string): Promise<HistoryEvent[]>;
  list(filter: ClaimFilter): Promise<Page<ClaimRecord>>;
  /** Claims a receipt's hash for a claim; returns the claim that owns it now. */
  registerReceipt(sha256: string, claimId: string): Promise<string>;
  /** Moves a hash from a rejected claim to a new one; false if the owner changed meanwhile. */
  transferReceipt(sha256: string, fromClaimId: string, toClaimId: string): Promise<boolean>;
  /**
   * Records what a claim's evidence looks like (its facts and image fingerprints) under its
   * household, for the household's other claims to be compared with. Idempotent per claim.
   */
  putEvidence(householdId: string, evidence: ClaimEvidence): Promise<void>;
  /** Every claim's evidence recorded for a household, read consistently (own writes included). */
  householdEvidence(householdId: string): Promise<ClaimEvidence[]>;
  capUsed(householdId: string, year: number, category: Category): Promise<Fen>;
  /** The household's counter for a category and year, read consistently. */
  capCounter(householdId: string, year: number, category: Category): Promise<CapCounter>;
  /**
   * One transaction: the claim's change (version-checked) and its counted expense, if the
   * counter still holds `before`. False when the counter moved (read again and decide again).
   */
  countExpense(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    counted: CountedExpense,
  ): Promise<boolean>;
  /**
   * One transaction: the claim -> AWAITING_FUNDS (version-checked), queued in its region's fund
   * by `next.awaitingFundsSince`, the fund's waiting count raised. ConflictError otherwise.
   */
  awaitFunds(next: ClaimRecord, expectedVersion: number, event: HistoryEvent, initialFen: Fen): Promise<void>;
  /**
   * One transaction: claim -> PAID (version-checked), ledger entry keyed by claimId
   * (attribute_not_exists), cap counter raised only if used + amount <= cap (and, under
   * accumulation, only if it still holds what was read), the region's fund drawn if it covers
   * the amount (and, unless the claim comes from the fund's queue, nobody waits before it).
   */
  recordPayout(
    paid: ClaimRecord,
    expectedVersion: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome>;
  ledgerEntry(claimId: string): Promise<LedgerEntry | undefined>;
  /**
   * One transaction: claim PAID -> DISBURSED (version-checked) and its ledger entry marked with
   * the same batch (only if not marked yet), with the history event. ConflictError otherwise.
   */
  recordDisbursement(next: ClaimRecord, expectedVersion: number, event: HistoryEvent): Promise<void>;
  /**
   * One transaction: the claim's change after the bank's answer or a reissue (version-checked,
   * from PAID, or from DISBURSEMENT_FAILED for a reissue), its ledger entry marked to match and
   * the history event. ConflictError when the claim or the entry is not as the mark expects.
   */
  recordTransfer(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    mark: TransferMark,
  ): Promise<void>;
}

/**
 * What the bank's answer (or a reissue) does to a payout's ledger entry. `disbursed`: the money
 * arrived (disbursedAt, bankRef; only on an entry neither disbursed nor failed); `failed`: the
 * bank refused it (failedAt; same condition); `reissued`: sent again after a failure (failedAt
 * cleared, reissues + 1; only on a failed entry). No new entry: the payout is the same one.
 */
export type TransferMark =
  | { readonly kind: 'disbursed'; readonly at: string; readonly bankRef: string }
  | { readonly kind: 'failed'; readonly at: string }
  | { readonly kind: 'reissued' };

export interface LedgerFilter {
  readonly from: string;
  readonly to: string;
  readonly region?: string;
  readonly category?: Category;
}

export interface LedgerStore {
  /** Every entry paid between from and to (inclusive ISO dates), in paidAt order per day. */
  entries(filter: LedgerFilter): AsyncIterable<LedgerEntry>;
}

export interface RosterStore {
  periods(householdId: string): Promise<RosterPeriod[]>;
  /**
   * Upserts periods with the identity they name, without the checks `storeHouseholds` makes: for
   * fixtures and the demo roster, never for a file from a person.
   */
  put(periods: readonly RosterPeriod[]): Promise<void>;
  /** The ID number each stored household was first stored with (households not stored: absent). */
  identities(householdIds: readonly string[]): Promise<Map<string, string>>;
  /** The household each ID number belongs to (ID numbers on no household: absent). */
  holders(idNumbers: readonly string[]): Promise<Map<string, string>>;
  /**
   * Stores each household's periods together with its identity, all or nothing per household: a
   * household whose ID number belongs to another household by now, or that was stored meanwhile
   * with another ID number, is not stored and comes back in `conflicts`.
   */
  storeHouseholds(households: readonly HouseholdWrite[]): Promise<{ conflicts: Map<string, RosterConflict> }>;
  /** Households whose latest period names this grid worker, with all their periods. */
  householdsOf(gridWorker: string): Promise<RosterPeriod[][]>;
  /** The people stored under a household by the members import (its head among them). */
  members(householdId: string): Promise<Member[]>;
  /**
   * Stores each member together with its ID number's claim for the member's household, all or
   * nothing per member; a member stored before gets its new name and relation. A member whose ID
   * number belongs to another household by now is not stored: `conflicts` maps its ID number to
   * that household. No other check: the household's presence and head are the caller's.
   */
  storeMembers(members: readonly Member[]): Promise<{ conflicts: Map<string, string> }>;
}

export interface HouseholdWrite {
  readonly householdId: string;
  readonly idNumber: string;
  readonly periods: readonly RosterPeriod[];
}

export type RosterConflict =
  { readonly kind: 'id-number-taken'; readonly holder: string } | { readonly kind: 'identity-changed' };

/** Resumes or fails a workflow waiting on a review gate. */
export interface ReviewTasks {
  /**
   * Starts the review workflow for the claim, once per name: the first review's run is named by
   * the claimId, a later round's (`objection-1`, `appeal`) `<claimId>-<round>`, as the first run
   * may still exist. The input is `{ claimId }` either way.
   */
  start(claimId: string, round?: string): Promise<void>;
  /**
   * Resumes the task waiting on the token. A token no longer waiting (answered, timed out, its
   * run closed) is not an error: the workflow asks again and finds what was recorded.
   */
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** A short-lived, narrowly scoped permission to upload one object (an S3 presigned POST). */
export interface UploadGrant {
  readonly key: string;
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly maxBytes: number;
  readonly contentType: string;
  readonly expiresAt: string;
}

export interface UploadSigner {
  grant(key: string, contentType: string, maxBytes: number, expiresSeconds: number): Promise<UploadGrant>;
  /** A short-lived link to read one stored object (that version, when given). */
  viewUrl(key: string, expiresSeconds: number, versionId?: string): Promise<string>;
}

/** Starts the claim workflows again, for an operator's retry. Every step is idempotent. */
export interface ClaimWorkflows {
  /** A new run of the automatic workflow from the claim's stored manifest. */
  resumeAssessment(claimId: string): Promise<void>;
  /**
   * A new review run after the `attempt`-th retry. A review's execution name is taken for good
   * once used, so each attempt has its own; starting the same attempt twice starts it once.
   */
  resumeReview(claimId: string, attempt: number): Promise<void>;
}

/** A file made for one person to download now: stored, then handed out as a short-lived link. */
export interface ExportFile {
  /** The name the download is saved under. */
  readonly name: string;
  readonly contentType: string;
  /** The content, produced piece by piece so a province's ledger never sits in memory whole. */
  readonly body: AsyncIterable<string | Uint8Array>;
}

export interface SavedExport {
  readonly url: string;
  readonly bytes: number;
  readonly expiresAt: string;
  /** Where the file is stored. */
  readonly key: string;
}

export interface ExportStore {
  /**
   * Stores the file (under `key`, or a new key) and returns a link that downloads it as `name`.
   * A key is only ever one of the store's own export keys (`exportKey`).
   */
  save(file: ExportFile, linkSeconds: number, key?: string): Promise<SavedExport>;
  /** A fresh link to a stored export. */
  link(
    key: string,
    file: Pick<ExportFile, 'name' | 'contentType'>,
    linkSeconds: number,
  ): Promise<{ url: string; expiresAt: string }>;
}

export interface IdSource {
  /** A new ULID. */
  next(): string;
}

/**
 * The most feed records one FeedStore transaction writes. DynamoDB takes at most 100 items in a
 * transaction and each record is two items there (the record under its id, and its copy under its
 * household so a household's records are one consistent read): 45 records, the counter or the
 * claim and its first events fit with room to spare. Callers write more in chunks of this size.
 */
export const FEED_RECORDS_PER_TRANSACTION = 45;

/** A feed record to write, if the stored one still has `expectedVersion` (null: none stored yet). */
export interface FeedRecordWrite {
  readonly record: FeedRecord;
  readonly expectedVersion: number | null;
}

/** The departments' records matched to households (nothing personal: see feed-record.ts). */
export interface FeedStore {
  /** The stored records of one kind with these ids (ids not stored: absent), read consistently. */
  records(kind: FeedKind, recordIds: readonly string[]): Promise<Map<string, FeedRecord>>;
  /** Every stored record of a household, all kinds and years, read consistently. */
  householdRecords(householdId: string): Promise<FeedRecord[]>;
  /**
   * One transaction (at most FEED_RECORDS_PER_TRANSACTION writes, each record once): every record
   * written if still as expected (its version: the caller's, usually expected + 1), and, when
   * `counted` is given, the household's counter moved from `before` to `afterFen` if it still holds
   * `before`. False when a record or the counter moved meanwhile (read again, decide again).
   */
  writeRecords(writes: readonly FeedRecordWrite[], counted?: CountedExpense): Promise<boolean>;
  /**
   * One transaction: the data-feed claim created with its first events (at most 9), and its
   * records (at most FEED_RECORDS_PER_TRANSACTION; already `claimed` by it, or written `claimed`
   * here if still as expected). False, with nothing written, when the claim exists already or a
   * record moved meanwhile.
   */
  openClaim(
    claim: ClaimRecord,
    events: readonly HistoryEvent[],
    writes: readonly FeedRecordWrite[],
  ): Promise<boolean>;
}

/** Each household's counted self-paid costs of the last year, kept for the warning levels. */
export interface WarningStore {
  /** Stores a household's burden; a burden with no expenses removes the household's entry. */
  putBurden(burden: HouseholdBurden): Promise<void>;
  /** The stored burdens of a region's households (any order). */
  burdens(region: string): Promise<HouseholdBurden[]>;
  /** The stored burdens of some households of one region (households with none: absent). */
  burdensOf(region: string, householdIds: readonly string[]): Promise<Map<string, HouseholdBurden>>;
}
