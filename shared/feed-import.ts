// Storing a data feed's checked rows, one batch of a feed job at a time. Each row's person is
// matched to a household (head or member); what is kept of a matched record is feed-record.ts's
// (nothing personal). Records are settled per household, category and year:
// - still below the threshold with them (their price adds nothing): written `counted`, the
//   household's counted total moved in the same transaction;
// - otherwise written `pending` for this job: the job's last step opens one claim per group.
// The same record again changes nothing; a corrected one (same id, new figures) replaces the old
// before any claim on it is paid, and is reported after. A batch run twice changes nothing more.
import type { NumberedFeedLine, FeedLine } from '#shared/feed.ts';
import {
  feedRecordFacts,
  type FeedKind,
  type FeedRecord,
  type FeedRecordState,
} from '#shared/feed-record.ts';
import type { BulkJob, RowRejection } from '#shared/bulk-job.ts';
import {
  FEED_RECORDS_PER_TRANSACTION,
  TransientError,
  type ClaimStore,
  type Clock,
  type CountedExpense,
  type FeedRecordWrite,
  type FeedStore,
  type RosterStore,
  type WarningStore,
} from '#shared/ports.ts';
import { accumulates, policyInForce, type CategoryRule, type Policy } from '#shared/policy.ts';
import { priceOf } from '#shared/compensation.ts';
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import { chinaDate } from '#shared/dates.ts';
import type { Member } from '#shared/members.ts';
import type { MemberRelation } from '#shared/vocabulary.ts';
import { canTransition, claimStates, type ClaimState } from '#shared/claim-state.ts';
import { changeClaim } from '#shared/claim-change.ts';
import { ClaimBusyError } from '#shared/errors.ts';
import { refreshBurdens } from '#shared/warnings.ts';

export interface FeedImportDeps {
  readonly feeds: FeedStore;
  readonly claims: ClaimStore;
  readonly roster: Pick<RosterStore, 'holders' | 'periods' | 'members'>;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
  /** When given, the burdens of households whose counted total moved are refreshed. */
  readonly warnings?: WarningStore;
}

/** The feed deps out of a job step's deps; a feed job cannot run without its stores. */
export function feedImportDeps(
  deps: {
    readonly feeds?: FeedStore;
    readonly claims?: ClaimStore;
    readonly roster: FeedImportDeps['roster'];
    readonly clock: Clock;
    readonly policies?: readonly Policy[];
    readonly warnings?: WarningStore;
  },
  job: { readonly jobId: string },
): FeedImportDeps {
  if (!deps.feeds || !deps.claims) throw new Error(`job ${job.jobId} needs the feed and claim stores`);
  return {
    feeds: deps.feeds,
    claims: deps.claims,
    roster: deps.roster,
    clock: deps.clock,
    ...(deps.policies ? { policies: deps.policies } : {}),
    ...(deps.warnings ? { warnings: deps.warnings } : {}),
  };
}

export const feedOutcomeNames = [
  /** Rows of the batch. */
  'records',
  /** Rows whose person is on a household. */
  'matched',
  /** Rows whose person is on no household: counted, dropped. */
  'unmatched',
  /**
   * Matched to a household not covered on the bill's date (off the roster, a status or policy
   * that takes no records of this feed): not stored.
   */
  'notCovered',
  /** The same record (same id, same figures) stored before. */
  'repeated',
  /** A stored record's figures replaced by the row's. */
  'corrected',
  /** Rows stored (or corrected) in the household's counted total directly. */
  'counted',
  /** Rows stored (or corrected) waiting for the job's claims. */
  'pending',
] as const;
export type FeedOutcome = (typeof feedOutcomeNames)[number];

export interface FeedBatchResult {
  readonly rows: number;
  /** Matched rows stored, corrected or found stored already. */
  readonly imported: number;
  readonly rejected: RowRejection[];
  readonly outcomes: Record<FeedOutcome, number>;
  /** Groups (`feedGroupKey`) left with records pending for this job, or on a claim it opened. */
  readonly pendingGroups: string[];
}

