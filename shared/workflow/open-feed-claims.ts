// One data-feed claim for each household, category and year a feed job left records `pending`
// in: opened by the batch that holds the household's records, or by the job's last step for what
// a batch left to it. The claim carries the records' totals and ids (no
// photo) and goes through the automatic workflow like any claim (ValidateClaim finds it on record
// and carries on). Running this twice opens nothing twice: records already on a claim are left
// alone, and a claim whose opening was cut off after its first records were written is opened
// with the same id. The claims the job opened are listed in a file beside the job's.
import { blankClaim, type ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import {
  feedOfJob,
  openedClaimsKey,
  type BatchResult,
  type BulkJob,
  type JobFiles,
} from '#shared/bulk-job.ts';
import { feedRecordKey, type FeedKind, type FeedRecord } from '#shared/feed-record.ts';
import { inFlight, latestPeriod, parseFeedGroupKey } from '#shared/feed-import.ts';
import {
  FEED_RECORDS_PER_TRANSACTION,
  TransientError,
  type ClaimStore,
  type ClaimWorkflows,
  type Clock,
  type FeedRecordWrite,
  type FeedStore,
  type IdSource,
  type RosterStore,
} from '#shared/ports.ts';

export interface OpenFeedDeps {
  readonly files: JobFiles;
  readonly feeds: FeedStore;
  readonly claims: Pick<ClaimStore, 'get'>;
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly workflows: ClaimWorkflows;
  readonly ids: IdSource;
  readonly clock: Clock;
}

/** One claim a feed job opened, as its list holds it. */
export interface OpenedFeedClaim {
  readonly claimId: string;
  readonly householdId: string;
  readonly category: FeedKind;
}

/** Groups whose claims are opened at once. */
const GROUPS_IN_FLIGHT = 8;
/** Lost races per group before the step is retried whole. */
const MAX_CONFLICTS = 8;

/** The feed deps out of a job step's deps; a feed job's last step cannot run without them. */
export function openFeedDeps(
  deps: Partial<OpenFeedDeps> & Pick<OpenFeedDeps, 'files' | 'clock'>,
  jobId: string,
): OpenFeedDeps {
  const { feeds, claims, roster, workflows, ids } = deps;
  if (!feeds || !claims || !roster || !workflows || !ids)
    throw new Error(`job ${jobId} needs the feed, claim and roster stores, the workflows and ids`);
  return { files: deps.files, clock: deps.clock, feeds, claims, roster, workflows, ids };
}

/**
 * Opens the job's claims left to its last step and writes the list of every claim it opened (its
 * batches' and these); returns what the job records of it. Claims still RECEIVED (opened now, or
 * by a run that stopped before starting them) are started.
 */
export async function openFeedClaims(
  deps: OpenFeedDeps,
  job: Pick<BulkJob, 'jobId' | 'kind' | 'createdBy'>,
  batches: readonly BatchResult[],
): Promise<{ claimsOpened: number; openedKey: string }> {
  const groups = [...new Set(batches.flatMap((b) => b.pendingGroups ?? []))].sort();
  const byId = new Map<string, OpenedFeedClaim>();
  for (const c of [...batches.flatMap((b) => b.opened ?? []), ...(await openFeedGroups(deps, job, groups))])
    byId.set(c.claimId, c);
  const opened = [...byId.values()].sort((a, b) =>
    a.claimId < b.claimId ? -1 : a.claimId > b.claimId ? 1 : 0,
  );
  const openedKey = openedClaimsKey(job.kind, job.jobId);
  await deps.files.write(
    openedKey,
    opened
      .map((c) => JSON.stringify({ claimId: c.claimId, householdId: c.householdId, category: c.category }))
      .join('\n'),
    'application/x-ndjson',
  );
  return { claimsOpened: opened.length, openedKey };
}

/** Opens (or finds opened, and starts) the claims of the given groups (`feedGroupKey`). */
export async function openFeedGroups(
  deps: OpenFeedDeps,
  job: Pick<BulkJob, 'jobId' | 'kind' | 'createdBy'>,
  groups: readonly string[],
): Promise<OpenedFeedClaim[]> {
  const kind = feedOfJob(job.kind);
  if (!kind) throw new Error(`job ${job.jobId} is not a feed`);
  const opened: OpenedFeedClaim[] = [];
  await inFlight([...new Set(groups)].sort(), GROUPS_IN_FLIGHT, async (key) => {
    const group = parseFeedGroupKey(key);
    if (!group || group.category !== kind) return;
    opened.push(...(await openGroup(deps, job, kind, group.householdId, group.capYear)));
  });
  return opened;
}

/** The claims of one household, category and year this job opened (now or before). */
async function openGroup(
  deps: OpenFeedDeps,
  job: Pick<BulkJob, 'jobId' | 'createdBy'>,
  kind: FeedKind,
  householdId: string,
  capYear: number,
): Promise<OpenedFeedClaim[]> {
  let conflicts = 0;
  const started = new Set<string>();
  for (;;) {
    const records = (await deps.feeds.householdRecords(householdId)).filter(
      (r) => r.kind === kind && r.capYear === capYear,
    );
    const claimIds = [
      ...new Set(records.flatMap((r) => (r.state === 'claimed' && r.claimId ? [r.claimId] : []))),
    ];
    const claims = new Map(
      await Promise.all(claimIds.map(async (id) => [id, await deps.claims.get(id)] as const)),
    );
    // Records on a claim that does not exist: its opening wrote them and stopped. Same id again.
    const cutOff = claimIds.find((id) => !claims.get(id));
    const mine = records.filter((r) => r.state === 'pending' && r.jobId === job.jobId);
    if (cutOff === undefined && mine.length === 0) {
      const ours = claimIds.filter((id) =>
        records.some((r) => r.claimId === id && r.state === 'claimed' && r.jobId === job.jobId),
      );
      // Opened by a run that stopped before starting them: started now (every step is idempotent).
      for (const id of ours)
        if (!started.has(id) && claims.get(id)?.state === 'RECEIVED')
          await deps.workflows.resumeAssessment(id);
      return ours.map((claimId) => ({ claimId, householdId, category: kind }));
    }
    const claimId = cutOff ?? deps.ids.next();
    const evidence = [...records.filter((r) => r.state === 'claimed' && r.claimId === claimId), ...mine];
    const done = await openOne(deps, job, kind, householdId, claimId, evidence);
    if (done) {
      await deps.workflows.resumeAssessment(claimId);
      started.add(claimId);
      continue;
    }
    conflicts += 1;
    if (conflicts >= MAX_CONFLICTS)
      throw new TransientError(`the claims of job ${job.jobId} kept conflicting; will retry`);
  }
}

/**
 * Creates the claim with its records (those beyond one transaction written `claimed` first, so a
 * stop between the writes leaves them on a claim id the next run opens). False on a lost race.
 */
async function openOne(
  deps: OpenFeedDeps,
  job: Pick<BulkJob, 'jobId' | 'createdBy'>,
  kind: FeedKind,
  householdId: string,
  claimId: string,
  records: readonly FeedRecord[],
): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const claimed = (r: FeedRecord): FeedRecordWrite => ({
    record: { ...r, state: 'claimed', claimId, jobId: job.jobId, updatedAt: now, version: r.version + 1 },
    expectedVersion: r.version,
  });
  const toWrite = records.filter((r) => !(r.state === 'claimed' && r.claimId === claimId)).map(claimed);
  const last = toWrite.slice(Math.max(0, toWrite.length - FEED_RECORDS_PER_TRANSACTION));
  const first = toWrite.slice(0, toWrite.length - last.length);
  for (let i = 0; i < first.length; i += FEED_RECORDS_PER_TRANSACTION)
    if (!(await deps.feeds.writeRecords(first.slice(i, i + FEED_RECORDS_PER_TRANSACTION)))) return false;

  const period = latestPeriod(await deps.roster.periods(householdId));
  const sorted = [...records].sort((a, b) =>
    a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0,
  );
  const claim: ClaimRecord = {
    ...blankClaim(claimId, now),
    householdId,
    category: kind,
    // The latest record's date: the claim is filed for the stays (terms) of the group.
    expenseDate: sorted.reduce((max, r) => (r.expenseDate > max ? r.expenseDate : max), ''),
    totalCostFen: sorted.reduce((sum, r) => sum + r.totalCostFen, 0),
    reimbursedFen: sorted.reduce((sum, r) => sum + r.reimbursedFen, 0),
    submittedBy: job.createdBy,
    gridWorker: period?.gridWorker ?? null,
    region: period?.region ?? null,
    village: period?.village ?? null,
    source: 'data-feed',
    feedRecords: sorted.map((r) => feedRecordKey(r.kind, r.recordId)),
  };
  const events: HistoryEvent[] = [
    {
      at: now,
      from: null,
      to: 'RECEIVED',
      actor: job.createdBy,
      detail: { code: 'FEED_CLAIM_OPENED', params: { records: sorted.length, category: kind } },
    },
  ];
  if (await deps.feeds.openClaim(claim, events, last)) return true;
  // Opened meanwhile by another run of this step: nothing more to do for it.
  return (await deps.claims.get(claimId)) !== undefined;
}
