// One claim: what a reviewer needs to decide (the receipt, the household's roster status on
// the expense date, the pricing per band, the cap left, the history) and the decision form.
// Four-eyes is checked here with the API's own rule (checkGateDecision), and again by the API.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { hasRole, rolesAllowed, useApp } from '../context.ts';
import { formatDate, formatDateTime, formatFen, formatMaybeFen, reviewReasonText } from '../format.ts';
import { actorText, noteText, pick, t, tCode } from '../i18n.ts';
import { claimAmount, claimTakesFen } from '../amounts.ts';
import { cached } from '../offline-cache.ts';
import type { ClaimDetail, GateId, Policy, ReceiptLink } from '../types.ts';
import { gateLabel, gateStatus, reviewOption } from '../review-state.ts';
import { useAsync } from '../use-async.ts';
import { href } from '../router.ts';
import { ErrorBox, errorMessage, Field, Loading, Page, StateBadge, StatusBadge } from '../components.tsx';
import { Breakdown } from './quote-panel.tsx';
import { ReviewPanel, showsReviewPanel } from './review-panel.tsx';
import { ReceiptPreview } from '../receipt-viewer.tsx';
import { ClaimCourse } from './claim-course.tsx';
import { FeedEvidence, FeedRecordTable } from './feed-evidence.tsx';
import { EarlierRounds, SendBackPanel } from './review-rounds.tsx';
import { isInReview } from '#shared/review-rounds.ts';

/** States the workflow leaves by itself within seconds: keep asking. */
const moving = new Set<ClaimDetail['state']>(['RECEIVED', 'APPROVED']);
/** Who sees what a rejected claim would have been paid: the people who review claims. */
const pricingRoles = [...rolesAllowed('decide-review'), 'admin' as const];
/** Who sees receipts (and so the claims a receipt may repeat): the API's own rule. */
const receiptRoles = rolesAllowed('get-receipt');

