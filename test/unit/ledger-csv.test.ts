// The finance CSV export: Chinese headers by default, one line per payout, amounts as plain yuan,
// China time, and every identifier that looks like a number kept as text (a quoted cell that
// starts with a tab), while formula-like text is still neutralised.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chinaDateTime,
  csvText,
  ledgerCsv,
  ledgerCsvHeader,
  ledgerRows,
  ledgerRowCells,
} from '#shared/api/ledger-api.ts';
import type { LedgerEntry } from '#shared/claim.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { parseYuan } from '#shared/money.ts';
import { ledgerColumnLabels, ledgerColumns } from '#shared/vocabulary.ts';

type Payee = { headName: string; bankAccount: string } | undefined;

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

async function csvOf(
  entries: LedgerEntry[],
  roster: { periods(id: string): Promise<RosterPeriod[]> },
  lang: 'zh' | 'en' = 'zh',
) {
  let out = '';
  for await (const chunk of ledgerCsv(from(entries), roster, { lang })) out += chunk;
  return out;
}

/** RFC 4180 records (CRLF or LF ends, "" inside quotes), as a strict machine reader sees them. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || record.length > 0) records.push([...record, cell]);
  return records;
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
  policyId: 'demo-fangpin',
  policyVersion: 1,
  paidAt: '2026-09-02T01:02:03.000Z',
  paidDate: '2026-09-02',
  ...over,
});

describe('ledger CSV export', () => {
  it('writes the BOM, Chinese header and rows exactly, with no total line', async () => {
    const payees = new Map<string, Payee>([
      ['HH-0001', { headName: '张德胜', bankAccount: '6230900000000000001' }],
    ]);
    const csv = await csvOf(
      [
        entry(1),
        entry(2, {
          disbursedAt: '2026-09-03T16:30:00.000Z',
          batchRef: '20260904001',
          payoutFen: 5,
          category: 'medical',
        }),
      ],
      rosterOf(payees),
    );
    expect(csv).toBe(
      '\uFEFF理赔编号,赔付时间（北京时间）,地区,村,农户编号,户主姓名,银行账号,类别,赔付金额（元）,状态,政策编号,政策版本,网格员,拨付时间（北京时间）,银行批次号\r\n' +
        '01JC0000000000000000000001,2026-09-02 09:02:03,示范县,红星村,HH-0001,张德胜,"\t6230900000000000001",因学,3500.01,已赔付，等待拨付,demo-fangpin,1,worker1,,\r\n' +
        '01JC0000000000000000000002,2026-09-02 09:02:03,示范县,红星村,HH-0002,,,因病,0.05,已拨付到账,demo-fangpin,1,worker1,2026-09-04 00:30:00,"\t20260904001"\r\n',
    );
  });

  it('writes English headers and words with lang en', async () => {
    const csv = await csvOf([entry(1)], rosterOf(new Map()), 'en');
    const [header, row] = parseCsv(csv.slice(1));
    expect(header).toEqual(ledgerColumns.map((c) => ledgerColumnLabels[c].en));
    expect(row).toContain('Demo county');
    expect(row).toContain('Education');
    expect(row).toContain('Paid, awaiting transfer');
    expect(ledgerCsvHeader('zh')).not.toMatch(/[A-Za-z]/);
  });

  it('names each payout state in the export language: paid, transferred, transfer failed, sent again', async () => {
    const entries = [
      entry(1),
      entry(2, { disbursedAt: '2026-09-03T01:00:00.000Z', batchRef: 'B-1' }),
      entry(3, { failedAt: '2026-09-04T01:00:00.000Z', batchRef: 'B-2' }),
      // Sent again after the failure (failedAt cleared), then transferred.
      entry(4, { reissues: 1, disbursedAt: '2026-09-05T01:00:00.000Z', batchRef: 'B-3' }),
    ];
    const state = ledgerColumns.indexOf('state');
    const zh = parseCsv((await csvOf(entries, rosterOf(new Map()))).slice(1)).slice(1);
    expect(zh.map((r) => r[state])).toEqual(['已赔付，等待拨付', '已拨付到账', '拨付失败', '已拨付到账']);
    const en = parseCsv((await csvOf(entries, rosterOf(new Map()), 'en')).slice(1)).slice(1);
    expect(en.map((r) => r[state])).toEqual([
      'Paid, awaiting transfer',
      'Transferred to the household',
      'Transfer failed',
      'Transferred to the household',
    ]);
  });

  it('shows the region code when no policy names it', async () => {
    const rows = [];
    for await (const row of ledgerRows(
      from([entry(1, { policyId: 'gone', region: 'north' })]),
      rosterOf(new Map()),
    ))
      rows.push(row);
    expect(rows[0]?.[2]).toBe('north');
  });

  it('writes times in China time, one column each', () => {
    expect(chinaDateTime('2026-12-31T16:00:00.000Z')).toBe('2027-01-01 00:00:00');
    expect(chinaDateTime('2026-09-02T01:02:03Z')).toBe('2026-09-02 09:02:03');
    expect(chinaDateTime('not a time')).toBe('not a time');
  });

  it('neutralises formulas and quotes cells', () => {
    expect(csvText('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvText('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(csvText('-2+3+cmd|calc')).toBe(`'-2+3+cmd|calc`);
    expect(csvText('村\r\n二')).toBe(`"村\r\n二"`);
    expect(csvText('62309,1')).toBe(`"\t62309,1"`);
    expect(csvText('-1')).toBe(`"\t-1"`);
    expect(csvText('HH-0001')).toBe('HH-0001');
  });

  it('reads back, cell for cell, on any text; amounts sum to the fen', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.stringMatching(/^[=+\-@\t\r",\n a-z0-9张.:/]{0,8}$/),
      fc.stringMatching(/^\d{1,20}$/),
      fc.constant(''),
    );
    const arbEntry = fc.record({
      claimId: text,
      householdId: fc.constantFrom('HH-0001', 'HH-0002', 'HH-0003'),
      region: text,
      village: text,
      category: fc.constantFrom('education', 'medical', 'disaster', 'industry'),
      gridWorker: text,
      payoutFen: fc.integer({ min: 1, max: 1_000_000_000 }),
      capYear: fc.constant(2026),
      policyId: text,
      policyVersion: fc.integer({ min: 1, max: 5 }),
      paidAt: fc.oneof(
        fc
          .integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 })
          .map((ms) => new Date(ms).toISOString()),
        text,
      ),
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
          const csv = await csvOf(entries, rosterOf(payees));
          const records = parseCsv(csv.slice(1));
          expect(records).toHaveLength(entries.length + 1);
          let fen = 0;
          entries.forEach((e, r) => {
            const cells = ledgerRowCells(e, payees.get(e.householdId), 'zh', e.region);
            const read = records[r + 1] ?? [];
            expect(read).toHaveLength(ledgerColumns.length);
            cells.forEach((cell, c) => {
              const got = read[c] ?? '';
              if (cell === undefined) expect(got).toBe('');
              else if (ledgerColumns[c] === 'payoutYuan') {
                const parsed = parseYuan(got);
                expect(parsed).toEqual({ ok: true, fen: cell });
                if (parsed.ok) fen += parsed.fen;
              } else if (typeof cell === 'number') expect(got).toBe(String(cell));
              // What a reader gets back: the text, after a tab if it looks like a number, after
              // a quote mark if it starts like a formula.
              else expect([cell, `\t${cell}`, `'${cell}`]).toContain(got);
            });
          });
          expect(fen).toBe(entries.reduce((s, e) => s + e.payoutFen, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every bank account whole: quoted, after a tab', async () => {
    const payees = new Map<string, Payee>();
    for (let h = 0; h < 7; h++)
      payees.set(`HH-${String(h).padStart(4, '0')}`, {
        headName: '户主',
        bankAccount: `62309${String(h).padStart(14, '0')}`,
      });
    const csv = await csvOf(
      Array.from({ length: 20 }, (_, i) => entry(i)),
      rosterOf(payees),
    );
    const records = parseCsv(csv.slice(1)).slice(1);
    const col = ledgerColumns.indexOf('bankAccount');
    for (const r of records) expect(r[col]).toMatch(/^\t62309\d{14}$/);
    expect(csv).toContain(',"\t6230900000000000003",');
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
    let i = 0;
    for await (const row of ledgerRows(from(entries), roster)) {
      const p = payees.get((entries[i] as LedgerEntry).householdId);
      expect([row[5], row[6]]).toEqual([p?.headName, p?.bankAccount]);
      i++;
    }
    expect(i).toBe(entries.length);
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
    const rows = [];
    for await (const row of ledgerRows(from([entry(1)]), roster)) rows.push(row);
    expect(rows[0]?.slice(5, 7)).toEqual(['新户主', '2']);
  });
});
