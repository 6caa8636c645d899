// The XLSX export as a spreadsheet program reads it: a ZIP whose parts unzip (CRCs checked), a
// workbook naming one sheet, and that sheet holding the header, every row (amounts as numbers,
// accounts as text cells in the text format), and a SUM total whose cached value is the fen total.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { strFromU8, unzipSync } from 'fflate';
import { ledgerXlsxBuffer, writeLedgerXlsx } from '#functions/adapters/ledger-xlsx.ts';
import fc from 'fast-check';
import { dateTimeSerial } from '#functions/adapters/ledger-xlsx.ts';
import type { LedgerRow } from '#shared/api/ledger-api.ts';
import { fenToYuan } from '#shared/money.ts';
import { ledgerColumnLabels } from '#shared/vocabulary.ts';

async function* rowsOf(items: readonly LedgerRow[]): AsyncGenerator<LedgerRow> {
  for (const item of items) yield item;
}

function entry(i: number, fen = 350_000 + i): LedgerRow {
  return [
    `CLM-${i}`,
    '2026-09-01 08:00:00',
    '示范县',
    '红星村',
    `HH-${i}`,
    '张德胜',
    `62309${String(i).padStart(14, '0')}`,
    '因学',
    fen,
    '已赔付，等待拨付',
    'demo-fangpin',
    1,
    'worker1',
  ];
}

/** Cell XML by reference (A1 ...). */
function cellsOf(sheet: string): Map<string, string> {
  const cells = new Map<string, string>();
  for (const m of sheet.matchAll(/<c r="([A-Z]+\d+)"[^>]*?(?:\/>|>.*?<\/c>)/g)) cells.set(m[1] ?? '', m[0]);
  return cells;
}

