// The payout ledger: listing with totals, and the finance export's rows and CSV. Rows are made
// and written one batch at a time, so an export of any size runs in flat memory; the XLSX writer
// (functions/adapters/ledger-xlsx.ts) takes the same rows.
import { chinaDateTime } from '#shared/dates.ts';
import * as z from 'zod';
import type { LedgerEntry } from '#shared/claim.ts';
import { categorySchema, findPolicy, type Policy } from '#shared/policy.ts';
import { isoDateSchema } from '#shared/manifest.ts';
import { fenToYuan } from '#shared/money.ts';
import { daysBetween, isIsoDate } from '#shared/dates.ts';
import type { LedgerStore, RosterStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import {
  categoryLabels,
  claimStateLabels,
  ledgerColumnLabels,
  ledgerColumns,
  type ClaimState,
  type Lang,
  type LedgerColumn,
} from '#shared/vocabulary.ts';

export const ledgerQuerySchema = z
  .object({
    from: isoDateSchema,
    to: isoDateSchema,
    region: z.string().max(32).optional(),
    category: categorySchema.optional(),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  // zod runs object refinements even when a field already failed: a bad date must stay a 400
  // here, not reach daysBetween (which throws) and become a 500.
  .refine((q) => !bothDates(q) || daysBetween(q.from, q.to) <= 366, {
    message: 'at most one year per request',
    path: ['to'],
  });

function bothDates(q: { from: unknown; to: unknown }): q is { from: string; to: string } {
  return typeof q.from === 'string' && typeof q.to === 'string' && isIsoDate(q.from) && isIsoDate(q.to);
}

export async function listLedger(ledger: LedgerStore, query: unknown, limit = 1000) {
  const filter = ledgerQuerySchema.parse(query);
  const items: LedgerEntry[] = [];
  let count = 0;
  let totalFen = 0;
  for await (const entry of ledger.entries(filter)) {
    count += 1;
    totalFen += entry.payoutFen;
    if (items.length < limit) items.push(entry);
  }
  return { items, count, totalFen, truncated: count > items.length };
}

/**
 * How a column is written. `text`: words (names, labels); `id`: an identifier that must stay text
 * with every digit (a 19-digit bank account read as a number keeps 15 significant digits); `yuan`:
 * an amount, held in fen and written as decimal yuan; `time`: China wall-clock time
 * `YYYY-MM-DD HH:mm:ss`; `int`: a whole number.
 */
export type LedgerColumnKind = 'text' | 'id' | 'yuan' | 'time' | 'int';

export const ledgerColumnKinds: Readonly<Record<LedgerColumn, LedgerColumnKind>> = {
  claimId: 'id',
  paidAt: 'time',
  region: 'text',
  village: 'text',
  householdId: 'id',
  headName: 'text',
  bankAccount: 'id',
  category: 'text',
  payoutYuan: 'yuan',
  state: 'text',
  policyId: 'id',
  policyVersion: 'int',
  gridWorker: 'text',
  disbursedAt: 'time',
  batchRef: 'id',
};

/** Column kinds in file order. */
export const ledgerKinds: readonly LedgerColumnKind[] = ledgerColumns.map((c) => ledgerColumnKinds[c]);
/** Where the amount (fen) sits in a row. */
export const LEDGER_AMOUNT_COLUMN = ledgerColumns.indexOf('payoutYuan');

export type LedgerCell = string | number | undefined;
/**
 * One payout, cells in ledgerColumns order, words already in the export's language: `yuan` cells
 * hold integer fen, `time` cells China wall-clock text, an absent value undefined.
 */
export type LedgerRow = readonly LedgerCell[];

/** The export's language and the policies that name its regions (the built-in ones unless given). */
export interface LedgerFormat {
  readonly lang: Lang;
  readonly policies?: readonly Policy[];
}

export const ledgerHeaders = (lang: Lang): string[] => ledgerColumns.map((c) => ledgerColumnLabels[c][lang]);

export { chinaDateTime };

type Payee = Pick<RosterPeriod, 'headName' | 'bankAccount'>;

/**
 * The state a payout's claim is in, from its ledger entry alone: transferred, returned by the bank
 * (until it is sent again, which clears `failedAt`), or paid and waiting for the transfer.
 */
export function ledgerEntryState(e: Pick<LedgerEntry, 'disbursedAt' | 'failedAt'>): ClaimState {
  return e.disbursedAt ? 'DISBURSED' : e.failedAt ? 'DISBURSEMENT_FAILED' : 'PAID';
}

/** A payout's row: pure, so a bulk job can format entries one at a time as well. */
export function ledgerRowCells(
  e: LedgerEntry,
  payee: Payee | null | undefined,
  lang: Lang,
  regionName: string = e.region,
): LedgerRow {
  return [
    e.claimId,
    chinaDateTime(e.paidAt),
    regionName,
    e.village,
    e.householdId,
    payee?.headName,
    payee?.bankAccount,
    categoryLabels[e.category]?.[lang] ?? e.category,
    e.payoutFen,
    claimStateLabels[ledgerEntryState(e)][lang],
    e.policyId,
    e.policyVersion,
    e.gridWorker,
    e.disbursedAt === undefined ? undefined : chinaDateTime(e.disbursedAt),
    // A transfer the bank's result file confirmed carries the bank's own reference instead.
    e.batchRef ?? e.bankRef,
  ];
}

/** The region's name from the policy that priced the payout, else its code. */
function regionNames(format: LedgerFormat): (e: LedgerEntry) => string {
  const names = new Map<string, string>();
  return (e) => {
    const key = `${e.policyId}@${e.policyVersion}@${e.region}`;
    let name = names.get(key);
    if (name === undefined) {
      const policy = findPolicy(e.policyId, e.policyVersion, format.policies);
      name = (policy?.region === e.region ? policy.regionName?.[format.lang] : undefined) ?? e.region;
      names.set(key, name);
    }
    return name;
  };
}

/** A batch of entries and, index for index, their payees (null: not on the roster). */
interface PayoutBatch {
  readonly entries: readonly LedgerEntry[];
  readonly payees: readonly (Payee | null | undefined)[];
}

/**
 * Payees remembered (two generations of this many, so 2,048 to 4,096 households: 8 to 16 batches
 * back), for households paid again close together. Bounded so memory stays flat at any size, and
 * small enough that an entry dies young: at 10,000 every remembered payee outlived two scavenges
 * and was promoted, about 150 MB of old-generation garbage per million rows (peak RSS grew with
 * the export). A batch's own lookups do not depend on it.
 */
const PAYEE_CACHE_SIZE = 2048;
/** Entries handled per batch, and roster lookups in flight at once within a batch. */
const BATCH_ROWS = 256;
const PAYEE_LOOKUPS_IN_FLIGHT = 16;

/**
 * The entries in batches with their payees: a batch's unknown payees are looked up in parallel
 * (one roster query each, so a province-sized export is not one query at a time), and consumers
 * pay their per-chunk overhead per batch, not per row.
 */
async function* payoutBatches(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<PayoutBatch> {
  // A province's export has about as many households as rows: an unbounded map made memory grow
  // with the export. The older generation is dropped when the newer one fills.
  let recent = new Map<string, Payee | null>();
  let older = new Map<string, Payee | null>();
  const remember = (id: string, payee: Payee | null) => {
    if (recent.size >= PAYEE_CACHE_SIZE) {
      older = recent;
      recent = new Map();
    }
    recent.set(id, payee);
  };
  // undefined: not looked up yet; null: looked up, not on the roster.
  const cached = (id: string): Payee | null | undefined => {
    const payee = recent.get(id);
    if (payee !== undefined) return payee;
    const old = older.get(id);
    if (old !== undefined) remember(id, old); // still in use: keep it when the older one goes
    return old;
  };
  const lookUp = async (ids: readonly string[], found: Map<string, Payee | null>) => {
    let next = 0;
    const worker = async () => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
        const periods = await roster.periods(id);
        const latest =
          periods.length === 1
            ? periods[0]
            : [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0];
        const payee = latest ? { headName: latest.headName, bankAccount: latest.bankAccount } : null;
        remember(id, payee);
        found.set(id, payee);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PAYEE_LOOKUPS_IN_FLIGHT, ids.length) }, worker));
  };

  let batch: LedgerEntry[] = [];
  const payeesOf = async (entries: readonly LedgerEntry[]): Promise<(Payee | null | undefined)[]> => {
    const payees: (Payee | null | undefined)[] = new Array(entries.length);
    let missing: Map<string, Payee | null> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LedgerEntry;
      const payee = cached(e.householdId);
      if (payee === undefined) (missing ??= new Map()).set(e.householdId, null);
      payees[i] = payee;
    }
    if (missing) {
      const found = new Map<string, Payee | null>();
      await lookUp([...missing.keys()], found);
      for (let i = 0; i < entries.length; i++)
        if (payees[i] === undefined) payees[i] = found.get((entries[i] as LedgerEntry).householdId);
    }
    return payees;
  };
  for await (const e of entries) {
    batch.push(e);
    if (batch.length >= BATCH_ROWS) {
      yield { entries: batch, payees: await payeesOf(batch) };
      batch = [];
    }
  }
  if (batch.length > 0) yield { entries: batch, payees: await payeesOf(batch) };
}