export function ClaimPage({ claimId }: { claimId: string }) {
  const { principal } = useApp();
  const [claim, setClaim] = useState<ClaimDetail | undefined>();
  const [error, setError] = useState<unknown>();
  const [polls, setPolls] = useState(0);
  // Lives here, not in the form: the form goes away once the claim moves to the next gate.
  const [decided, setDecided] = useState(false);
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);

  const load = async () => {
    try {
      setClaim(await api.claim(claimId));
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setClaim(undefined);
    setPolls(0);
    setDecided(false);
    void load();
  }, [claimId]);

  // Just uploaded (404 until the workflow records it) or still moving: look again shortly.
  const waiting =
    (error instanceof ApiError && error.status === 404 && polls < 30) ||
    (claim !== undefined && moving.has(claim.state) && polls < 60);
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => {
      setPolls((n) => n + 1);
      void load();
    }, 1500);
    return () => clearTimeout(timer);
  }, [waiting, polls]);

  if (!claim) {
    return (
      <Page title={t('claim.title')}>
        {waiting ? (
          <p role="status">{t('claim.processing')}</p>
        ) : error ? (
          <ErrorBox error={error} onRetry={load} />
        ) : (
          <Loading />
        )}
      </Page>
    );
  }

  const a = claim.assessment;
  const amount = claimAmount(claim);
  const policy = a
    ? policies.data?.find((p) => p.policyId === a.policyId && p.version === a.policyVersion)
    : undefined;
  const detail = noteText(claim.detail, { gateLabel: (g) => gateLabel(policy, g) });
  // A claim at a gate, for a reviewer: receipt, decision and household at the top (review-panel.tsx).
  const reviewing = showsReviewPanel(claim, principal);
  const gates = (
    <Gates
      claim={claim}
      policy={policy}
      decidedNotice={decided}
      onDecided={async () => {
        setDecided(true);
        await load();
      }}
    />
  );
  return (
    <Page
      title={`${t('claim.title')} ${claim.householdId ?? ''}`}
      actions={
        <button type="button" class="secondary" onClick={() => void load()}>
          {t('refresh')}
        </button>
      }
    >
      {reviewing && <ReviewPanel claim={claim} principal={principal} decision={gates} />}
      <div class="two-col">
        <div>
          {claim.state === 'DISBURSEMENT_FAILED' && hasRole(principal, 'finance') && (
            <ReissuePanel claimId={claim.claimId} onReissued={() => void load()} />
          )}
          {claim.state === 'ERROR' && hasRole(principal, 'admin') && (
            <RetryPanel
              claimId={claim.claimId}
              onRetried={() => {
                setPolls(0);
                void load();
              }}
            />
          )}
          <SendBackPanel
            claim={claim}
            onSent={async () => {
              setPolls(0);
              await load();
            }}
          />
          <section class="card" aria-labelledby="summary-title">
            <h2 id="summary-title" class="state-line">
              <StateBadge state={claim.state} />
              {claim.reason && <span class="reason">{tCode('reason', claim.reason)}</span>}
            </h2>
            <dl class="fields">
              <AmountField claim={claim} />
              <ClaimCourse claim={claim} />
              {detail && <Field label={t('claim.detail')}>{detail}</Field>}
              <Field label={t('claims.claimId')}>
                <span class="mono">{claim.claimId}</span>
              </Field>
              <Field label={t('claim.household')}>
                {claim.householdId ?? '—'}
                {claim.village ? ` · ${claim.village}` : ''}
              </Field>
              <Field label={t('claim.category')}>{tCode('category', claim.category)}</Field>
              <Field label={t('claim.expenseDate')}>{formatDate(claim.expenseDate)}</Field>
              <Field label={t('claim.totalCost')}>{formatMaybeFen(claim.totalCostFen)}</Field>
              <Field label={t('claim.reimbursed')}>{formatMaybeFen(claim.reimbursedFen)}</Field>
              <Field label={t('claim.rosterOnDate')}>
                {claim.household ? (
                  <>
                    <StatusBadge status={claim.household.status} />{' '}
                    <span class="muted">
                      {t('claim.rosterSince', { date: formatDate(claim.household.statusFrom) })}
                    </span>
                  </>
                ) : claim.householdId ? (
                  <StatusBadge status={null} />
                ) : (
                  '—'
                )}
              </Field>
              <Field label={t('claim.submittedBy')}>{claim.submittedBy ?? '—'}</Field>
              <Field label={t('claims.filed')}>{formatDateTime(claim.filedAt)}</Field>
              {claim.bankTransfer && (
                <Field label={t('claim.bankRef')}>
                  {t('claim.bankRefValue', {
                    ref: claim.bankTransfer.bankRef,
                    time: formatDateTime(claim.bankTransfer.at),
                  })}
                </Field>
              )}
              {claim.bankFailure && (
                <Field
                  label={t(
                    claim.state === 'DISBURSEMENT_FAILED' ? 'claim.bankFailure' : 'claim.earlierFailure',
                  )}
                >
                  {t('claim.bankFailureValue', {
                    reason: claim.bankFailure.reason || t('claim.bankFailureNoReason'),
                    row: claim.bankFailure.row ?? '—',
                    time: formatDateTime(claim.bankFailure.at),
                  })}
                </Field>
              )}
              {claim.disbursement && (
                <Field label={t('ledger.disbursed')}>
                  {t('claim.disbursement', { batch: claim.disbursement.batchRef })} ·{' '}
                  {formatDateTime(claim.disbursement.at)}
                </Field>
              )}
            </dl>
          </section>

          {a && (amount.kind !== 'none' || hasRole(principal, ...pricingRoles)) && (
            <section class="card" aria-labelledby="pricing-title">
              <h2 id="pricing-title">{t('claim.pricing')}</h2>
              {amount.kind === 'none' && <p class="notice warn">{t('claim.pricingRejected')}</p>}
              <Breakdown c={a} takesFen={claimTakesFen(claim)} />
              <p class={amount.kind === 'none' ? 'payout would-have' : 'payout'}>
                <span>
                  {amount.kind === 'paid'
                    ? t('claims.payout')
                    : amount.kind === 'estimate'
                      ? t('claim.estimate')
                      : t('claim.wouldHavePaid')}
                </span>
                <output>{formatFen(amount.kind === 'none' ? a.payoutFen : amount.fen)}</output>
              </p>
              <p class="hint">
                {t('claim.policy')}: {policy ? pick(policy.name) : a.policyId} v{a.policyVersion} ·{' '}
                {a.capYear}
              </p>
              {(claim.reviewReasons ?? []).length > 0 && (
                <>
                  <h3>{t('claim.reviewReasons')}</h3>
                  <ul>
                    {(claim.reviewReasons ?? []).map((r, i) => (
                      <li key={i}>{reviewReasonText(r)}</li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          )}

          {!reviewing &&
            hasRole(principal, ...receiptRoles) &&
            (claim.possibleDuplicates ?? []).length > 0 && <PossibleDuplicates claim={claim} />}

          {!reviewing &&
            (isInReview(claim.state) ||
              Object.keys(claim.gates).length > 0 ||
              (claim.earlierGates ?? []).length > 0) &&
            gates}

          <History claim={claim} policy={policy} />
        </div>
        {/* A data-feed claim's records in place of receipts: nothing personal, for all who see the claim. */}
        {!reviewing && claim.source === 'data-feed' && <FeedEvidence claim={claim} />}
        {!reviewing &&
          claim.source !== 'data-feed' &&
          hasRole(principal, ...receiptRoles) &&
          claim.receipts.length > 0 && <Receipts claim={claim} />}
      </div>
    </Page>
  );
}

/**
 * The amount, by what it means: 赔付金额 once paid; 预计赔付 with why it may still change while
 * the claim is open; 不予赔付 for a rejected claim; a dash before it is priced.
 */
function AmountField({ claim }: { claim: ClaimDetail }) {
  const amount = claimAmount(claim);
  if (amount.kind === 'paid')
    return (
      <Field label={t('claims.payout')}>
        <strong class="amount" data-testid="claim-payout">
          {formatFen(amount.fen)}
        </strong>
        {amount.transferFailed && (
          <span class="hint" data-testid="claim-transfer-failed">
            {t('claim.transferFailed')}
          </span>
        )}
      </Field>
    );
  if (amount.kind === 'estimate')
    return (
      <Field label={t('claim.estimate')}>
        <span class="amount estimate" data-testid="claim-estimate">
          {formatFen(amount.fen)}
        </span>
        <span class="hint">{amount.caveats.map((c) => t(`claim.estimateWhy.${c}`)).join('；')}</span>
      </Field>
    );
  return (
    <Field label={t('claims.payout')}>
      <span data-testid="claim-payout">
        {claim.state === 'REJECTED' ? t('claim.nothingPayable') : formatMaybeFen(undefined)}
      </span>
    </Field>
  );
}

function Receipts({ claim, idSuffix = '' }: { claim: ClaimDetail; idSuffix?: string }) {
  const links = useAsync(
    () =>
      Promise.all(claim.receipts.map((_, i) => api.receipt(claim.claimId, i + 1).catch((e: unknown) => e))),
    [claim.claimId, claim.receipts.length],
  );
  return (
    <section class="card receipt-view" aria-labelledby={`receipt-title${idSuffix}`}>
      <h2 id={`receipt-title${idSuffix}`}>{t('claim.receipt')}</h2>
      {links.loading && <Loading />}
      {links.data?.map((link, i) =>
        link && typeof link === 'object' && 'url' in link ? (
          <ReceiptPreview key={i} link={link as ReceiptLink} n={i + 1} />
        ) : (
          <p key={i} class="muted">
            {t('claim.receiptUnavailable')}
          </p>
        ),
      )}
    </section>
  );
}

/** A claim's evidence: its receipts, or for a data-feed claim its records. */
function Evidence({ claim, idSuffix }: { claim: ClaimDetail; idSuffix: string }) {
  return claim.source === 'data-feed' ? (
    <FeedEvidence claim={claim} idSuffix={idSuffix} />
  ) : (
    <Receipts claim={claim} idSuffix={idSuffix} />
  );
}

/**
 * The claims (or department records) this one may repeat, each with its evidence beside this
 * claim's, for the reviewer to compare.
 */
function PossibleDuplicates({ claim }: { claim: ClaimDetail }) {
  const others = useAsync(
    () =>
      Promise.all(
        (claim.possibleDuplicates ?? []).map((d) =>
          d.claimId === undefined ? undefined : api.claim(d.claimId).catch((e: unknown) => e),
        ),
      ),
    [claim.claimId],
  );
  return (
    <section class="card duplicates" aria-labelledby="duplicates-title">
      <h2 id="duplicates-title">{t('claim.duplicatesTitle')}</h2>
      <p class="notice warn">{t('claim.duplicatesHint')}</p>
      {(claim.possibleDuplicates ?? []).map((d, i) => {
        const other = others.data?.[i];
        const record = claim.duplicateRecords.find((r) => `${r.kind}:${r.recordId}` === d.recordKey);
        return (
          <div key={d.claimId ?? d.recordKey} class="side-by-side">
            <p>
              {t(
                d.by === 'image'
                  ? 'claim.duplicateByImage'
                  : d.by === 'feed'
                    ? 'claim.duplicateByFeed'
                    : 'claim.duplicateByFacts',
              )}{' '}
              {d.claimId !== undefined && (
                <a href={href(`/claims/${d.claimId}`)} class="mono">
                  {d.claimId}
                </a>
              )}
              {d.claimId === undefined && d.recordKey !== undefined && (
                <span class="mono">{t('claim.duplicateRecord', { record: d.recordKey })}</span>
              )}
              {other && typeof other === 'object' && 'state' in other && (
                <>
                  {' '}
                  <StateBadge state={(other as ClaimDetail).state} />
                </>
              )}
            </p>
            <div class="two-col">
              <Evidence claim={claim} idSuffix={`-this-${i}`} />
              {other && typeof other === 'object' && 'receipts' in other ? (
                <Evidence claim={other as ClaimDetail} idSuffix={`-other-${i}`} />
              ) : record ? (
                <section class="card">
                  <FeedRecordTable records={[record]} />
                </section>
              ) : (
                <p class="muted">{t('claim.receiptUnavailable')}</p>
              )}
            </div>
          </div>
        );
      })}
    </section>
  );
}

function Gates({
  claim,
  policy,
  onDecided,
  decidedNotice = false,
}: {
  claim: ClaimDetail;
  policy: Policy | undefined;
  onDecided: () => Promise<void>;
  decidedNotice?: boolean;
}) {
  const { principal } = useApp();
  // The gates this claim needs; older claims (none stored) need every gate of their policy.
  const gates = claim.requiredGates ?? policy?.review.gates.map((g) => g.id) ?? Object.keys(claim.gates);
  const option = reviewOption(claim, principal, policy);

  return (
    <section class="card" aria-labelledby="gates-title">
      <h2 id="gates-title">{t('claim.gates')}</h2>
      {decidedNotice && (
        <p class="notice ok" role="status">
          {t('claim.decided')}
        </p>
      )}
      <ol class="gates">
        {gates.map((g) => {
          const d = claim.gates[g];
          const status = gateStatus(claim, g);
          return (
            <li key={g} class={d ? `gate ${d.decision}` : status === 'current' ? 'gate current' : 'gate'}>
              <strong>{gateLabel(policy, g)}</strong>{' '}
              {d ? (
                <span>
                  {t('claim.gateBy', {
                    user: d.by,
                    at: formatDateTime(d.at),
                    decision: d.decision === 'approve' ? t('claim.approved') : t('claim.rejected'),
                  })}
                  {d.comment && <q class="comment">{d.comment}</q>}
                </span>
              ) : (
                <span class="muted">
                  {status === 'current'
                    ? t('claim.gatePending')
                    : status === 'queued'
                      ? t('claim.gateQueued')
                      : t('claim.gateNotStarted')}
                </span>
              )}
            </li>
          );
        })}
      </ol>
      <EarlierRounds claim={claim} policy={policy} />
      {option.kind === 'fourEyes' && (
        <p class="notice warn">{t('claim.fourEyes', { gate: gateLabel(policy, option.decidedGate) })}</p>
      )}
      {option.kind === 'otherGate' && (
        <p class="muted">{t('claim.notYourGate', { gate: gateLabel(policy, option.gate) })}</p>
      )}
      {option.kind === 'refused' && <p class="notice warn">{t('claim.gateRefused')}</p>}
      {option.kind === 'involved' && <p class="notice warn">{t('claim.involved')}</p>}
      {option.kind === 'earlierRound' && (
        <p class="notice warn">
          {t(option.why === 'OBJECTED' ? 'claim.objectorRefused' : 'claim.earlierRoundRefused')}
        </p>
      )}
      {option.kind === 'decide' && (
        <DecisionForm
          claimId={claim.claimId}
          gate={option.gate}
          label={gateLabel(policy, option.gate)}
          onDecided={onDecided}
        />
      )}
    </section>
  );
}

function DecisionForm({
  claimId,
  gate,
  label,
  onDecided,
}: {
  claimId: string;
  gate: GateId;
  label: string;
  onDecided: () => Promise<void>;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const decide = async (decision: 'approve' | 'reject') => {
    if (decision === 'reject' && !comment.trim()) {
      setMessage(t('claim.commentRequired'));
      document.getElementById('review-comment')?.focus();
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      await api.decide(claimId, { gate, decision, ...(comment.trim() ? { comment: comment.trim() } : {}) });
    } catch (e) {
      setMessage(errorMessage(e));
      setBusy(false);
      return;
    }
    await onDecided();
  };
  return (
    <form class="decision" onSubmit={(e) => e.preventDefault()}>
      <h3>{t('claim.decide', { gate: label })}</h3>
      <label for="review-comment">{t('claim.comment')}</label>
      <textarea
        id="review-comment"
        rows={3}
        maxLength={1000}
        value={comment}
        onInput={(e) => setComment(e.currentTarget.value)}
      />
      {message && (
        <p class="notice error" role="alert">
          {message}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => void decide('approve')}>
          {t('claim.approve')}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void decide('reject')}>
          {t('claim.reject')}
        </button>
      </div>
    </form>
  );
}

function History({ claim, policy }: { claim: ClaimDetail; policy: Policy | undefined }) {
  const options = { gateLabel: (g: string) => gateLabel(policy, g) };
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">{t('claim.history')}</h2>
      <ol class="history">
        {claim.history.map((h, i) => (
          <li key={i}>
            <time dateTime={h.at}>{formatDateTime(h.at)}</time>
            <span>
              <StateBadge state={h.to} /> {t('claim.historyBy', { actor: actorText(h.actor) })}
              {h.reason && <span class="reason"> · {tCode('reason', h.reason)}</span>}
            </span>
            {noteText(h.detail, options) !== undefined && (
              <span class="muted">{noteText(h.detail, options)}</span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * Finance sends a failed transfer again once the household's account is corrected on the roster
 * (the API refuses while the roster still names the refused account, and says so).
 */
function ReissuePanel({ claimId, onReissued }: { claimId: string; onReissued: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const reissue = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.reissue(claimId);
      onReissued();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="reissue-title">
      <h2 id="reissue-title">{t('claim.reissueTitle')}</h2>
      <p>{t('claim.reissueHint')}</p>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {errorMessage(error)}
        </p>
      )}
      <button type="button" disabled={busy} onClick={() => void reissue()}>
        {t('claim.reissue')}
      </button>
    </section>
  );
}

/** An admin sends a claim in ERROR on from where it stopped (the API moves it and restarts its workflow). */
function RetryPanel({ claimId, onRetried }: { claimId: string; onRetried: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const retry = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.retry(claimId);
      onRetried();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="retry-title">
      <h2 id="retry-title">{t('claim.retryTitle')}</h2>
      <p>{t('claim.retryHint')}</p>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {errorMessage(error)}
        </p>
      )}
      <button type="button" disabled={busy} onClick={() => void retry()}>
        {t('claim.retry')}
      </button>
    </section>
  );
}
