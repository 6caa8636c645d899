// The finance export as a file to download. API Gateway caps a Lambda response at 6 MB (about
// 35,000 CSV rows), and a province pays more than that in a year: the file is written to
// storage as it is produced and the caller gets a short-lived link to it, with the control
// total (count and sum) counted over the very entries the file holds.
import * as z from 'zod';
import type { LedgerEntry } from '#shared/claim.ts';
import type { ExportStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import type { Policy } from '#shared/policy.ts';
import { InvariantError } from '#shared/errors.ts';
import type { Lang } from '#shared/vocabulary.ts';
import { ledgerCsv, ledgerQuerySchema, ledgerRows, type LedgerRow } from '#shared/api/ledger-api.ts';

export const ledgerExportFormats = ['csv', 'xlsx'] as const;
export type LedgerExportFormat = (typeof ledgerExportFormats)[number];
export const ledgerExportLangs = ['zh', 'en'] as const satisfies readonly Lang[];

export const exportOptionsSchema = z.object({
  format: z.enum(ledgerExportFormats).default('csv'),
  /** Headers and words (categories, states, regions) in Chinese unless `lang=en`. */
  lang: z.enum(ledgerExportLangs).default('zh'),
});

export const exportContentTypes: Readonly<Record<LedgerExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** How long the download link works; the stored file itself expires after a day. */
export const EXPORT_LINK_SECONDS = 15 * 60;

export interface LedgerExportDeps {
  readonly ledger: LedgerStore;
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly exports: ExportStore;
  /** The policies that name regions; the built-in ones unless given. */
  readonly policies?: readonly Policy[];
}

/** Writes a workbook from ledger rows (an adapter: the XLSX container needs zlib). */
export type XlsxWriter = (rows: AsyncIterable<LedgerRow>, lang: Lang) => AsyncIterable<Uint8Array>;

export const ledgerExportResultSchema = z.object({
  name: z.string(),
  format: z.enum(ledgerExportFormats),
  lang: z.enum(ledgerExportLangs),
  url: z.string(),
  bytes: z.number().int(),
  expiresAt: z.string(),
  /** Payouts in the file and their sum in fen: the control total the file reconciles to. */
  count: z.number().int(),
  totalFen: z.number().int(),
});
export type LedgerExportResult = z.infer<typeof ledgerExportResultSchema>;

/** How often a long export tells its job how far it got. */
export const EXPORT_PROGRESS_ROWS = 10_000;

/** Counts and sums the entries as they pass on to the file. */
function tallied(entries: AsyncIterable<LedgerEntry>, onProgress?: (count: number) => Promise<void>) {
  const tally = { count: 0, totalFen: 0 };
  async function* pass(): AsyncGenerator<LedgerEntry> {
    for await (const e of entries) {
      tally.count += 1;
      tally.totalFen += e.payoutFen;
      yield e;
      if (onProgress && tally.count % EXPORT_PROGRESS_ROWS === 0) await onProgress(tally.count);
    }
  }
  return { tally, entries: pass() };
}

export interface ExportOptions {
  /** Store the file here (an export job's own key) instead of under a new key. */
  readonly key?: string;
  /** Told the rows written so far, every EXPORT_PROGRESS_ROWS. */
  readonly onProgress?: (count: number) => Promise<void>;
}

export async function exportLedger(
  deps: LedgerExportDeps,
  query: Readonly<Record<string, string | undefined>>,
  xlsx: XlsxWriter,
  options: ExportOptions = {},
): Promise<LedgerExportResult> {
  const { format: rawFormat, lang: rawLang, ...rest } = query;
  const filter = ledgerQuerySchema.parse(rest);
  const { format, lang } = exportOptionsSchema.parse({ format: rawFormat, lang: rawLang });
  const name = `ledger-${filter.from}-${filter.to}.${format}`;
  const { tally, entries } = tallied(deps.ledger.entries(filter), options.onProgress);
  const style = { lang, ...(deps.policies ? { policies: deps.policies } : {}) };
  const file =
    format === 'xlsx'
      ? {
          name,
          contentType: exportContentTypes.xlsx,
          body: xlsx(ledgerRows(entries, deps.roster, style), lang),
        }
      : {
          name,
          contentType: exportContentTypes.csv,
          body: ledgerCsv(entries, deps.roster, style),
        };
  const { key: _key, ...saved } = await deps.exports.save(file, EXPORT_LINK_SECONDS, options.key);
  if (!Number.isSafeInteger(tally.totalFen))
    throw new InvariantError('TOTAL_OVERFLOW', 'ledger total exceeds safe integer range');
  return { name, format, lang, ...saved, count: tally.count, totalFen: tally.totalFen };
}
