// The top of a claim page for the people who verify it: the receipt in a viewer that stays in
// view (beside the rest on a desk, above it on a phone; for a claim found in the departments'
// data, its records in the receipt's place), the decision form right next to it, and
// who the household is: head of household, members, village, roster status periods, its other
// claims of the year in this category and the cap left. The API decides who may read that
// (GET /claims/{claimId}/review-context); the page only asks when the role may.
import type { ComponentChildren } from 'preact';
import { apiJson, api } from '../api.ts';
import { hasRole, rolesAllowed } from '../context.ts';
import { formatDate, formatFen, formatMaybeFen } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import type { ClaimDetail, Principal, ReceiptLink } from '../types.ts';
import type { ReviewContext } from '#shared/api/review-context.ts';
import { useAsync } from '../use-async.ts';
import { href } from '../router.ts';
import { errorMessage, Field, Loading, StateBadge, StatusBadge } from '../components.tsx';
import { ReceiptPreview } from '../receipt-viewer.tsx';
import { isInReview } from '#shared/review-rounds.ts';
import { FeedEvidence, FeedRecordTable } from './feed-evidence.tsx';
import './review-panel.css';

const contextRoles = rolesAllowed('get-review-context');
const receiptRoles = rolesAllowed('get-receipt');

/** The review layout is for a claim waiting at a gate, shown to the roles that may read its context. */
export function showsReviewPanel(claim: Pick<ClaimDetail, 'state'>, principal: Principal): boolean {
  return isInReview(claim.state) && hasRole(principal, ...contextRoles);
}

/**
 * The receipt, the decision and the household. On a desk the receipt takes the left column of
 * the whole page and stays in view (review-panel.css lays the page out around it); on a phone
 * everything is one column, receipt first.
 */
export function ReviewPanel({
  claim,
  principal,
  decision,
}: {
  claim: ClaimDetail;
  principal: Principal;
  decision: ComponentChildren;
}) {
  // A data-feed claim's records: nothing personal, shown to everyone who reviews it.
  const showsReceipts =
    claim.source === 'data-feed' || (hasRole(principal, ...receiptRoles) && claim.receipts.length > 0);
  return (
    <div class={showsReceipts ? 'review-grid' : 'review-grid no-receipt'}>
      {showsReceipts && (
        <div class="review-receipt">
          <ReceiptPanel claim={claim} />
        </div>
      )}
      <div class="review-side">
        {decision}
        <HouseholdContext claimId={claim.claimId} />
      </div>
    </div>
  );
}

/**
 * This claim's receipts; for a possible duplicate, this claim's and the other claim's side by
 * side (one above the other on a phone), so both stay in view while the reviewer decides.
 */
function ReceiptPanel({ claim }: { claim: ClaimDetail }) {
  const duplicates = claim.possibleDuplicates ?? [];
  const fromFeed = claim.source === 'data-feed';
  if (duplicates.length === 0 && fromFeed) return <FeedEvidence claim={claim} idSuffix="-review" />;
  return (
    <section class="card receipt-view" aria-labelledby="review-receipt-title">
      <h2 id="review-receipt-title">{t('claim.receipt')}</h2>
      {duplicates.length === 0 ? (
        <ReceiptFigures claimId={claim.claimId} count={claim.receipts.length} />
      ) : (
        duplicates.map((d) => (
          <div key={d.claimId ?? d.recordKey} class="rv-compare" data-testid="receipt-compare">
            <p class="notice warn">
              {t('review.duplicateNotice')}{' '}
              {t(
                d.by === 'image'
                  ? 'claim.duplicateByImage'
                  : d.by === 'feed'
                    ? 'claim.duplicateByFeed'
                    : 'claim.duplicateByFacts',
              )}{' '}
              {d.claimId !== undefined ? (
                <a href={href(`/claims/${d.claimId}`)} class="mono" title={d.claimId}>
                  {d.claimId.slice(-8)}
                </a>
              ) : (
                <span class="mono">{t('claim.duplicateRecord', { record: d.recordKey ?? '' })}</span>
              )}
            </p>
            <div class="rv-pair">
              <div>
                <h3>
                  {t('review.thisClaimReceipts')} <StateBadge state={claim.state} />
                </h3>
                {fromFeed ? (
                  <FeedRecordTable records={claim.feedEvidence} />
                ) : (
                  <ReceiptFigures claimId={claim.claimId} count={claim.receipts.length} />
                )}
              </div>
              {d.claimId !== undefined ? (
                <OtherClaimReceipts claimId={d.claimId} />
              ) : (
                <div>
                  <h3>{t('claim.duplicateRecord', { record: d.recordKey ?? '' })}</h3>
                  <FeedRecordTable
                    records={claim.duplicateRecords.filter((r) => `${r.kind}:${r.recordId}` === d.recordKey)}
                  />
                </div>
              )}
            </div>
          </div>
        ))
      )}
    </section>
  );
}

function OtherClaimReceipts({ claimId }: { claimId: string }) {
  const other = useAsync(() => api.claim(claimId), [claimId]);
  return (
    <div>
      <h3>
        {t('review.otherClaimReceipts')} {other.data && <StateBadge state={other.data.state} />}
      </h3>
      {other.data?.source === 'data-feed' ? (
        <FeedRecordTable records={other.data.feedEvidence} />
      ) : other.data ? (
        <ReceiptFigures claimId={claimId} count={other.data.receipts.length} />
      ) : other.loading ? (
        <Loading />
      ) : (
        <p class="muted">{t('claim.receiptUnavailable')}</p>
      )}
    </div>
  );
}

