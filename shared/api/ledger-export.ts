// The finance export as a file to download. API Gateway caps a Lambda response at 6 MB (about
// 35,000 CSV rows), and a province pays more than that in a year: the file is written to
// storage as it is produced and the caller gets a short-lived link to it.
import * as z from 'zod';
import type { ExportStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { ledgerCsv, ledgerQuerySchema, ledgerRows, type LedgerRowItem } from '#shared/api/ledger-api.ts';

export const ledgerExportFormats = ['csv', 'xlsx'] as const;
export type LedgerExportFormat = (typeof ledgerExportFormats)[number];

const formatSchema = z.object({ format: z.enum(ledgerExportFormats).default('csv') });

/** How long the download link works; the stored file itself expires after a day. */
export const EXPORT_LINK_SECONDS = 15 * 60;

export interface LedgerExportDeps {
  readonly ledger: LedgerStore;
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly exports: ExportStore;
}

/** Writes a workbook from ledger rows (an adapter: the XLSX container needs zlib). */
export type XlsxWriter = (rows: AsyncIterable<LedgerRowItem>) => AsyncIterable<Uint8Array>;

export const ledgerExportResultSchema = z.object({
  name: z.string(),
  format: z.enum(ledgerExportFormats),
  url: z.string(),
  bytes: z.number().int(),
  expiresAt: z.string(),
});
export type LedgerExportResult = z.infer<typeof ledgerExportResultSchema>;

export async function exportLedger(
  deps: LedgerExportDeps,
  query: Readonly<Record<string, string | undefined>>,
  xlsx: XlsxWriter,
): Promise<LedgerExportResult> {
  const { format: rawFormat, ...rest } = query;
  const filter = ledgerQuerySchema.parse(rest);
  const { format } = formatSchema.parse({ format: rawFormat });
  const name = `ledger-${filter.from}-${filter.to}.${format}`;
  const file =
    format === 'xlsx'
      ? {
          name,
          contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          body: xlsx(ledgerRows(deps.ledger.entries(filter), deps.roster)),
        }
      : {
          name,
          contentType: 'text/csv; charset=utf-8',
          body: ledgerCsv(deps.ledger.entries(filter), deps.roster),
        };
  const saved = await deps.exports.save(file, EXPORT_LINK_SECONDS);
  return { name, format, ...saved };
}
