// The live quote: the shared compensation engine (the one the workflow pays with) run in the
// browser on every keystroke, with each band shown so a household can follow the arithmetic.
import { quote } from '#shared/compensation.ts';
import { reviewExpected } from '#shared/review-routing.ts';
import { formatFen, formatRate, formatYuanPlain } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import type { Category, Policy } from '../types.ts';
import type { BandPayout } from '#shared/compensation.ts';

export interface QuotePanelProps {
  readonly policy: Policy | undefined;
  readonly category: Category;
  readonly totalFen: number | undefined;
  readonly reimbursedFen: number | undefined;
  /** undefined: not known (offline), priced as if nothing were used yet. */
  readonly capUsedFen: number | undefined;
}

export function QuotePanel({ policy, category, totalFen, reimbursedFen, capUsedFen }: QuotePanelProps) {
  const body = () => {
    if (!policy) return <p>{t('quote.noPolicy')}</p>;
    if (totalFen === undefined || reimbursedFen === undefined)
      return <p class="muted">{t('quote.enterAmounts')}</p>;
    const result = quote(policy, category, totalFen, reimbursedFen, capUsedFen ?? 0);
    if (!result.ok) {
      return (
        <p>
          {reimbursedFen > totalFen
            ? t('error.INVALID_REQUEST', { message: result.error })
            : t('quote.notCovered')}
        </p>
      );
    }
    const q = result.quote;
    const review = reviewExpected(policy, category, q.payoutFen);
    return (
      <>
        <Breakdown c={q} />
        <p class="payout" aria-live="polite">
          <span>{t('quote.payout')}</span>
          <output data-testid="quote-payout">{formatFen(q.payoutFen)}</output>
        </p>
        {q.capLimited && <p class="hint">{t('quote.capLimited')}</p>}
        {capUsedFen === undefined && <p class="hint">{t('quote.capUnknown')}</p>}
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

/** The pricing lines of a quote or of a stored assessment (same shape, same engine). */
export interface Priced {
  readonly selfPaidFen: number;
  readonly bands: readonly BandPayout[];
  readonly grossFen: number;
  readonly capFen: number;
  readonly capRemainingFen: number;
  readonly thresholdFen?: number;
}

export function Breakdown({ c }: { c: Priced }) {
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
        <dt>{t('quote.capLeft')}</dt>
        <dd>
          {formatFen(c.capRemainingFen)} / {formatFen(c.capFen)}
        </dd>
      </div>
    </dl>
  );
}
