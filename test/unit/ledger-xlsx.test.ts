// The XLSX export as a spreadsheet program reads it: a ZIP whose parts unzip (CRCs checked), a
// workbook naming one sheet, and that sheet holding the header, every row and the total, escaped.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { strFromU8, unzipSync } from 'fflate';
import { ledgerXlsxBuffer, writeLedgerXlsx } from '#functions/adapters/ledger-xlsx.ts';
import { ledgerCsvColumns, type LedgerRowItem } from '#shared/api/ledger-api.ts';

async function* rowsOf(items: readonly LedgerRowItem[]): AsyncGenerator<LedgerRowItem> {
  for (const item of items) yield item;
}

function entry(i: number): LedgerRowItem {
  return {
    kind: 'entry',
    cells: [`CLM-${i}`, '2026-09-01', '2026-09-01T08:00:00Z', 'demo', '红星村', `HH-${i}`, '张德胜', '6230'],
  };
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
  it('is a package whose sheet holds the header, the rows and the bold total', async () => {
    const total: LedgerRowItem = {
      kind: 'total',
      cells: ['TOTAL', 2, ...Array<undefined>(7).fill(undefined), '100.00', 10_000],
    };
    const weird: LedgerRowItem = { kind: 'entry', cells: ['a<b & c>', ' padded ', 'x\u0001y', 42] };
    const parts = unzip(await ledgerXlsxBuffer(rowsOf([entry(1), weird, total])));
    expect([...parts.keys()].sort()).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'xl/_rels/workbook.xml.rels',
      'xl/styles.xml',
      'xl/workbook.xml',
      'xl/worksheets/sheet1.xml',
    ]);
    expect(parts.get('xl/workbook.xml')).toContain('<sheet name="赔付台账 ledger" sheetId="1" r:id="rId1"/>');
    const sheet = parts.get('xl/worksheets/sheet1.xml') ?? '';
    expect(sheet).toContain(`<c r="A1" s="1" t="inlineStr"><is><t>${ledgerCsvColumns[0]}</t></is></c>`);
    expect(sheet).toContain('<c r="E2" t="inlineStr"><is><t>红星村</t></is></c>');
    expect(sheet).toContain('<c r="A3" t="inlineStr"><is><t>a&lt;b &amp; c&gt;</t></is></c>');
    expect(sheet).toContain('<t xml:space="preserve"> padded </t>');
    expect(sheet).toContain('<t>xy</t>');
    expect(sheet).toContain('<c r="D3"><v>42</v></c>');
    expect(sheet).toContain('<c r="K4" s="1"><v>10000</v></c>');
    expect(sheet.endsWith('</sheetData></worksheet>')).toBe(true);
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
    expect(sheet.match(/<row /g)?.length).toBe(items.length + 1);
    expect(sheet).toContain('<row r="5001"><c r="A5001" t="inlineStr"><is><t>CLM-4999</t>');
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
