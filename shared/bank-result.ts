// The bank's result file (银行回盘文件): one row per transfer the bank was asked to make, saying
// whether the money arrived. A row is read here and judged against the claim and the household's
// roster account; storing what it says is shared/bank-import.ts. Reasons are message codes naming
// the column, never a cell's value: the file holds bank accounts.
import { maskDigitRuns } from '#shared/resident-id.ts';
import * as z from 'zod';
import type { ClaimRecord } from '#shared/claim.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { Message } from '#shared/messages/render.ts';
import { parseYuan } from '#shared/money.ts';
import { sha256Hex } from '#shared/hash.ts';
import { readCsvRecords, readHeader, reason, type CsvRecord } from '#shared/csv-table.ts';
import { checkRecords, type RecordCheck } from '#shared/csv-stream.ts';

/** The file's columns, in their documented order (any order is read). */
export const bankColumns = ['claimId', 'bankAccount', 'amount', 'status', 'bankRef', 'reason'] as const;
export type BankColumn = (typeof bankColumns)[number];
const columnList = bankColumns.join(',');

/** What a `status` cell may say: the bank's English or Chinese word. */
const statusWords: Readonly<Record<string, BankStatus>> = {
  success: 'success',
  成功: 'success',
  failed: 'failed',
  失败: 'failed',
};
export const bankStatuses = ['success', 'failed'] as const;
export type BankStatus = (typeof bankStatuses)[number];

/** A reason longer than this is cut: it is shown on a claim page, not kept as a document. */
export const BANK_REASON_MAX = 200;

export const bankRowSchema = z.object({
  claimId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** Digits only (spaces and dashes people group them with are dropped). */
  bankAccount: z.string().regex(/^\d{10,30}$/),
  amountFen: z.number().int().nonnegative(),
  status: z.enum(bankStatuses),
  bankRef: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  /** The bank's words for a refusal, cleaned (see bankReasonText). */
  reason: z.string().max(BANK_REASON_MAX).optional(),
});
export type BankRow = z.infer<typeof bankRowSchema>;

/** A checked row with the file row it came from (header = row 1). */
export const numberedBankRowSchema = z.object({ row: z.number().int().min(2), line: bankRowSchema });
export type NumberedBankRow = z.infer<typeof numberedBankRowSchema>;

/**
 * The bank's words made safe to keep and show: control characters become spaces, a run of six
 * or more digits (an account or ID number the bank quoted) is masked but for its last four, a
 * formula start is defused, and the text is cut to BANK_REASON_MAX.
 */
export function bankReasonText(text: string): string {
  // eslint-disable-next-line no-control-regex
  let clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  clean = maskDigitRuns(clean);
  if (/^[=+\-@]/.test(clean)) clean = `'${clean}`;
  return Array.from(clean).slice(0, BANK_REASON_MAX).join('');
}

function readRow(record: CsvRecord, header: Map<BankColumn, number>): BankRow | Message[] {
  if (record.error !== undefined) {
    const column = [...header].find(([, i]) => i === record.error?.field)?.[0];
    return [reason(record.error.code, { field: column ?? `#${String((record.error.field ?? 0) + 1)}` })];
  }
  if (record.fields.length !== header.size)
    return [reason('FIELD_COUNT', { got: record.fields.length, expected: header.size })];
  const cell = (c: BankColumn) => (record.fields[header.get(c) ?? -1] ?? '').trim();
  const errors: Message[] = [];

  const claimId = cell('claimId');
  if (claimId === '') errors.push(reason('VALUE_MISSING', { field: 'claimId' }));
  else if (!bankRowSchema.shape.claimId.safeParse(claimId).success)
    errors.push(reason('BANK_BAD_CLAIM_ID', { field: 'claimId' }));

  // People group account digits for reading; the digits are what count.
  const bankAccount = cell('bankAccount').replace(/[\s-]/g, '');
  if (bankAccount === '') errors.push(reason('VALUE_MISSING', { field: 'bankAccount' }));
  else if (!bankRowSchema.shape.bankAccount.safeParse(bankAccount).success)
    errors.push(reason('BAD_BANK_ACCOUNT', { field: 'bankAccount' }));

  const amount = parseYuan(cell('amount'));
  if (!amount.ok) errors.push(reason(amount.code, { field: 'amount' }));

  const status = statusWords[cell('status').toLowerCase()];
  if (status === undefined) errors.push(reason('BANK_STATUS_UNKNOWN', { field: 'bankStatus' }));

  const bankRef = cell('bankRef');
  if (bankRef !== '' && !bankRowSchema.shape.bankRef.safeParse(bankRef).success)
    errors.push(reason('BAD_BANK_REF', { field: 'bankRef' }));
  // A transfer that arrived has the bank's reference: it is what the ledger is matched on.
  else if (bankRef === '' && status === 'success') errors.push(reason('VALUE_MISSING', { field: 'bankRef' }));

  if (errors.length > 0 || !amount.ok || status === undefined) return errors;
  const why = bankReasonText(cell('reason'));
  return {
    claimId,
    bankAccount,
    amountFen: amount.fen,
    status,
    ...(bankRef !== '' ? { bankRef } : {}),
    ...(why !== '' ? { reason: why } : {}),
  };
}