/** A household's records of one category and year: one claim at most per job. */
export function feedGroupKey(householdId: string, category: FeedKind, capYear: number): string {
  return `${householdId}|${category}|${capYear}`;
}

export function parseFeedGroupKey(
  key: string,
): { householdId: string; category: string; capYear: number } | undefined {
  const match = /^([^|]+)\|([a-z]+)\|(\d{4})$/.exec(key);
  if (!match) return undefined;
  return { householdId: match[1] ?? '', category: match[2] ?? '', capYear: Number(match[3]) };
}

/** Groups settled at once within a batch. */
const GROUPS_IN_FLIGHT = 8;
/** ID numbers per holders read. */
const HOLDERS_PER_READ = 100;
/** Lost races (a counter or a record moved) per group before the batch is retried whole. */
const MAX_CONFLICTS = 8;
/**
 * A data-feed claim not paid yet: the state table lets a corrected record close it from these
 * states (and from no other).
 */
const UNPAID_STATES: readonly ClaimState[] = claimStates.filter((s) =>
  canTransition(s, 'REJECTED', 'RECORD_CORRECTED'),
);

/** A row's record as it would be stored, before its state is decided. */
type RecordFacts = Omit<
  FeedRecord,
  'state' | 'claimId' | 'firstJobId' | 'jobId' | 'corrections' | 'updatedAt' | 'version'
>;

interface GroupRow {
  readonly row: number;
  readonly facts: RecordFacts;
}

interface Group {
  readonly householdId: string;
  readonly kind: FeedKind;
  readonly capYear: number;
  readonly rule: CategoryRule;
  readonly accumulating: boolean;
  readonly rows: GroupRow[];
}

type Verdict = 'new' | 'corrected' | 'repeated' | 'late' | 'moved';

interface GroupResult {
  readonly verdicts: Map<number, Verdict>;
  /** The state each stored or corrected row ended in. */
  readonly states: Map<number, FeedRecordState>;
  readonly pending: boolean;
  readonly countedMoved: boolean;
}

interface Household {
  readonly periods: RosterPeriod[];
  readonly members: Member[];
}