/** A claim's receipts, images in viewers, PDFs in the browser's own viewer. */
function ReceiptFigures({ claimId, count }: { claimId: string; count: number }) {
  const links = useAsync(
    () =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          api.receipt(claimId, i + 1).then(
            (link): ReceiptLink | undefined => link,
            () => undefined,
          ),
        ),
      ),
    [claimId, count],
  );
  if (links.loading && !links.data) return <Loading />;
  return (
    <>
      {links.data?.map((link, i) =>
        link ? (
          <ReceiptPreview key={i} link={link} n={i + 1} />
        ) : (
          <p key={i} class="muted">
            {t('claim.receiptUnavailable')}
          </p>
        ),
      )}
    </>
  );
}

function HouseholdContext({ claimId }: { claimId: string }) {
  const context = useAsync(
    () => apiJson<ReviewContext>('GET', `/claims/${encodeURIComponent(claimId)}/review-context`),
    [claimId],
  );
  const c = context.data;
  return (
    <section class="card review-context" aria-labelledby="review-household-title">
      <h2 id="review-household-title">{t('review.household')}</h2>
      {context.loading && !c && <Loading />}
      {context.error !== undefined && (
        <p class="notice error" role="alert">
          {t('review.contextUnavailable')} {errorMessage(context.error)}
        </p>
      )}
      {c && !c.household && <p class="muted">{t('review.notOnRoster')}</p>}
      {c?.household && (
        <>
          <dl class="fields">
            <Field label={t('households.head')}>
              <strong data-testid="review-head">{c.household.headName}</strong>
            </Field>
            <Field label={t('review.members')}>
              {t('households.members', { n: c.household.memberCount })}
              {c.household.members.length > 0 && (
                <ul class="plain" data-testid="review-members">
                  {c.household.members.map((m) => (
                    <li key={m.idNumber}>
                      {m.name}（{t(`relation.${m.relation}`)}）<span class="mono">{m.idNumber}</span>
                    </li>
                  ))}
                </ul>
              )}
            </Field>
            <Field label={t('households.village')}>{c.household.village}</Field>
            <Field label={t('claim.household')}>
              <span class="mono">{c.household.householdId}</span>
            </Field>
            <Field label={t('review.idMasked')}>
              <span class="mono">{c.household.idNumber}</span>
            </Field>
            <Field label={t('claim.gridWorker')}>{c.household.gridWorker}</Field>
          </dl>
          <h3>{t('review.statusHistory')}</h3>
          <ol class="review-periods" data-testid="review-periods">
            {c.household.periods.map((p) => (
              <li key={p.from} class={p.coversExpense ? 'covers' : undefined}>
                <StatusBadge status={p.status} />{' '}
                <span>
                  {p.until
                    ? t('review.periodRange', { from: formatDate(p.from), until: formatDate(p.until) })
                    : t('review.periodFrom', { from: formatDate(p.from) })}
                </span>
                {p.coversExpense && <strong class="review-mark"> · {t('review.coversExpense')}</strong>}
              </li>
            ))}
          </ol>
        </>
      )}
      {c?.cap && (
        <>
          <h3>{t('review.capTitle', { year: c.cap.year })}</h3>
          <dl class="fields" data-testid="review-cap">
            <Field label={t('quote.cap')}>{formatFen(c.cap.capFen)}</Field>
            <Field label={t('review.capUsed')}>{formatFen(c.cap.usedFen)}</Field>
            <Field label={t('review.capRemaining')}>
              <strong>{formatFen(c.cap.remainingFen)}</strong>
            </Field>
            <Field label={t('review.thisClaim')}>{formatFen(c.cap.thisClaimFen)}</Field>
          </dl>
        </>
      )}
      {c && c.capYear !== null && (
        <>
          <h3>{t('review.otherClaims', { year: c.capYear, category: tCode('category', c.category) })}</h3>
          {c.otherClaims.length === 0 ? (
            <p class="muted">{t('review.noOtherClaims')}</p>
          ) : (
            <ul class="review-claims" data-testid="review-other-claims">
              {c.otherClaims.map((o) => (
                <li key={o.claimId}>
                  <a href={href(`/claims/${o.claimId}`)} class="mono" title={o.claimId}>
                    {o.claimId.slice(-8)}
                  </a>{' '}
                  <StateBadge state={o.state} />
                  {o.source === 'data-feed' && (
                    <>
                      {' '}
                      <span class="badge info" title={t('claims.foundInDataHint')}>
                        {t('claims.foundInData')}
                      </span>
                    </>
                  )}
                  {o.reason && <span class="muted"> · {tCode('reason', o.reason)}</span>}
                  <span class="review-claim-facts">
                    {formatDate(o.expenseDate)} · {formatMaybeFen(o.totalCostFen)} ·{' '}
                    {o.paidFen !== null
                      ? t('review.paid', { amount: formatFen(o.paidFen) })
                      : o.estimateFen !== null
                        ? t('claims.estimate', { amount: formatFen(o.estimateFen) })
                        : '—'}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
