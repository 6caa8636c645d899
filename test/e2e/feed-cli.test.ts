// `claims feed import` against the local stack, as a person runs it: one file with a head of a
// demo-fund household past the threshold, one below it, a household whose policy takes no feeds,
// a person on no household and a row with a bad ID number; the JSON names the claim opened, the
// counts and the refused row in the CLI's language, and the same file again changes nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentDate, startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { main } from '#cli/claims.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { medicalColumns } from '#shared/feed.ts';

let stack: TestStack & { stop(): Promise<void> };
let dir: string;

beforeAll(async () => {
  [stack, dir] = await Promise.all([startLocalStack(), mkdtemp(join(tmpdir(), 'feed-cli-'))]);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function claims(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

const headOf = async (householdId: string) => (await stack.deps.roster.periods(householdId))[0]!.idNumber;

describe('claims feed import', () => {
  it('prints the job, its counts, the claim opened and the refused rows', async () => {
    const outsiderBody = '43010219800101123';
    const outsider = outsiderBody + residentIdCheckDigit(outsiderBody);
    const badId = `${outsiderBody}${residentIdCheckDigit(outsiderBody) === '1' ? '2' : '1'}`;
    const date = recentDate(20);
    const row = (id: string, person: string, total: string, basic: string) =>
      `${id},${person},某某,县人民医院,${date},${date},${date},${total},${basic},0,0,0`;
    const csv = [
      medicalColumns.join(','),
      row('CLI-1', await headOf('HH-F006'), '30000.00', '15000.00'), // self-paid 15,000: a claim
      row('CLI-2', await headOf('HH-F005'), '2000.00', '1000.00'), // 1,000: counted, no claim
      row('CLI-3', await headOf('HH-0001'), '30000.00', '0'), // region demo takes no feeds
      row('CLI-4', outsider, '5000.00', '0'), // on no household
      row('CLI-5', badId, '5000.00', '0'), // refused
    ].join('\r\n');
    const file = join(dir, 'yb.csv');
    await writeFile(file, csv);

    const first = await claims([
      'feed',
      'import',
      '--kind',
      'medical',
      file,
      '--json',
      '--api',
      stack.apiUrl,
    ]);
    expect(first.err.at(-1)).toMatch(/^job [0-9A-Z]{26}: SUCCEEDED$/);
    expect(first.code).toBe(0);
    expect(first.out).toHaveLength(1);
    const result = JSON.parse(first.out[0]!);
    expect(result).toMatchObject({
      records: 5,
      matched: 3,
      unmatched: 1,
      notCovered: 1,
      claimsOpened: [{ householdId: 'HH-F006', category: 'medical' }],
    });
    expect(result.jobId).toMatch(/^[0-9A-Z]{26}$/);
    expect(result.rejected).toEqual([
      { row: 6, error: expect.stringContaining('身份证号'), code: 'ID_CHECK_DIGIT' },
    ]);
    const claim = await stack.deps.claims.get(result.claimsOpened[0].claimId);
    expect(claim).toMatchObject({
      source: 'data-feed',
      householdId: 'HH-F006',
      feedRecords: ['medical:CLI-1'],
    });
    // The job's creator is the default user, an administrator.
    expect((await stack.deps.jobs.get(result.jobId))?.createdBy).toBe('admin1');

    const again = await claims([
      'feed',
      'import',
      '--kind',
      'medical',
      file,
      '--as',
      'insurer1',
      '--lang',
      'en',
      '--api',
      stack.apiUrl,
    ]);
    expect(again.code).toBe(0);
    expect(again.out).toEqual([`this file was imported before (job ${result.jobId}); nothing changed`]);

    // A role that may not import feeds is refused by the API.
    const finance = await claims([
      'feed',
      'import',
      '--kind',
      'education',
      file,
      '--as',
      'finance1',
      '--api',
      stack.apiUrl,
    ]);
    expect(finance.code).not.toBe(0);
  }, 120_000);
});