export async function storeFeedLines(
  deps: FeedImportDeps,
  all: readonly NumberedFeedLine[],
  job: Pick<BulkJob, 'jobId' | 'createdBy'>,
): Promise<FeedBatchResult> {
  const outcomes = Object.fromEntries(feedOutcomeNames.map((n) => [n, 0])) as Record<FeedOutcome, number>;
  outcomes.records = all.length;
  const rejected: RowRejection[] = [];

  // A bill dated after today is a wrong file (or a forged one): it would raise the year's counted
  // total ahead of time. Refused before anyone is looked up. (Its other dates come before it.)
  const today = chinaDate(deps.clock.now());
  const future: RowRejection[] = [];
  const rows = all.filter(({ row, line }) => {
    if (line.expenseDate <= today) return true;
    const field = line.kind === 'medical' ? 'settlementDate' : 'paymentDate';
    future.push({ row, reasons: [{ code: 'FEED_DATE_IN_FUTURE', params: { field } }] });
    return false;
  });

  // Whose each ID number is: 100 per read.
  const idNumbers = [...new Set(rows.map((r) => r.line.idNumber))];
  const holders = new Map<string, string>();
  for (let i = 0; i < idNumbers.length; i += HOLDERS_PER_READ) {
    const found = await deps.roster.holders(idNumbers.slice(i, i + HOLDERS_PER_READ));
    for (const [id, householdId] of found) holders.set(id, householdId);
  }
  // Each matched household's periods (region, policy) and members (the person's place), once.
  const households = new Map<string, Household>();
  await inFlight([...new Set(holders.values())], GROUPS_IN_FLIGHT, async (householdId) => {
    const [periods, members] = await Promise.all([
      deps.roster.periods(householdId),
      deps.roster.members(householdId),
    ]);
    households.set(householdId, { periods, members });
  });

  const groups = new Map<string, Group>();
  for (const { row, line } of rows) {
    const householdId = holders.get(line.idNumber);
    const household = householdId === undefined ? undefined : households.get(householdId);
    if (householdId === undefined || !household || household.periods.length === 0) {
      outcomes.unmatched += 1;
      continue;
    }
    outcomes.matched += 1;
    const latest = latestPeriod(household.periods);
    // Counted only for a day the household was on the roster with a covered status, as a
    // receipt for the same bill would be (one off the roster is refused, not counted).
    const period = statusOn(household.periods, line.expenseDate);
    const policy = period && policyInForce(period.region, line.expenseDate, deps.policies);
    const rule = policy?.categories[line.kind];
    if (
      !period ||
      !policy ||
      !rule ||
      !policy.dataFeeds.includes(line.kind) ||
      !policy.coveredStatuses.some((s) => s === period.status)
    ) {
      outcomes.notCovered += 1;
      continue;
    }
    const capYear = Number(line.expenseDate.slice(0, 4));
    const key = feedGroupKey(householdId, line.kind, capYear);
    let group = groups.get(key);
    if (!group) {
      group = {
        householdId,
        kind: line.kind,
        capYear,
        rule,
        accumulating: accumulates(policy, line.kind),
        rows: [],
      };
      groups.set(key, group);
    }
    group.rows.push({
      row,
      facts: factsOf(line, householdId, relationOf(line.idNumber, latest, household.members), capYear),
    });
  }

  const now = deps.clock.now().toISOString();
  const pendingGroups: string[] = [];
  const moved = new Set<string>();
  await inFlight([...groups.entries()], GROUPS_IN_FLIGHT, async ([key, group]) => {
    const result = await settleGroup(deps, group, job, now);
    if (result.pending) pendingGroups.push(key);
    if (result.countedMoved) moved.add(group.householdId);
    for (const { row, facts } of group.rows) {
      const verdict = result.verdicts.get(row) ?? 'new';
      if (verdict === 'late' || verdict === 'moved') {
        const code = verdict === 'late' ? 'FEED_RECORD_CORRECTED_LATE' : 'FEED_RECORD_MOVED';
        rejected.push({ row, reasons: [{ code, params: { recordId: facts.recordId } }] });
        continue;
      }
      if (verdict === 'repeated') outcomes.repeated += 1;
      if (verdict === 'corrected') outcomes.corrected += 1;
      const state = result.states.get(row);
      if (state === 'counted') outcomes.counted += 1;
      else if (state !== undefined) outcomes.pending += 1;
    }
  });

  // The warning levels follow the counted totals that moved.
  if (deps.warnings && moved.size > 0)
    await refreshBurdens({ ...deps, warnings: deps.warnings }, [...moved].sort());

  const imported = outcomes.matched - outcomes.notCovered - rejected.length;
  rejected.push(...future);
  rejected.sort((a, b) => a.row - b.row);
  return { rows: all.length, imported, rejected, outcomes, pendingGroups: pendingGroups.sort() };
}

/** A planned write: the record's facts, the stored record it replaces, and why. */
interface Planned {
  readonly facts: RecordFacts;
  readonly before: FeedRecord | undefined;
  /** The figures change (a correction), not only the state. */
  readonly corrects: boolean;
  /** What the stored record held in the counted total (a counted record corrected). */
  readonly removesFen: number;
}

/**
 * Decides and writes one group's rows, re-reading after every write (a group of more records than
 * a transaction holds is written in parts) and after every lost race.
 */
