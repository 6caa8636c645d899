// Small pieces every page uses: loading and error states, state badges, amounts.
import type { ComponentChildren } from 'preact';
import { ApiError, NetworkError } from './api.ts';
import { apiErrorText, t, tCode } from './i18n.ts';
import type { ClaimState } from './types.ts';

export function errorMessage(error: unknown): string {
  if (error instanceof NetworkError) return t('networkError');
  // The API's code in the catalog's words; its English message is for logs and other programs.
  if (error instanceof ApiError) return apiErrorText(error.code, error.params);
  return t('unexpected');
}

export function Loading() {
  return (
    <p class="muted" role="status">
      {t('loading')}
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div class="notice error" role="alert">
      <span>{errorMessage(error)}</span>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

const stateTone: Record<ClaimState, string> = {
  RECEIVED: 'info',
  PENDING_REVIEW: 'warn',
  APPEALED: 'warn',
  APPROVED: 'info',
  NOTICE: 'info',
  AWAITING_FUNDS: 'warn',
  PAID: 'ok',
  DISBURSED: 'ok',
  DISBURSEMENT_FAILED: 'bad',
  REJECTED: 'bad',
  ERROR: 'bad',
};

export function StateBadge({ state }: { state: ClaimState }) {
  return <span class={`badge ${stateTone[state]}`}>{tCode('state', state)}</span>;
}

export function StatusBadge({ status }: { status: string | null }) {
  const tone = status === null || status === 'removed' ? 'bad' : 'ok';
  return <span class={`badge ${tone}`}>{tCode('status', status ?? 'none')}</span>;
}

export function Page({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** A labelled value in a definition list. */
export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="field-row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
