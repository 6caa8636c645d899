// Claims still on this device: progress while uploading, a countdown while waiting for the
// network, and the API's reason (in plain words) when a claim was refused.
import { useEffect, useState } from 'preact/hooks';
import { readAmount } from '../amounts.ts';
import { errorMessage } from '../components.tsx';
import { ApiError } from '../api.ts';
import { formatDate, formatMaybeFen } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import * as outbox from '../outbox.ts';
import type { Draft, DraftStatus } from '../outbox.ts';
import { navigate } from '../router.ts';

export function DraftList({
  username,
  only,
  followToClaim = false,
}: {
  username: string;
  only?: string;
  followToClaim?: boolean;
}) {
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [statuses, setStatuses] = useState<ReadonlyMap<string, DraftStatus>>(new Map());
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let live = true;
    const refresh = () =>
      outbox
        .listDrafts(username)
        .then((ds) => live && setDrafts(ds.filter((d) => d.stage === 'queued' && (!only || d.id === only))))
        .catch(() => {});
    void refresh();
    const unsubscribe = outbox.subscribe((s) => {
      setStatuses(s);
      void refresh();
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [username, only]);

  const finished = only ? statuses.get(only) : undefined;
  useEffect(() => {
    if (followToClaim && finished?.phase === 'done' && finished.claimId)
      navigate(`/claims/${finished.claimId}`);
  }, [finished?.phase]);

  const waiting = [...statuses.values()].some((s) => s.retryAt !== undefined);
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [waiting]);

  if (drafts.length === 0) {
    return finished?.phase === 'done' ? <p role="status">{t('upload.processing')}</p> : null;
  }
  return (
    <section class="card outbox" aria-labelledby="outbox-title">
      <h2 id="outbox-title">{t('upload.title')}</h2>
      <ul class="plain">
        {drafts.map((d) => {
          const status = statuses.get(d.id);
          const error = d.error ?? status?.error;
          const total = readAmount(d.form.totalCost);
          const phase = error ? 'failed' : (status?.phase ?? 'queued');
          const seconds = status?.retryAt ? Math.max(0, Math.ceil((status.retryAt - now) / 1000)) : 0;
          return (
            <li key={d.id} class="draft">
              <div>
                <strong>{d.form.householdId}</strong> · {tCode('category', d.form.category)} ·{' '}
                {formatMaybeFen(total.ok ? total.fen : undefined)} · {formatDate(d.form.expenseDate)}
              </div>
              <progress
                max={100}
                value={status?.percent ?? 0}
                aria-label={t('upload.progress', { percent: status?.percent ?? 0 })}
              />
              <p role="status" class={phase === 'failed' ? 'field-error' : 'muted'}>
                {phase === 'failed'
                  ? t('upload.failed', {
                      message: errorMessage(
                        new ApiError(400, error?.code ?? 'UNKNOWN', error?.message ?? ''),
                      ),
                    })
                  : phase === 'offline'
                    ? t('upload.offlineWaiting')
                    : phase === 'retrying'
                      ? t('upload.waitingNetwork', { seconds })
                      : t('upload.progress', { percent: status?.percent ?? 0 })}
              </p>
              <div class="actions">
                {(phase === 'failed' || phase === 'retrying' || phase === 'offline') && (
                  <button type="button" class="secondary" onClick={() => void outbox.retryDraft(d.id)}>
                    {t('upload.resume')}
                  </button>
                )}
                {phase === 'failed' && (
                  <a
                    class="button secondary"
                    href={`#/new?draft=${encodeURIComponent(d.id)}`}
                    onClick={() => void markEditing(d)}
                  >
                    {t('upload.edit')}
                  </a>
                )}
                <button
                  type="button"
                  class="link danger"
                  onClick={() => {
                    if (confirm(t('upload.discardConfirm')))
                      void outbox
                        .discardDraft(d.id)
                        .then(() => setDrafts((ds) => ds.filter((x) => x.id !== d.id)));
                  }}
                >
                  {t('upload.discard')}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

async function markEditing(draft: Draft): Promise<void> {
  draft.stage = 'editing';
  delete draft.error;
  delete draft.created;
  await outbox.saveDraft(draft);
}
