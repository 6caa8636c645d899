// The finance exports as LibreOffice Calc reads them. Both files are converted with LibreOffice
// headless (one start per input kind) and read back: every 19-digit bank account whole, the
// amounts summing to the control total to the fen, the headers in Chinese. The CSV is opened
// with the options of Calc's own import dialog when left as they come (comma, semicolon and tab
// separators; formulas not evaluated; quoted fields not forced to text; UTF-8 chosen). The XLSX
// total is read twice: as cached, and from a copy without the cached value, which Calc must
// calculate from the SUM formula.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDateTime, ledgerCsv, ledgerRows } from '#shared/api/ledger-api.ts';
import { writeLedgerXlsx } from '#functions/adapters/ledger-xlsx.ts';
import type { LedgerEntry } from '#shared/claim.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { fenToYuan, formatFen, parseYuan } from '#shared/money.ts';
import { ledgerColumnLabels, ledgerColumns } from '#shared/vocabulary.ts';

const soffice = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'soffice'))
  .find((path) => existsSync(path));
const onCi = Boolean(process.env.CI);
if (!soffice && !onCi)
  console.warn(
    'SKIPPED ledger-libreoffice: soffice (LibreOffice) is not on PATH; install libreoffice-calc-nogui to run it. On CI it must run.',
  );

const ROWS = 240;
const account = (i: number) => `${i % 5 === 0 ? '0' : '6'}2309${String(i * 7919).padStart(14, '0')}`;

const paidAtOf = (i: number) =>
  `2026-09-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00.000Z`;

async function* entriesOf(): AsyncGenerator<LedgerEntry> {
  for (let i = 0; i < ROWS; i++) {
    yield {
      claimId: `01JC${String(i).padStart(22, '0')}`,
      householdId: `HH-${String(i).padStart(4, '0')}`,
      region: 'demo',
      village: i % 2 ? '红星村' : '和平村',
      category: (['education', 'medical', 'disaster', 'industry'] as const)[i % 4] ?? 'education',
      gridWorker: 'worker1',
      // Odd fen and large amounts: float sums of these drift, a fen-exact total must not.
      payoutFen: i % 3 === 0 ? 1 + i : 812_000 + i * 10_001,
      capYear: 2026,
      policyId: 'demo-fangpin',
      policyVersion: 1,
      paidAt: paidAtOf(i),
      paidDate: '2026-09-01',
      ...(i % 4 === 0 ? { disbursedAt: '2026-09-30T02:00:00.000Z', batchRef: `2026093000${i}` } : {}),
    };
  }
}
const roster = {
  async periods(householdId: string): Promise<RosterPeriod[]> {
    const i = Number(householdId.slice(3));
    return [
      {
        householdId,
        region: 'demo',
        village: '红星村',
        headName: `户主${i}`,
        idNumber: '430381195001010011',
        members: 3,
        status: 'out_of_poverty',
        statusFrom: '2024-01-01',
        gridWorker: 'worker1',
        bankAccount: account(i),
        annualIncomeFen: 860_000,
      },
    ];
  },
};

let work = '';
const controlFen = Array.from({ length: ROWS }, (_, i) =>
  i % 3 === 0 ? 1 + i : 812_000 + i * 10_001,
).reduce((s, f) => s + f, 0);
const headersZh = ledgerColumns.map((c) => ledgerColumnLabels[c].zh);
const col = (c: (typeof ledgerColumns)[number]) => ledgerColumns.indexOf(c);

async function convert(args: string[]): Promise<void> {
  await promisify(execFile)(
    soffice ?? 'soffice',
    [`-env:UserInstallation=file://${join(work, 'profile')}`, '--headless', '--norestore', ...args],
    { cwd: work, env: { ...process.env, HOME: work }, timeout: 90_000 },
  );
}

const readCsv = async (path: string): Promise<string[][]> =>
  parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];

/** Decimal yuan as shown ("8,120.00") to fen, exactly. */
function fenOf(shown: string | undefined): number {
  const parsed = parseYuan((shown ?? '').replace(/,/g, ''));
  if (!parsed.ok) throw new Error(`not an amount: ${JSON.stringify(shown)}`);
  return parsed.fen;
}

