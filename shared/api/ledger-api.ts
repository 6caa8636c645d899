// The payout ledger: listing with totals, and the CSV export that reconciles to the fen.
import * as z from 'zod';
import type { LedgerEntry } from '#shared/claim.ts';
import { categorySchema } from '#shared/policy.ts';
import { isoDateSchema } from '#shared/manifest.ts';
import { fenToYuan } from '#shared/money.ts';
import { daysBetween, isIsoDate } from '#shared/dates.ts';
import type { LedgerStore, RosterStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { InvariantError } from '#shared/errors.ts';

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
 * One CSV line from its cells: when no cell needs neutralising or quoting (a string starting
 * with = + - @ tab CR or holding " , CR LF, or a negative number), the cells joined; otherwise
 * every cell through csvCell.
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

/** A batch of entries and, index for index, their payees (null: not on the roster). */
interface PayoutBatch {
  readonly entries: readonly LedgerEntry[];
  readonly payees: readonly (Payee | null | undefined)[];
  /** On the last batch only: the control-total row. */
  readonly total?: LedgerRow;
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

  let count = 0;
  let totalFen = 0;
  let batch: LedgerEntry[] = [];
  const payeesOf = async (entries: readonly LedgerEntry[]): Promise<(Payee | null | undefined)[]> => {
    const payees: (Payee | null | undefined)[] = new Array(entries.length);
    let missing: Map<string, Payee | null> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as LedgerEntry;
      const payee = cached(e.householdId);
      if (payee === undefined) (missing ??= new Map()).set(e.householdId, null);
      payees[i] = payee;
      count += 1;
      totalFen += e.payoutFen;
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
  const payees = await payeesOf(batch);
  if (!Number.isSafeInteger(totalFen))
    throw new InvariantError('TOTAL_OVERFLOW', 'ledger total exceeds safe integer range');
  const total: LedgerRow = ledgerCsvColumns.map(() => undefined);
  total[0] = 'TOTAL';
  total[1] = count;
  total[9] = fenToYuan(totalFen);
  total[10] = totalFen;
  yield { entries: batch, payees, total };
}

function entryCells(e: LedgerEntry, payee: Payee | null | undefined): LedgerRow {
  return [
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
  ];
}

/**
 * A cell's text if csvLine would leave the whole line as the cells joined (a string not starting
 * with = + - @ tab CR and without " , CR LF; a number not below zero; nothing), else null.
 */
function plainCell(value: unknown): string | null {
  if (typeof value === 'string') {
    const first = value.charCodeAt(0);
    return first === 0x3d ||
      first === 0x2b ||
      first === 0x2d ||
      first === 0x40 ||
      first === 0x09 ||
      first === 0x0d ||
      needsQuotes.test(value)
      ? null
      : value;
  }
  if (typeof value === 'number') return value < 0 ? null : String(value);
  return value === undefined || value === null ? '' : null;
}

/**
 * csvLine(entryCells(e, payee)) without the array: each cell's text is checked as it is taken,
 * and the rare line with a cell to neutralise or quote is rebuilt through csvLine.
 */
function entryLine(e: LedgerEntry, payee: Payee | null | undefined): string {
  const claimId = plainCell(e.claimId);
  const paidDate = plainCell(e.paidDate);
  const paidAt = plainCell(e.paidAt);
  const region = plainCell(e.region);
  const village = plainCell(e.village);
  const householdId = plainCell(e.householdId);
  const headName = plainCell(payee?.headName);
  const bankAccount = plainCell(payee?.bankAccount);
  const category = plainCell(e.category);
  const payoutYuan = fenToYuan(e.payoutFen);
  const payoutFen = plainCell(e.payoutFen);
  const policyId = plainCell(e.policyId);
  const policyVersion = plainCell(e.policyVersion);
  const gridWorker = plainCell(e.gridWorker);
  const disbursedAt = plainCell(e.disbursedAt);
  const batchRef = plainCell(e.batchRef);
  if (
    claimId === null ||
    paidDate === null ||
    paidAt === null ||
    region === null ||
    village === null ||
    householdId === null ||
    headName === null ||
    bankAccount === null ||
    category === null ||
    payoutFen === null ||
    policyId === null ||
    policyVersion === null ||
    gridWorker === null ||
    disbursedAt === null ||
    batchRef === null
  )
    return csvLine(entryCells(e, payee));
  // fenToYuan's text is digits, a point and two digits: always plain.
  return (
    claimId +
    ',' +
    paidDate +
    ',' +
    paidAt +
    ',' +
    region +
    ',' +
    village +
    ',' +
    householdId +
    ',' +
    headName +
    ',' +
    bankAccount +
    ',' +
    category +
    ',' +
    payoutYuan +
    ',' +
    payoutFen +
    ',' +
    policyId +
    ',' +
    policyVersion +
    ',' +
    gridWorker +
    ',' +
    disbursedAt +
    ',' +
    batchRef
  );
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
  for await (const batch of payoutBatches(entries, roster)) {
    const items: LedgerRowItem[] = batch.entries.map((e, i) => ({
      kind: 'entry',
      cells: entryCells(e, batch.payees[i]),
    }));
    if (batch.total) items.push({ kind: 'total', cells: batch.total });
    yield* items;
  }
}

/** The export as CSV text chunks (one per batch of rows): UTF-8 BOM so Excel reads Chinese, CRLF line ends. */
export async function* ledgerCsv(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<string> {
  yield `\uFEFF${ledgerCsvColumns.join(',')}\r\n`;
  for await (const batch of payoutBatches(entries, roster)) {
    const { entries, payees } = batch;
    let chunk = '';
    for (let i = 0; i < entries.length; i++)
      chunk += `${entryLine(entries[i] as LedgerEntry, payees[i])}\r\n`;
    if (batch.total) chunk += `${csvLine(batch.total)}\r\n`;
    yield chunk;
  }
}
