// The live quote: the shared compensation engine (the one the workflow pays with) run in the
// browser on every keystroke, with each band shown so a household can follow the arithmetic.
import { quote } from '#shared/compensation.ts';
import { reviewExpected } from '#shared/review-routing.ts';
import { formatFen, formatRate, formatYuanPlain } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import type { Category, Policy } from '../types.ts';
import type { BandPayout } from '#shared/compensation.ts';
import { capAfterClaim } from '../amounts.ts';

export interface QuotePanelProps {
  readonly policy: Policy | undefined;
  readonly category: Category;
  readonly totalFen: number | undefined;
  readonly reimbursedFen: number | undefined;
  /** undefined: not known (offline), priced as if nothing were used yet. */
  readonly capUsedFen: number | undefined;
  /** Under annual accumulation: the household's counted self-paid total this year (undefined: unknown). */
  readonly countedFen?: number | undefined;
}

export function QuotePanel({
  policy,
  category,
  totalFen,
  reimbursedFen,
  capUsedFen,
  countedFen,
}: QuotePanelProps) {
  const body = () => {
    if (!policy) return <p>{t('quote.noPolicy')}</p>;
    if (totalFen === undefined || reimbursedFen === undefined)
      return <p class="muted">{t('quote.enterAmounts')}</p>;
    const result = quote(policy, category, totalFen, reimbursedFen, capUsedFen ?? 0, countedFen ?? 0);
    if (!result.ok) {
      return <p>{reimbursedFen > totalFen ? t('claim.reimbursedTooMuch') : t('quote.notCovered')}</p>;
    }
    const q = result.quote;
    const review = reviewExpected(policy, category, q.payoutFen);
    return (
      <>
        <Breakdown c={q} takesFen={q.payoutFen} />
        <p class="payout" aria-live="polite">
          <span>{t('quote.payout')}</span>
          <output data-testid="quote-payout">{formatFen(q.payoutFen)}</output>
        </p>
        {q.capLimited && <p class="hint">{t('quote.capLimited')}</p>}
        {capUsedFen === undefined && <p class="hint">{t('quote.capUnknown')}</p>}
        {q.countedBeforeFen !== undefined && (
          <p class="hint" data-testid="quote-accumulated">
            {t('quote.accumulated', { before: formatFen(q.countedBeforeFen) })}
          </p>
        )}
        {review && q.payoutFen > 0 && <p class="hint">{t('quote.review')}</p>}
        <p class="hint">
          {t('quote.note', { policy: policy.policyId, version: policy.version })} ·{' '}
          {tCode('category', category)}
        </p>
      </>
    );
  };
  return (
    <section class="card quote" aria-labelledby="quote-title">
      <h2 id="quote-title">{t('quote.title')}</h2>
      {body()}
    </section>
  );
}

/**
 * One line with the expected payout, kept in sight while amounts are typed on a phone (the full
 * breakdown sits below the form): sticky at the top of the screen, just above the amount fields.
 * Not a live region: the full panel's payout already is, so a screen reader hears it once.
 */
export function QuoteSummary({
  policy,
  category,
  totalFen,
  reimbursedFen,
  capUsedFen,
  countedFen,
}: QuotePanelProps) {
  let text: string;
  let amount: string | undefined;
  let review = false;
  if (!policy) text = t('quote.noPolicy');
  else if (totalFen === undefined || reimbursedFen === undefined) text = t('quote.enterAmounts');
  else {
    const result = quote(policy, category, totalFen, reimbursedFen, capUsedFen ?? 0, countedFen ?? 0);
    if (!result.ok) text = reimbursedFen > totalFen ? t('claim.reimbursedTooMuch') : t('quote.notCovered');
    else {
      text = t('quote.payout');
      amount = formatFen(result.quote.payoutFen);
      review = result.quote.payoutFen > 0 && reviewExpected(policy, category, result.quote.payoutFen);
    }
  }
  return (
    <div class="quote-summary" data-testid="quote-summary">
      <span>{text}</span>
      {amount !== undefined && <strong class="amount">{amount}</strong>}
      {review && <span class="hint">{t('quote.reviewShort')}</span>}
    </div>
  );
}

/** The pricing lines of a quote or of a stored assessment (same shape, same engine). */
export interface Priced {
  readonly selfPaidFen: number;
  readonly bands: readonly BandPayout[];
  readonly grossFen: number;
  readonly capFen: number;
  readonly capRemainingFen: number;
  readonly thresholdFen?: number;
}

/**
 * `takesFen`: what this claim pays, or would pay while open (0 for a rejected one): the cap line
 * shows what is left after it, never what was left before it.
 */
export function Breakdown({ c, takesFen }: { c: Priced; takesFen: number }) {
  return (
    <dl class="quote-lines">
      <div>
        <dt>{t('quote.selfPaid')}</dt>
        <dd>{formatFen(c.selfPaidFen)}</dd>
      </div>
      {c.bands.length === 0 && c.thresholdFen !== undefined && (
        <div class="below">
          <dt>{t('quote.threshold')}</dt>
          <dd>{t('quote.belowThreshold', { threshold: formatFen(c.thresholdFen) })}</dd>
        </div>
      )}
      {c.bands.map((b) => (
        <div key={b.fromFen}>
          <dt>
            {b.rateBp === null
              ? t('quote.grant', { from: formatYuanPlain(b.fromFen) })
              : b.toFen === null
                ? t('quote.bandOpen', { from: formatYuanPlain(b.fromFen), rate: formatRate(b.rateBp) })
                : t('quote.band', {
                    from: formatYuanPlain(b.fromFen),
                    to: formatYuanPlain(b.toFen),
                    rate: formatRate(b.rateBp),
                  })}
          </dt>
          <dd>{formatFen(b.payoutFen)}</dd>
        </div>
      ))}
      {c.bands.length > 1 && (
        <div>
          <dt>{t('quote.gross')}</dt>
          <dd>{formatFen(c.grossFen)}</dd>
        </div>
      )}
      <div>
        <dt>{t('quote.capAfter')}</dt>
        <dd data-testid="cap-after">
          {formatFen(capAfterClaim(c.capRemainingFen, takesFen))} / {formatFen(c.capFen)}
        </dd>
      </div>
    </dl>
  );
}
