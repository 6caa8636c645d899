// Sending a claim back to review, and what earlier rounds decided: a village verifier's (or an
// admin's) objection while the claim is on public notice, the grid worker's one appeal after a
// review rejection, and the objections, appeal and earlier decisions in the review section.
// The API decides who may and when; the page only offers the form to those it would accept.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { hasRole, rolesAllowed, useApp } from '../context.ts';
import { formatDate, formatDateTime } from '../format.ts';
import { t } from '../i18n.ts';
import { gateLabel } from '../review-state.ts';
import { errorMessage } from '../components.tsx';
import type { ClaimDetail, Policy } from '../types.ts';
import { chinaDate } from '#shared/dates.ts';

const MAX_TEXT = 500;
const objectRoles = rolesAllowed('object-claim');
const appealRoles = rolesAllowed('appeal-claim');

/** The objection form, for a claim on notice; the appeal form, for a claim its worker may appeal. */
export function SendBackPanel({ claim, onSent }: { claim: ClaimDetail; onSent: () => Promise<void> }) {
  const { principal } = useApp();
  if (claim.state === 'NOTICE' && hasRole(principal, ...objectRoles))
    return (
      <TextForm
        id="objection"
        title={t('claim.objectTitle')}
        hint={t('claim.objectHint', { until: formatDateTime(claim.noticeEndsAt) })}
        label={t('claim.objectText')}
        submit={t('claim.objectSubmit')}
        done={t('claim.objected')}
        send={(text) => api.object(claim.claimId, text)}
        onSent={onSent}
      />
    );
  const until = claim.appealUntil;
  if (until && chinaDate(new Date()) <= until && hasRole(principal, ...appealRoles))
    return (
      <TextForm
        id="appeal"
        title={t('claim.appealTitle')}
        hint={t('claim.appealHint', { until: formatDate(until) })}
        label={t('claim.appealText')}
        submit={t('claim.appealSubmit')}
        done={t('claim.appealed')}
        send={(text) => api.appeal(claim.claimId, text)}
        onSent={onSent}
      />
    );
  return null;
}

function TextForm(props: {
  id: string;
  title: string;
  hint: string;
  label: string;
  submit: string;
  done: string;
  send: (text: string) => Promise<unknown>;
  onSent: () => Promise<void>;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const field = `${props.id}-text`;
  const send = async () => {
    const trimmed = text.trim();
    if (!trimmed || trimmed.length > MAX_TEXT) {
      setMessage(t('claim.textRequired'));
      document.getElementById(field)?.focus();
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      await props.send(trimmed);
    } catch (e) {
      setMessage(errorMessage(e));
      setBusy(false);
      return;
    }
    setSent(true);
    setBusy(false);
    await props.onSent();
  };
  return (
    <section class="card" aria-labelledby={`${props.id}-title`} data-testid={`${props.id}-form`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <p>{props.hint}</p>
      {sent ? (
        <p class="notice ok" role="status">
          {props.done}
        </p>
      ) : (
        <form onSubmit={(e) => (e.preventDefault(), void send())}>
          <label for={field}>{props.label}</label>
          <textarea
            id={field}
            rows={3}
            maxLength={MAX_TEXT}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <p class="hint">{t('claim.textCount', { n: text.trim().length })}</p>
          {message && (
            <p class="notice error" role="alert">
              {message}
            </p>
          )}
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {props.submit}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** Objections, the appeal and the decisions of earlier rounds, oldest first. */
export function EarlierRounds({ claim, policy }: { claim: ClaimDetail; policy: Policy | undefined }) {
  const rounds = claim.earlierGates ?? [];
  const objections = claim.objections ?? [];
  if (rounds.length === 0 && objections.length === 0 && !claim.appeal) return null;
  return (
    <div class="earlier-rounds" data-testid="earlier-rounds">
      {objections.length > 0 && (
        <>
          <h3>{t('claim.objections')}</h3>
          <ul>
            {objections.map((o, i) => (
              <li key={i}>
                <q class="comment">{o.text}</q>{' '}
                <span class="muted">{t('claim.objectionBy', { user: o.by, at: formatDateTime(o.at) })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {claim.appeal && (
        <>
          <h3>{t('claim.appeal')}</h3>
          <p>
            <q class="comment">{claim.appeal.text}</q>{' '}
            <span class="muted">
              {t('claim.appealBy', { user: claim.appeal.by, at: formatDateTime(claim.appeal.at) })}
            </span>
          </p>
        </>
      )}
      {rounds.length > 0 && <p class="hint">{t('claim.earlierRoundHint')}</p>}
      {rounds.map((round, i) => (
        <div key={i}>
          <h3>{t('claim.earlierRound', { n: i + 1 })}</h3>
          <ol class="gates">
            {Object.entries(round).map(([gate, d]) =>
              d ? (
                <li key={gate} class={`gate ${d.decision}`}>
                  <strong>{gateLabel(policy, gate)}</strong>{' '}
                  <span>
                    {t('claim.gateBy', {
                      user: d.by,
                      at: formatDateTime(d.at),
                      decision: d.decision === 'approve' ? t('claim.approved') : t('claim.rejected'),
                    })}
                    {d.comment && <q class="comment">{d.comment}</q>}
                  </span>
                </li>
              ) : null,
            )}
          </ol>
        </div>
      ))}
    </div>
  );
}
