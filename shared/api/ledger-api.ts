// The payout ledger: listing with totals, and the CSV export that reconciles to the fen.
import * as z from 'zod';
import type { LedgerEntry } from '#shared/claim.ts';
import { categorySchema } from '#shared/policy.ts';
import { isoDateSchema } from '#shared/manifest.ts';
import { fenToYuan } from '#shared/money.ts';
import { daysBetween, isIsoDate } from '#shared/dates.ts';
import type { LedgerStore, RosterStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { HttpError } from '#shared/api/http-error.ts';

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

export const ledgerCsvColumns = [
  'claimId',
  'paidDate',
  'paidAt',
  'region',
  'village',
  'householdId',
  'headName',
  'bankAccount',
  'category',
  'payoutYuan',
  'payoutFen',
  'policyId',
  'policyVersion',
  'gridWorker',
  'disbursedAt',
  'batchRef',
] as const;

function csvCell(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  // Spreadsheet formula injection: a leading = + - @ is neutralised with a quote prefix.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** = + - @ tab CR: a cell starting with one of these is neutralised (see csvCell). */
const riskyFirst = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]);

const needsQuotes = /[",\r\n]/;

/**
 * One CSV line. The export runs this per row: the common case (no cell to neutralise or quote)
 * is one regex test per text cell and a join, instead of two tests and a copy per cell.
 */
function csvLine(cells: LedgerRow): string {
  for (const c of cells) {
    const plain =
      typeof c === 'string'
        ? !riskyFirst.has(c.charCodeAt(0)) && !needsQuotes.test(c)
        : !(typeof c === 'number' && c < 0);
    if (!plain) return cells.map(csvCell).join(',');
  }
  return cells.join(',');
}

export type LedgerRow = (string | number | undefined)[];

type Payee = Pick<RosterPeriod, 'headName' | 'bankAccount'>;
export type LedgerRowItem = { kind: 'entry' | 'total'; cells: LedgerRow };

/** Payees remembered (two generations of this many): bounded so memory stays flat at any size. */
const PAYEE_CACHE_SIZE = 10_000;
/** Entries handled per batch, and roster lookups in flight at once within a batch. */
const BATCH_ROWS = 256;
const PAYEE_LOOKUPS_IN_FLIGHT = 16;

/**
 * The rows in batches: a batch's unknown payees are looked up in parallel (one roster query
 * each, so a province-sized export is not one query at a time), and consumers pay their
 * per-chunk overhead per batch, not per row.
 */
async function* ledgerRowBatches(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<LedgerRowItem[]> {
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
  const lookUp = async (ids: readonly string[]) => {
    let next = 0;
    const worker = async () => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
        const periods = await roster.periods(id);
        const latest = [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0];
        remember(id, latest ? { headName: latest.headName, bankAccount: latest.bankAccount } : null);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PAYEE_LOOKUPS_IN_FLIGHT, ids.length) }, worker));
  };

  let count = 0;
  let totalFen = 0;
  let batch: LedgerEntry[] = [];
  const rowsOf = async (entries: readonly LedgerEntry[]): Promise<LedgerRowItem[]> => {
    const missing = new Set<string>();
    for (const e of entries) if (cached(e.householdId) === undefined) missing.add(e.householdId);
    if (missing.size > 0) await lookUp([...missing]);
    return entries.map((e) => {
      const payee = cached(e.householdId);
      count += 1;
      totalFen += e.payoutFen;
      return {
        kind: 'entry',
        cells: [
          e.claimId,
          e.paidDate,
          e.paidAt,
          e.region,
          e.village,
          e.householdId,
          payee?.headName,
          payee?.bankAccount,
          e.category,
          fenToYuan(e.payoutFen),
          e.payoutFen,
          e.policyId,
          e.policyVersion,
          e.gridWorker,
          e.disbursedAt,
          e.batchRef,
        ],
      };
    });
  };
  for await (const e of entries) {
    batch.push(e);
    if (batch.length >= BATCH_ROWS) {
      yield await rowsOf(batch);
      batch = [];
    }
  }
  const last = await rowsOf(batch);
  if (!Number.isSafeInteger(totalFen))
    throw new HttpError(500, 'TOTAL_OVERFLOW', 'ledger total exceeds safe integer range');
  const total: LedgerRow = ledgerCsvColumns.map(() => undefined);
  total[0] = 'TOTAL';
  total[1] = count;
  total[9] = fenToYuan(totalFen);
  total[10] = totalFen;
  last.push({ kind: 'total', cells: total });
  yield last;
}

/**
 * The finance export's rows, one payout at a time, then the control-total row (count, and the
 * sum in yuan and fen) to reconcile against. Only finance gets these: they hold the payee's
 * name and bank account.
 */
export async function* ledgerRows(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<LedgerRowItem> {
  for await (const batch of ledgerRowBatches(entries, roster)) yield* batch;
}

/** The export as CSV text chunks (one per batch of rows): UTF-8 BOM so Excel reads Chinese, CRLF line ends. */
export async function* ledgerCsv(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<string> {
  yield `\uFEFF${ledgerCsvColumns.join(',')}\r\n`;
  for await (const batch of ledgerRowBatches(entries, roster)) {
    let chunk = '';
    for (const row of batch) chunk += `${csvLine(row.cells)}\r\n`;
    yield chunk;
  }
}
