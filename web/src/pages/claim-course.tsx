// Where a claim is on its way to the household, beyond its state: where it came from (a data
// feed finds claims no receipt was filed for), the public notice it is posted on and when that
// ends, the household's self-paid total of the year it was priced on, and since when it waits
// for the fund. Only what applies to the claim now is shown.
import { formatDateTime, formatFen } from '../format.ts';
import { t } from '../i18n.ts';
import { href } from '../router.ts';
import type { ClaimDetail } from '../types.ts';
import { Field } from '../components.tsx';

export function ClaimCourse({ claim }: { claim: ClaimDetail }) {
  return (
    <>
      {claim.source === 'data-feed' && (
        <Field label={t('claim.source')}>
          <span data-testid="claim-source">{t('claim.source.data-feed')}</span>
          <p class="hint" data-testid="claim-source-explain">
            {t('claim.feedExplain')}
          </p>
        </Field>
      )}
      {claim.state === 'NOTICE' && claim.noticeEndsAt && (
        <Field label={t('claim.noticeEndsAt')}>
          <span data-testid="claim-notice-ends">{formatDateTime(claim.noticeEndsAt)}</span>
          {claim.region && claim.village && (
            <>
              {' · '}
              <a href={href('/notice', { region: claim.region, village: claim.village })}>
                {t('claim.noticeBoard')}
              </a>
            </>
          )}
        </Field>
      )}
      {claim.state === 'AWAITING_FUNDS' && claim.awaitingFundsSince && (
        <Field label={t('claim.awaitingFundsSince')}>
          <span data-testid="claim-awaiting-funds">{formatDateTime(claim.awaitingFundsSince)}</span>
        </Field>
      )}
      {claim.accumulated && (
        <Field label={t('claim.accumulated')}>
          <span data-testid="claim-accumulated">
            {t('claim.accumulatedRange', {
              before: formatFen(claim.accumulated.beforeFen),
              after: formatFen(claim.accumulated.afterFen),
            })}
          </span>
        </Field>
      )}
    </>
  );
}
