// The bank's result file: reading rows, judging them against the claim and the roster account,
// applying them (in-memory store), the reissue after a corrected account, and the reconciliation.
import { describe, expect, it } from 'vitest';
import {
  accountSha256,
  bankReasonText,
  isBankMismatch,
  judgeBankRow,
  latestPeriod,
  parseNumberedBankCsv,
  type BankRow,
} from '#shared/bank-result.ts';
import { storeBankResults } from '#shared/bank-import.ts';
import { reconcile, reconciliationCsv, reissueClaim } from '#shared/api/bank-api.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { claimRecord, nextUlid } from '#cli/local/world.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { StateConflictError } from '#shared/errors.ts';
import { renderMessage } from '#shared/messages/render.ts';

const HEADER = 'claimId,bankAccount,amount,status,bankRef,reason';
const ACCOUNT = '6230900000000000001';
const JOB = '01JOB0000000000000000000AA';

describe('reading a bank result file', () => {
  it('reads success and failed rows, in English or Chinese, amounts to fen once', () => {
    const csv = [
      HEADER,
      `C1,${ACCOUNT},3500.00,success,REF-1,`,
      `C2,6230 9000 0000 0000 002,12.5,失败,,账户已销户`,
      `C3,${ACCOUNT},1,成功,R3,`,
      `C4,${ACCOUNT},1,FAILED,,`,
    ].join('\r\n');
    const { numbered, rejected } = parseNumberedBankCsv(`\uFEFF${csv}\r\n`);
    expect(rejected).toEqual([]);
    expect(numbered).toEqual([
      {
        row: 2,
        line: {
          claimId: 'C1',
          bankAccount: ACCOUNT,
          amountFen: 350_000,
          status: 'success',
          bankRef: 'REF-1',
        },
      },
      {
        row: 3,
        line: {
          claimId: 'C2',
          bankAccount: '6230900000000000002',
          amountFen: 1_250,
          status: 'failed',
          reason: '账户已销户',
        },
      },
      {
        row: 4,
        line: { claimId: 'C3', bankAccount: ACCOUNT, amountFen: 100, status: 'success', bankRef: 'R3' },
      },
      { row: 5, line: { claimId: 'C4', bankAccount: ACCOUNT, amountFen: 100, status: 'failed' } },
    ]);
  });

  it('refuses bad rows with codes naming the column, never the value', () => {
    const csv = [
      HEADER,
      `C1,12345,3500.001,maybe,REF 1,`,
      `C2,${ACCOUNT},10,success,,`,
      `C3,${ACCOUNT},10,success,R1,`,
      `C3,${ACCOUNT},10,failed,,`,
      `,${ACCOUNT},-1,failed,,`,
    ].join('\n');
    const { numbered, rejected } = parseNumberedBankCsv(csv);
    expect(numbered.map((n) => n.row)).toEqual([4]);
    expect(rejected).toEqual([
      {
        row: 2,
        reasons: [
          { code: 'BAD_BANK_ACCOUNT', params: { field: 'bankAccount' } },
          { code: 'AMOUNT_DECIMALS', params: { field: 'amount' } },
          { code: 'BANK_STATUS_UNKNOWN', params: { field: 'bankStatus' } },
          { code: 'BAD_BANK_REF', params: { field: 'bankRef' } },
        ],
      },
      // A transfer that arrived names the bank's reference.
      { row: 3, reasons: [{ code: 'VALUE_MISSING', params: { field: 'bankRef' } }] },
      { row: 5, reasons: [{ code: 'BANK_CLAIM_TWICE', params: { field: 'claimId', earlierRow: 4 } }] },
      {
        row: 6,
        reasons: [
          { code: 'VALUE_MISSING', params: { field: 'claimId' } },
          { code: 'AMOUNT_NEGATIVE', params: { field: 'amount' } },
        ],
      },
    ]);
    expect(JSON.stringify(rejected)).not.toContain('12345');
    expect(renderMessage(rejected[0]!.reasons[2]!, 'zh')).toBe('结果：须为 success、failed、成功 或 失败');
  });

  it('refuses a file whose header misses a column, as a whole', () => {
    const { numbered, rejected } = parseNumberedBankCsv(
      `claimId,bankAccount,amount,status\nC1,${ACCOUNT},1,success\n`,
    );
    expect(numbered).toEqual([]);
    expect(rejected[0]?.row).toBe(1);
    expect(rejected[0]?.reasons[0]?.code).toBe('HEADER_COLUMNS_MISSING');
  });

  it("keeps the bank's words but masks digit runs and control characters", () => {
    expect(bankReasonText('账号 6230 9000 0000 0000 001 已冻结\u0007')).toBe('账号 ****0001 已冻结');
    expect(bankReasonText('=cmd')).toBe("'=cmd");
    expect(bankReasonText('户名不符 12345')).toBe('户名不符 12345');
    expect(Array.from(bankReasonText('长'.repeat(500)))).toHaveLength(200);
  });
});