/** Parts by name, after checking each stored CRC-32 against the unzipped bytes. */
function unzip(bytes: Uint8Array): Map<string, string> {
  const parts = new Map<string, string>();
  const files = unzipSync(bytes);
  // Central directory entries: signature, then CRC at +16 and the name at +46.
  const view = Buffer.from(bytes);
  // The end of central directory record (no comment): entry count and where the directory starts.
  const end = view.length - 22;
  expect(view.readUInt32LE(end)).toBe(0x06054b50);
  const count = view.readUInt16LE(end + 10);
  let at = view.readUInt32LE(end + 16);
  let checked = 0;
  for (let i = 0; i < count; i++) {
    expect(view.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = view.readUInt16LE(at + 28);
    const name = view.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const data = files[name];
    expect(data, name).toBeDefined();
    expect(view.readUInt32LE(at + 16), `crc of ${name}`).toBe(crc32(data ?? new Uint8Array()) >>> 0);
    checked++;
    at += 46 + nameLength + view.readUInt16LE(at + 30) + view.readUInt16LE(at + 32);
  }
  for (const [name, data] of Object.entries(files)) parts.set(name, strFromU8(data));
  expect(checked).toBe(parts.size);
  return parts;
}

describe('ledger XLSX', () => {
  it('is a package whose sheet holds the header, typed rows and the SUM total', async () => {
    const weird: LedgerRow = ['a<b & c>', ' padded ', 'x\u0001y', undefined, undefined, undefined, '0012'];
    const parts = unzip(await ledgerXlsxBuffer(rowsOf([entry(1), weird, entry(2, 5)])));
    expect([...parts.keys()].sort()).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'xl/_rels/workbook.xml.rels',
      'xl/styles.xml',
      'xl/workbook.xml',
      'xl/worksheets/sheet1.xml',
    ]);
    expect(parts.get('xl/workbook.xml')).toContain('<sheet name="赔付台账" sheetId="1" r:id="rId1"/>');
    const styles = parts.get('xl/styles.xml') ?? '';
    expect(styles).toContain('<numFmt numFmtId="164" formatCode="#,##0.00"/>');
    // cellXfs 2 is the text format @ (built-in 49), 3 the yuan amount.
    const xfs = [...(styles.split('<cellXfs')[1] ?? '').matchAll(/<xf [^>]*>/g)].map((m) => m[0]);
    expect(xfs[2]).toContain('numFmtId="49"');
    expect(xfs[3]).toContain('numFmtId="164"');
    expect(xfs[5]).toContain('numFmtId="164"');
    const sheet = parts.get('xl/worksheets/sheet1.xml') ?? '';
    expect(sheet).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    const cells = cellsOf(sheet);
    expect(cells.get('A1')).toBe(
      `<c r="A1" s="1" t="inlineStr"><is><t>${ledgerColumnLabels.claimId.zh}</t></is></c>`,
    );
    expect(cells.get('I1')).toContain('赔付金额（元）');
    expect(cells.get('G2')).toBe('<c r="G2" s="2" t="inlineStr"><is><t>6230900000000000001</t></is></c>');
    expect(cells.get('I2')).toBe('<c r="I2" s="3"><v>3500.01</v></c>');
    expect(cells.get('B2')).toBe(`<c r="B2" s="4"><v>${dateTimeSerial('2026-09-01 08:00:00')}</v></c>`);
    expect(cells.get('L2')).toBe('<c r="L2"><v>1</v></c>');
    expect(cells.get('A3')).toBe('<c r="A3" s="2" t="inlineStr"><is><t>a&lt;b &amp; c&gt;</t></is></c>');
    expect(cells.get('B3')).toContain('<t xml:space="preserve"> padded </t>');
    expect(cells.get('C3')).toContain('<t>xy</t>');
    expect(cells.get('G3')).toBe('<c r="G3" s="2" t="inlineStr"><is><t>0012</t></is></c>');
    expect(cells.get('I4')).toBe('<c r="I4" s="3"><v>0.05</v></c>');
    expect(cells.get('A5')).toBe('<c r="A5" s="1" t="inlineStr"><is><t>合计（3 笔）</t></is></c>');
    expect(cells.get('I5')).toBe('<c r="I5" s="5"><f>SUM(I2:I4)</f><v>3500.06</v></c>');
    expect(sheet.endsWith('</sheetData></worksheet>')).toBe(true);
  });

  it('labels the sheet and total in English with lang en; an empty ledger totals 0 without a formula', async () => {
    const parts = unzip(await ledgerXlsxBuffer(rowsOf([]), { lang: 'en' }));
    expect(parts.get('xl/workbook.xml')).toContain('<sheet name="Payout ledger"');
    const cells = cellsOf(parts.get('xl/worksheets/sheet1.xml') ?? '');
    expect(cells.get('A1')).toContain('<t>Claim ID</t>');
    expect(cells.get('A2')).toContain('<t>Total (0 payouts)</t>');
    expect(cells.get('I2')).toBe('<c r="I2" s="5"><v>0</v></c>');
  });

  it("caches the fen total exactly: the SUM's value is the sum of the amounts, to the fen", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 1_000_000_000 }), { maxLength: 40 }),
        async (fens) => {
          const sheet =
            unzip(await ledgerXlsxBuffer(rowsOf(fens.map((f, i) => entry(i, f))))).get(
              'xl/worksheets/sheet1.xml',
            ) ?? '';
          const cells = cellsOf(sheet);
          const amounts = fens.map((_, i) => /<v>([\d.]+)<\/v>/.exec(cells.get(`I${i + 2}`) ?? '')?.[1]);
          expect(amounts).toEqual(fens.map(fenToYuan));
          const total = fens.reduce((s, f) => s + f, 0);
          expect(cells.get(`I${fens.length + 2}`)).toContain(`<v>${fens.length ? fenToYuan(total) : 0}</v>`);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('writes China wall-clock times as date-time serials', () => {
    expect(dateTimeSerial('1970-01-01 00:00:00')).toBe(25_569);
    expect(dateTimeSerial('2026-09-01 12:00:00')).toBe(25_569 + 20_697.5);
    expect(dateTimeSerial('2026-09-01T12:00:00Z')).toBeUndefined();
  });

  it('streams many rows through a slow destination without losing or reordering bytes', async () => {
    const items = Array.from({ length: 5_000 }, (_, i) => entry(i));
    const chunks: Buffer[] = [];
    let writes = 0;
    // A tiny buffer that drains late: every write waits for 'drain'.
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        writes++;
        chunks.push(Buffer.from(chunk));
        setImmediate(done);
      },
    });
    const finished = new Promise<void>((resolve, reject) => slow.on('finish', resolve).on('error', reject));
    await writeLedgerXlsx(rowsOf(items), slow);
    await finished;
    expect(writes).toBeGreaterThan(10);
    const bytes = Buffer.concat(chunks);
    const sheet = unzip(bytes).get('xl/worksheets/sheet1.xml') ?? '';
    expect(sheet.match(/<row /g)?.length).toBe(items.length + 2);
    expect(sheet).toContain('<row r="5001"><c r="A5001" s="2" t="inlineStr"><is><t>CLM-4999</t>');
    // Same rows, same sheet, whether buffered or streamed.
    const buffered = unzip(await ledgerXlsxBuffer(rowsOf(items))).get('xl/worksheets/sheet1.xml') ?? '';
    expect(createHash('sha256').update(buffered).digest('hex')).toBe(
      createHash('sha256').update(sheet).digest('hex'),
    );
  });

  it('fails, instead of hanging, when the destination fails', async () => {
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, done) {
        setImmediate(() => done(new Error('upload failed')));
      },
    });
    broken.on('error', () => undefined);
    const items = Array.from({ length: 5_000 }, (_, i) => entry(i));
    await expect(writeLedgerXlsx(rowsOf(items), broken)).rejects.toThrow(/upload failed/);
  });
});