describe.skipIf(!soffice && !onCi)('ledger exports in LibreOffice Calc', () => {
  let fromCsv: string[][] = [];
  let fromXlsx: string[][] = [];
  let recalculated: string[][] = [];

  beforeAll(async () => {
    if (!soffice)
      throw new Error('soffice (LibreOffice) is not installed; CI must install libreoffice-calc-nogui');
    work = await mkdtemp(join(tmpdir(), 'ledger-lo-'));
    let csv = '';
    for await (const chunk of ledgerCsv(entriesOf(), roster)) csv += chunk;
    await writeFile(join(work, 'ledger.csv'), csv);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeLedgerXlsx(ledgerRows(entriesOf(), roster), sink);
    const xlsx = Buffer.concat(chunks);
    await writeFile(join(work, 'ledger.xlsx'), xlsx);
    // The same workbook without the total's cached value: Calc has only the formula to go on.
    const parts = unzipSync(xlsx);
    const sheet = strFromU8(parts['xl/worksheets/sheet1.xml'] ?? new Uint8Array());
    const stripped = sheet.replace(/(<f>SUM\([^<]*\)<\/f>)<v>[^<]*<\/v>/, '$1');
    expect(stripped).not.toBe(sheet);
    parts['xl/worksheets/sheet1.xml'] = strToU8(stripped);
    await writeFile(join(work, 'ledger-formula.xlsx'), zipSync(parts));

    // Cell contents as shown (formats applied), UTF-8, comma, quote.
    const asShown = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true';
    // The CSV with Calc's import dialog defaults: separators , ; and tab, quote ", UTF-8 (the
    // one choice made), from line 1, no column types, quoted fields not forced to text, no
    // special numbers, spaces kept, formulas not evaluated.
    await convert([
      '--infilter=Text - txt - csv (StarCalc):44/59/9,34,76,1,,0,false,false,false,false,false,,false',
      '--convert-to',
      asShown,
      '--outdir',
      join(work, 'from-csv'),
      'ledger.csv',
    ]);
    await convert([
      '--convert-to',
      asShown,
      '--outdir',
      join(work, 'from-xlsx'),
      'ledger.xlsx',
      'ledger-formula.xlsx',
    ]);
    fromCsv = await readCsv(join(work, 'from-csv', 'ledger.csv'));
    fromXlsx = await readCsv(join(work, 'from-xlsx', 'ledger.csv'));
    recalculated = await readCsv(join(work, 'from-xlsx', 'ledger-formula.csv'));
  }, 180_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('CSV: Chinese headers, every bank account whole, amounts summing to the control total', () => {
    expect(fromCsv[0]).toEqual(headersZh);
    const rows = fromCsv.slice(1);
    expect(rows).toHaveLength(ROWS);
    rows.forEach((row, i) => {
      // The cell is text: the tab that kept it so, then all 19 digits.
      expect(row[col('bankAccount')]).toBe(`\t${account(i)}`);
      expect(row[col('batchRef')]).toBe(i % 4 === 0 ? `\t2026093000${i}` : '');
      expect(row[col('paidAt')]).toBe(chinaDateTime(paidAtOf(i)));
      expect(row).toHaveLength(headersZh.length);
    });
    const sum = rows.reduce((s, row) => s + fenOf(row[col('payoutYuan')]), 0);
    expect(sum).toBe(controlFen);
  });

  it('XLSX: Chinese headers, accounts as text, amounts and the SUM total equal to the control total', () => {
    expect(fromXlsx[0]).toEqual(headersZh);
    const rows = fromXlsx.slice(1, -1);
    expect(rows).toHaveLength(ROWS);
    rows.forEach((row, i) => {
      expect(row[col('bankAccount')]).toBe(account(i));
      // China time, shown through yyyy-mm-dd hh:mm:ss.
      expect(row[col('paidAt')]).toBe(chinaDateTime(paidAtOf(i)));
      // A number shown through #,##0.00 (text would show as written: no thousands separator).
      const fen = fenOf(row[col('payoutYuan')]);
      expect(row[col('payoutYuan')]).toBe(formatFen(fen).slice(1));
    });
    const sum = rows.reduce((s, row) => s + fenOf(row[col('payoutYuan')]), 0);
    expect(sum).toBe(controlFen);
    const total = fromXlsx.at(-1) ?? [];
    expect(total[0]).toBe(`合计（${ROWS} 笔）`);
    // Shown with the amount format: thousands separators, two decimals.
    expect(total[col('payoutYuan')]).toBe(formatFen(controlFen).slice(1));
    expect(fenOf(total[col('payoutYuan')])).toBe(controlFen);
    // Calculated by Calc from the formula alone.
    expect(fenOf(recalculated.at(-1)?.[col('payoutYuan')])).toBe(controlFen);
    expect(fenToYuan(controlFen)).toMatch(/\.\d{2}$/);
  });
});