describe('judging a row', () => {
  const paid = (over: Partial<ClaimRecord> = {}) =>
    claimRecord({ claimId: 'C1', state: 'PAID', payoutFen: 350_000, ...over });
  const row = (over: Partial<BankRow> = {}): BankRow => ({
    claimId: 'C1',
    bankAccount: ACCOUNT,
    amountFen: 350_000,
    status: 'success',
    bankRef: 'REF-1',
    ...over,
  });
  const judge = (r: BankRow, claim: ClaimRecord | undefined, rosterAccount: string | undefined = ACCOUNT) =>
    judgeBankRow({ row: r, claim, rosterAccount, rowAccountSha256: 'h1', jobId: JOB });

  it('applies a matching row to a PAID claim', () => {
    expect(judge(row(), paid())).toEqual({ kind: 'disburse' });
    expect(judge(row({ status: 'failed' }), paid())).toEqual({ kind: 'fail' });
  });

  it('reports another account or amount as mismatched', () => {
    const account = judge(row({ bankAccount: '6230900000000000099' }), paid());
    expect(account).toMatchObject({ kind: 'mismatched', reason: { code: 'BANK_ACCOUNT_MISMATCH' } });
    const notOnRoster = judgeBankRow({
      row: row(),
      claim: paid(),
      rosterAccount: undefined,
      rowAccountSha256: 'h1',
      jobId: JOB,
    });
    expect(notOnRoster).toMatchObject({ kind: 'mismatched' });
    const amount = judge(row({ amountFen: 349_999 }), paid());
    expect(amount).toMatchObject({ kind: 'mismatched', reason: { code: 'BANK_AMOUNT_MISMATCH' } });
    expect(isBankMismatch([(amount as { reason: { code: string } }).reason])).toBe(true);
  });

  it('reports no claim, a claim without payout, or one not waiting for its transfer as unknown', () => {
    expect(judge(row(), undefined)).toMatchObject({
      kind: 'unknown',
      reason: { code: 'BANK_CLAIM_UNKNOWN' },
    });
    expect(judge(row(), paid({ payoutFen: undefined, state: 'APPROVED' }))).toMatchObject({
      kind: 'unknown',
    });
    expect(
      judge(row(), paid({ state: 'DISBURSED', disbursement: { batchRef: 'B-9', at: 't', by: 'f' } })),
    ).toEqual({
      kind: 'unknown',
      reason: { code: 'BANK_CLAIM_NOT_PAID', params: { state: 'DISBURSED' } },
    });
    expect(isBankMismatch([{ code: 'BANK_CLAIM_NOT_PAID' }])).toBe(false);
  });

  it('treats a row applied before as a no-op, by this job or another', () => {
    const done = paid({ state: 'DISBURSED', bankTransfer: { bankRef: 'REF-1', at: 't', jobId: 'OTHER' } });
    expect(judge(row(), done)).toEqual({ kind: 'repeated', byThisJob: undefined });
    expect(judge(row(), { ...done, bankTransfer: { bankRef: 'REF-1', at: 't', jobId: JOB } })).toEqual({
      kind: 'repeated',
      byThisJob: 'disbursed',
    });
    const failed = paid({
      state: 'DISBURSEMENT_FAILED',
      bankFailure: { reason: 'x', at: 't', accountSha256: 'h1' },
    });
    expect(judge(row({ status: 'failed', bankRef: undefined }), failed)).toEqual({
      kind: 'repeated',
      byThisJob: undefined,
    });
    // The same failure after a reissue (PAID again) is still the old news.
    expect(judge(row({ status: 'failed', bankRef: undefined }), { ...failed, state: 'PAID' })).toMatchObject({
      kind: 'repeated',
    });
    // A failure of another transfer (another account) is news.
    expect(
      judgeBankRow({
        row: row({ status: 'failed' }),
        claim: { ...failed, state: 'PAID' },
        rosterAccount: ACCOUNT,
        rowAccountSha256: 'h2',
        jobId: JOB,
      }),
    ).toEqual({ kind: 'fail' });
  });

  it('hashes an account per claim, digits only', async () => {
    const a = await accountSha256('C1', ACCOUNT);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await accountSha256('C1', '6230 9000-0000 0000 001')).toBe(a);
    expect(await accountSha256('C2', ACCOUNT)).not.toBe(a);
  });

  it("takes the household's latest period", () => {
    const p = (statusFrom: string, bankAccount: string) => ({ statusFrom, bankAccount }) as RosterPeriod;
    expect(
      latestPeriod([p('2024-01-01', 'A'), p('2026-03-01', 'C'), p('2025-01-01', 'B')])?.bankAccount,
    ).toBe('C');
    expect(latestPeriod([])).toBeUndefined();
  });
});