async function settleGroup(
  deps: FeedImportDeps,
  group: Group,
  job: Pick<BulkJob, 'jobId' | 'createdBy'>,
  now: string,
): Promise<GroupResult> {
  const { householdId, kind, capYear } = group;
  const verdicts = new Map<number, Verdict>();
  // The first pass's verdict stands (a later pass sees this job's own writes), but a row found
  // too late on a later pass (its claim was paid meanwhile) was not applied: that is reported.
  const note = (row: number, verdict: Verdict) => {
    if (!verdicts.has(row) || verdict === 'late' || verdict === 'moved') verdicts.set(row, verdict);
  };
  // The group's records this job left pending, or put on a claim it opened: the group still
  // has a claim to open, or (a batch run again) one to start (see openFeedGroups).
  const ownedByJob = (r: FeedRecord) =>
    r.kind === kind &&
    r.capYear === capYear &&
    (r.state === 'pending' || r.state === 'claimed') &&
    r.jobId === job.jobId;
  const ids = group.rows.map((r) => r.facts.recordId);
  const receiptBills = await receiptBillsOf(deps, householdId);
  let conflicts = 0;
  let countedMoved = false;
  let wroteBefore = false;
  for (;;) {
    const [stored, counter, household] = await Promise.all([
      deps.feeds.records(kind, ids),
      deps.claims.capCounter(householdId, capYear, kind),
      deps.feeds.householdRecords(householdId),
    ]);
    const states = new Map<number, FeedRecordState>();
    const rowWrites: Planned[] = [];
    const reopened = new Set<string>();
    const unpaid = new Set<string>();
    const claims = new Map<string, Promise<Awaited<ReturnType<ClaimStore['get']>>>>();
    const claimOf = (claimId: string) => {
      let found = claims.get(claimId);
      if (!found) claims.set(claimId, (found = deps.claims.get(claimId)));
      return found;
    };

    for (const { row, facts } of group.rows) {
      const before = stored.get(facts.recordId);
      if (!before) {
        note(row, 'new');
        rowWrites.push({ facts, before, corrects: false, removesFen: 0 });
        continue;
      }
      // Another household's record, or another year's: a department's id sent again for someone
      // else (or a date moved across years) is not a correction applied without people.
      if (before.householdId !== householdId || before.capYear !== capYear) {
        note(row, 'moved');
        continue;
      }
      if (sameFacts(before, facts)) {
        // Written by this job already (the batch runs again): what it did then.
        if (before.jobId === job.jobId) {
          note(row, before.firstJobId === job.jobId ? 'new' : 'corrected');
          states.set(row, before.state);
        } else if (before.state === 'pending') {
          // Left pending by another job that never opened its claim (its map gave up, or it
          // runs beside this one): taken over, so it is counted or claimed now, not stuck.
          note(row, 'repeated');
          rowWrites.push({ facts, before, corrects: false, removesFen: 0 });
          continue;
        } else note(row, 'repeated');
        // Evidence of a claim closed for a correction: opened again with the others.
        if (before.state === 'claimed' && before.claimId) {
          const claim = await claimOf(before.claimId);
          if (claim?.state === 'REJECTED' && claim.reason === 'RECORD_CORRECTED') reopened.add(claim.claimId);
        }
        continue;
      }
      if (before.state === 'pending') {
        note(row, 'corrected');
        rowWrites.push({ facts, before, corrects: true, removesFen: 0 });
      } else if (before.state === 'counted') {
        // Out of the counted total again, unless something of the year was paid on it already.
        if (counter.usedFen === 0) {
          note(row, 'corrected');
          rowWrites.push({ facts, before, corrects: true, removesFen: before.selfPaidFen });
        } else note(row, 'late');
      } else {
        const claim = before.claimId ? await claimOf(before.claimId) : undefined;
        if (!claim) {
          // Its claim was never created (its opening was cut off): still free to correct.
          note(row, 'corrected');
          rowWrites.push({ facts, before, corrects: true, removesFen: 0 });
        } else if (UNPAID_STATES.includes(claim.state)) {
          note(row, 'corrected');
          unpaid.add(claim.claimId);
        } else if (claim.state === 'REJECTED' && claim.reason === 'RECORD_CORRECTED') {
          note(row, 'corrected');
          rowWrites.push({ facts, before, corrects: true, removesFen: 0 });
          reopened.add(claim.claimId);
        } else note(row, 'late');
      }
    }

    // A claim on a corrected record is closed first; its records come back on the next pass.
    if (unpaid.size > 0) {
      for (const claimId of unpaid) await closeCorrected(deps, claimId, job);
      continue;
    }

    // The other records of a closed claim come back pending with the corrected ones. They are
    // written first: the corrected row, still on the closed claim until written, brings them
    // back again if the batch stops halfway.
    const carried: Planned[] = [];
    const planned = new Set(rowWrites.map((w) => w.facts.recordId));
    for (const claimId of reopened) {
      const claim = await claimOf(claimId);
      const evidence = (claim?.feedRecords ?? [])
        .filter((k) => k.startsWith(`${kind}:`))
        .map((k) => k.slice(kind.length + 1))
        .filter((id) => !planned.has(id));
      const records = await deps.feeds.records(kind, evidence);
      for (const record of records.values()) {
        if (record.state !== 'claimed' || record.claimId !== claimId) continue;
        planned.add(record.recordId);
        carried.push({ facts: factsOfRecord(record), before: record, corrects: false, removesFen: 0 });
      }
    }
    const writes = [...carried, ...rowWrites];
    if (writes.length === 0) {
      return { verdicts, states, pending: household.some(ownedByJob), countedMoved };
    }

    const part = writes.slice(0, FEED_RECORDS_PER_TRANSACTION);
    const inPart = new Set(part.map((w) => w.facts.recordId));
    const othersPending = household.some(
      (r) => r.kind === kind && r.capYear === capYear && r.state === 'pending' && !inPart.has(r.recordId),
    );
    const removesFen = part.reduce((sum, w) => sum + w.removesFen, 0);
    const addsFen = part.reduce((sum, w) => sum + w.facts.selfPaidFen, 0);
    const baseFen = Math.max(0, counter.countedFen - removesFen);
    // Counted directly only while the year's total stays below the threshold with them (their
    // price adds nothing) and no claim of the group is waiting to be opened.
    // A bill a receipt claim of the household already carries (the same category, date and
    // cost) is never counted silently: it waits for a claim, which the duplicate check marks.
    const doubtful = part.some((w) => feedRecordFacts(w.facts).some((bill) => receiptBills.has(bill)));
    const free =
      !doubtful &&
      !othersPending &&
      (group.accumulating
        ? priceOf(group.rule, baseFen + addsFen) === priceOf(group.rule, baseFen)
        : priceOf(group.rule, addsFen) === 0);
    const state: FeedRecordState = free ? 'counted' : 'pending';
    const afterFen = free ? baseFen + addsFen : baseFen;
    const counted: CountedExpense | undefined =
      afterFen === counter.countedFen
        ? undefined
        : { householdId, year: capYear, category: kind, before: counter, afterFen };
    const written = await deps.feeds.writeRecords(
      part.map((w) => writeOf(w, state, job, now)),
      counted,
    );
    if (!written) {
      conflicts += 1;
      if (conflicts >= MAX_CONFLICTS)
        throw new TransientError(`feed records of job ${job.jobId} kept changing; will retry`);
      continue;
    }
    if (counted) countedMoved = true;
    // Everything written in one transaction: what the next pass would read back is known (the
    // usual case, and it spares a household three reads). A group written in parts reads again.
    if (!wroteBefore && part.length === writes.length) {
      for (const { row, facts } of group.rows) if (inPart.has(facts.recordId)) states.set(row, state);
      const pending = state === 'pending' || household.some((r) => ownedByJob(r) && !inPart.has(r.recordId));
      return { verdicts, states, pending, countedMoved };
    }
    wroteBefore = true;
  }
}

