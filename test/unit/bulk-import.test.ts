import { describe, expect, it } from 'vitest';
import { rosterColumns } from '#shared/roster.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import {
  CHUNK_ROWS,
  chunkRefSchema,
  errorReportCsv,
  importFileKey,
  jobProgress,
  newJob,
  parseImportFileKey,
  type BulkJob,
} from '#shared/bulk-job.ts';
import { finishImport, importChunks, startImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { parseErrorReport } from '#shared/error-report.ts';
import { toRosterCsv, type RosterPeriod } from '#shared/roster.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { toMembersCsv, type Member } from '#shared/members.ts';
import { refreshBurdens } from '#shared/warnings.ts';
import { claimRecord } from '#test/support/fixtures.ts';

const JOB = '01JB0000000000000000000001';
const clock = { now: () => new Date('2026-03-01T02:00:00Z') };

function idNumber(n: number): string {
  const body = `430381${String(19600101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}

function period(n: number, overrides: Partial<RosterPeriod> = {}): RosterPeriod {
  return {
    householdId: `HH-B${String(n).padStart(6, '0')}`,
    region: 'demo',
    village: '红星村',
    headName: '张三',
    idNumber: idNumber(n),
    members: 3,
    status: 'out_of_poverty',
    statusFrom: '2024-01-01',
    gridWorker: 'worker1',
    bankAccount: `62309${String(n).padStart(14, '0')}`,
    annualIncomeFen: 800_000,
    ...overrides,
  };
}

function world(): ImportDeps & { jobs: MemoryJobs; files: MemoryJobFiles; roster: MemoryStore } {
  return { jobs: new MemoryJobs(), files: new MemoryJobFiles(), roster: new MemoryStore(), clock };
}

async function granted(deps: ReturnType<typeof world>, jobId = JOB): Promise<BulkJob> {
  const job = newJob('roster', jobId, 'admin1', clock.now().toISOString());
  await deps.jobs.create(job);
  return job;
}

/** What the Distributed Map does: read the chunk list, batch it, run each batch (here in order). */
async function runJob(deps: ReturnType<typeof world> & Partial<ImportDeps>, key: string, batchSize = 3) {
  const started = await startImport(deps, { key });
  if (started.outcome !== 'run' || !started.chunksKey) return started;
  const chunks = (deps.files.text(started.chunksKey) ?? '')
    .split('\n')
    .map((l) => chunkRefSchema.parse(JSON.parse(l)));
  for (let i = 0; i < chunks.length; i += batchSize)
    await importChunks(deps, { Items: chunks.slice(i, i + batchSize), BatchInput: { jobId: started.jobId } });
  await finishImport(deps, { jobId: started.jobId });
  return started;
}

describe('bulk import jobs', () => {
  it('names files by kind and job, and reads only such names back', () => {
    expect(parseImportFileKey(importFileKey('roster', JOB))).toEqual({ kind: 'roster', jobId: JOB });
    for (const key of [
      `imports/roster/${JOB}/errors.csv`,
      `import-work/roster/${JOB}/chunks/000000.jsonl`,
      `imports/bank/${JOB}/file.csv`,
      `imports/roster/../${JOB}/file.csv`,
      `claims/${JOB}/manifest.json`,
    ])
      expect(parseImportFileKey(key)).toBeUndefined();
  });

  it('imports a county-sized file in chunks, counts every row once, and reports the bad ones', async () => {
    const deps = world();
    const job = await granted(deps);
    const periods = Array.from({ length: 2 * CHUNK_ROWS + 7 }, (_, i) => period(i + 1));
    const csv = toRosterCsv(periods)
      .split('\r\n')
      .map((line, i) => (i === 5 ? line.replace('out_of_poverty', 'rich') : line))
      .join('\r\n');
    await deps.files.write(job.fileKey, csv, 'text/csv');
    const started = await runJob(deps, job.fileKey);
    expect(started.outcome).toBe('run');
    const done = await deps.jobs.get(JOB);
    expect(done).toMatchObject({ status: 'SUCCEEDED', rows: periods.length, processed: periods.length });
    expect(done?.imported).toBe(periods.length - 1);
    expect(done?.rejected).toBe(1);
    expect(jobProgress(done as BulkJob)).toBe(1);
    const report = deps.files.text(done?.errorReportKey ?? '');
    expect(
      report?.startsWith('\uFEFF行号 row,代码 code,原因,reason\r\n6,STATUS_UNKNOWN,名单状态：须为以下之一'),
    ).toBe(true);
    expect(await deps.roster.periods(periods[0]?.householdId ?? '')).toHaveLength(1);
  });

  it("moves a household's warning with the roster: handed over, a new income, read again", async () => {
    const deps = world();
    const store = deps.roster;
    const full = { ...deps, claims: store, feeds: store, warnings: store };
    const before = period(1, { region: 'demo-fund', village: '东山村' });
    await store.put([before]);
    await store.create(
      claimRecord({
        householdId: before.householdId,
        region: 'demo-fund',
        category: 'medical',
        state: 'PAID',
        expenseDate: '2026-02-01',
        accumulated: { beforeFen: 0, afterFen: 400_000 },
      }),
      [],
    );
    await refreshBurdens(full, [before.householdId]);
    expect(await store.burdens('demo-fund')).toMatchObject([
      { gridWorker: 'worker1', annualIncomeFen: 800_000 },
    ]);
    const job = await granted(deps);
    const after = { ...before, statusFrom: '2026-02-15', gridWorker: 'worker2', annualIncomeFen: 2_000_000 };
    await deps.files.write(job.fileKey, toRosterCsv([before, after]), 'text/csv');
    await runJob(full, job.fileKey);
    expect(await deps.jobs.get(JOB)).toMatchObject({ status: 'SUCCEEDED', imported: 2 });
    expect(await store.burdens('demo-fund')).toMatchObject([
      { householdId: before.householdId, gridWorker: 'worker2', annualIncomeFen: 2_000_000 },
    ]);
  });

  it('has no second effect when batches run twice or the upload event comes again', async () => {
    const deps = world();
    const job = await granted(deps);
    const periods = Array.from({ length: CHUNK_ROWS + 1 }, (_, i) => period(i + 1));
    await deps.files.write(job.fileKey, toRosterCsv(periods), 'text/csv');
    const started = await startImport(deps, { key: job.fileKey });
    const chunks = (deps.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    for (let round = 0; round < 2; round++)
      await importChunks(deps, { Items: chunks, BatchInput: { jobId: JOB } });
    // The stack restarted mid-run: the same event starts the job again and gets the same chunks.
    expect(await startImport(deps, { key: job.fileKey })).toEqual(started);
    await finishImport(deps, { jobId: JOB });
    await finishImport(deps, { jobId: JOB });
    expect(await deps.jobs.get(JOB)).toMatchObject({
      status: 'SUCCEEDED',
      processed: periods.length,
      imported: periods.length,
      rejected: 0,
    });
    expect(await startImport(deps, { key: job.fileKey })).toMatchObject({ outcome: 'done' });
  });

  it('ends a job by what its batches recorded: whole -> SUCCEEDED even if a map gave up; else FAILED', async () => {
    const deps = world();
    const job = await granted(deps);
    await deps.files.write(job.fileKey, toRosterCsv([period(1), period(2)]), 'text/csv');
    const started = await startImport(deps, { key: job.fileKey });
    const chunks = (deps.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    // A second run stored everything before the first run's map failed.
    await importChunks(deps, { Items: chunks, BatchInput: { jobId: JOB } });
    await finishImport(deps, { jobId: JOB, error: 'States.ExceedToleratedFailureThreshold' });
    expect(await deps.jobs.get(JOB)).toMatchObject({ status: 'SUCCEEDED', processed: 2, imported: 2 });

    const other = await granted(deps, '01JB0000000000000000000005');
    await deps.files.write(other.fileKey, toRosterCsv([period(3)]), 'text/csv');
    await startImport(deps, { key: other.fileKey });
    await finishImport(deps, { jobId: other.jobId, error: 'States.ExceedToleratedFailureThreshold' });
    expect(await deps.jobs.get(other.jobId)).toMatchObject({
      status: 'FAILED',
      failure: 'States.ExceedToleratedFailureThreshold',
      processed: 0,
    });
  });

  it('marks the same file imported again a duplicate of the first job, and changes nothing', async () => {
    const deps = world();
    const first = await granted(deps);
    const csv = toRosterCsv([period(1), period(2)]);
    await deps.files.write(first.fileKey, csv, 'text/csv');
    await runJob(deps, first.fileKey);
    const secondId = '01JB0000000000000000000002';
    const second = await granted(deps, secondId);
    await deps.files.write(second.fileKey, csv, 'text/csv');
    expect(await runJob(deps, second.fileKey)).toMatchObject({ outcome: 'done' });
    expect(await deps.jobs.get(secondId)).toMatchObject({
      status: 'DUPLICATE_FILE',
      duplicateOf: JOB,
      imported: 0,
    });
  });

  it('refuses a file without the header as a whole, and lets it be fixed and sent again', async () => {
    const deps = world();
    const job = await granted(deps);
    const csv = toRosterCsv([period(1)])
      .split('\r\n')
      .slice(1)
      .join('\r\n');
    await deps.files.write(job.fileKey, csv, 'text/csv');
    await runJob(deps, job.fileKey);
    const failed = await deps.jobs.get(JOB);
    expect(failed).toMatchObject({ status: 'FAILED', imported: 0 });
    expect(failed?.failure).toBe('HEADER_NOT_FIRST');
    expect(failed?.failureReasons).toEqual([
      { code: 'HEADER_NOT_FIRST', params: { columns: rosterColumns.join(',') } },
    ]);
    expect(JSON.stringify(failed?.failureReasons)).not.toMatch(/\d{6}/);
    const again = await granted(deps, '01JB0000000000000000000003');
    await deps.files.write(again.fileKey, csv, 'text/csv');
    await runJob(deps, again.fileKey);
    expect((await deps.jobs.get(again.jobId))?.status).toBe('FAILED');
  });

  it('checks one ID number per household across the whole file, whichever batch runs first', async () => {
    const deps = world();
    const job = await granted(deps);
    const rows = Array.from({ length: CHUNK_ROWS + 2 }, (_, i) => period(i + 1));
    // The last row gives household 1's head to another household.
    rows[rows.length - 1] = period(9999, { idNumber: rows[0]?.idNumber ?? '' });
    await deps.files.write(job.fileKey, toRosterCsv(rows), 'text/csv');
    await runJob(deps, job.fileKey, 1);
    const done = await deps.jobs.get(JOB);
    expect(done).toMatchObject({ status: 'SUCCEEDED', imported: rows.length - 1, rejected: 1 });
    const report = deps.files.text(done?.errorReportKey ?? '');
    expect(report).toContain(
      `${rows.length + 1},ID_HEADS_OTHER_IN_FILE,身份证号：已是第 2 行农户 HH-B000001 的身份证号,idNumber: already the ID number of household HH-B000001 on row 2`,
    );
  });

  it('refuses a file saved in a local code page instead of UTF-8, naming no row', async () => {
    const deps = world();
    const job = await granted(deps);
    const csv = new TextEncoder().encode(toRosterCsv([period(1)]));
    // 张 in GBK: two bytes that are not UTF-8.
    const gbk = new Uint8Array([...csv.slice(0, csv.length - 4), 0xd5, 0xc5, 0x0d, 0x0a]);
    await deps.files.write(job.fileKey, gbk, 'text/csv');
    await runJob(deps, job.fileKey);
    expect(await deps.jobs.get(JOB)).toMatchObject({ status: 'FAILED', failure: 'NOT_UTF8', imported: 0 });
  });

  it('refuses a batch naming another job’s chunks', async () => {
    const deps = world();
    await granted(deps);
    await expect(
      importChunks(deps, {
        Items: [
          { key: 'imports/roster/01JB0000000000000000000009/chunks/000000.jsonl', firstRow: 2, rows: 1 },
        ],
        BatchInput: { jobId: JOB },
      }),
    ).rejects.toThrow(/not one of job/);
  });

  it('writes error reports with the row, the codes and the reasons in Chinese and English, formulas defused', () => {
    const csv = errorReportCsv([
      { row: 9, reasons: [{ code: 'LEGACY_TEXT', params: { text: '=HYPERLINK("x")' } }] },
      {
        row: 3,
        reasons: [
          { code: 'VALUE_MISSING', params: { field: 'village' } },
          { code: 'NUMBER_MAX', params: { field: 'members', max: 99 } },
        ],
      },
    ]);
    expect(csv).toBe(
      '\uFEFF行号 row,代码 code,原因,reason\r\n' +
        '3,VALUE_MISSING NUMBER_MAX,村：没有填写；人口数：不能大于 99,village: value is missing; members: must be at most 99\r\n' +
        '9,LEGACY_TEXT,"\'=HYPERLINK(""x"")","\'=HYPERLINK(""x"")"\r\n',
    );
  });

  it('reads its error reports back as the CLI prints them (and the older two-column kind)', () => {
    const rejections = [
      { row: 2, reasons: [{ code: 'STATUS_UNKNOWN', params: { field: 'status', allowed: 'a,b' } }] },
      { row: 3, reasons: [{ code: 'LEGACY_TEXT', params: { text: 'headName: "x" is =odd' } }] },
    ];
    expect(parseErrorReport(errorReportCsv(rejections))).toEqual([
      {
        row: 2,
        code: 'STATUS_UNKNOWN',
        zh: '名单状态：须为以下之一：a、b',
        en: 'status: must be one of a, b',
      },
      { row: 3, code: 'LEGACY_TEXT', zh: 'headName: "x" is =odd', en: 'headName: "x" is =odd' },
    ]);
    expect(parseErrorReport('\uFEFF行号 row,原因 reason\r\n3,"status: must be one of a, b"\r\n')).toEqual([
      { row: 3, code: '', zh: 'status: must be one of a, b', en: 'status: must be one of a, b' },
    ]);
  });

  it('runs a members file through the same steps: chunks of {row, member}, stored once, bad rows reported', async () => {
    const deps = world();
    const households = Array.from({ length: 40 }, (_, i) => period(i + 1));
    await deps.roster.put(households);
    const job = newJob('members', JOB, 'admin1', clock.now().toISOString());
    await deps.jobs.create(job);
    const memberId = (n: number) => {
      const body = `110105${String(19900101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
      return body + residentIdCheckDigit(body);
    };
    const members: Member[] = Array.from({ length: CHUNK_ROWS + 20 }, (_, i) => ({
      householdId: households[i % 40]?.householdId ?? '',
      idNumber: memberId(i),
      name: '王秀英',
      relation: 'child',
    }));
    const lines = toMembersCsv(members).split('\r\n');
    lines[7] = lines[7]?.replace(',child', ',boss') ?? ''; // row 8: unknown relation
    lines[9] = lines[9]?.replace(/^HH-B\d+/, 'HH-NOPE') ?? ''; // row 10: not on the roster
    await deps.files.write(job.fileKey, lines.join('\r\n'), 'text/csv');
    const started = await startImport(deps, { key: job.fileKey });
    const chunks = (deps.files.text(started.chunksKey ?? '') ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    expect(chunks).toHaveLength(2);
    const firstLine = JSON.parse(deps.files.text(chunks[0]?.key ?? '')?.split('\n')[0] ?? '{}') as object;
    expect(Object.keys(firstLine).sort()).toEqual(['member', 'row']);
    // Every batch twice: the counts do not double.
    for (let round = 0; round < 2; round++)
      await importChunks(deps, { Items: chunks, BatchInput: { jobId: JOB } });
    await finishImport(deps, { jobId: JOB });
    expect(await deps.jobs.get(JOB)).toMatchObject({
      status: 'SUCCEEDED',
      rows: members.length,
      processed: members.length,
      imported: members.length - 2,
      rejected: 2,
    });
    const report = parseErrorReport(deps.files.text(`imports/members/${JOB}/errors.csv`) ?? '');
    expect(report.map((r) => [r.row, r.code])).toEqual([
      [8, 'RELATION_UNKNOWN'],
      [10, 'HOUSEHOLD_NOT_ON_ROSTER'],
    ]);
    expect(await deps.roster.members(households[0]?.householdId ?? '')).toHaveLength(
      members.filter((m, i) => m.householdId === households[0]?.householdId && i + 2 !== 8 && i + 2 !== 10)
        .length,
    );
  });
});