/** A store with PAID claims of HH-0001 and their ledger entries. */
async function paidWorld(n: number) {
  const store = new MemoryStore();
  const clock = { now: () => new Date('2026-11-20T02:00:00.000Z') };
  await store.put([period('2024-01-01', ACCOUNT)]);
  const claims: ClaimRecord[] = [];
  for (let i = 0; i < n; i++) {
    const claim = claimRecord({
      claimId: nextUlid(),
      state: 'PAID',
      payoutFen: 100_000 * (i + 1),
      version: 4,
    });
    claims.push(claim);
    await store.loadClaims([{ claim, events: [], ledger: entry(claim) }]);
  }
  return { store, clock, claims, deps: { claims: store, roster: store, clock } };
}

function period(statusFrom: string, bankAccount: string): RosterPeriod {
  return {
    householdId: 'HH-0001',
    region: 'demo',
    village: '红星村',
    headName: '张德胜',
    idNumber: '430381196007101077',
    members: 5,
    status: 'out_of_poverty',
    statusFrom,
    gridWorker: 'worker1',
    bankAccount,
    annualIncomeFen: 860_700,
  };
}

function entry(c: ClaimRecord): LedgerEntry {
  return {
    claimId: c.claimId,
    householdId: 'HH-0001',
    region: 'demo',
    village: '红星村',
    category: 'education',
    gridWorker: 'worker1',
    payoutFen: c.payoutFen ?? 0,
    capYear: 2026,
    policyId: 'demo',
    policyVersion: 1,
    paidAt: '2026-11-02T02:00:00.000Z',
    paidDate: '2026-11-02',
  };
}

const line = (claimId: string, over: Partial<BankRow> = {}): BankRow => ({
  claimId,
  bankAccount: ACCOUNT,
  amountFen: 100_000,
  status: 'success',
  bankRef: `REF-${claimId.slice(-4)}`,
  ...over,
});