/**
 * The finance export's rows, a batch at a time (one roster lookup round per batch). Only finance
 * gets these: they hold the payee's name and full bank account.
 */
export async function* ledgerRowBatches(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
  format: LedgerFormat = { lang: 'zh' },
): AsyncGenerator<LedgerRow[]> {
  const regionOf = regionNames(format);
  for await (const batch of payoutBatches(entries, roster))
    yield batch.entries.map((e, i) => ledgerRowCells(e, batch.payees[i], format.lang, regionOf(e)));
}

/** The finance export's rows, one payout at a time. */
export async function* ledgerRows(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
  format: LedgerFormat = { lang: 'zh' },
): AsyncGenerator<LedgerRow> {
  for await (const rows of ledgerRowBatches(entries, roster, format)) yield* rows;
}

// CSV. A spreadsheet turns text that looks like a number into one: a 19-digit bank account
// loses its last digits (6.2309E+18) and an ID loses leading zeros. Such text is written
// quoted, after a tab: Excel, WPS and LibreOffice all keep a cell that starts with a tab as
// text, and inside quotes the tab stays in the cell even where tab is a separator too
// (LibreOffice's import dialog splits on comma, semicolon and tab unless told otherwise).
// Machine readers strip the leading whitespace. A `="..."` formula would show literally in
// LibreOffice, whose import leaves formulas unevaluated by default. See docs/exports.md.

