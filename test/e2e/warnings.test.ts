// Return-to-poverty warnings end to end on the local stack: a payout and a rejection below the
// threshold each refresh their household's burden, the API lists the county's for an admin and
// only a grid worker's own households for them, the households list carries the levels red first,
// and `claims warnings --json` writes exactly the documented keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { parsePolicy, type PolicyDocument } from '#shared/policy.ts';
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { main } from '#cli/claims.ts';

/** The demo fund paying at once (no notice period): the test sees the warnings alone. */
const fund = parsePolicy({ ...(demoFund as PolicyDocument), noticeDays: 0, appealDays: 0 });

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack({ policies: [fund] });
  // HH-F001 (worker1, income 9,800): 9,600 self-paid, paid: red. HH-F003 (worker1, income
  // 30,000): 5,000, below the threshold but counted: blue. HH-F005 (worker2, 18,500): 9,600: red.
  const filed = [
    ['HH-F001', '9600', 'PAID'],
    ['HH-F003', '5000', 'REJECTED'],
    ['HH-F005', '9600', 'PAID'],
  ] as const;
  for (const [householdId, totalCost, state] of filed) {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost, category: 'education' });
    expect((await settled(stack, claimId)).state).toBe(state);
  }
  // A household's burden is written just after its claim's state (the step refreshes it once the
  // payout or the counting is recorded): wait for the three, or the first reads race the last.
  const admin = await stack.as('admin1');
  for (let tries = 0; ; tries++) {
    const { body } = await admin('GET', '/warnings?region=demo-fund');
    if ((body.households as unknown[]).length >= 3) break;
    if (tries >= 120) throw new Error('the burdens of the three households were never written');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--api', stack.apiUrl], {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
  });
  return { code, out, err };
}

describe('return-to-poverty warnings', () => {
  it('the county view lists every household at a level, red first, with counts per village', async () => {
    const admin = await stack.as('admin1');
    const { status, body } = await admin('GET', '/warnings?region=demo-fund');
    expect(status).toBe(200);
    expect(
      body.households.map((h: { householdId: string; level: string }) => [h.householdId, h.level]),
    ).toEqual([
      ['HH-F001', 'red'],
      ['HH-F005', 'red'],
      ['HH-F003', 'blue'],
    ]);
    expect(body.households[0]).toMatchObject({
      burdenBp: 9795,
      selfPaidFen: 960_000,
      annualIncomeFen: 980_000,
    });
    expect(body.households[0].expenses).toEqual([
      expect.objectContaining({ source: 'claim', category: 'education', selfPaidFen: 960_000 }),
    ]);
    expect(body.byVillage).toEqual([
      { region: 'demo-fund', village: '东山村', red: 2, orange: 0, blue: 0 },
      { region: 'demo-fund', village: '西河村', red: 0, orange: 0, blue: 1 },
    ]);
  });

  it('a grid worker sees only their own households; finance is refused', async () => {
    const worker1 = await stack.as('worker1');
    const own = await worker1('GET', '/warnings');
    expect(own.body.households.map((h: { householdId: string }) => h.householdId)).toEqual([
      'HH-F001',
      'HH-F003',
    ]);
    const worker2 = await stack.as('worker2');
    expect(
      (await worker2('GET', '/warnings')).body.households.map((h: { householdId: string }) => h.householdId),
    ).toEqual(['HH-F005']);
    const finance = await stack.as('finance1');
    expect((await finance('GET', '/warnings')).status).toBe(403);
  });

  it("the grid worker's households carry their levels, red first", async () => {
    const worker1 = await stack.as('worker1');
    const { body } = await worker1('GET', '/households');
    const items = body.items as {
      householdId: string;
      warning: { level: string; burdenBp: number } | null;
    }[];
    expect(items.slice(0, 2).map((h) => [h.householdId, h.warning?.level])).toEqual([
      ['HH-F001', 'red'],
      ['HH-F003', 'blue'],
    ]);
    expect(items.slice(2).every((h) => h.warning === null)).toBe(true);
  });

  it('claims warnings --json writes exactly the documented keys; --level red only red', async () => {
    const all = await cli(['warnings', '--json']);
    expect(all.code).toBe(0);
    const parsed = JSON.parse(all.out) as { households: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['households']);
    for (const h of parsed.households)
      expect(Object.keys(h)).toEqual(['householdId', 'level', 'burdenBp', 'selfPaidFen', 'annualIncomeFen']);
    expect(parsed.households[0]).toEqual({
      householdId: 'HH-F001',
      level: 'red',
      burdenBp: 9795,
      selfPaidFen: 960_000,
      annualIncomeFen: 980_000,
    });
    const red = JSON.parse(
      (await cli(['warnings', '--level', 'red', '--region', 'demo-fund', '--json'])).out,
    );
    expect(red.households.map((h: { householdId: string }) => h.householdId)).toEqual(['HH-F001', 'HH-F005']);
    const table = await cli(['warnings', '--level', 'blue']);
    expect(table.out).toContain('农户编号');
    expect(table.out).toContain('HH-F003\t西河村\t蓝色预警\t16.66%');
    expect((await cli(['warnings', '--level', 'purple'])).code).toBe(2);
  });
});
