// The bank's result file on the local stack: claims paid by the workflow, the file sent as a
// bank-result job through the CLI (one row arrived, one failed, one mismatched, one unknown), sent
// again with no effect, the failed transfer reissued once the roster names a new account, and the
// period reconciled to the fen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { bankVerb, reconcileVerb, reissueVerb, type BankImportResult } from '#cli/verbs/bank.ts';
import { rosterVerb } from '#cli/verbs/api-verbs.ts';
import { toRosterCsv } from '#shared/roster.ts';
import { fenToYuan } from '#shared/money.ts';
import { latestPeriod } from '#shared/bank-result.ts';
import { todayInChina } from '#verify/lib/synthetic.ts';
import type { ClaimRecord } from '#shared/claim.ts';

let stack: TestStack & { stop(): Promise<void> };
let dir: string;

beforeAll(async () => {
  stack = await startLocalStack();
  dir = await mkdtemp(join(tmpdir(), 'bank-result-'));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

/** Runs a CLI verb against the stack and returns what it printed on stdout. */
async function cli(
  verb: (args: string[], io: { out(t: string): void; err(t: string): void }) => Promise<void>,
  args: string[],
) {
  const out: string[] = [];
  await verb([...args, '--api', stack.apiUrl], { out: (t) => out.push(t), err: () => undefined });
  return out.join('\n');
}

async function accountOf(householdId: string): Promise<string> {
  const account = latestPeriod(await stack.deps.roster.periods(householdId))?.bankAccount;
  if (!account) throw new Error(`${householdId} has no account`);
  return account;
}

describe("the bank's result file", () => {
  it('applies what arrived and what failed, reports the rest, and reissues after a roster correction', async () => {
    const paid: ClaimRecord[] = [];
    for (const householdId of ['HH-0001', 'HH-0002', 'HH-0003']) {
      const { claimId } = await uploadClaim(stack, { householdId, totalCost: '15000' });
      paid.push(await settled(stack, claimId));
    }
    expect(paid.map((c) => c.state)).toEqual(['PAID', 'PAID', 'PAID']);
    const [a, b, c] = paid as [ClaimRecord, ClaimRecord, ClaimRecord];
    const yuan = (x: ClaimRecord) => fenToYuan(x.payoutFen ?? 0);
    const csv = [
      'claimId,bankAccount,amount,status,bankRef,reason',
      `${a.claimId},${await accountOf('HH-0001')},${yuan(a)},success,BK-0001,`,
      `${b.claimId},${await accountOf('HH-0002')},${yuan(b)},失败,,账户已销户`,
      `${c.claimId},${await accountOf('HH-0003')},${fenToYuan((c.payoutFen ?? 0) + 1)},success,BK-0003,`,
      `${ulid()},6230900000000000009,100.00,success,BK-0009,`,
    ].join('\r\n');
    const file = join(dir, 'result.csv');
    await writeFile(file, `${csv}\r\n`);

    const first = JSON.parse(
      await cli(bankVerb, ['import', file, '--as', 'finance1', '--json']),
    ) as BankImportResult;
    expect(first).toMatchObject({ disbursed: 1, failed: 1 });
    expect(first.mismatched).toEqual([
      { row: 4, code: 'BANK_AMOUNT_MISMATCH', error: '金额：与该申请的赔付金额不一致，本行未处理' },
    ]);
    expect(first.unknown).toEqual([{ row: 5, code: 'BANK_CLAIM_UNKNOWN', error: '申请编号：没有这笔赔付' }]);
    // Row numbers and codes only: no account from the file in what comes back.
    expect(JSON.stringify(first)).not.toMatch(/\d{10}/);

    const claimA = await stack.deps.claims.get(a.claimId);
    expect(claimA).toMatchObject({ state: 'DISBURSED', bankTransfer: { bankRef: 'BK-0001' } });
    expect(await stack.deps.claims.ledgerEntry(a.claimId)).toMatchObject({ bankRef: 'BK-0001' });
    expect((await stack.deps.claims.ledgerEntry(a.claimId))?.disbursedAt).toBeDefined();
    const claimB = await stack.deps.claims.get(b.claimId);
    expect(claimB).toMatchObject({
      state: 'DISBURSEMENT_FAILED',
      bankFailure: { reason: '账户已销户', row: 3 },
    });
    expect(JSON.stringify(claimB)).not.toContain(await accountOf('HH-0002'));
    expect((await stack.deps.claims.ledgerEntry(b.claimId))?.failedAt).toBeDefined();
    expect((await stack.deps.claims.get(c.claimId))?.state).toBe('PAID');

    // The same file again: the job names the first one, nothing is applied.
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          paid.map(async (x) => [
            await stack.deps.claims.get(x.claimId),
            await stack.deps.claims.ledgerEntry(x.claimId),
          ]),
        ),
      );
    const before = await snapshot();
    const again = JSON.parse(
      await cli(bankVerb, ['import', file, '--as', 'finance1', '--json']),
    ) as BankImportResult;
    expect(again).toMatchObject({ disbursed: 0, failed: 0, mismatched: [], unknown: [] });
    expect(again.duplicateOf).toBeDefined();
    // The same rows in other bytes: each applied row is a no-op, the others are reported again.
    const edited = join(dir, 'result-again.csv');
    await writeFile(edited, `\uFEFF${csv}\r\n`);
    const rows = JSON.parse(
      await cli(bankVerb, ['import', edited, '--as', 'finance1', '--json']),
    ) as BankImportResult;
    expect(rows).toMatchObject({ disbursed: 0, failed: 0 });
    expect(rows.mismatched.map((r) => r.row)).toEqual([4]);
    expect(rows.unknown.map((r) => r.row)).toEqual([5]);
    expect(await snapshot()).toBe(before);

    // Reissue: refused while the roster still has the refused account, then allowed.
    const finance = await stack.as('finance1');
    const refused = await finance('POST', `/claims/${b.claimId}/reissue`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ACCOUNT_UNCHANGED');
    const worker = await stack.as('worker1');
    expect((await worker('POST', `/claims/${b.claimId}/reissue`)).status).toBe(403);

    const [latest] = (await stack.deps.roster.periods('HH-0002')).sort((x, y) =>
      x.statusFrom < y.statusFrom ? 1 : -1,
    );
    if (!latest) throw new Error('HH-0002 is not on the roster');
    const roster = join(dir, 'roster.csv');
    await writeFile(
      roster,
      toRosterCsv([{ ...latest, statusFrom: todayInChina(), bankAccount: '6230900000000088002' }]),
    );
    await cli(rosterVerb, ['import', roster, '--as', 'admin1', '--json']);
    const reissued = JSON.parse(await cli(reissueVerb, [b.claimId, '--as', 'finance1', '--json']));
    expect(reissued).toEqual({ claimId: b.claimId, state: 'PAID', reissues: 1 });
    const entry = await stack.deps.claims.ledgerEntry(b.claimId);
    expect(entry).toMatchObject({ reissues: 1, payoutFen: b.payoutFen });
    expect(entry?.failedAt).toBeUndefined();
    const history = await stack.deps.claims.history(b.claimId);
    expect(history.at(-1)).toMatchObject({ from: 'DISBURSEMENT_FAILED', to: 'PAID', actor: 'finance1' });

    // Reconciliation: paid = disbursed + failed + outstanding, over what the ledger holds today.
    const today = todayInChina();
    const r = JSON.parse(
      await cli(reconcileVerb, ['--from', today, '--to', today, '--region', 'demo', '--json']),
    );
    expect(r.paidFen).toBe(r.disbursedFen + r.failedFen + r.outstandingFen);
    expect(r.counts.paid).toBeGreaterThanOrEqual(3);
    expect(r.counts.reissued).toBeGreaterThanOrEqual(1);
    const csvOut = await finance('GET', `/ledger/reconciliation?from=${today}&to=${today}&format=csv`);
    expect(csvOut.status).toBe(200);
    expect(String(csvOut.body)).toContain('项目,笔数,金额（元）');
    expect((await worker('GET', `/ledger/reconciliation?from=${today}&to=${today}`)).status).toBe(403);
  }, 120_000);

  it('is for finance and admin: others may neither start nor see bank jobs', async () => {
    const finance = await stack.as('finance1');
    expect((await finance('POST', '/imports', { kind: 'bank-result' })).status).toBe(201);
    expect((await finance('POST', '/imports', { kind: 'roster' })).status).toBe(403);
    const worker = await stack.as('worker1');
    expect((await worker('POST', '/imports', { kind: 'bank-result' })).status).toBe(403);
    const insurer = await stack.as('insurer1');
    expect((await insurer('GET', '/imports?kind=bank-result')).status).toBe(403);
  });
});