describe('applying rows and reissuing', () => {
  it('moves claims and ledger entries, reports the rest, and changes nothing the second time', async () => {
    const { store, claims, deps } = await paidWorld(4);
    const [a, b, c, d] = claims.map((x) => x.claimId) as [string, string, string, string];
    const rows = [
      { row: 2, line: line(a) },
      {
        row: 3,
        line: line(b, { status: 'failed', amountFen: 200_000, bankRef: undefined, reason: '账户已销户' }),
      },
      { row: 4, line: line(c, { amountFen: 1 }) },
      { row: 5, line: line('NO-SUCH-CLAIM') },
      { row: 6, line: line(d, { amountFen: 400_000, bankAccount: '6230900000000000099' }) },
    ];
    const job = { jobId: JOB, createdBy: 'finance1' };
    const first = await storeBankResults(deps, rows, job);
    expect(first.outcomes).toEqual({ disbursed: 1, failed: 1 });
    expect(first.imported).toBe(2);
    expect(first.rejected.map((r) => [r.row, r.reasons[0]?.code])).toEqual([
      [4, 'BANK_AMOUNT_MISMATCH'],
      [5, 'BANK_CLAIM_UNKNOWN'],
      [6, 'BANK_ACCOUNT_MISMATCH'],
    ]);
    expect(await store.get(a)).toMatchObject({
      state: 'DISBURSED',
      bankTransfer: { bankRef: line(a).bankRef, row: 2 },
    });
    expect(store.ledger.get(a)).toMatchObject({
      bankRef: line(a).bankRef,
      disbursedAt: '2026-11-20T02:00:00.000Z',
    });
    const failed = await store.get(b);
    expect(failed).toMatchObject({
      state: 'DISBURSEMENT_FAILED',
      bankFailure: { reason: '账户已销户', row: 3 },
    });
    expect(failed?.bankFailure?.accountSha256).toBe(await accountSha256(b, ACCOUNT));
    expect(JSON.stringify(failed)).not.toContain(ACCOUNT);
    expect(store.ledger.get(b)?.failedAt).toBe('2026-11-20T02:00:00.000Z');
    expect((await store.get(c))?.state).toBe('PAID');
    expect((await store.history(a)).at(-1)).toMatchObject({
      from: 'PAID',
      to: 'DISBURSED',
      actor: 'finance1',
    });

    // Another job with the same rows: nothing applied, nothing changed.
    const before = JSON.stringify([...claims.map((x) => x.claimId)].map((id) => store.ledger.get(id)));
    const again = await storeBankResults(deps, rows, {
      jobId: '01JOB0000000000000000000BB',
      createdBy: 'finance1',
    });
    expect(again.outcomes).toEqual({ disbursed: 0, failed: 0 });
    expect(again.rejected.map((r) => r.row)).toEqual([4, 5, 6]);
    expect(JSON.stringify(claims.map((x) => store.ledger.get(x.claimId)))).toBe(before);
    // The same job's batch run again (a retry) counts what it applied the first time.
    expect((await storeBankResults(deps, rows, job)).outcomes).toEqual({ disbursed: 1, failed: 1 });
  });

  it('reissues a failed transfer only once the roster account changed, without a second payout', async () => {
    const { store, claims, deps } = await paidWorld(1);
    const id = claims[0]!.claimId;
    await storeBankResults(deps, [{ row: 2, line: line(id, { status: 'failed', bankRef: undefined }) }], {
      jobId: JOB,
      createdBy: 'finance1',
    });
    const finance = { username: 'finance1', roles: ['finance'] as const };
    const refused = await reissueClaim(deps, { ...finance, roles: [...finance.roles] }, id).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StateConflictError);
    expect((refused as StateConflictError).code).toBe('ACCOUNT_UNCHANGED');
    await expect(
      reissueClaim(deps, { username: 'worker1', roles: ['gridWorker'] }, id),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });

    await store.put([period('2026-11-15', '6230900000000000777')]);
    const ledgerSize = store.ledger.size;
    expect(await reissueClaim(deps, { ...finance, roles: [...finance.roles] }, id)).toEqual({
      claimId: id,
      state: 'PAID',
      reissues: 1,
    });
    expect(store.ledger.size).toBe(ledgerSize);
    expect(store.ledger.get(id)).toMatchObject({ reissues: 1, payoutFen: 100_000 });
    expect(store.ledger.get(id)?.failedAt).toBeUndefined();
    expect((await store.history(id)).at(-1)).toMatchObject({
      from: 'DISBURSEMENT_FAILED',
      to: 'PAID',
      actor: 'finance1',
      detail: { code: 'REISSUED', params: { n: 1 } },
    });
    const twice = await reissueClaim(deps, { ...finance, roles: [...finance.roles] }, id).catch(
      (e: unknown) => e,
    );
    expect((twice as StateConflictError).code).toBe('NOT_DISBURSEMENT_FAILED');

    // The new transfer arrives: the old failure row sent again changes nothing.
    const newRow = line(id, { bankAccount: '6230900000000000777', bankRef: 'REF-NEW' });
    const oldRow = line(id, { status: 'failed', bankRef: undefined });
    const result = await storeBankResults(
      deps,
      [
        { row: 2, line: oldRow },
        { row: 3, line: newRow },
      ],
      {
        jobId: '01JOB0000000000000000000CC',
        createdBy: 'finance1',
      },
    );
    expect(result).toMatchObject({ outcomes: { disbursed: 1, failed: 0 }, rejected: [] });
    expect(store.ledger.get(id)).toMatchObject({ bankRef: 'REF-NEW', reissues: 1 });
  });
});

describe('reconciliation', () => {
  it('splits paid into disbursed, failed and outstanding to the fen, and writes it as CSV', async () => {
    const { store, claims, deps } = await paidWorld(4);
    const [a, b] = claims.map((x) => x.claimId) as [string, string];
    await storeBankResults(
      deps,
      [
        { row: 2, line: line(a) },
        { row: 3, line: line(b, { status: 'failed', amountFen: 200_000, bankRef: undefined }) },
      ],
      { jobId: JOB, createdBy: 'finance1' },
    );
    const r = await reconcile(store, { from: '2026-11-01', to: '2026-11-30', region: 'demo' });
    expect(r).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      region: 'demo',
      paidFen: 1_000_000,
      disbursedFen: 100_000,
      failedFen: 200_000,
      outstandingFen: 700_000,
      counts: { paid: 4, disbursed: 1, failed: 1, outstanding: 2, reissued: 0 },
    });
    expect(r.paidFen).toBe(r.disbursedFen + r.failedFen + r.outstandingFen);
    const csv = reconciliationCsv(r, 'zh');
    expect(csv.startsWith('\uFEFF起始日期,截止日期,地区,项目,笔数,金额（元）\r\n')).toBe(true);
    expect(csv).toContain('2026-11-01,2026-11-30,demo,已赔付,4,10000.00\r\n');
    expect(csv).toContain(',拨付失败,1,2000.00\r\n');
    expect(reconciliationCsv(r, 'en')).toContain('From,To,Region,Item,Count,Amount (yuan)\r\n');
    expect((await reconcile(store, { from: '2026-12-01', to: '2026-12-31' })).counts.paid).toBe(0);
  });
});
