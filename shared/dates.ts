// Calendar dates are ISO strings ('YYYY-MM-DD') everywhere: they sort as text and carry no
// time zone. The arithmetic here is pure integer maths so it behaves the same in Lambda and in
// the browser, whatever the machine's own zone is.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
// China has had one zone without daylight saving since 1991, so a fixed offset is exact.
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** True only for a real calendar date written YYYY-MM-DD (2026-02-30 is false). */
export function isIsoDate(s: string): boolean {
  return parts(s) !== undefined;
}

/** Whole days from `a` to `b` (negative when b is earlier). Throws on a malformed date. */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}

/** The ISO date `days` days after `date` (before it when negative). */
export function addDays(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError('days must be a whole number');
  return fromDayNumber(dayNumber(date) + days);
}

/** The calendar date in China (Asia/Shanghai) at the instant `now`. */
export function chinaDate(now: Date): string {
  const ms = now.getTime();
  if (Number.isNaN(ms)) throw new RangeError('chinaDate needs a valid Date');
  return fromDayNumber(Math.floor((ms + CHINA_OFFSET_MS) / MS_PER_DAY));
}

/** 2026 for '2026-09-01'. Throws on a malformed date. */
export function yearOf(date: string): number {
  return strictParts(date).year;
}

interface DateParts {
  year: number;
  month: number;
  day: number;
}

function parts(s: string): DateParts | undefined {
  if (typeof s !== 'string') return undefined;
  const match = ISO_DATE.exec(s);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function strictParts(s: string): DateParts {
  const p = parts(s);
  if (!p) throw new RangeError('expected a real date written YYYY-MM-DD');
  return p;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
function dayNumber(date: string): number {
  const { year, month, day } = strictParts(date);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

// Inverse of dayNumber (civil_from_days).
function fromDayNumber(n: number): string {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1 || year > 9999) throw new RangeError('date is outside years 0001-9999');
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * '2026-09-02T01:02:03.000Z' -> '2026-09-02 09:02:03', the wall-clock time in China (one zone, no
 * daylight saving since 1991). Text that is not an instant is passed through unchanged.
 */
export function chinaDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}
