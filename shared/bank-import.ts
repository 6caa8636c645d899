// Storing a bank result file's rows, one batch of a bank-result job at a time: each row is judged
// against its claim and the household's roster account (shared/bank-result.ts), and a row that
// applies moves its claim PAID -> DISBURSED or DISBURSEMENT_FAILED through changeClaim, with the
// ledger entry marked in the same transaction. Rows applied before are no-ops, so a batch run
// twice, or the same rows in another file, change nothing more.
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { ClaimBusyError, NotFoundError } from '#shared/errors.ts';
import {
  accountSha256,
  judgeBankRow,
  latestPeriod,
  type BankRowJudgement,
  type NumberedBankRow,
} from '#shared/bank-result.ts';
import type { RowRejection } from '#shared/bulk-job.ts';
import {
  TransientError,
  type ClaimStore,
  type Clock,
  type RosterStore,
  type TransferMark,
} from '#shared/ports.ts';

export interface BankImportDeps {
  readonly claims: ClaimStore;
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly clock: Clock;
}

/** What the rows of a batch did: applied by this job (disbursed, failed) and refused. */
export interface BankBatchResult {
  readonly rows: number;
  readonly imported: number;
  readonly rejected: RowRejection[];
  readonly outcomes: { disbursed: number; failed: number };
}

/** Claims worked on at once within a batch. */
const ROWS_IN_FLIGHT = 8;

export async function storeBankResults(
  deps: BankImportDeps,
  rows: readonly NumberedBankRow[],
  job: { readonly jobId: string; readonly createdBy: string },
): Promise<BankBatchResult> {
  const rejected: RowRejection[] = [];
  const outcomes = { disbursed: 0, failed: 0 };
  // One roster read per household of the batch, shared by its rows.
  const accounts = new Map<string, Promise<string | undefined>>();
  const rosterAccount = (householdId: string) => {
    let found = accounts.get(householdId);
    if (!found) {
      found = deps.roster.periods(householdId).then((p) => latestPeriod(p)?.bankAccount);
      accounts.set(householdId, found);
    }
    return found;
  };

  const one = async ({ row, line }: NumberedBankRow) => {
    const judged = await applyRow(deps, row, line, job, rosterAccount);
    if (judged === 'disbursed' || judged === 'failed') outcomes[judged] += 1;
    else if (judged !== 'repeated') rejected.push({ row, reasons: [judged.reason] });
  };
  let next = 0;
  const worker = async () => {
    for (let item = rows[next++]; item !== undefined; item = rows[next++]) await one(item);
  };
  await Promise.all(Array.from({ length: Math.min(ROWS_IN_FLIGHT, rows.length) }, worker));
  rejected.sort((a, b) => a.row - b.row);
  return { rows: rows.length, imported: outcomes.disbursed + outcomes.failed, rejected, outcomes };
}

type RowOutcome = 'disbursed' | 'failed' | 'repeated' | Extract<BankRowJudgement, { reason: unknown }>;

async function applyRow(
  deps: BankImportDeps,
  row: number,
  line: NumberedBankRow['line'],
  job: { readonly jobId: string; readonly createdBy: string },
  rosterAccount: (householdId: string) => Promise<string | undefined>,
): Promise<RowOutcome> {
  const claim = await deps.claims.get(line.claimId);
  const unknown = judgeBankRow({
    row: line,
    claim: undefined,
    rosterAccount: undefined,
    rowAccountSha256: '',
    jobId: job.jobId,
  });
  if (!claim || claim.householdId === null) return unknown as RowOutcome;
  const account = await rosterAccount(claim.householdId);
  const rowAccountSha256 = await accountSha256(line.claimId, line.bankAccount);
  let mark: TransferMark | undefined;
  try {
    const { result } = await changeClaim<RowOutcome>(
      deps,
      line.claimId,
      (current, at): ClaimChange<RowOutcome> => {
        const judged = judgeBankRow({
          row: line,
          claim: current,
          rosterAccount: account,
          rowAccountSha256,
          jobId: job.jobId,
        });
        switch (judged.kind) {
          case 'repeated':
            return { kind: 'keep', result: judged.byThisJob ?? 'repeated' };
          case 'mismatched':
          case 'unknown':
            return { kind: 'keep', result: judged };
          case 'disburse': {
            const bankRef = line.bankRef ?? '';
            mark = { kind: 'disbursed', at, bankRef };
            return {
              kind: 'move',
              to: 'DISBURSED',
              actor: job.createdBy,
              detail: { code: 'BANK_TRANSFER_DONE', params: { bankRef, row } },
              patch: { bankTransfer: { bankRef, at, row, jobId: job.jobId } },
              result: 'disbursed',
            };
          }
          case 'fail':
            mark = { kind: 'failed', at };
            return {
              kind: 'move',
              to: 'DISBURSEMENT_FAILED',
              actor: job.createdBy,
              detail: { code: 'BANK_TRANSFER_FAILED', params: { row } },
              patch: {
                bankFailure: {
                  reason: line.reason ?? '',
                  at,
                  row,
                  accountSha256: rowAccountSha256,
                  ...(line.bankRef !== undefined ? { bankRef: line.bankRef } : {}),
                  jobId: job.jobId,
                },
              },
              result: 'failed',
            };
        }
      },
      {
        write: async (next, expectedVersion, event) => {
          if (!event || !mark) throw new Error('a transfer result is a state change with its ledger mark');
          await deps.claims.recordTransfer(next, expectedVersion, event, mark);
          return true;
        },
      },
    );
    return result;
  } catch (error) {
    if (error instanceof NotFoundError) return unknown as RowOutcome;
    // The batch is run again by the workflow; the rows it applied already are no-ops then.
    if (error instanceof ClaimBusyError) throw new TransientError(`a claim of row ${row} kept changing`);
    throw error;
  }
}
