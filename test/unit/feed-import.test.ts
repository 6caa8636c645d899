import { describe, expect, it } from 'vitest';
import { MemoryStore, RecordingWorkflows } from '#functions/adapters/memory/memory-ports.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { chunkRefSchema, feedJobKind, newJob, type BatchResult, type BulkJob } from '#shared/bulk-job.ts';
import { finishImport, importChunks, startImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { storeFeedLines, type FeedBatchResult } from '#shared/feed-import.ts';
import { openFeedClaims } from '#shared/workflow/open-feed-claims.ts';
import { parseNumberedFeedCsv, type NumberedFeedLine } from '#shared/feed.ts';
import { feedRecordKey } from '#shared/feed-record.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { ClaimRecord } from '#shared/claim.ts';

const clock = { now: () => new Date('2026-03-01T02:00:00Z') };
const HOUSEHOLD = 'HH-F000001';
const OTHER = 'HH-F000002';

function idNumber(n: number): string {
  const body = `430381${String(19600101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}
const HEAD_ID = idNumber(1);
const CHILD_ID = idNumber(2);
const OTHER_HEAD_ID = idNumber(3);
const STRANGER_ID = idNumber(4);

function period(householdId: string, id: string, overrides: Partial<RosterPeriod> = {}): RosterPeriod {
  return {
    householdId,
    region: 'demo-fund',
    village: '红星村',
    headName: '张三',
    idNumber: id,
    members: 3,
    status: 'out_of_poverty',
    statusFrom: '2025-06-01',
    gridWorker: 'worker1',
    bankAccount: '6230900000000000001',
    annualIncomeFen: 3_000_000,
    ...overrides,
  };
}

let ulids = 0;
const ulid = (prefix: string) => `${prefix}${String(++ulids).padStart(26 - prefix.length, '0')}`;

type World = ImportDeps & {
  jobs: MemoryJobs;
  files: MemoryJobFiles;
  roster: MemoryStore;
  store: MemoryStore;
  workflows: RecordingWorkflows;
};

async function world(): Promise<World> {
  const store = new MemoryStore();
  await store.storeHouseholds([
    { householdId: HOUSEHOLD, idNumber: HEAD_ID, periods: [period(HOUSEHOLD, HEAD_ID)] },
    // Another region's household: its policy takes no feeds.
    {
      householdId: OTHER,
      idNumber: OTHER_HEAD_ID,
      periods: [period(OTHER, OTHER_HEAD_ID, { region: 'demo' })],
    },
  ]);
  await store.storeMembers([
    { householdId: HOUSEHOLD, idNumber: HEAD_ID, name: '张三', relation: 'head' },
    { householdId: HOUSEHOLD, idNumber: CHILD_ID, name: '张小三', relation: 'child' },
  ]);
  return {
    jobs: new MemoryJobs(),
    files: new MemoryJobFiles(),
    roster: store,
    claims: store,
    feeds: store,
    warnings: store,
    store,
    clock,
    workflows: new RecordingWorkflows(),
    ids: { next: () => ulid('01JD') },
  };
}

interface Stay {
  id: string;
  person?: string;
  /** Yuan. */
  total: number;
  basic: number;
  date?: string;
}

function medicalCsv(stays: readonly Stay[]): string {
  const header =
    'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed';
  const rows = stays.map((s) => {
    const date = s.date ?? '2026-02-10';
    return `${s.id},${s.person ?? CHILD_ID},张小三,县人民医院,${date},${date},${date},${s.total}.00,${s.basic}.00,0,0,0`;
  });
  return [header, ...rows].join('\r\n') + '\r\n';
}

function lines(stays: readonly Stay[]): NumberedFeedLine[] {
  const { numbered, rejected } = parseNumberedFeedCsv('medical', medicalCsv(stays));
  expect(rejected).toEqual([]);
  return numbered;
}

async function grantedJob(deps: World): Promise<BulkJob> {
  const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
  await deps.jobs.create(job);
  return job;
}

/** A whole job, as the workflow runs it (one batch of every chunk). */
async function runFile(deps: World, csv: string): Promise<BulkJob> {
  const job = await grantedJob(deps);
  await deps.files.write(job.fileKey, csv, 'text/csv');
  const started = await startImport(deps, { key: job.fileKey });
  if (started.outcome === 'run' && started.chunksKey) {
    const chunks = (deps.files.text(started.chunksKey) ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    await importChunks(deps, { Items: chunks, BatchInput: { jobId: job.jobId } });
    await finishImport(deps, { jobId: job.jobId });
  }
  const done = await deps.jobs.get(job.jobId);
  if (!done) throw new Error('job lost');
  return done;
}

const outcomesOf = async (deps: World, jobId: string) => {
  const sum: Record<string, number> = {};
  for (const b of await deps.jobs.batches(jobId))
    for (const [k, n] of Object.entries(b.outcomes ?? {})) sum[k] = (sum[k] ?? 0) + n;
  return sum;
};

const feedClaims = (deps: World): ClaimRecord[] =>
  [...deps.store.claimsById.values()].filter((c) => c.source === 'data-feed');

const counted = (deps: World) => deps.store.capCounter(HOUSEHOLD, 2026, 'medical');

function asBatch(job: BulkJob, firstRow: number, stored: FeedBatchResult): BatchResult {
  return {
    jobId: job.jobId,
    firstRow,
    rows: stored.rows,
    imported: stored.imported,
    rejected: stored.rejected,
    outcomes: stored.outcomes,
    pendingGroups: stored.pendingGroups,
  };
}

const feedDeps = (deps: World) => ({
  feeds: deps.store,
  claims: deps.store,
  roster: deps.store,
  clock,
  warnings: deps.store,
});
const openDeps = (deps: World) => ({
  ...feedDeps(deps),
  files: deps.files,
  workflows: deps.workflows,
  ids: deps.ids!,
});

describe('storing a data feed', () => {
  it('counts records that stay below the threshold in the year total, with no claim', async () => {
    const deps = await world();
    // 3,000 self-paid (head) + 2,500 (child): 5,500 < 10,000.
    const job = await runFile(
      deps,
      medicalCsv([
        { id: 'M1', person: HEAD_ID, total: 10000, basic: 7000 },
        { id: 'M2', total: 6000, basic: 3500 },
      ]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', imported: 2, rejected: 0, claimsOpened: 0 });
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({ matched: 2, counted: 2, pending: 0 });
    expect(await counted(deps)).toEqual({ usedFen: 0, countedFen: 550_000 });
    expect(feedClaims(deps)).toEqual([]);
    const records = await deps.store.householdRecords(HOUSEHOLD);
    expect(records.map((r) => [r.recordId, r.state, r.relation]).sort()).toEqual([
      ['M1', 'counted', 'head'],
      ['M2', 'counted', 'child'],
    ]);
    // Nothing personal kept.
    expect(JSON.stringify(records)).not.toContain(CHILD_ID);
    expect(JSON.stringify(records)).not.toContain('张小三');
    // The warning burden follows the counted total.
    const burden = (await deps.store.burdensOf('demo-fund', [HOUSEHOLD])).get(HOUSEHOLD);
    expect(burden?.expenses.map((e) => e.selfPaidFen).sort()).toEqual([250_000, 300_000]);
  });

  it('opens one data-feed claim for a household whose year total passes the threshold', async () => {
    const deps = await world();
    // 9,000 + 7,000 = 16,000 self-paid on demo-fund medical (threshold 10,000).
    const job = await runFile(
      deps,
      medicalCsv([
        { id: 'M1', total: 20000, basic: 11000, date: '2026-02-03' },
        { id: 'M2', total: 10000, basic: 3000, date: '2026-02-17' },
      ]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 1 });
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({ matched: 2, pending: 2, counted: 0 });
    const [claim, ...more] = feedClaims(deps);
    expect(more).toEqual([]);
    expect(claim).toMatchObject({
      state: 'RECEIVED',
      source: 'data-feed',
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-02-17',
      totalCostFen: 3_000_000,
      reimbursedFen: 1_400_000,
      receipts: [],
      submittedBy: 'insurer1',
      region: 'demo-fund',
      village: '红星村',
      gridWorker: 'worker1',
      feedRecords: ['medical:M1', 'medical:M2'],
    });
    expect(await deps.store.history(claim!.claimId)).toEqual([
      expect.objectContaining({
        to: 'RECEIVED',
        actor: 'insurer1',
        detail: { code: 'FEED_CLAIM_OPENED', params: { records: 2, category: 'medical' } },
      }),
    ]);
    expect(deps.workflows.started).toEqual([`assessment ${claim!.claimId}`]);
    // Not counted yet: the claim counts when it is paid.
    expect(await counted(deps)).toEqual({ usedFen: 0, countedFen: 0 });
    expect(
      (await deps.store.householdRecords(HOUSEHOLD)).map((r) => [r.recordId, r.state, r.claimId]),
    ).toEqual([
      ['M1', 'claimed', claim!.claimId],
      ['M2', 'claimed', claim!.claimId],
    ]);
    expect(deps.files.text(job.openedKey ?? '')).toBe(
      JSON.stringify({ claimId: claim!.claimId, householdId: HOUSEHOLD, category: 'medical' }),
    );
    // The department's file names people: once stored, it and its chunks are gone; what the job
    // made for people (the list of claims opened) stays.
    const left = [...deps.files.objects.keys()];
    expect(left.filter((k) => k.includes(job.jobId))).toEqual([job.openedKey]);
  });

  it('removes a feed file it refuses whole, or that was imported before', async () => {
    const deps = await world();
    const csv = medicalCsv([{ id: 'M1', total: 20000, basic: 11000, date: '2026-02-03' }]);
    await runFile(deps, csv);
    const again = await runFile(deps, csv);
    expect(again.status).toBe('DUPLICATE_FILE');
    expect(deps.files.objects.has(again.fileKey)).toBe(false);
    const refused = await runFile(deps, 'recordId,idNumber\nM9,x\n');
    expect(refused.status).toBe('FAILED');
    expect(deps.files.objects.has(refused.fileKey)).toBe(false);
  });

  it('takes the same file once, and the same records in another file change nothing', async () => {
    const deps = await world();
    const stays = [
      { id: 'M1', total: 20000, basic: 11000 },
      { id: 'M2', total: 10000, basic: 3000 },
    ];
    const first = await runFile(deps, medicalCsv(stays));
    const again = await runFile(deps, medicalCsv(stays));
    expect(again).toMatchObject({ status: 'DUPLICATE_FILE', duplicateOf: first.jobId });
    // Another file (a new record of another household among them) with the same two records.
    const other = await runFile(
      deps,
      medicalCsv([...stays, { id: 'X9', person: STRANGER_ID, total: 100, basic: 50 }]),
    );
    expect(other).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 0, imported: 2 });
    expect(await outcomesOf(deps, other.jobId)).toMatchObject({
      records: 3,
      matched: 2,
      unmatched: 1,
      repeated: 2,
      corrected: 0,
      pending: 0,
    });
    expect(feedClaims(deps)).toHaveLength(1);
  });

  it('drops records of people on no household and of households whose policy takes no feed', async () => {
    const deps = await world();
    const job = await runFile(
      deps,
      medicalCsv([
        { id: 'S1', person: STRANGER_ID, total: 50000, basic: 10000 },
        { id: 'O1', person: OTHER_HEAD_ID, total: 50000, basic: 10000 },
      ]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', imported: 0, rejected: 0, claimsOpened: 0 });
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({
      records: 2,
      matched: 1,
      unmatched: 1,
      notCovered: 1,
    });
    expect(deps.store.feedRecords.size).toBe(0);
    expect(feedClaims(deps)).toEqual([]);
  });

  it('opens one claim for a household whose records come in two batches', async () => {
    const deps = await world();
    const job = await grantedJob(deps);
    const b1 = await storeFeedLines(feedDeps(deps), lines([{ id: 'M1', total: 20000, basic: 8000 }]), job);
    const b2 = await storeFeedLines(
      feedDeps(deps),
      lines([{ id: 'M2', total: 6000, basic: 2000 }]).map((l) => ({ ...l, row: 3 })),
      job,
    );
    // 12,000 passes the threshold alone; the 4,000 of the second batch joins its pending group.
    expect(b1.outcomes).toMatchObject({ pending: 1 });
    expect(b2.outcomes).toMatchObject({ pending: 1, counted: 0 });
    expect(b2.pendingGroups).toEqual([`${HOUSEHOLD}|medical|2026`]);
    const batches = [asBatch(job, 2, b1), asBatch(job, 3, b2)];
    expect(await openFeedClaims(openDeps(deps), job, batches)).toMatchObject({ claimsOpened: 1 });
    expect(feedClaims(deps)).toEqual([
      expect.objectContaining({ feedRecords: ['medical:M1', 'medical:M2'], totalCostFen: 2_600_000 }),
    ]);
    // The step again (a retry): nothing opened twice, the same list.
    expect(await openFeedClaims(openDeps(deps), job, batches)).toMatchObject({ claimsOpened: 1 });
    expect(feedClaims(deps)).toHaveLength(1);
  });

  it('writes a household of more records than one transaction holds in parts', async () => {
    const deps = await world();
    // 100 settlements of 200 self-paid: the first 45 (9,000) stay below the threshold and count,
    // the rest pass it and wait for one claim.
    const stays = Array.from({ length: 100 }, (_, i) => ({ id: `R${i + 100}`, total: 300, basic: 100 }));
    const job = await runFile(deps, medicalCsv(stays));
    expect(job).toMatchObject({ status: 'SUCCEEDED', imported: 100, claimsOpened: 1 });
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({ counted: 45, pending: 55 });
    expect(await counted(deps)).toEqual({ usedFen: 0, countedFen: 900_000 });
    const [claim] = feedClaims(deps);
    expect(claim?.feedRecords).toHaveLength(55);
    expect(claim).toMatchObject({ totalCostFen: 55 * 30_000, reimbursedFen: 55 * 10_000 });
    const records = await deps.store.householdRecords(HOUSEHOLD);
    expect(records.filter((r) => r.state === 'claimed' && r.claimId === claim?.claimId)).toHaveLength(55);
  });

  it('opens a claim whose opening stopped after its first records were written, under the same id', async () => {
    const deps = await world();
    const job = await grantedJob(deps);
    const stored = await storeFeedLines(
      feedDeps(deps),
      lines([
        { id: 'M1', total: 20000, basic: 8000 },
        { id: 'M2', total: 6000, basic: 2000 },
      ]),
      job,
    );
    // What a stopped run leaves: one record written `claimed` by a claim that was never created.
    const m1 = deps.store.feedRecords.get(feedRecordKey('medical', 'M1'))!;
    const cut = '01JDCUT0000000000000000000';
    deps.store.feedRecords.set(feedRecordKey('medical', 'M1'), {
      ...m1,
      state: 'claimed',
      claimId: cut,
      version: m1.version + 1,
    });
    await openFeedClaims(openDeps(deps), job, [asBatch(job, 2, stored)]);
    expect(feedClaims(deps)).toEqual([
      expect.objectContaining({ claimId: cut, feedRecords: ['medical:M1', 'medical:M2'] }),
    ]);
  });

  it('keeps a counted total exact when two batches of one household are stored at once', async () => {
    const deps = await world();
    const job = await grantedJob(deps);
    // Both batches read the counter before either writes: one loses the race and decides again.
    let lost = 0;
    const write = deps.store.writeRecords.bind(deps.store);
    deps.store.writeRecords = async (...args) => {
      const ok = await write(...args);
      if (!ok) lost += 1;
      return ok;
    };
    // 6,000 each: the first to land is counted; the second then passes the threshold: pending.
    const [a, b] = await Promise.all([
      storeFeedLines(feedDeps(deps), lines([{ id: 'A1', total: 10000, basic: 4000 }]), job),
      storeFeedLines(
        feedDeps(deps),
        lines([{ id: 'B1', total: 9000, basic: 3000 }]).map((l) => ({ ...l, row: 3 })),
        job,
      ),
    ]);
    const records = await deps.store.householdRecords(HOUSEHOLD);
    const countedFen = records.filter((r) => r.state === 'counted').reduce((s, r) => s + r.selfPaidFen, 0);
    expect((await counted(deps)).countedFen).toBe(countedFen);
    expect(countedFen).toBe(600_000);
    expect(records.filter((r) => r.state === 'pending')).toHaveLength(1);
    expect(a.outcomes.counted + b.outcomes.counted).toBe(1);
    expect(lost).toBeGreaterThan(0);
  });

  it('counts two batches below the threshold together, both at once', async () => {
    const deps = await world();
    const job = await grantedJob(deps);
    const [c, d] = await Promise.all([
      storeFeedLines(feedDeps(deps), lines([{ id: 'C1', total: 5000, basic: 2000 }]), job),
      storeFeedLines(
        feedDeps(deps),
        lines([{ id: 'D1', total: 6000, basic: 2000 }]).map((l) => ({ ...l, row: 3 })),
        job,
      ),
    ]);
    expect(c.outcomes.counted + d.outcomes.counted).toBe(2);
    expect((await counted(deps)).countedFen).toBe(700_000);
  });
});

describe('corrected records', () => {
  it('replace a pending record', async () => {
    const deps = await world();
    const job1 = await grantedJob(deps);
    await storeFeedLines(feedDeps(deps), lines([{ id: 'M1', total: 20000, basic: 8000 }]), job1);
    const job2 = await grantedJob(deps);
    const again = await storeFeedLines(
      feedDeps(deps),
      lines([{ id: 'M1', total: 20000, basic: 9000 }]),
      job2,
    );
    expect(again.outcomes).toMatchObject({ corrected: 1, pending: 1 });
    expect(deps.store.feedRecords.get('medical:M1')).toMatchObject({
      state: 'pending',
      selfPaidFen: 1_100_000,
      jobId: job2.jobId,
      firstJobId: job1.jobId,
      corrections: 1,
    });
  });

  it('move a counted record in the total by the difference', async () => {
    const deps = await world();
    await runFile(deps, medicalCsv([{ id: 'M1', total: 5000, basic: 2000 }]));
    expect((await counted(deps)).countedFen).toBe(300_000);
    const job = await runFile(deps, medicalCsv([{ id: 'M1', total: 5000, basic: 1000 }]));
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({ corrected: 1, counted: 1 });
    expect((await counted(deps)).countedFen).toBe(400_000);
    expect(deps.store.feedRecords.get('medical:M1')).toMatchObject({
      state: 'counted',
      selfPaidFen: 400_000,
    });
  });

  it('close an unpaid claim and open another with the corrected figures', async () => {
    const deps = await world();
    await runFile(
      deps,
      medicalCsv([
        { id: 'M1', total: 20000, basic: 11000 },
        { id: 'M2', total: 10000, basic: 3000 },
      ]),
    );
    const [old] = feedClaims(deps);
    const job = await runFile(deps, medicalCsv([{ id: 'M2', total: 12000, basic: 3000 }]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 1, rejected: 0 });
    expect(await outcomesOf(deps, job.jobId)).toMatchObject({ corrected: 1, pending: 1 });
    expect(await deps.store.get(old!.claimId)).toMatchObject({
      state: 'REJECTED',
      reason: 'RECORD_CORRECTED',
    });
    const history = await deps.store.history(old!.claimId);
    expect(history.at(-1)).toMatchObject({
      from: 'RECEIVED',
      to: 'REJECTED',
      reason: 'RECORD_CORRECTED',
      detail: { code: 'FEED_CLAIM_CORRECTED', params: { jobId: job.jobId } },
    });
    const fresh = feedClaims(deps).find((c) => c.claimId !== old!.claimId);
    expect(fresh).toMatchObject({
      state: 'RECEIVED',
      feedRecords: ['medical:M1', 'medical:M2'],
      totalCostFen: 3_200_000,
      reimbursedFen: 1_400_000,
    });
    expect(deps.files.text(job.openedKey ?? '')).toContain(fresh!.claimId);
  });

  it('after a claim is paid are reported and change nothing', async () => {
    const deps = await world();
    await runFile(
      deps,
      medicalCsv([
        { id: 'M1', total: 20000, basic: 11000 },
        { id: 'M2', total: 10000, basic: 3000 },
      ]),
    );
    const [paid] = feedClaims(deps);
    deps.store.claimsById.set(paid!.claimId, { ...paid!, state: 'PAID' });
    const before = deps.store.feedRecords.get('medical:M2');
    const job = await runFile(deps, medicalCsv([{ id: 'M2', total: 12000, basic: 3000 }]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 1, imported: 0, claimsOpened: 0 });
    const [batch] = (await deps.jobs.batches(job.jobId)).filter((b) => b.rejected.length > 0);
    expect(batch?.rejected).toEqual([
      { row: 2, reasons: [{ code: 'FEED_RECORD_CORRECTED_LATE', params: { recordId: 'M2' } }] },
    ]);
    expect(deps.store.feedRecords.get('medical:M2')).toEqual(before);
    expect(feedClaims(deps)).toHaveLength(1);
    expect(await deps.store.get(paid!.claimId)).toMatchObject({ state: 'PAID' });
  });
});
