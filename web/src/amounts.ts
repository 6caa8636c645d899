// What people type into an amount box, made into the API's yuan string. Phones with a
// Chinese IME often give full-width digits (２２７００．５); people also write 22,700 or ¥22700.
// Anything still odd goes to parseYuan, whose message says what is wrong.
import { fenToYuan, parseYuan, type ParseYuanResult } from '#shared/money.ts';
import type { ClaimState } from '#shared/vocabulary.ts';
import { openStates, paidStates } from '#shared/claim-groups.ts';

export function normalizeAmount(input: string): string {
  return input
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/[,，\s¥￥元]/g, '');
}

export function readAmount(input: string, emptyAsZero = false): ParseYuanResult {
  const text = normalizeAmount(input);
  if (text === '' && emptyAsZero) return { ok: true, fen: 0 };
  return parseYuan(text);
}

/** The canonical yuan string the API and the manifest carry ("22700.00"). */
export function canonicalYuan(fen: number): string {
  return fenToYuan(fen);
}

// ---- What a claim's amount means, by its state -------------------------------------------------

type AmountClaim = {
  readonly state: ClaimState;
  readonly payoutFen?: number | undefined;
  readonly assessment?: { readonly payoutFen: number } | undefined;
};

/**
 * Why an estimate may still change before it is paid: review (or an appeal's review) may refuse
 * it, an objection during the public notice sends it back to review, the fund may be empty for a
 * while, and the cap left at payment may cut it.
 */
export type EstimateCaveat = 'review' | 'appeal' | 'notice' | 'funds' | 'cap';

/**
 * The amount a claim shows. Only a paid claim (PAID, DISBURSED, DISBURSEMENT_FAILED) has a
 * 赔付金额, fixed when it was paid; a failed transfer is sent again for the same amount
 * (`transferFailed`). An open claim shows its priced amount as an estimate (预计赔付), with why it
 * may still change: while on notice (公示中) or waiting for the fund (待资金) too, because the
 * amount is fixed only when the payout is recorded. A rejected claim pays nothing, whatever it
 * was priced at.
 */
export type ClaimAmount =
  | { readonly kind: 'paid'; readonly fen: number; readonly transferFailed: boolean }
  | { readonly kind: 'estimate'; readonly fen: number; readonly caveats: readonly EstimateCaveat[] }
  | { readonly kind: 'none' };

const paid: ReadonlySet<ClaimState> = new Set(paidStates);
const open: ReadonlySet<ClaimState> = new Set(openStates);

const caveatsOf: Partial<Record<ClaimState, readonly EstimateCaveat[]>> = {
  APPEALED: ['appeal', 'cap'],
  APPROVED: ['cap'],
  NOTICE: ['notice', 'cap'],
  AWAITING_FUNDS: ['funds', 'cap'],
};

export function claimAmount(claim: AmountClaim): ClaimAmount {
  if (paid.has(claim.state)) {
    const fen = claim.payoutFen ?? claim.assessment?.payoutFen;
    return fen === undefined
      ? { kind: 'none' }
      : { kind: 'paid', fen, transferFailed: claim.state === 'DISBURSEMENT_FAILED' };
  }
  if (open.has(claim.state) && claim.assessment) {
    const caveats = caveatsOf[claim.state] ?? ['review', 'cap'];
    return { kind: 'estimate', fen: claim.assessment.payoutFen, caveats };
  }
  return { kind: 'none' };
}

/** What this claim takes from the cap: its payout when paid, its estimate while open, else 0. */
export function claimTakesFen(claim: AmountClaim): number {
  const amount = claimAmount(claim);
  return amount.kind === 'none' ? 0 : amount.fen;
}

/**
 * The household's cap left after this claim (本次赔付后剩余): what was left when it was priced,
 * less what it pays (or would pay, while open). A rejected claim takes nothing.
 */
export function capAfterClaim(capRemainingFen: number, takesFen: number): number {
  return Math.max(0, capRemainingFen - takesFen);
}