/** Text a spreadsheet would read as a number or a date: digits and number punctuation only. */
const numberLike = /^[\d\s.,:/+\-%()eE]*\d[\d\s.,:/+\-%()eE]*$/;
/** = + - @ tab CR: a cell starting with one of these is neutralised with a quote prefix. */
const riskyFirst = /^[=+\-@\t\r]/;
const needsQuotes = /[",\r\n]/;
const CHINA_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** One text cell of a CSV line. */
export function csvText(text: string): string {
  if (numberLike.test(text)) return `"\t${text}"`; // no quote can be in it
  // Spreadsheet formula injection: a leading = + - @ tab CR is neutralised with a quote prefix.
  const safe = riskyFirst.test(text) ? `'${text}` : text;
  return needsQuotes.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV line (no line end) from a row: amounts as plain yuan (8120.00), so a column sums. */
export function ledgerCsvLine(cells: LedgerRow): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    const value = cells[i];
    if (value === undefined) continue;
    const kind = ledgerKinds[i];
    if (typeof value === 'number') line += kind === 'yuan' ? fenToYuan(value) : String(value);
    else line += kind === 'time' && CHINA_TIME.test(value) ? value : csvText(value);
  }
  return line;
}

/** The header line (no line end). */
export const ledgerCsvHeader = (lang: Lang): string => ledgerHeaders(lang).map(csvText).join(',');

/**
 * The export as CSV text chunks (one per batch of rows): UTF-8 BOM so Excel and WPS read
 * Chinese, CRLF line ends, one line per payout and nothing else, so every line below the header
 * is a payout to machine readers too. The control total (count and sum) comes with the export's
 * answer and is the XLSX's total row.
 */
export async function* ledgerCsv(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
  format: LedgerFormat = { lang: 'zh' },
): AsyncGenerator<string> {
  yield `\uFEFF${ledgerCsvHeader(format.lang)}\r\n`;
  for await (const rows of ledgerRowBatches(entries, roster, format)) {
    let chunk = '';
    for (const row of rows) chunk += `${ledgerCsvLine(row)}\r\n`;
    yield chunk;
  }
}
