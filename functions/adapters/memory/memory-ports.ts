// In-memory ports with the same conditional semantics as the DynamoDB adapter: version-checked
// updates, put-if-absent ledger entries and a cap counter that never passes its cap. They sit
// beside the AWS adapters because they are adapters of the same ports: the local world (tests,
// the benchmark's compute-only run, the verification checks) wires them, not only unit tests.
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { Category } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { Member } from '#shared/members.ts';
import type { ClaimGrant } from '#shared/claim-grant.ts';
import {
  ConflictError,
  type ClaimEvidence,
  type ClaimFilter,
  type ClaimStore,
  type LedgerFilter,
  type LedgerStore,
  type ObjectInspection,
  type Page,
  type PayoutOutcome,
  type PayoutCharge,
  type CapCounter,
  type CountedExpense,
  type FundAccount,
  type FundStore,
  type FundTopUp,
  type TransferMark,
  type ReceiptStore,
  type ExportFile,
  type ClaimWorkflows,
  type ExportStore,
  type SavedExport,
  type ReviewTasks,
  type UploadSigner,
  type RosterStore,
  type HouseholdWrite,
  type RosterConflict,
  FEED_RECORDS_PER_TRANSACTION as FEED_WRITES_MAX,
  type FeedRecordWrite,
  type FeedStore,
  type WarningStore,
  matchesClaimFilter,
} from '#shared/ports.ts';
import { feedRecordKey, type FeedKind, type FeedRecord } from '#shared/feed-record.ts';
import type { HouseholdBurden } from '#shared/warnings.ts';
import { createHash } from 'node:crypto';
import {
  claimListingKeys,
  claimListingPlan,
  decodeListingCursor,
  encodeListingCursor,
} from '#shared/claim-listing.ts';
import type { MetricPoint, Metrics } from '#functions/metrics.ts';
import { INSPECT_HEAD_BYTES, INSPECT_TAIL_BYTES } from '#shared/receipt-check.ts';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryStore implements ClaimStore, LedgerStore, RosterStore, FundStore, FeedStore, WarningStore {
  readonly claimsById = new Map<string, ClaimRecord>();
  readonly events = new Map<string, HistoryEvent[]>();
  readonly receiptOwners = new Map<string, string>();
  readonly caps = new Map<string, number>();
  /** Counted self-paid totals under annual accumulation, by household#year#category. */
  readonly counted = new Map<string, number>();
  readonly funds = new Map<
    string,
    { initialFen: number; toppedUpFen: number; paidFen: number; balanceFen: number; waiting: number }
  >();
  /** Per region: `${since}#${claimId}` -> claimId. */
  readonly fundQueues = new Map<string, Map<string, string>>();
  readonly fundTopUps = new Map<string, FundTopUp>();
  readonly ledger = new Map<string, LedgerEntry>();
  readonly roster = new Map<string, RosterPeriod[]>();
  readonly grants = new Map<string, ClaimGrant>();
  readonly idOwners = new Map<string, string>();
  /** The ID number each household was first stored with. */
  readonly identity = new Map<string, string>();
  /** Each household's members by ID number. */
  readonly householdMembers = new Map<string, Map<string, Member>>();
  readonly evidence = new Map<string, Map<string, ClaimEvidence>>();
  /** Feed records by `kind:recordId`, and their keys by household. */
  readonly feedRecords = new Map<string, FeedRecord>();
  readonly householdFeedKeys = new Map<string, Set<string>>();
  /** Burdens by region, then household. */
  readonly householdBurdens = new Map<string, Map<string, HouseholdBurden>>();

  async get(claimId: string) {
    const c = this.claimsById.get(claimId);
    return c ? copy(c) : undefined;
  }
  async putGrant(grant: ClaimGrant) {
    const existing = this.grants.get(grant.claimId);
    if (existing && (existing.householdId !== grant.householdId || existing.filer !== grant.filer))
      return copy(existing);
    this.grants.set(grant.claimId, copy(grant));
    return copy(grant);
  }
  async grantAndClaim(claimId: string) {
    const grant = this.grants.get(claimId);
    const claim = this.claimsById.get(claimId);
    return { ...(grant ? { grant: copy(grant) } : {}), ...(claim ? { claim: copy(claim) } : {}) };
  }
  async create(claim: ClaimRecord, events: readonly HistoryEvent[]) {
    if (this.claimsById.has(claim.claimId)) return false;
    this.claimsById.set(claim.claimId, copy(claim));
    this.events.set(claim.claimId, copy([...events]));
    return true;
  }
  async update(next: ClaimRecord, expectedVersion: number, event?: HistoryEvent) {
    const current = this.claimsById.get(next.claimId);
    if (!current || current.version !== expectedVersion) throw new ConflictError();
    this.claimsById.set(next.claimId, copy(next));
    if (event) this.events.get(next.claimId)?.push(copy(event));
  }
  async history(claimId: string) {
    return copy(this.events.get(claimId) ?? []);
  }
  /** Synthetic claims in their final shape, with history and ledger (as DynamoClaimStore.loadClaims). */
  async loadClaims(
    batch: readonly { claim: ClaimRecord; events: readonly HistoryEvent[]; ledger?: LedgerEntry }[],
  ) {
    for (const { claim, events, ledger } of batch) {
      this.claimsById.set(claim.claimId, copy(claim));
      this.events.set(claim.claimId, copy([...events]));
      if (ledger) this.ledger.set(ledger.claimId, copy(ledger));
    }
  }
  /** The same plan, order, full pages and cursor checks as the DynamoDB listing. */
  async list(filter: ClaimFilter): Promise<Page<ClaimRecord>> {
    const plan = claimListingPlan(filter);
    const after = decodeListingCursor(filter.cursor, plan);
    const rows = [...this.claimsById.values()].flatMap((claim) => {
      const key = claimListingKeys(claim)[plan.index];
      const inRange =
        key !== undefined &&
        key.pk === plan.partition &&
        (plan.lo === undefined || key.sk >= plan.lo) &&
        (plan.hi === undefined || key.sk < plan.hi) &&
        (after === undefined || key.sk < after);
      return inRange && matchesClaimFilter(claim, filter) ? [{ sk: key.sk, claim }] : [];
    });
    rows.sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: copy(page.map((row) => row.claim)),
      ...(rows.length > filter.limit && last ? { cursor: encodeListingCursor(plan, last.sk) } : {}),
    };
  }
  async registerReceipt(sha256: string, claimId: string) {
    const owner = this.receiptOwners.get(sha256);
    if (owner === undefined) this.receiptOwners.set(sha256, claimId);
    return owner ?? claimId;
  }
  async transferReceipt(sha256: string, from: string, to: string) {
    if (this.receiptOwners.get(sha256) !== from) return false;
    this.receiptOwners.set(sha256, to);
    return true;
  }
  async putEvidence(householdId: string, evidence: ClaimEvidence) {
    const byClaim = this.evidence.get(householdId) ?? new Map<string, ClaimEvidence>();
    byClaim.set(evidence.claimId, copy(evidence));
    this.evidence.set(householdId, byClaim);
  }
  async householdEvidence(householdId: string) {
    return copy([...(this.evidence.get(householdId)?.values() ?? [])]);
  }
  async capUsed(householdId: string, year: number, category: Category) {
    return this.caps.get(`${householdId}#${year}#${category}`) ?? 0;
  }
  async capCounter(householdId: string, year: number, category: Category): Promise<CapCounter> {
    const key = `${householdId}#${year}#${category}`;
    return { usedFen: this.caps.get(key) ?? 0, countedFen: this.counted.get(key) ?? 0 };
  }
  /** Whether the counter still holds what was read (annual accumulation's condition). */
  private counterHolds(key: string, before: CapCounter): boolean {
    return (this.caps.get(key) ?? 0) === before.usedFen && (this.counted.get(key) ?? 0) === before.countedFen;
  }
  async countExpense(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    counted: CountedExpense,
  ) {
    const current = this.claimsById.get(next.claimId);
    if (!current || current.version !== expectedVersion) throw new ConflictError();
    const key = `${counted.householdId}#${counted.year}#${counted.category}`;
    if (!this.counterHolds(key, counted.before)) return false;
    this.counted.set(key, counted.afterFen);
    this.claimsById.set(next.claimId, copy(next));
    this.events.get(next.claimId)?.push(copy(event));
    return true;
  }
  private fundOf(region: string, initialFen: number) {
    let fund = this.funds.get(region);
    if (!fund) {
      fund = { initialFen, toppedUpFen: 0, paidFen: 0, balanceFen: initialFen, waiting: 0 };
      this.funds.set(region, fund);
    }
    return fund;
  }
  async awaitFunds(next: ClaimRecord, expectedVersion: number, event: HistoryEvent, initialFen: number) {
    const current = this.claimsById.get(next.claimId);
    const region = next.assessment?.region;
    const since = next.awaitingFundsSince;
    if (next.state !== 'AWAITING_FUNDS' || !region || !since)
      throw new Error('a claim waits for funds in AWAITING_FUNDS, with its region and since when');
    if (!current || current.version !== expectedVersion) throw new ConflictError();
    this.fundOf(region, initialFen).waiting += 1;
    const queue = this.fundQueues.get(region) ?? new Map<string, string>();
    queue.set(`${since}#${next.claimId}`, next.claimId);
    this.fundQueues.set(region, queue);
    this.claimsById.set(next.claimId, copy(next));
    this.events.get(next.claimId)?.push(copy(event));
  }
  async recordPayout(
    paid: ClaimRecord,
    expectedVersion: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    const current = this.claimsById.get(paid.claimId);
    if (
      this.ledger.has(entry.claimId) ||
      (current && (current.state === 'PAID' || current.state === 'DISBURSED'))
    ) {
      return { kind: 'already-paid', claim: copy(current ?? paid) };
    }
    if (
      !current ||
      current.version !== expectedVersion ||
      !['APPROVED', 'NOTICE', 'AWAITING_FUNDS'].includes(current.state)
    )
      throw new ConflictError();
    const key = `${paid.householdId}#${entry.capYear}#${paid.category}`;
    const used = this.caps.get(key) ?? 0;
    if (used + entry.payoutFen > charge.capFen) return { kind: 'cap-conflict', capUsedFen: used };
    if (charge.counted && !this.counterHolds(key, charge.counted.before))
      return { kind: 'cap-conflict', capUsedFen: used };
    if (charge.fund) {
      const fund = this.fundOf(entry.region, charge.fund.initialFen);
      const queued = charge.fund.fromQueue
        ? this.fundQueues.get(entry.region)?.has(`${charge.queuedSince ?? ''}#${paid.claimId}`) === true
        : fund.waiting === 0;
      if (fund.balanceFen < entry.payoutFen || !queued) return { kind: 'fund-short' };
      fund.balanceFen -= entry.payoutFen;
      fund.paidFen += entry.payoutFen;
      if (charge.fund.fromQueue) {
        fund.waiting -= 1;
        this.fundQueues.get(entry.region)?.delete(`${charge.queuedSince ?? ''}#${paid.claimId}`);
      }
    }
    this.caps.set(key, used + entry.payoutFen);
    if (charge.counted) this.counted.set(key, charge.counted.afterFen);
    this.ledger.set(entry.claimId, copy(entry));
    this.claimsById.set(paid.claimId, copy(paid));
    this.events.get(paid.claimId)?.push(copy(event));
    return { kind: 'paid', claim: copy(paid) };
  }
  async fund(region: string, initialFen: number): Promise<FundAccount> {
    const fund = this.funds.get(region);
    return fund
      ? { region, ...fund }
      : { region, initialFen, toppedUpFen: 0, paidFen: 0, balanceFen: initialFen, waiting: 0 };
  }
  async topUp(topUp: FundTopUp, initialFen: number) {
    const key = `${topUp.region}#${topUp.ref}`;
    if (this.fundTopUps.has(key)) return false;
    this.fundTopUps.set(key, copy(topUp));
    const fund = this.fundOf(topUp.region, initialFen);
    fund.balanceFen += topUp.amountFen;
    fund.toppedUpFen += topUp.amountFen;
    return true;
  }
  async topUps(region: string) {
    return copy([...this.fundTopUps.values()].filter((t) => t.region === region)).sort((a, b) =>
      a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
    );
  }
  async queue(region: string, limit: number) {
    const queue = this.fundQueues.get(region) ?? new Map<string, string>();
    return [...queue.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, limit)
      .map(([, claimId]) => claimId);
  }
  async ledgerEntry(claimId: string) {
    const e = this.ledger.get(claimId);
    return e ? copy(e) : undefined;
  }
  async *entries(filter: LedgerFilter): AsyncIterable<LedgerEntry> {
    const sorted = [...this.ledger.values()].sort((a, b) => (a.paidAt < b.paidAt ? -1 : 1));
    for (const e of sorted) {
      if (e.paidDate < filter.from || e.paidDate > filter.to) continue;
      if (filter.region && e.region !== filter.region) continue;
      if (filter.category && e.category !== filter.category) continue;
      yield copy(e);
    }
  }
  async recordDisbursement(next: ClaimRecord, expectedVersion: number, event: HistoryEvent) {
    const current = this.claimsById.get(next.claimId);
    const entry = this.ledger.get(next.claimId);
    if (!current || current.version !== expectedVersion || current.state !== 'PAID')
      throw new ConflictError();
    if (!entry || entry.batchRef || !next.disbursement) throw new ConflictError();
    this.ledger.set(next.claimId, {
      ...entry,
      batchRef: next.disbursement.batchRef,
      disbursedAt: next.disbursement.at,
    });
    this.claimsById.set(next.claimId, copy(next));
    this.events.get(next.claimId)?.push(copy(event));
  }
  async recordTransfer(next: ClaimRecord, expectedVersion: number, event: HistoryEvent, mark: TransferMark) {
    const expected = { disbursed: 'DISBURSED', failed: 'DISBURSEMENT_FAILED', reissued: 'PAID' }[mark.kind];
    if (next.state !== expected) throw new Error(`a ${mark.kind} transfer leaves the claim ${expected}`);
    const current = this.claimsById.get(next.claimId);
    const entry = this.ledger.get(next.claimId);
    const from = mark.kind === 'reissued' ? 'DISBURSEMENT_FAILED' : 'PAID';
    if (!current || current.version !== expectedVersion || current.state !== from || !entry)
      throw new ConflictError();
    if (mark.kind === 'reissued') {
      if (!entry.failedAt) throw new ConflictError();
      const { failedAt: _cleared, ...rest } = entry;
      this.ledger.set(next.claimId, { ...rest, reissues: (entry.reissues ?? 0) + 1 });
    } else {
      if (entry.disbursedAt || entry.failedAt) throw new ConflictError();
      this.ledger.set(
        next.claimId,
        mark.kind === 'disbursed'
          ? { ...entry, disbursedAt: mark.at, bankRef: mark.bankRef }
          : { ...entry, failedAt: mark.at },
      );
    }
    this.claimsById.set(next.claimId, copy(next));
    this.events.get(next.claimId)?.push(copy(event));
  }
  async records(kind: FeedKind, recordIds: readonly string[]) {
    return new Map(
      recordIds.flatMap((id) => {
        const record = this.feedRecords.get(feedRecordKey(kind, id));
        return record ? [[id, copy(record)] as const] : [];
      }),
    );
  }
  async householdRecords(householdId: string) {
    return [...(this.householdFeedKeys.get(householdId) ?? [])].flatMap((key) => {
      const record = this.feedRecords.get(key);
      return record ? [copy(record)] : [];
    });
  }
  /** Whether every write still finds what it expects (as the transaction's conditions). */
  private feedWritesHold(writes: readonly FeedRecordWrite[]): boolean {
    const keys = writes.map((w) => feedRecordKey(w.record.kind, w.record.recordId));
    if (new Set(keys).size !== keys.length) throw new Error('a record written twice in one transaction');
    return writes.every((w, i) => {
      const stored = this.feedRecords.get(keys[i] ?? '');
      return w.expectedVersion === null ? stored === undefined : stored?.version === w.expectedVersion;
    });
  }
  private applyFeedWrites(writes: readonly FeedRecordWrite[]) {
    for (const { record } of writes) {
      const key = feedRecordKey(record.kind, record.recordId);
      const previous = this.feedRecords.get(key);
      if (previous && previous.householdId !== record.householdId)
        this.householdFeedKeys.get(previous.householdId)?.delete(key);
      this.feedRecords.set(key, copy(record));
      const keys = this.householdFeedKeys.get(record.householdId) ?? new Set<string>();
      keys.add(key);
      this.householdFeedKeys.set(record.householdId, keys);
    }
  }
  async writeRecords(writes: readonly FeedRecordWrite[], counted?: CountedExpense) {
    if (writes.length > FEED_WRITES_MAX)
      throw new Error(`at most ${FEED_WRITES_MAX} records per transaction`);
    if (!this.feedWritesHold(writes)) return false;
    if (counted) {
      const key = `${counted.householdId}#${counted.year}#${counted.category}`;
      if (!this.counterHolds(key, counted.before)) return false;
      this.counted.set(key, counted.afterFen);
    }
    this.applyFeedWrites(writes);
    return true;
  }
  async openClaim(claim: ClaimRecord, events: readonly HistoryEvent[], writes: readonly FeedRecordWrite[]) {
    if (writes.length > FEED_WRITES_MAX || events.length > 9)
      throw new Error(`at most ${FEED_WRITES_MAX} records and 9 events per transaction`);
    if (this.claimsById.has(claim.claimId) || !this.feedWritesHold(writes)) return false;
    await this.create(claim, events);
    this.applyFeedWrites(writes);
    return true;
  }
  async putBurden(burden: HouseholdBurden) {
    const byHousehold = this.householdBurdens.get(burden.region) ?? new Map<string, HouseholdBurden>();
    if (burden.expenses.length === 0) byHousehold.delete(burden.householdId);
    else byHousehold.set(burden.householdId, copy(burden));
    this.householdBurdens.set(burden.region, byHousehold);
  }
  async burdens(region: string) {
    return copy([...(this.householdBurdens.get(region)?.values() ?? [])]);
  }
  async burdensOf(region: string, householdIds: readonly string[]) {
    const byHousehold = this.householdBurdens.get(region);
    return new Map(
      householdIds.flatMap((id) => {
        const burden = byHousehold?.get(id);
        return burden ? [[id, copy(burden)] as const] : [];
      }),
    );
  }
  async periods(householdId: string) {
    return copy(this.roster.get(householdId) ?? []);
  }
  async put(periods: readonly RosterPeriod[]) {
    for (const p of periods) {
      const list = (this.roster.get(p.householdId) ?? []).filter((x) => x.statusFrom !== p.statusFrom);
      list.push(copy(p));
      this.roster.set(p.householdId, list);
      if (!this.identity.has(p.householdId)) this.identity.set(p.householdId, p.idNumber);
      if (!this.idOwners.has(p.idNumber)) this.idOwners.set(p.idNumber, p.householdId);
    }
  }
  async identities(householdIds: readonly string[]) {
    return new Map(
      householdIds.flatMap((h) => (this.identity.has(h) ? [[h, this.identity.get(h) ?? '']] : [])),
    );
  }
  async holders(idNumbers: readonly string[]) {
    return new Map(
      idNumbers.flatMap((id) => (this.idOwners.has(id) ? [[id, this.idOwners.get(id) ?? '']] : [])),
    );
  }
  async storeHouseholds(households: readonly HouseholdWrite[]) {
    const conflicts = new Map<string, RosterConflict>();
    for (const h of households) {
      const holder = this.idOwners.get(h.idNumber);
      if (holder !== undefined && holder !== h.householdId) {
        conflicts.set(h.householdId, { kind: 'id-number-taken', holder });
        continue;
      }
      const stored = this.identity.get(h.householdId);
      if (stored !== undefined && stored !== h.idNumber) {
        conflicts.set(h.householdId, { kind: 'identity-changed' });
        continue;
      }
      await this.put(h.periods);
      this.identity.set(h.householdId, h.idNumber);
      this.idOwners.set(h.idNumber, h.householdId);
    }
    return { conflicts };
  }
  async members(householdId: string) {
    return [...(this.householdMembers.get(householdId)?.values() ?? [])].map(copy);
  }
  async storeMembers(members: readonly Member[]) {
    const conflicts = new Map<string, string>();
    for (const m of members) {
      const holder = this.idOwners.get(m.idNumber);
      if (holder !== undefined && holder !== m.householdId) {
        conflicts.set(m.idNumber, holder);
        continue;
      }
      this.idOwners.set(m.idNumber, m.householdId);
      const stored = this.householdMembers.get(m.householdId) ?? new Map<string, Member>();
      stored.set(m.idNumber, copy(m));
      this.householdMembers.set(m.householdId, stored);
    }
    return { conflicts };
  }
  async householdsOf(gridWorker: string) {
    return [...this.roster.values()]
      .filter(
        (ps) => [...ps].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0]?.gridWorker === gridWorker,
      )
      .map(copy);
  }
}