/**
 * The bills (`category|date|totalCostFen`) of the household's receipt claims that may be paid,
 * were, or were counted below the threshold.
 */
async function receiptBillsOf(deps: FeedImportDeps, householdId: string): Promise<Set<string>> {
  const bills = new Set<string>();
  for (const evidence of await deps.claims.householdEvidence(householdId)) {
    if (evidence.recordFacts !== undefined || bills.has(evidence.facts)) continue;
    const claim = await deps.claims.get(evidence.claimId);
    if (claim && (claim.state !== 'REJECTED' || claim.reason === 'BELOW_THRESHOLD'))
      bills.add(evidence.facts);
  }
  return bills;
}

/** Closes an unpaid data-feed claim whose record the department corrected. */
async function closeCorrected(
  deps: FeedImportDeps,
  claimId: string,
  job: Pick<BulkJob, 'jobId' | 'createdBy'>,
): Promise<void> {
  try {
    await changeClaim(deps, claimId, (claim) =>
      UNPAID_STATES.includes(claim.state)
        ? {
            kind: 'move',
            to: 'REJECTED',
            actor: job.createdBy,
            reason: 'RECORD_CORRECTED',
            detail: { code: 'FEED_CLAIM_CORRECTED', params: { jobId: job.jobId } },
            result: undefined,
          }
        : { kind: 'keep', result: undefined },
    );
  } catch (error) {
    // The batch is run again by the workflow; what was written stays as it is.
    if (error instanceof ClaimBusyError)
      throw new TransientError(`claim ${claimId} kept changing; will retry`);
    throw error;
  }
}

