// The file check reads a bulk file as a stream, twice, and must find exactly what reading the whole
// text finds: the same good rows in the same chunks, the same refused rows with the same codes and
// row numbers, however the bytes are cut.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { chunkRefSchema, newJob, type ImportKind } from '#shared/bulk-job.ts';
import { finishImport, startImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { parseErrorReport } from '#shared/error-report.ts';
import { parseNumberedRosterCsv, rosterColumns } from '#shared/roster.ts';
import { memberColumns, parseNumberedMembersCsv } from '#shared/members.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { PairedKeys, RepeatedKeys } from '#shared/in-file-keys.ts';
import { hashingStream } from '#functions/adapters/hashing-stream.ts';

const JOB = '01JB0000000000000000000009';
const clock = { now: () => new Date('2026-03-01T02:00:00Z') };

function idNumber(n: number): string {
  const body = `430381${String(19600101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Roster rows drawn from small pools, so periods repeat and households and ID numbers cross. */
function tangledRoster(seed: number, rows: number): string {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const lines = [rosterColumns.join(',')];
  for (let i = 0; i < rows; i++) {
    const household = `HH-${pick(40)}`;
    const cells = [
      household,
      'demo',
      '"红星村"',
      i % 17 === 0 ? '=张三' : '张三',
      idNumber(pick(40)),
      String(1 + pick(5)),
      'unstable',
      `202${pick(4)}-0${1 + pick(3)}-01`,
      'worker1',
      `62309${String(pick(1e6)).padStart(14, '0')}`,
      '8000.00',
    ];
    lines.push(cells.join(','));
    if (i % 23 === 0) lines.push('');
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function tangledMembers(seed: number, rows: number): string {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const lines = [memberColumns.join(',')];
  for (let i = 0; i < rows; i++)
    lines.push([`HH-${pick(20)}`, idNumber(pick(60)), i % 13 === 0 ? '' : '李四', 'spouse'].join(','));
  return `${lines.join('\n')}\n`;
}

async function checkedByStream(kind: ImportKind, text: string, pieceBytes: number) {
  const deps: ImportDeps & { files: MemoryJobFiles; jobs: MemoryJobs } = {
    jobs: new MemoryJobs(),
    files: new MemoryJobFiles(pieceBytes),
    roster: new MemoryStore(),
    clock,
  };
  const job = newJob(kind, JOB, 'admin1', clock.now().toISOString());
  await deps.jobs.create(job);
  await deps.files.write(job.fileKey, new TextEncoder().encode(text), 'text/csv');
  const started = await startImport(deps, { key: job.fileKey });
  const chunks = (deps.files.text(started.chunksKey ?? '') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => chunkRefSchema.parse(JSON.parse(l)));
  const good = chunks.flatMap((c) =>
    (deps.files.text(c.key) ?? '').split('\n').map((l): unknown => JSON.parse(l)),
  );
  const rejected = (await deps.jobs.batches(JOB)).find((b) => b.firstRow === 1)?.rejected ?? [];
  return { good, rejected, job: await deps.jobs.get(JOB), reads: deps.files.streamed.get(job.fileKey) };
}

describe('the streamed file check', () => {
  it('finds in a roster what the whole-text check finds, with the bytes cut anywhere', async () => {
    for (const [seed, pieceBytes] of [
      [1, 7],
      [2, 1],
      [3, 64 * 1024],
      [4, 13],
    ] as const) {
      const text = tangledRoster(seed, 400);
      const whole = parseNumberedRosterCsv(text);
      // The pools make every kind of contradiction happen.
      const codes = new Set(whole.rejected.flatMap((r) => r.reasons.map((m) => m.code)));
      for (const code of ['PERIOD_TWICE', 'ID_DIFFERS_IN_FILE', 'ID_HEADS_OTHER_IN_FILE', 'FORMULA_START'])
        expect(codes, `seed ${seed}`).toContain(code);
      const streamed = await checkedByStream('roster', text, pieceBytes);
      expect(streamed.rejected, `seed ${seed}`).toEqual(whole.rejected);
      expect(streamed.good, `seed ${seed}`).toEqual(whole.numbered);
      expect(streamed.job).toMatchObject({
        status: 'RUNNING',
        rows: whole.numbered.length + whole.rejected.length,
      });
      expect(streamed.reads).toBe(2);
    }
  });

  it('finds in a members file what the whole-text check finds', async () => {
    const text = tangledMembers(5, 300);
    const whole = parseNumberedMembersCsv(text);
    const codes = new Set(whole.rejected.flatMap((r) => r.reasons.map((m) => m.code)));
    for (const code of ['MEMBER_TWICE', 'ID_IN_OTHER_HOUSEHOLD_IN_FILE', 'VALUE_MISSING'])
      expect(codes).toContain(code);
    const streamed = await checkedByStream('members', text, 5);
    expect(streamed.rejected).toEqual(whole.rejected);
    expect(streamed.good).toEqual(whole.numbered);
  });

  it('refuses a file whose only bad byte comes last as not UTF-8, with the sha256 of all its bytes', async () => {
    const good = new TextEncoder().encode(tangledRoster(6, 200));
    const bytes = new Uint8Array([...good, 0xd5, 0xc5, 0x0d, 0x0a]);
    const deps = { jobs: new MemoryJobs(), files: new MemoryJobFiles(11), roster: new MemoryStore(), clock };
    const job = newJob('roster', JOB, 'admin1', clock.now().toISOString());
    await deps.jobs.create(job);
    await deps.files.write(job.fileKey, bytes, 'text/csv');
    await startImport(deps, { key: job.fileKey });
    expect(await deps.jobs.get(JOB)).toMatchObject({
      status: 'FAILED',
      failure: 'NOT_UTF8',
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('refuses an empty file and a bad header as a whole, as the whole-text check does', async () => {
    for (const text of ['', '\uFEFF\r\n\r\n', 'householdId,region\r\nHH-1,demo\r\n']) {
      const whole = parseNumberedRosterCsv(text);
      const streamed = await checkedByStream('roster', text, 3);
      expect(streamed.job).toMatchObject({
        status: 'FAILED',
        failure: whole.rejected[0]?.reasons[0]?.code,
        failureReasons: whole.rejected[0]?.reasons,
      });
    }
  });

  it('leaves nothing to remember of a clean file, however many periods a household has', () => {
    const periods = new RepeatedKeys();
    const pairs = new PairedKeys();
    for (let h = 0; h < 5000; h++)
      for (let p = 0; p < 3; p++) {
        periods.add(`HH-${h}\u00002024-0${p + 1}-01`);
        pairs.add(`HH-${h}`, idNumber(h));
      }
    expect(periods.finish().size).toBe(0);
    const { firstsWithMany, secondsWithMany } = pairs.finish();
    expect([firstsWithMany.size, secondsWithMany.size]).toEqual([0, 0]);
    const crossed = new PairedKeys();
    crossed.add('HH-1', 'A');
    crossed.add('HH-1', 'B');
    crossed.add('HH-2', 'B');
    const found = crossed.finish();
    expect([found.firstsWithMany.size, found.secondsWithMany.size]).toEqual([1, 1]);
  });

  it('records thousands of refused rows in groups that each fit a table item, and reports every one', async () => {
    const lines = [rosterColumns.join(',')];
    for (let i = 0; i < 2500; i++)
      lines.push(`HH-${i},demo,红星村,张三,${idNumber(i)},0,unstable,2024-01-01,w,1,x`);
    const text = `${lines.join('\r\n')}\r\n`;
    const deps = { jobs: new MemoryJobs(), files: new MemoryJobFiles(), roster: new MemoryStore(), clock };
    const job = newJob('roster', JOB, 'admin1', clock.now().toISOString());
    await deps.jobs.create(job);
    await deps.files.write(job.fileKey, new TextEncoder().encode(text), 'text/csv');
    await startImport(deps, { key: job.fileKey });
    const batches = await deps.jobs.batches(JOB);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.map((b) => b.firstRow)).toContain(1);
    for (const b of batches) expect(JSON.stringify(b).length).toBeLessThan(200_000);
    const done = await deps.jobs.get(JOB);
    expect(done).toMatchObject({ status: 'SUCCEEDED', rows: 2500, processed: 2500, rejected: 2500 });
    const report = parseErrorReport(deps.files.text(done?.errorReportKey ?? '') ?? '');
    expect(report.map((r) => r.row)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 2));
    // Finishing again changes nothing.
    await finishImport(deps, { jobId: JOB });
    expect(await deps.jobs.get(JOB)).toMatchObject({ processed: 2500, rejected: 2500 });
  });

  it('hashes a stream as it is read, and stops it past the size limit', async () => {
    async function* pieces() {
      yield new Uint8Array([1, 2, 3]);
      yield new Uint8Array([4, 5]);
    }
    const whole = hashingStream(pieces(), 5);
    expect(() => whole.sha256()).toThrow();
    for await (const _ of whole.chunks) void _;
    expect(whole.sha256()).toBe(
      createHash('sha256')
        .update(new Uint8Array([1, 2, 3, 4, 5]))
        .digest('hex'),
    );
    const cut = hashingStream(pieces(), 4);
    await expect(
      (async () => {
        for await (const _ of cut.chunks) void _;
      })(),
    ).rejects.toThrow(/larger than 4 bytes/);
  });
});
