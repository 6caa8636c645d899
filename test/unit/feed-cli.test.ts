// `claims feed import`: its arguments (a bad --kind told in the CLI's language, exit code 2), what
// it prints from a finished job, and the import API's view of a feed job (outcomes summed over the
// batches, the opened claims read back from the job's list) that the CLI and the web page read.
import { describe, expect, it } from 'vitest';
import { main } from '#cli/claims.ts';
import { feedImportLines, feedImportResult, parseFeedArgs } from '#cli/verbs/feed.ts';
import { getImport, createImport, type ImportApiDeps } from '#shared/api/import-api.ts';
import { newJob, openedClaimsKey, type BulkJob } from '#shared/bulk-job.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { memoryUploads } from '#functions/adapters/memory/memory-ports.ts';
import { NotFoundError } from '#shared/errors.ts';
import { enMessages, zhMessages } from '#shared/messages/render.ts';
import { readFileSync } from 'node:fs';
import { educationColumns, medicalColumns } from '#shared/feed.ts';

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, { out: (t) => out.push(t), err: (t) => err.push(t) }).then((code) => ({
    code,
    out,
    err,
  }));
}

describe('claims feed import: arguments', () => {
  it('takes the kind, the file and the defaults (an administrator, Chinese)', () => {
    expect(parseFeedArgs(['import', '--kind', 'medical', 'yb.csv'])).toEqual({
      kind: 'medical',
      file: 'yb.csv',
      as: 'admin1',
      json: false,
      lang: 'zh',
    });
    expect(
      parseFeedArgs([
        'import',
        'xf.csv',
        '--kind',
        'education',
        '--as',
        'insurer1',
        '--json',
        '--lang',
        'en',
        '--api',
        'http://127.0.0.1:9',
      ]),
    ).toEqual({
      kind: 'education',
      file: 'xf.csv',
      as: 'insurer1',
      api: 'http://127.0.0.1:9',
      json: true,
      lang: 'en',
    });
  });

  it('refuses a bad or missing --kind in the CLI language, exit code 2, before reading anything', async () => {
    const zh = await run(['feed', 'import', '--kind', 'disaster', 'does-not-exist.csv']);
    expect(zh.code).toBe(2);
    expect(zh.err).toEqual([`claims feed: ${zhMessages['error.FEED_KIND']}`]);
    const en = await run(['feed', 'import', '--kind', 'bank', '--lang', 'en', 'does-not-exist.csv']);
    expect(en.code).toBe(2);
    expect(en.err).toEqual([`claims feed: ${enMessages['error.FEED_KIND']}`]);
    const missing = await run(['feed', 'import', 'does-not-exist.csv']);
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toContain('--kind');
  });

  it('refuses anything but `import FILE`, and a missing file names it', async () => {
    for (const args of [
      ['feed'],
      ['feed', 'export', '--kind', 'medical', 'a.csv'],
      ['feed', 'import', '--kind', 'medical'],
      ['feed', 'import', '--kind', 'medical', 'a.csv', 'b.csv'],
      ['feed', 'import', '--kind', 'medical', '--nope', 'a.csv'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const r = await run(['feed', 'import', '--kind', 'medical', '/nonexistent/feed.csv']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['claims feed: cannot read /nonexistent/feed.csv']);
  });

  it('is in the help', async () => {
    const r = await run(['--help']);
    expect(r.out.join('\n')).toContain('feed import --kind medical|education FILE.csv');
  });
});

describe('claims feed import: what it prints', () => {
  const job = {
    jobId: '01JFEED0000000000000000000',
    status: 'SUCCEEDED' as const,
    rows: 7,
    processed: 7,
    imported: 5,
    rejected: 2,
    outcomes: { matched: 4, unmatched: 1, notCovered: 0, repeated: 1, corrected: 0, counted: 2, pending: 1 },
    claimsOpened: [
      { claimId: '01JCLAIM000000000000000000', householdId: 'HH-0001', category: 'medical' as const },
    ],
  };
  const rejected = [
    { row: 3, code: 'ID_CHECK_DIGIT', zh: '身份证号：校验位不对', en: 'idNumber: wrong check digit' },
    {
      row: 6,
      code: 'FEED_RECORD_REPEATED_IN_FILE',
      zh: '记录编号：与第 2 行重复',
      en: 'recordId: repeats row 2',
    },
  ];

  it('gives the JSON the people asked for, errors in the CLI language', () => {
    const result = feedImportResult(job, rejected, 'zh');
    expect(result).toEqual({
      jobId: job.jobId,
      records: 7,
      matched: 4,
      unmatched: 1,
      notCovered: 0,
      repeated: 1,
      corrected: 0,
      claimsOpened: job.claimsOpened,
      rejected: [
        { row: 3, error: '身份证号：校验位不对', code: 'ID_CHECK_DIGIT' },
        { row: 6, error: '记录编号：与第 2 行重复', code: 'FEED_RECORD_REPEATED_IN_FILE' },
      ],
    });
    expect(feedImportResult(job, rejected, 'en').rejected[0]?.error).toBe('idNumber: wrong check digit');
    // A job with nothing recorded yet (no outcomes): zeros, never absent keys.
    const bare = feedImportResult({ ...job, outcomes: undefined, claimsOpened: undefined }, [], 'zh');
    expect(bare).toMatchObject({ records: 7, matched: 0, unmatched: 0, claimsOpened: [], rejected: [] });
  });

  it('writes the counts, each claim opened and each refused row for a person', () => {
    const zh = feedImportLines(feedImportResult(job, rejected, 'zh'), 'zh');
    expect(zh[0]).toContain('共 7 条记录：匹配到农户 4 条，未匹配 1 条（已丢弃）');
    expect(zh[0]).toContain('新开申请 1 个');
    expect(zh[1]).toBe('  01JCLAIM000000000000000000  HH-0001  因病');
    expect(zh[2]).toBe('  第 3 行：身份证号：校验位不对');
    const en = feedImportLines(feedImportResult(job, rejected, 'en'), 'en');
    expect(en[0]).toContain('7 records: matched 4, on no household 1 (dropped)');
    expect(en.at(-1)).toBe('  row 6: recordId: repeats row 2');
    expect(feedImportLines({ ...feedImportResult(job, [], 'zh'), duplicateOf: 'J1' }, 'zh')).toEqual([
      '这个文件已导入过（任务 J1），没有任何改动',
    ]);
  });
});

describe('the import API: a feed job', () => {
  const jobId = '01JFEEDJ000000000000000000';
  function deps(): ImportApiDeps & { jobs: MemoryJobs; files: MemoryJobFiles } {
    let n = 0;
    return {
      jobs: new MemoryJobs(),
      files: new MemoryJobFiles(),
      uploads: memoryUploads(),
      clock: { now: () => new Date('2026-12-01T02:00:00Z') },
      ids: { next: () => `01JFEEDJ0000000000000000${String(n++).padStart(2, '0')}` },
    };
  }
  const admin = { username: 'admin1', roles: ['admin'] as const };
  const insurer = { username: 'insurer1', roles: ['insurer'] as const };
  const finance = { username: 'finance1', roles: ['finance'] as const };

  async function finished(d: ReturnType<typeof deps>, opened: object[]): Promise<BulkJob> {
    const base = newJob('medical-feed', jobId, 'admin1', '2026-12-01T01:00:00Z');
    await d.jobs.create({ ...base, status: 'RUNNING', rows: 5 });
    await d.jobs.recordBatch({
      jobId,
      firstRow: 1,
      rows: 1,
      imported: 0,
      rejected: [{ row: 4, reasons: [{ code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } }] }],
    });
    await d.jobs.recordBatch({
      jobId,
      firstRow: 2,
      rows: 2,
      imported: 2,
      rejected: [],
      outcomes: { records: 2, matched: 1, unmatched: 1, counted: 1 },
    });
    await d.jobs.recordBatch({
      jobId,
      firstRow: 5,
      rows: 2,
      imported: 2,
      rejected: [],
      outcomes: { records: 2, matched: 2, pending: 2, repeated: 0 },
    });
    const key = openedClaimsKey('medical-feed', jobId);
    await d.files.write(key, opened.map((o) => JSON.stringify(o)).join('\n') + '\n', 'application/x-ndjson');
    const stored = (await d.jobs.get(jobId))!;
    const done = { ...stored, status: 'SUCCEEDED' as const, claimsOpened: opened.length, openedKey: key };
    await d.jobs.update(done, stored.version);
    return done;
  }

  it('sums the outcomes and lists every claim opened, for admins and insurers', async () => {
    const d = deps();
    const opened = [
      { claimId: '01JCLAIMA00000000000000000', householdId: 'HH-0001', category: 'medical' },
      { claimId: '01JCLAIMB00000000000000000', householdId: 'HH-0002', category: 'medical' },
    ];
    await finished(d, opened);
    for (const who of [admin, insurer]) {
      const view = await getImport(d, who, jobId);
      expect(view.outcomes).toEqual({
        records: 4,
        matched: 3,
        unmatched: 1,
        counted: 1,
        pending: 2,
        repeated: 0,
      });
      expect(view.claimsOpened).toEqual(opened);
      expect(view.rejectedRows).toEqual([
        { row: 4, reasons: [{ code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } }] },
      ]);
    }
    await expect(getImport(d, finance, jobId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists none while running or when none opened, and never reads a missing list as empty', async () => {
    const d = deps();
    const base = newJob('medical-feed', jobId, 'admin1', '2026-12-01T01:00:00Z');
    await d.jobs.create({ ...base, status: 'RUNNING', rows: 5 });
    expect((await getImport(d, admin, jobId)).claimsOpened).toBeUndefined();
    await d.jobs.update({ ...(await d.jobs.get(jobId))!, status: 'SUCCEEDED', claimsOpened: 0 }, 0);
    expect((await getImport(d, admin, jobId)).claimsOpened).toEqual([]);
    const lost = deps();
    const done = await finished(lost, [
      { claimId: '01JCLAIMA00000000000000000', householdId: 'HH-0001', category: 'medical' },
    ]);
    lost.files.objects.delete(done.openedKey!);
    await expect(getImport(lost, admin, jobId)).rejects.toThrow(/missing/);
  });

  it('starts feed jobs for admins and insurers only', async () => {
    const d = deps();
    const created = await createImport(d, insurer, { kind: 'education-feed' });
    expect(created.job.kind).toBe('education-feed');
    await expect(createImport(d, finance, { kind: 'medical-feed' })).rejects.toThrow();
  });
});

describe('the web page', () => {
  it('names the columns shared/feed.ts reads', () => {
    const page = readFileSync(
      new URL('../../web/src/pages/feed-import.tsx', import.meta.url),
      'utf8',
    ).replace(/\s+/g, '');
    expect(page).toContain(`medical:'${medicalColumns.join(',')}'`);
    expect(page).toContain(`education:'${educationColumns.join(',')}'`);
  });
});