function writeOf(
  planned: Planned,
  state: FeedRecordState,
  job: Pick<BulkJob, 'jobId'>,
  now: string,
): FeedRecordWrite {
  const { before } = planned;
  return {
    record: {
      ...planned.facts,
      state,
      firstJobId: before?.firstJobId ?? job.jobId,
      jobId: job.jobId,
      corrections: (before?.corrections ?? 0) + (planned.corrects ? 1 : 0),
      updatedAt: now,
      version: before ? before.version + 1 : 0,
    },
    expectedVersion: before ? before.version : null,
  };
}

function factsOf(
  line: FeedLine,
  householdId: string,
  relation: MemberRelation,
  capYear: number,
): RecordFacts {
  return {
    kind: line.kind,
    recordId: line.recordId,
    householdId,
    relation,
    capYear,
    expenseDate: line.expenseDate,
    totalCostFen: line.totalCostFen,
    reimbursedFen: line.reimbursedFen,
    selfPaidFen: line.selfPaidFen,
    place: line.place,
    ...(line.admissionDate !== undefined ? { admissionDate: line.admissionDate } : {}),
    ...(line.dischargeDate !== undefined ? { dischargeDate: line.dischargeDate } : {}),
    ...(line.term !== undefined ? { term: line.term } : {}),
  };
}

function factsOfRecord(record: FeedRecord): RecordFacts {
  const { state, claimId, firstJobId, jobId, corrections, updatedAt, version, ...facts } = record;
  void [state, claimId, firstJobId, jobId, corrections, updatedAt, version];
  return facts;
}

/** Whether a stored record says what the row says (its figures, dates and place). */
function sameFacts(stored: FeedRecord, facts: RecordFacts): boolean {
  return (
    stored.expenseDate === facts.expenseDate &&
    stored.totalCostFen === facts.totalCostFen &&
    stored.reimbursedFen === facts.reimbursedFen &&
    stored.selfPaidFen === facts.selfPaidFen &&
    stored.place === facts.place &&
    stored.admissionDate === facts.admissionDate &&
    stored.dischargeDate === facts.dischargeDate &&
    stored.term === facts.term
  );
}

/** The person's place in the household: the head's ID number is the roster's, members their own. */
function relationOf(
  idNumber: string,
  latest: RosterPeriod | undefined,
  members: readonly Member[],
): MemberRelation {
  if (latest?.idNumber === idNumber) return 'head';
  return members.find((m) => m.idNumber === idNumber)?.relation ?? 'other';
}

export function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  let found: RosterPeriod | undefined;
  for (const p of periods) if (!found || p.statusFrom > found.statusFrom) found = p;
  return found;
}

/** Runs `work` over the items, at most `limit` at once. */
export async function inFlight<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
