// After the bank's answer: a failed transfer sent again once the household's account is
// corrected (reissue), and the reconciliation of a period's payouts against what the bank said.
import type { Principal } from '#shared/access.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { claimIdParam } from '#shared/api/claim-id.ts';
import { csvText, ledgerQuerySchema } from '#shared/api/ledger-api.ts';
import { accountSha256, latestPeriod } from '#shared/bank-result.ts';
import { ForbiddenError, StateConflictError } from '#shared/errors.ts';
import { fenToYuan } from '#shared/money.ts';
import { renderMessage } from '#shared/messages/render.ts';
import type { ClaimStore, Clock, LedgerStore, RosterStore } from '#shared/ports.ts';
import type { Lang } from '#shared/vocabulary.ts';

export interface ReissueDeps {
  readonly claims: ClaimStore;
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly clock: Clock;
}

export interface ReissueAnswer {
  readonly claimId: string;
  readonly state: 'PAID';
  /** Times the payout has been sent again, this one included. */
  readonly reissues: number;
}

const mayHandleTransfers = (principal: Principal) =>
  principal.roles.some((r) => r === 'finance' || r === 'admin');

/**
 * DISBURSEMENT_FAILED -> PAID, to be transferred again: only once the household's account on the
 * roster is not the one the bank refused (compared by hash: the claim keeps no account). The
 * payout is the same one: no new ledger entry, the cap and the fund are not touched; the entry's
 * failure is cleared and its reissue count raised, with the claim, in one transaction.
 */
export async function reissueClaim(
  deps: ReissueDeps,
  principal: Principal,
  claimIdText: string,
): Promise<ReissueAnswer> {
  if (!mayHandleTransfers(principal))
    throw new ForbiddenError('FORBIDDEN', 'a transfer is sent again by finance or admin');
  const claimId = claimIdParam(claimIdText);
  let reissues = 0;
  const { claim } = await changeClaim(
    deps,
    claimId,
    async (current): Promise<ClaimChange<null>> => {
      if (current.state !== 'DISBURSEMENT_FAILED')
        throw new StateConflictError(
          'NOT_DISBURSEMENT_FAILED',
          `claim is ${current.state}, not DISBURSEMENT_FAILED`,
          {
            params: { state: current.state },
          },
        );
      const account = current.householdId
        ? latestPeriod(await deps.roster.periods(current.householdId))?.bankAccount
        : undefined;
      if (account === undefined)
        throw new StateConflictError('NO_ROSTER_ACCOUNT', 'the household has no bank account on the roster');
      const failed = current.bankFailure?.accountSha256;
      if (failed === undefined || failed === (await accountSha256(claimId, account)))
        throw new StateConflictError(
          'ACCOUNT_UNCHANGED',
          "the household's roster account is the one the bank refused; import the corrected roster first",
        );
      reissues = ((await deps.claims.ledgerEntry(claimId))?.reissues ?? 0) + 1;
      return {
        kind: 'move',
        to: 'PAID',
        actor: principal.username,
        detail: { code: 'REISSUED', params: { n: reissues } },
        result: null,
      };
    },
    {
      write: async (next, expectedVersion, event) => {
        if (!event) throw new Error('a reissue is a state change: it has its history event');
        await deps.claims.recordTransfer(next, expectedVersion, event, { kind: 'reissued' });
        return true;
      },
    },
  );
  return { claimId: claim.claimId, state: 'PAID', reissues };
}

/** A period's payouts against the bank's answers; every amount in fen. */
export interface Reconciliation {
  readonly from: string;
  readonly to: string;
  readonly region?: string;
  readonly paidFen: number;
  /** The bank confirmed the transfer (its result file, or finance marked the batch disbursed). */
  readonly disbursedFen: number;
  /** The bank refused the transfer and it has not been sent again yet. */
  readonly failedFen: number;
  /** Paid, with no answer from the bank yet (reissued transfers included). */
  readonly outstandingFen: number;
  readonly counts: {
    readonly paid: number;
    readonly disbursed: number;
    readonly failed: number;
    readonly outstanding: number;
    /** Payouts sent again after a failed transfer, whatever they are now. */
    readonly reissued: number;
  };
}

export const reconciliationQuerySchema = ledgerQuerySchema;

/**
 * Reads the ledger entries of the period (streamed, as the export does) and sorts each payout into
 * disbursed, failed or outstanding, so paid = disbursed + failed + outstanding to the fen.
 */
export async function reconcile(ledger: LedgerStore, query: unknown): Promise<Reconciliation> {
  const filter = reconciliationQuerySchema.parse(query);
  const fen = { paid: 0, disbursed: 0, failed: 0, outstanding: 0 };
  const counts = { paid: 0, disbursed: 0, failed: 0, outstanding: 0, reissued: 0 };
  for await (const e of ledger.entries(filter)) {
    const kind = e.disbursedAt ? 'disbursed' : e.failedAt ? 'failed' : 'outstanding';
    fen.paid += e.payoutFen;
    counts.paid += 1;
    fen[kind] += e.payoutFen;
    counts[kind] += 1;
    if ((e.reissues ?? 0) > 0) counts.reissued += 1;
  }
  return {
    from: filter.from,
    to: filter.to,
    ...(filter.region ? { region: filter.region } : {}),
    paidFen: fen.paid,
    disbursedFen: fen.disbursed,
    failedFen: fen.failed,
    outstandingFen: fen.outstanding,
    counts,
  };
}

const reconciliationLines = ['paid', 'disbursed', 'failed', 'outstanding'] as const;

/**
 * The reconciliation as CSV, written as the ledger export writes its files: UTF-8 with a BOM,
 * CRLF, headers in the reader's language, amounts as plain decimal yuan that sum.
 */
export function reconciliationCsv(r: Reconciliation, lang: Lang): string {
  const word = (code: string) => renderMessage({ code, params: {} }, lang);
  const header = ['from', 'to', 'region', 'item', 'count', 'amountYuan'].map((c) =>
    word(`reconciliation.${c}`),
  );
  const fenOf = {
    paid: r.paidFen,
    disbursed: r.disbursedFen,
    failed: r.failedFen,
    outstanding: r.outstandingFen,
  };
  const region = r.region ?? word('reconciliation.allRegions');
  const lines = reconciliationLines.map((item) =>
    [
      r.from,
      r.to,
      // The region is as typed in the query: written as the export writes text (no formulas).
      csvText(region),
      word(`reconciliation.${item}`),
      String(r.counts[item]),
      fenToYuan(fenOf[item]),
    ].join(','),
  );
  return `\uFEFF${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
