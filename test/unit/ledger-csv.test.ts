// The finance CSV export, byte for byte: the fast path (cells checked as the line is built) must
// write exactly what the straightforward version (a cells array per row, csvCell on every cell
// of a line that needs it) wrote, for ordinary rows and for rows that need neutralising or quoting.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ledgerCsv, ledgerCsvColumns, ledgerRows } from '#shared/api/ledger-api.ts';
import type { LedgerEntry } from '#shared/claim.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { fenToYuan } from '#shared/money.ts';

type Cell = string | number | undefined;

// The reference: what the export wrote before it was made faster.
function csvCell(value: Cell): string {
  const text = value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
function referenceLine(cells: Cell[]): string {
  const plain = cells.every((c) =>
    typeof c === 'string'
      ? !/^[=+\-@\t\r]/.test(c) && !/[",\r\n]/.test(c)
      : !(typeof c === 'number' && c < 0),
  );
  return plain ? cells.join(',') : cells.map(csvCell).join(',');
}
type Payee = { headName: string; bankAccount: string } | undefined;
const referenceCells = (e: LedgerEntry, p: Payee): Cell[] => [
  e.claimId,
  e.paidDate,
  e.paidAt,
  e.region,
  e.village,
  e.householdId,
  p?.headName,
  p?.bankAccount,
  e.category,
  fenToYuan(e.payoutFen),
  e.payoutFen,
  e.policyId,
  e.policyVersion,
  e.gridWorker,
  e.disbursedAt,
  e.batchRef,
];
function referenceCsv(entries: LedgerEntry[], payees: Map<string, Payee>): string {
  let out = `\uFEFF${ledgerCsvColumns.join(',')}\r\n`;
  let total = 0;
  for (const e of entries) {
    out += `${referenceLine(referenceCells(e, payees.get(e.householdId)))}\r\n`;
    total += e.payoutFen;
  }
  const totalCells: Cell[] = ledgerCsvColumns.map(() => undefined);
  totalCells[0] = 'TOTAL';
  totalCells[1] = entries.length;
  totalCells[9] = fenToYuan(total);
  totalCells[10] = total;
  return `${out}${referenceLine(totalCells)}\r\n`;
}

function period(
  householdId: string,
  headName: string,
  bankAccount: string,
  statusFrom: string,
): RosterPeriod {
  return {
    householdId,
    region: 'demo',
    village: '红星村',
    headName,
    idNumber: '430381195001010011',
    members: 4,
    status: 'out_of_poverty',
    statusFrom,
    gridWorker: 'worker1',
    bankAccount,
    annualIncomeFen: 860_000,
  };
}

function rosterOf(payees: Map<string, Payee>) {
  let queries = 0;
  return {
    get queries() {
      return queries;
    },
    async periods(householdId: string): Promise<RosterPeriod[]> {
      queries += 1;
      const p = payees.get(householdId);
      return p ? [period(householdId, p.headName, p.bankAccount, '2024-01-01')] : [];
    },
  };
}

async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function csvOf(entries: LedgerEntry[], roster: { periods(id: string): Promise<RosterPeriod[]> }) {
  let out = '';
  for await (const chunk of ledgerCsv(from(entries), roster)) out += chunk;
  return out;
}

const entry = (i: number, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  claimId: `01JC${String(i).padStart(22, '0')}`,
  householdId: `HH-${String(i % 7).padStart(4, '0')}`,
  region: 'demo',
  village: '红星村',
  category: 'education',
  gridWorker: 'worker1',
  payoutFen: 350_000 + i,
  capYear: 2026,
  policyId: 'demo',
  policyVersion: 1,
  paidAt: '2026-09-02T01:02:03.000Z',
  paidDate: '2026-09-02',
  ...over,
});

describe('ledger CSV export', () => {
  it('writes the BOM, header, rows and control total exactly', async () => {
    const payees = new Map<string, Payee>([
      ['HH-0001', { headName: '张德胜', bankAccount: '6230900000000000001' }],
    ]);
    const csv = await csvOf(
      [entry(1), entry(2, { disbursedAt: '2026-09-03T00:00:00.000Z', batchRef: 'B-1', payoutFen: 5 })],
      rosterOf(payees),
    );
    expect(csv).toBe(
      '\uFEFFclaimId,paidDate,paidAt,region,village,householdId,headName,bankAccount,category,payoutYuan,payoutFen,policyId,policyVersion,gridWorker,disbursedAt,batchRef\r\n' +
        '01JC0000000000000000000001,2026-09-02,2026-09-02T01:02:03.000Z,demo,红星村,HH-0001,张德胜,6230900000000000001,education,3500.01,350001,demo,1,worker1,,\r\n' +
        '01JC0000000000000000000002,2026-09-02,2026-09-02T01:02:03.000Z,demo,红星村,HH-0002,,,education,0.05,5,demo,1,worker1,2026-09-03T00:00:00.000Z,B-1\r\n' +
        'TOTAL,2,,,,,,,,3500.06,350006,,,,,\r\n',
    );
  });

  it('neutralises formulas and quotes cells exactly as before', async () => {
    const payees = new Map<string, Payee>([
      ['HH-0001', { headName: '=HYPERLINK("x")', bankAccount: '62309,1' }],
      ['HH-0002', { headName: '@SUM(A1)', bankAccount: '+86' }],
      ['HH-0003', { headName: '\t张', bankAccount: 'a"b' }],
    ]);
    const entries = [
      entry(1),
      entry(2, { village: '村\r\n二', batchRef: '-1' }),
      entry(3, { policyVersion: -1 }),
      entry(4, { region: '"quoted"' }),
      entry(5),
    ];
    expect(await csvOf(entries, rosterOf(payees))).toBe(referenceCsv(entries, payees));
    const csv = await csvOf(entries, rosterOf(payees));
    expect(csv).toContain(`,"'=HYPERLINK(""x"")","62309,1",`);
    expect(csv).toContain(`,"村\r\n二",HH-0002,'@SUM(A1),'+86,`);
    expect(csv).toContain(`,demo,'-1,worker1,`);
    expect(csv).toContain(`,"""quoted""",`);
  });

  it('matches the reference on any text', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.stringMatching(/^[=+\-@\t\r",\n a-z0-9张]{0,6}$/),
      fc.constant(''),
    );
    const arbEntry = fc.record({
      claimId: text,
      householdId: fc.constantFrom('HH-0001', 'HH-0002', 'HH-0003'),
      region: text,
      village: text,
      category: fc.constantFrom('education', 'medical'),
      gridWorker: text,
      payoutFen: fc.integer({ min: 1, max: 1_000_000_000 }),
      capYear: fc.constant(2026),
      policyId: text,
      policyVersion: fc.integer({ min: -3, max: 5 }),
      paidAt: text,
      paidDate: text,
      disbursedAt: fc.option(text, { nil: undefined }),
      batchRef: fc.option(text, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbEntry, { maxLength: 20 }),
        text,
        text,
        async (raw, headName, bankAccount) => {
          const entries = raw.map((e) => {
            const copy: LedgerEntry = { ...e } as LedgerEntry;
            if (copy.disbursedAt === undefined) delete copy.disbursedAt;
            if (copy.batchRef === undefined) delete copy.batchRef;
            return copy;
          });
          const payees = new Map<string, Payee>([
            ['HH-0001', { headName, bankAccount }],
            ['HH-0002', { headName: bankAccount, bankAccount: headName }],
          ]);
          expect(await csvOf(entries, rosterOf(payees))).toBe(referenceCsv(entries, payees));
          const rows: Cell[][] = [];
          for await (const row of ledgerRows(from(entries), rosterOf(payees))) rows.push(row.cells);
          expect(rows.slice(0, -1)).toEqual(entries.map((e) => referenceCells(e, payees.get(e.householdId))));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds every payee across many batches and households, looking each up at most once per batch', async () => {
    const payees = new Map<string, Payee>();
    for (let h = 0; h < 9000; h++)
      payees.set(`HH-${h}`, { headName: `户主${h}`, bankAccount: `62309${String(h).padStart(14, '0')}` });
    // Households revisited after thousands of others: whatever the cache holds, none may go missing.
    const entries = Array.from({ length: 30_000 }, (_, i) =>
      entry(i, { householdId: `HH-${(i * 7) % 9000}` }),
    );
    const roster = rosterOf(payees);
    expect(await csvOf(entries, roster)).toBe(referenceCsv(entries, payees));
    expect(roster.queries).toBeLessThanOrEqual(entries.length);
  });

  it('takes the latest roster period for the payee', async () => {
    const roster = {
      async periods(householdId: string): Promise<RosterPeriod[]> {
        return [
          period(householdId, '旧户主', '1', '2023-01-01'),
          period(householdId, '新户主', '2', '2025-01-01'),
          period(householdId, '中户主', '3', '2024-01-01'),
        ];
      },
    };
    const rows: Cell[][] = [];
    for await (const row of ledgerRows(from([entry(1)]), roster)) rows.push(row.cells);
    expect(rows[0]?.slice(6, 8)).toEqual(['新户主', '2']);
  });
});
