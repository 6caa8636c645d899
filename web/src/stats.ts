// Dashboard arithmetic and wording, kept apart from the page so it is easy to check.
import { t } from './i18n.ts';

/** Nearest-rank percentile (p in 0..100) of unsorted values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** One decimal below 10 (2.5 hours), whole numbers above (36 hours). */
function amount(n: number): number {
  return n < 10 ? Math.round(n * 10) / 10 : Math.round(n);
}

/**
 * A duration in the unit its size calls for: 2 seconds is "2 秒", never "1 分钟". Seconds under a
 * minute, minutes under an hour, hours under a day, days after that.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 1) return t('dash.underSecond');
  if (s < 59.5) return t('dash.seconds', { n: Math.round(s) });
  const minutes = s / 60;
  if (minutes < 59.95) return t('dash.minutes', { n: amount(minutes) });
  const hours = minutes / 60;
  if (hours < 23.95) return t('dash.hours', { n: amount(hours) });
  return t('dash.days', { n: amount(hours / 24) });
}

/** Labels of the buckets that `bounds` (seconds, ascending) cut: under the first, between, and over the last. */
export function bucketLabels(bounds: readonly number[]): string[] {
  const labels: string[] = [];
  bounds.forEach((b, i) => {
    const prev = bounds[i - 1];
    labels.push(
      prev === undefined
        ? t('dash.under', { n: formatDuration(b) })
        : t('dash.between', { from: formatDuration(prev), to: formatDuration(b) }),
    );
  });
  const last = bounds[bounds.length - 1];
  if (last !== undefined) labels.push(t('dash.over', { n: formatDuration(last) }));
  return labels;
}

/** 2026-11 -> 2026年11月 / Nov 2026. */
export function formatMonth(month: string, lang: 'zh' | 'en'): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  if (lang === 'zh') return `${y}年${m}月`;
  return new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, 1)),
  );
}