/** The file's checks, record by record: the header, each row, and a claim named twice (the first row wins). */
export function bankRecordCheck(): RecordCheck<NumberedBankRow> {
  let header: Map<BankColumn, number> | undefined;
  const claimRows = new Map<string, number>();
  return {
    header(record) {
      const found = readHeader(record, bankColumns);
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(record, header);
      if (Array.isArray(result)) return result;
      const earlierRow = claimRows.get(result.claimId);
      if (earlierRow !== undefined) return [reason('BANK_CLAIM_TWICE', { field: 'claimId', earlierRow })];
      claimRows.set(result.claimId, record.line);
      return { row: record.line, line: result };
    },
  };
}

/** A bank result file's good rows (with their row numbers) and its refused rows. */
export function parseNumberedBankCsv(text: string): {
  numbered: NumberedBankRow[];
  rejected: { row: number; reasons: Message[] }[];
} {
  const { numbered, rejected } = checkRecords(readCsvRecords(text), bankRecordCheck(), columnList);
  return { numbered: numbered.map((n) => n.value), rejected };
}

/**
 * The one-way mark of the account a claim's transfer went to: sha256 of the claim id and the
 * digits. Kept on the claim to tell a corrected account from the one that failed; the claim id
 * makes the same account hash differently on every claim.
 */
export function accountSha256(claimId: string, bankAccount: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(`${claimId}\u0000${bankAccount.replace(/[\s-]/g, '')}`));
}

/** The household's latest roster period (the payee's name and account now), or undefined. */
export function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  let latest: RosterPeriod | undefined;
  for (const p of periods) if (!latest || p.statusFrom > latest.statusFrom) latest = p;
  return latest;
}

/** Codes of rows that name a payable claim but disagree with it: reported as mismatched. */
export const bankMismatchCodes: readonly string[] = ['BANK_ACCOUNT_MISMATCH', 'BANK_AMOUNT_MISMATCH'];

/** Whether a refused row is a mismatch (else the file named nothing payable: unknown). */
export function isBankMismatch(reasons: readonly Pick<Message, 'code'>[]): boolean {
  return reasons.some((r) => bankMismatchCodes.includes(r.code));
}

/** What a row does to its claim. */
export type BankRowJudgement =
  | { readonly kind: 'disburse' }
  | { readonly kind: 'fail' }
  /** Applied before: nothing to do. `byThisJob`: by this very job (a batch run again). */
  | { readonly kind: 'repeated'; readonly byThisJob: 'disbursed' | 'failed' | undefined }
  | { readonly kind: 'mismatched'; readonly reason: Message }
  | { readonly kind: 'unknown'; readonly reason: Message };

export interface BankRowFacts {
  readonly row: BankRow;
  /** The claim as stored now; undefined when the file names no claim on record. */
  readonly claim: ClaimRecord | undefined;
  /** The household's account on the roster now (latest period); undefined when it is not on it. */
  readonly rosterAccount: string | undefined;
  /** accountSha256 of the row's account for the row's claim. */
  readonly rowAccountSha256: string;
  /** The job reading the file. */
  readonly jobId: string;
}

/**
 * Judges one row. A row applied before is a no-op (the same file sent again, or a batch retried);
 * one naming no payout on record, or a claim no longer waiting for its transfer, is unknown; one
 * whose account is not the household's roster account or whose amount is not the claim's payout
 * is mismatched and applied to nothing.
 */
export function judgeBankRow(facts: BankRowFacts): BankRowJudgement {
  const { row, claim } = facts;
  if (!claim || claim.payoutFen === undefined || claim.householdId === null)
    return { kind: 'unknown', reason: reason('BANK_CLAIM_UNKNOWN', { field: 'claimId' }) };
  if (row.status === 'success' && row.bankRef !== undefined) {
    const done = claim.bankTransfer;
    if (done?.bankRef === row.bankRef)
      return { kind: 'repeated', byThisJob: done.jobId === facts.jobId ? 'disbursed' : undefined };
    if (claim.state === 'DISBURSED' && claim.disbursement?.batchRef === row.bankRef)
      return { kind: 'repeated', byThisJob: undefined };
  }
  if (row.status === 'failed') {
    const failure = claim.bankFailure;
    if (failure?.accountSha256 === facts.rowAccountSha256 && (failure.bankRef ?? '') === (row.bankRef ?? ''))
      return { kind: 'repeated', byThisJob: failure.jobId === facts.jobId ? 'failed' : undefined };
  }
  if (claim.state !== 'PAID')
    return { kind: 'unknown', reason: reason('BANK_CLAIM_NOT_PAID', { state: claim.state }) };
  if (facts.rosterAccount === undefined || facts.rosterAccount !== row.bankAccount)
    return { kind: 'mismatched', reason: reason('BANK_ACCOUNT_MISMATCH', { field: 'bankAccount' }) };
  if (row.amountFen !== claim.payoutFen)
    return { kind: 'mismatched', reason: reason('BANK_AMOUNT_MISMATCH', { field: 'amount' }) };
  return row.status === 'success' ? { kind: 'disburse' } : { kind: 'fail' };
}
