// The ledger as an XLSX workbook, written row by row with exceljs's streaming writer so memory
// stays flat however many payouts there are.
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { ledgerCsvColumns, type LedgerRow } from '#shared/api/ledger-api.ts';

export async function writeLedgerXlsx(
  rows: AsyncIterable<{ kind: 'entry' | 'total'; cells: LedgerRow }>,
  out: Writable,
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useSharedStrings: false,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet('赔付台账 ledger', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = ledgerCsvColumns.map((header) => ({
    header,
    key: header,
    width: header === 'claimId' || header === 'bankAccount' ? 28 : 14,
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for await (const row of rows) {
    const added = sheet.addRow(row.cells.map((c) => c ?? null));
    if (row.kind === 'total') added.font = { bold: true };
    added.commit();
  }
  sheet.commit();
  await workbook.commit();
}

/** The workbook as one buffer, for API Gateway, whose Lambda responses are not streamed. */
export async function ledgerXlsxBuffer(
  rows: AsyncIterable<{ kind: 'entry' | 'total'; cells: LedgerRow }>,
): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  await writeLedgerXlsx(rows, sink);
  await done;
  return Buffer.concat(chunks);
}
