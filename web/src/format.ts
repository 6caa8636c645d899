// How amounts, dates and sizes are written for people: ¥8,120.00; 2026年9月1日 / 1 Sep 2026;
// times in China time whatever the device's zone is.
import { chinaDate } from '#shared/dates.ts';
import { formatFen } from '#shared/money.ts';
import { getLang, tCode, type Params } from './i18n.ts';

export { formatFen };

const CHINA_ZONE = 'Asia/Shanghai';
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'date' | 'dateTime'): Intl.DateTimeFormat {
  const lang = getLang();
  const key = `${lang}:${kind}`;
  let f = formatters.get(key);
  if (!f) {
    const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
    // Calendar dates carry no zone: format them in UTC so they never shift a day.
    f =
      kind === 'date'
        ? new Intl.DateTimeFormat(locale, {
            year: 'numeric',
            month: lang === 'zh' ? 'long' : 'short',
            day: 'numeric',
            timeZone: 'UTC',
          })
        : new Intl.DateTimeFormat(locale, {
            year: 'numeric',
            month: lang === 'zh' ? 'long' : 'short',
            day: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
            timeZone: CHINA_ZONE,
          });
    formatters.set(key, f);
  }
  return f;
}

/**
 * '2026-09-01' -> 2026年9月1日 (zh) or 1 Sep 2026 (en). An instant ('...T21:50:00Z') is first
 * taken to its calendar day in China, which is not the UTC day for eight hours of every day.
 */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  let day = iso;
  if (iso.length > 10) {
    const instant = new Date(iso);
    if (Number.isNaN(instant.getTime())) return iso;
    day = chinaDate(instant);
  }
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? iso : formatter('date').format(date);
}

/** An ISO instant, in China time: 2026年9月1日 14:05. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatter('dateTime').format(date);
}

/** Optional amounts (a claim rejected before pricing has none). */
export function formatMaybeFen(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '—' : formatFen(fen);
}

/** 5000 bp -> 50%; 6250 -> 62.5%. */
export function formatRate(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  return rest === 0 ? `${whole}%` : `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}%`;
}

/** Yuan amount without the currency sign, for band edges: 15000 -> 15,000. */
export function formatYuanPlain(fen: number): string {
  return formatFen(fen).slice(1).replace(/\.00$/, '');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(Math.round((bytes / (1024 * 1024)) * 10) / 10).toFixed(1)} MB`;
}

/** The last characters of a ULID are enough to tell claims apart on a small screen. */
export function shortId(id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}

/**
 * Why a claim is reviewed, in words: the code's label with its parameters written for people
 * (amounts as money, a category by its name). An unknown code shows as itself, never as a sentence.
 */
export function reviewReasonText(reason: {
  readonly code: string;
  readonly params?: Readonly<Record<string, string | number>>;
}): string {
  const params: Params = {};
  for (const [name, value] of Object.entries(reason.params ?? {})) {
    if (name.endsWith('Fen') && typeof value === 'number') params[name] = formatFen(value);
    else if (name === 'category' && typeof value === 'string') params[name] = tCode('category', value);
    else params[name] = value;
  }
  return tCode('reviewReason', reason.code, params);
}
