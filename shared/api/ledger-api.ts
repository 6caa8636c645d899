// The payout ledger: listing with totals, and the CSV export that reconciles to the fen.
import { z } from 'zod';
import type { LedgerEntry } from '#shared/claim.ts';
import { categorySchema } from '#shared/policy.ts';
import { isoDateSchema } from '#shared/manifest.ts';
import { fenToYuan } from '#shared/money.ts';
import { daysBetween } from '#shared/dates.ts';
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
  .refine((q) => daysBetween(q.from, q.to) <= 366, { message: 'at most one year per request', path: ['to'] });

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

export type LedgerRow = (string | number | undefined)[];

/**
 * The finance export's rows, one payout at a time, then the control-total row (count, and the
 * sum in yuan and fen) to reconcile against. Only finance gets these: they hold the payee's
 * name and bank account.
 */
export async function* ledgerRows(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<{ kind: 'entry' | 'total'; cells: LedgerRow }> {
  const payees = new Map<string, RosterPeriod | undefined>();
  let count = 0;
  let totalFen = 0;
  for await (const e of entries) {
    if (!payees.has(e.householdId)) {
      const periods = await roster.periods(e.householdId);
      payees.set(e.householdId, [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0]);
    }
    const payee = payees.get(e.householdId);
    count += 1;
    totalFen += e.payoutFen;
    yield {
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
  }
  if (!Number.isSafeInteger(totalFen))
    throw new HttpError(500, 'TOTAL_OVERFLOW', 'ledger total exceeds safe integer range');
  const total: LedgerRow = ledgerCsvColumns.map(() => undefined);
  total[0] = 'TOTAL';
  total[1] = count;
  total[9] = fenToYuan(totalFen);
  total[10] = totalFen;
  yield { kind: 'total', cells: total };
}

/** The export as CSV text chunks: UTF-8 BOM so Excel reads Chinese, CRLF line ends. */
export async function* ledgerCsv(
  entries: AsyncIterable<LedgerEntry>,
  roster: Pick<RosterStore, 'periods'>,
): AsyncGenerator<string> {
  yield `\uFEFF${ledgerCsvColumns.join(',')}\r\n`;
  for await (const row of ledgerRows(entries, roster)) yield `${row.cells.map(csvCell).join(',')}\r\n`;
}
