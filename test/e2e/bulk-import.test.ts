// A roster file as a bulk job through the local stack: the API grants the job and its upload
// form, the upload starts the import-file workflow (its Distributed Map on the local engine),
// and the CLI's job runner follows it and reads the refused rows from the error report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { membersVerb, rosterVerb } from '#cli/verbs/api-verbs.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_ROWS } from '#shared/bulk-job.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { toRosterCsv, type RosterPeriod } from '#shared/roster.ts';
import { toMembersCsv, type Member } from '#shared/members.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

function period(n: number): RosterPeriod {
  // Born 1985-06-01..28, a sequence number per day: unique for 28,000 rows.
  const day = String((Math.floor(n / 1000) % 28) + 1).padStart(2, '0');
  const body = `430381198506${day}${String(n % 1000).padStart(3, '0')}`;
  return {
    householdId: `HH-J${String(n).padStart(6, '0')}`,
    region: 'demo',
    village: '红星村',
    headName: '李四',
    idNumber: body + residentIdCheckDigit(body),
    members: 4,
    status: 'unstable',
    statusFrom: '2025-06-01',
    gridWorker: 'worker9',
    bankAccount: `62309${String(n).padStart(14, '0')}`,
    annualIncomeFen: 1_200_000,
  };
}

const quiet = { out: () => undefined, err: () => undefined };

describe('a roster file as a bulk job', () => {
  it('imports every good row in batches, reports the bad ones by row, and has no second effect', async () => {
    const rows = Array.from({ length: 2 * CHUNK_ROWS + 30 }, (_, i) => period(i + 1));
    const lines = toRosterCsv(rows).split('\r\n');
    lines[3] = lines[3]?.replace('unstable', 'wealthy') ?? ''; // row 4: unknown status
    const csv = new TextEncoder().encode(lines.join('\r\n'));
    const api = await connect(stack.apiUrl, 'admin1');

    const first = await runImportJob(api, 'roster', csv, quiet, { progress: false, pollMs: 100 });
    expect(first.job).toMatchObject({
      status: 'SUCCEEDED',
      rows: rows.length,
      processed: rows.length,
      imported: rows.length - 1,
      rejected: 1,
    });
    expect(first.rejected).toEqual([
      {
        row: 4,
        code: 'STATUS_UNKNOWN',
        zh: expect.stringMatching(/^名单状态：须为以下之一/),
        en: expect.stringMatching(/^status: must be one of/),
      },
    ]);
    expect(await stack.deps.roster.periods(rows.at(-1)?.householdId ?? '')).toHaveLength(1);

    const again = await runImportJob(api, 'roster', csv, quiet, { progress: false, pollMs: 100 });
    expect(again.job).toMatchObject({ status: 'DUPLICATE_FILE', duplicateOf: first.job.jobId, imported: 0 });
  }, 120_000);

  it('lets only the roles of a kind start or see its jobs', async () => {
    const worker = await stack.as('worker1');
    expect((await worker('POST', '/imports', { kind: 'roster' })).status).toBe(403);
    const finance = await stack.as('finance1');
    expect((await finance('GET', '/imports?kind=roster')).status).toBe(403);
    const admin = await stack.as('admin1');
    const created = await admin('POST', '/imports', { kind: 'roster' });
    expect(created.status).toBe(201);
    expect(created.body.upload.fields.key).toBe(`imports/roster/${created.body.job.jobId}/file.csv`);
    expect((await admin('POST', '/imports', { kind: 'payments' })).status).toBe(400);
    expect((await admin('GET', '/imports/not-a-job')).status).toBe(404);
    const listed = await admin('GET', '/imports?kind=roster');
    expect(listed.body.items[0]).toMatchObject({ jobId: created.body.job.jobId, status: 'WAITING_FOR_FILE' });
  });

  it('refuses a file that is not the roster as a whole, with the reason', async () => {
    const api = await connect(stack.apiUrl, 'admin1');
    await expect(
      runImportJob(api, 'roster', new TextEncoder().encode('name,amount\r\n张三,100\r\n'), quiet, {
        progress: false,
        pollMs: 100,
      }),
    ).rejects.toThrow(/failed: 第 1 行不是表头/);
  });

  it('claims roster import --json prints the imported count and every refused row', async () => {
    const rows = [period(5001), period(5002), { ...period(5003), bankAccount: '12' }];
    const dir = await mkdtemp(join(tmpdir(), 'roster-cli-'));
    const file = join(dir, 'roster.csv');
    await writeFile(file, toRosterCsv(rows, { bom: true }));
    const out: string[] = [];
    await rosterVerb(['import', file, '--api', stack.apiUrl, '--json'], {
      out: (l) => out.push(l),
      err: () => undefined,
    });
    expect(JSON.parse(out.join(''))).toEqual({
      imported: 2,
      rejected: [{ row: 4, error: expect.stringMatching(/^银行账号：/), code: 'BAD_BANK_ACCOUNT' }],
    });
    out.length = 0;
    await writeFile(file, toRosterCsv([{ ...period(5004), bankAccount: '12' }], { bom: true }));
    await rosterVerb(['import', file, '--api', stack.apiUrl, '--json', '--lang', 'en'], {
      out: (l) => out.push(l),
      err: () => undefined,
    });
    expect(JSON.parse(out.join('')).rejected).toEqual([
      { row: 2, error: 'bankAccount: must be 10-30 digits', code: 'BAD_BANK_ACCOUNT' },
    ]);
  }, 60_000);
});

