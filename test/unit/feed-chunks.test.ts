// A data feed's rows are chunked by household: every row of a household in one chunk, whatever
// the file's order, so a household is settled once. Cutting a file in many small segments and
// buckets must change nothing a person sees (counts, counted totals, claims opened) against the
// same file in one chunk; the job's end leaves no part behind, not even one an interrupted start
// wrote; a batch cannot read another job's parts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { memoryWorld, type MemoryWorld } from '#cli/local/world.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import {
  chunkPrefix,
  chunkRefSchema,
  feedJobKind,
  feedPartKey,
  newJob,
  type BulkJob,
  type ChunkRef,
  type FeedChunking,
} from '#shared/bulk-job.ts';
import { finishImport, importChunks, startImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import type { RosterPeriod } from '#shared/roster.ts';

const NOW = new Date('2026-03-01T02:00:00Z');
const clock = { now: () => NOW };
const HEADER =
  'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed';

function idNumber(n: number): string {
  const body = `430381${String(19700101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}

const HOUSEHOLDS = 30;
const householdId = (h: number) => `HH-FC${String(h).padStart(5, '0')}`;
/** Head of household h: 2h; its child: 2h + 1; strangers from 900. */
const head = (h: number) => idNumber(2 * h);
const child = (h: number) => idNumber(2 * h + 1);

function period(h: number): RosterPeriod {
  return {
    householdId: householdId(h),
    region: 'demo-fund',
    village: '红星村',
    headName: '张大山',
    idNumber: head(h),
    members: 2,
    status: 'out_of_poverty',
    statusFrom: '2025-06-01',
    gridWorker: 'worker1',
    bankAccount: '6230900000000000077',
    annualIncomeFen: 3_000_000,
  };
}

type World = Omit<MemoryWorld, 'claims'> & ImportDeps & { jobs: MemoryJobs; files: MemoryJobFiles };

let ulids = 0;
const ulid = (prefix: string) => `${prefix}${String(++ulids).padStart(26 - prefix.length, '0')}`;

async function world(feedChunking: FeedChunking): Promise<World> {
  const base = await memoryWorld({ clock, ids: { next: () => ulid('01JC') } });
  const { store } = base;
  const households = Array.from({ length: HOUSEHOLDS }, (_, h) => h);
  await store.storeHouseholds(
    households.map((h) => ({ householdId: householdId(h), idNumber: head(h), periods: [period(h)] })),
  );
  await store.storeMembers(
    households.flatMap((h) => [
      { householdId: householdId(h), idNumber: head(h), name: '张大山', relation: 'head' as const },
      { householdId: householdId(h), idNumber: child(h), name: '张小明', relation: 'child' as const },
    ]),
  );
  return {
    ...base,
    claims: store,
    jobs: new MemoryJobs(),
    files: new MemoryJobFiles(),
    warnings: store,
    feedChunking,
  };
}

interface Row {
  readonly recordId: string;
  readonly person: number;
  readonly totalYuan: number;
  readonly basicYuan: number;
}

function csv(rows: readonly Row[]): string {
  const lines = rows.map((r) =>
    [
      r.recordId,
      idNumber(r.person),
      '某人',
      '县人民医院',
      '2026-02-10',
      '2026-02-12',
      '2026-02-12',
      r.totalYuan.toFixed(2),
      r.basicYuan.toFixed(2),
      '0',
      '0',
      '0',
    ].join(','),
  );
  return [HEADER, ...lines].join('\r\n') + '\r\n';
}

/** Runs a feed job as the workflow does; its chunks and the job at the end. */
async function run(w: World, file: string): Promise<{ job: BulkJob; chunks: ChunkRef[] }> {
  const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
  await w.jobs.create(job);
  await w.files.write(job.fileKey, file, 'text/csv');
  const started = await startImport(w, { key: job.fileKey });
  let chunks: ChunkRef[] = [];
  if (started.outcome === 'run' && started.chunksKey) {
    chunks = (w.files.text(started.chunksKey) ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    // Two chunks a batch, as the map's ItemBatcher hands them.
    for (let i = 0; i < chunks.length; i += 2)
      await importChunks(w, { Items: chunks.slice(i, i + 2), BatchInput: { jobId: job.jobId } });
    await finishImport(w, { jobId: job.jobId });
  }
  const done = await w.jobs.get(job.jobId);
  if (!done) throw new Error('job lost');
  return { job: done, chunks };
}

/** A start cut off while writing its parts: the `n`th part write fails, as a killed Lambda. */
async function startCutOff(w: World, job: BulkJob, n: number): Promise<void> {
  let writes = 0;
  const failing: ImportDeps['files'] = {
    read: (key, max) => w.files.read(key, max),
    stream: (key, max) => w.files.stream(key, max),
    remove: (key) => w.files.remove(key),
    write: async (key, body, type) => {
      if (key.startsWith(chunkPrefix(job.kind, job.jobId)) && ++writes === n) throw new Error('killed');
      await w.files.write(key, body, type);
    },
  };
  await expect(startImport({ ...w, files: failing }, { key: job.fileKey })).rejects.toThrow('killed');
}

/** What people see of a run: the job's counts, the claims it opened, each household's totals. */
async function seen(w: World, job: BulkJob) {
  const batches = await w.jobs.batches(job.jobId);
  const outcomes: Record<string, number> = {};
  for (const b of batches)
    for (const [k, n] of Object.entries(b.outcomes ?? {})) outcomes[k] = (outcomes[k] ?? 0) + n;
  const counters: Record<string, number> = {};
  for (let h = 0; h < HOUSEHOLDS; h++)
    counters[householdId(h)] = (await w.store.capCounter(householdId(h), 2026, 'medical')).countedFen;
  const claims = (await w.store.list({ limit: 1000 })).items
    .map((c) => `${c.householdId}:${c.source ?? ''}`)
    .sort();
  return {
    status: job.status,
    rows: job.rows,
    processed: job.processed,
    imported: job.imported,
    rejected: job.rejected,
    claimsOpened: job.claimsOpened ?? 0,
    outcomes,
    counters,
    claims,
  };
}

class RemovalsSeen extends MemoryJobFiles {
  readonly removed: string[] = [];
  override async remove(key: string): Promise<void> {
    this.removed.push(key);
    await super.remove(key);
  }
}

const rowArb = fc.record({
  person: fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 2 * HOUSEHOLDS - 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 900, max: 950 }) },
  ),
  totalYuan: fc.integer({ min: 200, max: 20_000 }),
  basicShare: fc.integer({ min: 0, max: 90 }),
});

describe('a feed chunked by household', () => {
  it('puts every row of a household in one chunk, and every row in exactly one', async () => {
    const rows: Row[] = Array.from({ length: 200 }, (_, i) => ({
      recordId: `R${String(i).padStart(5, '0')}`,
      person: (i * 37) % (2 * HOUSEHOLDS),
      totalYuan: 1000,
      basicYuan: 400,
    }));
    const w = await world({ segmentRows: 23, bucketRows: 25 });
    const { job, chunks } = await run(w, csv(rows));
    expect(job.status).toBe('SUCCEEDED');
    expect(job.chunkGrid).toEqual({ segments: 9, buckets: 8 });
    expect(chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(200);
    // Where each row went: read back from the parts (the job's end removed them, so this run
    // writes them again in a second world).
    const again = await world({ segmentRows: 23, bucketRows: 25 });
    const job2 = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await again.jobs.create(job2);
    await again.files.write(job2.fileKey, csv(rows), 'text/csv');
    const started = await startImport(again, { key: job2.fileKey });
    const refs = (again.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    // The same file makes the same chunks.
    expect(refs.map(({ firstRow, rows: n, more }) => [firstRow, n, more?.length ?? 0])).toEqual(
      chunks.map(({ firstRow, rows: n, more }) => [firstRow, n, more?.length ?? 0]),
    );
    const chunkOfHousehold = new Map<string, number>();
    const seenRows = new Set<number>();
    refs.forEach((ref, index) => {
      const lines = [ref.key, ...(ref.more ?? [])].flatMap((key) => {
        expect(key.startsWith(chunkPrefix(job2.kind, job2.jobId))).toBe(true);
        return (again.files.text(key) ?? '')
          .split('\n')
          .map((l) => JSON.parse(l) as { row: number; line: { idNumber: string } });
      });
      expect(lines).toHaveLength(ref.rows);
      expect(Math.min(...lines.map((l) => l.row))).toBe(ref.firstRow);
      for (const { row, line } of lines) {
        expect(seenRows.has(row)).toBe(false);
        seenRows.add(row);
        const person = rows[row - 2]?.person ?? -1;
        const household = householdId(Math.floor(person / 2));
        expect(idNumber(person)).toBe(line.idNumber);
        const before = chunkOfHousehold.get(household);
        if (before !== undefined) expect(before).toBe(index);
        chunkOfHousehold.set(household, index);
      }
    });
    expect(seenRows.size).toBe(200);
    expect(chunkOfHousehold.size).toBe(HOUSEHOLDS);
  });

  it('changes nothing people see against the same file in one chunk', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 120 }), async (drawn) => {
        const rows: Row[] = drawn.map((r, i) => ({
          recordId: `M${String(i).padStart(5, '0')}`,
          person: r.person,
          totalYuan: r.totalYuan,
          basicYuan: Math.floor((r.totalYuan * r.basicShare) / 100),
        }));
        const small = await world({ segmentRows: 7, bucketRows: 5 });
        const whole = await world({ segmentRows: 100_000, bucketRows: 100_000 });
        const a = await run(small, csv(rows));
        const b = await run(whole, csv(rows));
        expect(b.chunks).toHaveLength(1);
        expect(await seen(small, a.job)).toEqual(await seen(whole, b.job));
      }),
      { numRuns: 12 },
    );
  });

  it('leaves no part behind, not even one an interrupted start wrote', async () => {
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => ({
      recordId: `Q${i}`,
      // Five households over six buckets: a bucket of each segment stays empty.
      person: i % 10,
      totalYuan: 500,
      basicYuan: 100,
    }));
    const w = await world({ segmentRows: 20, bucketRows: 10 });
    const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(job);
    await w.files.write(job.fileKey, csv(rows), 'text/csv');
    // A start cut off while writing its third part.
    await startCutOff(w, job, 3);
    // Between the two starts the households changed (a member moved): the cut-off start's parts
    // may not be rewritten. One such part, naming a person, on the grid.
    const grid = Array.from({ length: 3 }, (_, s) =>
      Array.from({ length: 6 }, (_, b) => feedPartKey(job.kind, job.jobId, s, b)),
    ).flat();
    const started = await startImport(w, { key: job.fileKey });
    const refs = (w.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    const listed = new Set(refs.flatMap((r) => [r.key, ...(r.more ?? [])]));
    const orphan = grid.find((key) => !listed.has(key));
    if (!orphan) throw new Error('every part of the grid written: pick other rows');
    await w.files.write(
      orphan,
      JSON.stringify({ row: 2, line: { idNumber: idNumber(901) } }),
      'application/x-ndjson',
    );
    expect((await w.jobs.get(job.jobId))?.staleParts).toBe(true);
    await importChunks(w, { Items: refs, BatchInput: { jobId: job.jobId } });
    await finishImport(w, { jobId: job.jobId });
    expect((await w.jobs.get(job.jobId))?.status).toBe('SUCCEEDED');
    const left = [...w.files.objects.keys()].filter(
      (k) => k.includes(job.jobId) && !k.endsWith('opened.jsonl'),
    );
    expect(left).toEqual([]);
  });

  it('sweeps the grid of a file replaced between two starts as well as its own', async () => {
    const w = await world({ segmentRows: 20, bucketRows: 10 });
    const many: Row[] = Array.from({ length: 200 }, (_, i) => ({
      recordId: `A${i}`,
      person: i % 60,
      totalYuan: 500,
      basicYuan: 100,
    }));
    const few = many.slice(0, 60);
    const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(job);
    await w.files.write(job.fileKey, csv(many), 'text/csv');
    // The first start (200 rows: 10 segments x 20 buckets) is cut off after a few parts.
    await startCutOff(w, job, 5);
    // A part of that start far outside the grid of the smaller file uploaded in its place.
    const far = feedPartKey(job.kind, job.jobId, 9, 19);
    await w.files.write(far, JSON.stringify({ row: 150, line: {} }), 'application/x-ndjson');
    await w.files.write(job.fileKey, csv(few), 'text/csv');
    const started = await startImport(w, { key: job.fileKey });
    expect((await w.jobs.get(job.jobId))?.chunkGrid).toEqual({ segments: 10, buckets: 20 });
    const refs = (w.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    await importChunks(w, { Items: refs, BatchInput: { jobId: job.jobId } });
    await finishImport(w, { jobId: job.jobId });
    const left = [...w.files.objects.keys()].filter(
      (k) => k.includes(job.jobId) && !k.endsWith('opened.jsonl'),
    );
    expect(left).toEqual([]);
  });

  it('takes over records another job left pending, so the household is not left without its claim', async () => {
    const w = await world({ segmentRows: 100, bucketRows: 100 });
    const rows: Row[] = [
      { recordId: 'BIG1', person: 6, totalYuan: 20_000, basicYuan: 8_000 },
      { recordId: 'BIG2', person: 7, totalYuan: 12_000, basicYuan: 6_000 },
    ];
    // A job whose batch stored the records pending and whose map then died: no claim opened.
    const dead = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(dead);
    await w.files.write(dead.fileKey, csv(rows), 'text/csv');
    const { workflows: _unused, ...withoutWorkflows } = w;
    void _unused;
    const started = await startImport(w, { key: dead.fileKey });
    const refs = (w.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    await importChunks(withoutWorkflows, { Items: refs, BatchInput: { jobId: dead.jobId } });
    const dataFeedClaims = async () =>
      (await w.store.list({ limit: 1000 })).items.filter((c) => c.source === 'data-feed');
    expect(await dataFeedClaims()).toEqual([]);
    // The department's file sent again (with one more row, so it is another file).
    const again = await run(
      w,
      csv([...rows, { recordId: 'S1', person: 20, totalYuan: 300, basicYuan: 100 }]),
    );
    expect(again.job.status).toBe('SUCCEEDED');
    const claims = await dataFeedClaims();
    expect(claims.map((c) => [c.householdId, c.feedRecords])).toEqual([
      [householdId(3), ['medical:BIG1', 'medical:BIG2']],
    ]);
    expect(again.job.claimsOpened).toBe(1);
    // The records' self-paid costs are not counted now: they count when the claim is paid.
    expect((await w.store.capCounter(householdId(3), 2026, 'medical')).countedFen).toBe(0);
  });

  it('settles a household with more records than a transaction holds, and opens one claim on the rest', async () => {
    // A year of weekly dialysis: 120 settlements of 200 yuan self-paid for household 3's child.
    const rows: Row[] = Array.from({ length: 120 }, (_, i) => ({
      recordId: `D${String(i).padStart(3, '0')}`,
      person: 7,
      totalYuan: 500,
      basicYuan: 300,
    }));
    const w = await world({ segmentRows: 50, bucketRows: 40 });
    const { job } = await run(w, csv(rows));
    expect(job.status).toBe('SUCCEEDED');
    const claims = (await w.store.list({ limit: 1000 })).items.filter((c) => c.source === 'data-feed');
    expect(claims).toHaveLength(1);
    const [claim] = claims;
    // The first transaction's 45 records stay below the 10,000-yuan threshold and are counted
    // at once; the rest wait for the claim, all on it.
    expect((await w.store.capCounter(householdId(3), 2026, 'medical')).countedFen).toBe(45 * 20_000);
    expect(claim?.feedRecords).toHaveLength(75);
    expect(new Set(claim?.feedRecords).size).toBe(75);
    const records = await w.store.householdRecords(householdId(3));
    expect(records.filter((r) => r.state === 'counted')).toHaveLength(45);
    expect(records.filter((r) => r.state === 'claimed' && r.claimId === claim?.claimId)).toHaveLength(75);
    expect(job.claimsOpened).toBe(1);
  });

  it('removes only the parts it wrote when its start ran once', async () => {
    const w = await world({ segmentRows: 20, bucketRows: 10 });
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => ({
      recordId: `P${i}`,
      person: i % 10,
      totalYuan: 500,
      basicYuan: 100,
    }));
    const files = new RemovalsSeen();
    const { job, chunks } = await run({ ...w, files }, csv(rows));
    expect(job.status).toBe('SUCCEEDED');
    expect(job.staleParts).toBeUndefined();
    // Each part, the list and the file: no removal of a key nobody wrote (on a versioned bucket
    // each would leave a delete marker).
    const parts = chunks.flatMap((c) => [c.key, ...(c.more ?? [])]);
    expect(files.removed.sort()).toEqual([...parts, job.chunksKey ?? '', job.fileKey].sort());
  });

  it('refuses a chunk part of another job in a batch, and a part named twice', async () => {
    const w = await world({ segmentRows: 10, bucketRows: 10 });
    const rows: Row[] = [{ recordId: 'X1', person: 0, totalYuan: 500, basicYuan: 100 }];
    const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(job);
    await w.files.write(job.fileKey, csv(rows), 'text/csv');
    const started = await startImport(w, { key: job.fileKey });
    const [ref] = (w.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    if (!ref) throw new Error('no chunk');
    const foreign = feedPartKey(job.kind, '01JJOTHERJOB00000000000000', 0, 0);
    await w.files.write(foreign, JSON.stringify({ row: 3, line: {} }), 'application/x-ndjson');
    await expect(
      importChunks(w, { Items: [{ ...ref, more: [foreign] }], BatchInput: { jobId: job.jobId } }),
    ).rejects.toThrow(/not one of job/);
    // Its own part twice: the rows would be stored twice over.
    await expect(
      importChunks(w, { Items: [{ ...ref, more: [ref.key] }], BatchInput: { jobId: job.jobId } }),
    ).rejects.toThrow(/names a part twice/);
    expect(await w.jobs.batches(job.jobId)).toEqual([]);
  });
  it("opens a household's claim in the batch that holds its records, once, even when the batch runs again", async () => {
    const w = await world({ segmentRows: 10, bucketRows: 4 });
    // Household 3: head and child, 18,000 yuan self-paid in all (past the threshold); others small.
    const rows: Row[] = [
      ...Array.from({ length: 12 }, (_, i) => ({
        recordId: `S${i}`,
        person: 10 + i,
        totalYuan: 300,
        basicYuan: 100,
      })),
      { recordId: 'BIG1', person: 6, totalYuan: 20_000, basicYuan: 8_000 },
      { recordId: 'BIG2', person: 7, totalYuan: 12_000, basicYuan: 6_000 },
    ];
    const job = newJob(feedJobKind('medical'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(job);
    await w.files.write(job.fileKey, csv(rows), 'text/csv');
    const started = await startImport(w, { key: job.fileKey });
    const refs = (w.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    expect(refs.length).toBeGreaterThan(1);
    const batch = { BatchInput: { jobId: job.jobId } };
    for (const ref of refs) await importChunks(w, { ...batch, Items: [ref] });
    const dataFeedClaims = async () =>
      (await w.store.list({ limit: 1000 })).items.filter((c) => c.source === 'data-feed');
    const [claim] = await dataFeedClaims();
    expect(claim?.householdId).toBe(householdId(3));
    const batches = await w.jobs.batches(job.jobId);
    expect(batches.flatMap((b) => b.opened ?? []).map((c) => c.claimId)).toEqual([claim?.claimId]);
    expect(batches.flatMap((b) => b.pendingGroups ?? [])).toEqual([]);
    expect(w.workflowsLog.started).toContain(`assessment ${claim?.claimId}`);
    // The map runs a batch again (a retry after a timeout): nothing opened twice.
    for (const ref of refs) await importChunks(w, { ...batch, Items: [ref] });
    expect(await dataFeedClaims()).toHaveLength(1);
    await finishImport(w, { jobId: job.jobId });
    const done = await w.jobs.get(job.jobId);
    expect(done?.claimsOpened).toBe(1);
    expect(w.files.text(done?.openedKey ?? '')).toContain(claim?.claimId ?? 'none');
  });
});