export class MemoryReceipts implements ReceiptStore {
  readonly objects = new Map<string, Uint8Array>();
  put(key: string, bytes: Uint8Array | string) {
    this.objects.set(key, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  }
  async read(key: string, maxBytes: number) {
    const bytes = this.objects.get(key);
    if (bytes && bytes.length > maxBytes) {
      const error = new Error('too large');
      error.name = 'TooLargeError';
      throw error;
    }
    return bytes;
  }
  async inspect(key: string, maxBytes: number): Promise<ObjectInspection | undefined> {
    const bytes = this.objects.get(key);
    if (!bytes) return undefined;
    // As the S3 adapter: the hash and the tail only for objects it reads whole.
    const readWhole = bytes.length <= maxBytes;
    return {
      size: bytes.length,
      head: bytes.subarray(0, INSPECT_HEAD_BYTES),
      tail: readWhole ? bytes.subarray(Math.max(0, bytes.length - INSPECT_TAIL_BYTES)) : new Uint8Array(),
      ...(readWhole ? { sha256: createHash('sha256').update(bytes).digest('hex') } : {}),
    };
  }
}

/** Exports kept in memory; the link is `memory://exports/<n>/<name>` and `files` holds the bytes. */
export class MemoryExports implements ExportStore {
  readonly files = new Map<string, { name: string; contentType: string; bytes: Buffer }>();
  constructor(private readonly now: () => Date) {}
  async save(file: ExportFile, linkSeconds: number, at?: string): Promise<SavedExport> {
    const chunks: Buffer[] = [];
    for await (const chunk of file.body)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    const key = at ?? `exports/${this.files.size + 1}/${file.name}`;
    this.files.set(`memory://${key}`, { name: file.name, contentType: file.contentType, bytes });
    return { key, bytes: bytes.length, ...(await this.link(key, file, linkSeconds)) };
  }
  async link(key: string, _file: Pick<ExportFile, 'name' | 'contentType'>, linkSeconds: number) {
    return {
      url: `memory://${key}`,
      expiresAt: new Date(this.now().getTime() + linkSeconds * 1000).toISOString(),
    };
  }
}

/** Records the workflow runs a retry starts, in order. */
export class RecordingWorkflows implements ClaimWorkflows {
  readonly started: string[] = [];
  async resumeAssessment(claimId: string): Promise<void> {
    this.started.push(`assessment ${claimId}`);
  }
  async resumeReview(claimId: string, attempt: number): Promise<void> {
    this.started.push(`review ${claimId} #${attempt}`);
  }
}

export class RecordingReviews implements ReviewTasks {
  readonly started: string[] = [];
  readonly resumed: { token: string; output: unknown }[] = [];
  /** Run names, as Step Functions would name them: once each. */
  async start(claimId: string, round?: string) {
    const name = round ? `${claimId}-${round}` : claimId;
    if (!this.started.includes(name)) this.started.push(name);
  }
  async succeed(token: string, output: unknown) {
    this.resumed.push({ token, output });
  }
  async fail() {}
}

/** Upload grants and view links that point nowhere: `memory://<key>`. */
export const memoryUploads = (): UploadSigner => ({
  viewUrl: async (key) => `memory://${key}`,
  grant: async (key, contentType, maxBytes) => ({
    key,
    url: 'memory://',
    fields: { key },
    maxBytes,
    contentType,
    expiresAt: '',
  }),
});

/** Keeps every business metric emitted, for tests and local runs to look at. */
export class RecordingMetrics implements Metrics {
  readonly emitted: MetricPoint[] = [];
  emit(point: MetricPoint): void {
    this.emitted.push(point);
  }
  /** The points of one metric, in order. */
  of(name: MetricPoint['name']): MetricPoint[] {
    return this.emitted.filter((p) => p.name === name);
  }
}
