// What people type into an amount box, made into the API's yuan string. Phones with a
// Chinese IME often give full-width digits (２２７００．５); people also write 22,700 or ¥22700.
// Anything still odd goes to parseYuan, whose message says what is wrong.
import { fenToYuan, parseYuan, type ParseYuanResult } from '#shared/money.ts';
import { claimStates, type ClaimState } from '#shared/vocabulary.ts';

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

/** Why an estimate may still change before it is paid. */
export type EstimateCaveat = 'review' | 'cap';

/**
 * The amount a claim shows. Only a paid claim (PAID, DISBURSED) has a 赔付金额; an open claim
 * shows its priced amount as an estimate (预计赔付), which the review may refuse and the cap left
 * at payment may cut; a rejected claim pays nothing, whatever it was priced at.
 */
export type ClaimAmount =
  | { readonly kind: 'paid'; readonly fen: number }
  | { readonly kind: 'estimate'; readonly fen: number; readonly caveats: readonly EstimateCaveat[] }
  | { readonly kind: 'none' };

const paidStates: ReadonlySet<ClaimState> = new Set<ClaimState>(['PAID', 'DISBURSED']);
/** States a claim may still be paid from: all but paid and rejected (ERROR resumes where it stopped). */
const openStates: ReadonlySet<ClaimState> = new Set(
  claimStates.filter((s) => !paidStates.has(s) && s !== 'REJECTED'),
);

export function claimAmount(claim: AmountClaim): ClaimAmount {
  if (paidStates.has(claim.state)) {
    const fen = claim.payoutFen ?? claim.assessment?.payoutFen;
    return fen === undefined ? { kind: 'none' } : { kind: 'paid', fen };
  }
  if (openStates.has(claim.state) && claim.assessment) {
    const caveats: EstimateCaveat[] = claim.state === 'APPROVED' ? ['cap'] : ['review', 'cap'];
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
