// A data-feed claim's evidence, in place of receipts: the departments' records it is made of (医保
// settlements, tuition payments). They hold no one's name or ID number: the person is shown by
// their place in the household (户主, 子女...), the rest is the department's own figures.
import { formatDate, formatFen } from '../format.ts';
import { t } from '../i18n.ts';
import type { ClaimDetail } from '../types.ts';
import './feed-evidence.css';

export type FeedRecordView = ClaimDetail['feedEvidence'][number];
type FeedKind = FeedRecordView['kind'];

const isFeedKind = (kind: string | null): kind is FeedKind => kind === 'medical' || kind === 'education';

/**
 * The kinds of a claim's records: from the records read, else from their keys (`<kind>:<id>`),
 * else the claim's category (each kind counts in the category of its name).
 */
function kindsOf(claim: Pick<ClaimDetail, 'feedEvidence' | 'feedRecords' | 'category'>): FeedKind[] {
  const fromKeys = (claim.feedRecords ?? []).map((key) => key.slice(0, key.indexOf(':'))).filter(isFeedKind);
  const kinds = new Set([...claim.feedEvidence.map((r) => r.kind), ...fromKeys]);
  if (kinds.size === 0 && isFeedKind(claim.category)) kinds.add(claim.category);
  return [...kinds];
}

/** 数据来源：… and the records, for a claim found in the departments' data. */
export function FeedEvidence({
  claim,
  idSuffix = '',
}: {
  claim: Pick<ClaimDetail, 'feedEvidence' | 'feedRecords' | 'category'>;
  idSuffix?: string;
}) {
  const kinds = kindsOf(claim);
  return (
    <section class="card feed-evidence" aria-labelledby={`feed-title${idSuffix}`} data-testid="feed-evidence">
      <h2 id={`feed-title${idSuffix}`}>
        {t('claim.feedTitle', { kinds: kinds.map((k) => t(`claim.feedKind.${k}`)).join(' · ') })}
      </h2>
      <FeedRecordTable records={claim.feedEvidence} />
    </section>
  );
}

/** One row per record: id, hospital or school, dates, amounts and who in the household. */
export function FeedRecordTable({ records }: { records: readonly FeedRecordView[] }) {
  if (records.length === 0) return <p class="muted">{t('claim.feedRecordsMissing')}</p>;
  // A claim's records are of one kind (its category); the headings follow the first.
  const kind = records[0]?.kind ?? 'medical';
  return (
    <div class="scroll feed-records-box" tabIndex={0} role="region" aria-label={t('claim.feedRecords')}>
      <table class="list feed-records" data-testid="feed-records">
        <thead>
          <tr>
            <th scope="col">{t('claim.feedRecordId')}</th>
            <th scope="col">{t(`claim.feedPlace.${kind}`)}</th>
            <th scope="col">{t(`claim.feedDates.${kind}`)}</th>
            <th scope="col" class="num">
              {t('claim.totalCost')}
            </th>
            <th scope="col" class="num">
              {t(`claim.feedReimbursed.${kind}`)}
            </th>
            <th scope="col" class="num">
              {t('claim.feedSelfPaid')}
            </th>
            <th scope="col">{t('claim.feedWho')}</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={`${r.kind}:${r.recordId}`} data-testid="feed-record">
              <td data-label={t('claim.feedRecordId')}>
                <span class="mono">{r.recordId}</span>
              </td>
              <td data-label={t(`claim.feedPlace.${r.kind}`)}>{r.place}</td>
              <td data-label={t(`claim.feedDates.${r.kind}`)}>
                <div>
                  {datesOf(r).map((line, i) => (
                    <div key={i}>{line}</div>
                  ))}
                </div>
              </td>
              <td data-label={t('claim.totalCost')} class="num">
                {formatFen(r.totalCostFen)}
              </td>
              <td data-label={t(`claim.feedReimbursed.${r.kind}`)} class="num">
                {formatFen(r.reimbursedFen)}
              </td>
              <td data-label={t('claim.feedSelfPaid')} class="num">
                <strong>{formatFen(r.selfPaidFen)}</strong>
              </td>
              <td data-label={t('claim.feedWho')}>{t(`relation.${r.relation}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** medical: the stay, then the settlement date; education: the term, then the payment date. */
function datesOf(r: FeedRecordView): string[] {
  const date = formatDate(r.expenseDate);
  if (r.kind === 'medical' && r.admissionDate && r.dischargeDate)
    return [
      t('claim.feedStay', { from: formatDate(r.admissionDate), to: formatDate(r.dischargeDate) }),
      date,
    ];
  if (r.kind === 'education' && r.term) return [r.term, date];
  return [date];
}
