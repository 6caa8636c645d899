// The departments' files (数据比对) for admins and insurers: a 医保 settlement file or a tuition
// file, uploaded as a bulk job like the roster (any size, a progress bar), then what it did: the
// records matched to households, those dropped (their person is on no household), repeated and
// corrected records, the claims opened on households the file took over the threshold (each a
// link), and every refused row with its reason, downloadable.
import { useState } from 'preact/hooks';
import { t, tCode } from '../i18n.ts';
import type { MessageKey } from '../messages.ts';
import { href } from '../router.ts';
import type { RowRejection } from '#shared/error-report.ts';
import type { JobView } from '../types.ts';
import { Field, Page } from '../components.tsx';
import { JobProgress, RejectedRows, useFileJob } from './file-job.tsx';

export type FeedKind = 'medical' | 'education';

/** Each file's columns as its header names them (shared/feed.ts reads them in any order). */
export const feedColumns: Readonly<Record<FeedKind, string>> = {
  medical:
    'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed',
  education: 'recordId,idNumber,name,school,term,paymentDate,tuition,aid',
};

const kindWords: Readonly<Record<FeedKind, MessageKey>> = {
  medical: 'feed.kind.medical',
  education: 'feed.kind.education',
};

/** The claims listed on the page; a county's file may open thousands, all in the claims list. */
const CLAIMS_SHOWN = 200;

interface FeedResult {
  readonly counts: readonly (readonly [MessageKey, number])[];
  readonly claimsOpened: NonNullable<JobView['claimsOpened']>;
  readonly rejected: RowRejection[];
  readonly rejectedTotal: number;
  readonly duplicateOf?: string;
  readonly reportUrl?: string;
}

export function toFeedResult(job: JobView): FeedResult {
  const n = (name: string) => job.outcomes?.[name] ?? 0;
  return {
    counts: [
      ['feed.records', job.rows ?? job.processed],
      ['feed.matched', n('matched')],
      ['feed.unmatched', n('unmatched')],
      ['feed.notCovered', n('notCovered')],
      ['feed.repeated', n('repeated')],
      ['feed.corrected', n('corrected')],
      ['feed.rejected', job.rejected],
    ],
    claimsOpened: job.claimsOpened ?? [],
    rejected: [...(job.rejectedRows ?? [])],
    rejectedTotal: job.rejected,
    ...(job.errorReportUrl ? { reportUrl: job.errorReportUrl } : {}),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
}

export function FeedImport() {
  const [kind, setKind] = useState<FeedKind>('medical');
  const { csv, fileName, busy, result, job, error, pick, submit } = useFileJob(`${kind}-feed`, toFeedResult);

  return (
    <Page title={t('feed.title')}>
      <form class="card" onSubmit={submit}>
        <fieldset class="choices">
          <legend>{t('feed.kind')}</legend>
          {(['medical', 'education'] as const).map((k) => (
            <label key={k} class="choice">
              <input
                type="radio"
                name="feed-kind"
                value={k}
                checked={kind === k}
                disabled={busy}
                onChange={() => setKind(k)}
              />
              {t(kindWords[k])}
            </label>
          ))}
        </fieldset>
        <label for="feed-file">{t('feed.file')}</label>
        <input
          id="feed-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="feed-hint"
          onChange={(e) => void pick(e.currentTarget)}
        />
        <p id="feed-hint" class="hint">
          {t('feed.fileHint', { columns: feedColumns[kind] })}
        </p>
        {fileName && <p class="hint">{fileName}</p>}
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !csv}>
          {busy ? t('roster.importing') : t('roster.import')}
        </button>
        <JobProgress busy={busy} job={job} />
      </form>
      {result && <FeedResultCard result={result} fileName={fileName} />}
    </Page>
  );
}

function FeedResultCard({ result, fileName }: { readonly result: FeedResult; readonly fileName?: string }) {
  if (result.duplicateOf)
    return (
      <section class="card" role="status" data-testid="feed-result">
        <h2>{t('roster.duplicate', { jobId: result.duplicateOf })}</h2>
      </section>
    );
  const shown = result.claimsOpened.slice(0, CLAIMS_SHOWN);
  return (
    <section class="card" aria-labelledby="feed-result" data-testid="feed-result">
      <h2 id="feed-result">{t('feed.resultTitle')}</h2>
      <div role="status">
        <dl class="fields">
          {result.counts.map(([label, value]) => (
            <Field key={label} label={t(label)}>
              {value}
            </Field>
          ))}
        </dl>
      </div>
      <h3>{t('feed.claimsOpened', { n: result.claimsOpened.length })}</h3>
      {shown.length === 0 ? (
        <p class="hint">{t('feed.noClaims')}</p>
      ) : (
        <ul class="plain" data-testid="feed-claims">
          {shown.map((c) => (
            <li key={c.claimId}>
              <a href={href(`/claims/${c.claimId}`)} aria-label={`${t('feed.claim')} ${c.claimId}`}>
                <span class="mono">{c.claimId}</span>
              </a>{' '}
              · {c.householdId} · {tCode('category', c.category)}
            </li>
          ))}
        </ul>
      )}
      {result.claimsOpened.length > shown.length && (
        <p class="hint">
          <a href={href('/claims')}>
            {t('feed.moreClaims', { n: result.claimsOpened.length - shown.length })}
          </a>
        </p>
      )}
      {result.rejected.length > 0 && (
        <>
          <h3>{t('feed.rejected')}</h3>
          <RejectedRows rejected={result.rejected} reportName="feed" fileName={fileName} />
        </>
      )}
      {result.reportUrl && result.rejectedTotal > result.rejected.length && (
        <p class="hint">
          <a href={result.reportUrl} download>
            {t('roster.fullReport', { rejected: result.rejectedTotal })}
          </a>
        </p>
      )}
    </section>
  );
}