describe('a household members file as a bulk job', () => {
  const person = (n: number): string => {
    const body = `430381201001${String((n % 28) + 1).padStart(2, '0')}${String(n).padStart(3, '0')}`;
    return body + residentIdCheckDigit(body);
  };

  it('claims members import --json stores members of roster households, refuses the bad row, and has no second effect', async () => {
    const households = [period(7001), period(7002)];
    const api = await connect(stack.apiUrl, 'admin1');
    const roster = await runImportJob(
      api,
      'roster',
      new TextEncoder().encode(toRosterCsv(households)),
      quiet,
      {
        progress: false,
        pollMs: 100,
      },
    );
    expect(roster.job).toMatchObject({ status: 'SUCCEEDED', imported: 2 });
    const [a, b] = households.map((h) => h.householdId);
    const members: Member[] = [
      { householdId: a ?? '', idNumber: households[0]?.idNumber ?? '', name: '李四', relation: 'head' },
      { householdId: a ?? '', idNumber: person(1), name: '王秀英', relation: 'spouse' },
      { householdId: b ?? '', idNumber: person(2), name: '李小明', relation: 'child' },
      // Row 5: household 7002's head, listed in household 7001.
      { householdId: a ?? '', idNumber: households[1]?.idNumber ?? '', name: '李四', relation: 'parent' },
    ];
    const dir = await mkdtemp(join(tmpdir(), 'members-cli-'));
    const file = join(dir, 'members.csv');
    await writeFile(file, toMembersCsv(members, { bom: true }));
    const run = async () => {
      const out: string[] = [];
      await membersVerb(['import', file, '--api', stack.apiUrl, '--json'], {
        out: (l) => out.push(l),
        err: () => undefined,
      });
      return JSON.parse(out.join('')) as unknown;
    };

    expect(await run()).toEqual({
      imported: 3,
      rejected: [{ row: 5, error: `身份证号：已登记在农户 ${b} 名下`, code: 'ID_IN_OTHER_HOUSEHOLD' }],
    });
    expect(await stack.deps.roster.members(b ?? '')).toEqual([members[2]]);
    expect(await stack.deps.roster.members(a ?? '')).toHaveLength(2);

    const again = (await run()) as { imported: number; duplicateOf?: string };
    expect(again).toMatchObject({ imported: 0, rejected: [] });
    expect(again.duplicateOf).toMatch(/^[0-9A-Z]{26}$/);
    const listed = await (await stack.as('admin1'))('GET', '/imports?kind=members');
    expect(listed.body.items[0]).toMatchObject({ status: 'DUPLICATE_FILE', duplicateOf: again.duplicateOf });

    // The same person in a new file with another relation: updated, not added.
    await writeFile(file, toMembersCsv([{ ...members[2], relation: 'other' } as Member]));
    expect(await run()).toEqual({ imported: 1, rejected: [] });
    expect(await stack.deps.roster.members(b ?? '')).toEqual([{ ...members[2], relation: 'other' }]);
  }, 120_000);
});
