// Money is integer fen everywhere inside the system. Yuan strings from people and files are
// parsed exactly once, here, with string arithmetic: no float ever touches an amount.

/** Integer number of fen (1 yuan = 100 fen). */
export type Fen = number;

/** Largest amount anyone may type or a file may carry: 10,000,000 yuan. */
export const MAX_YUAN_FEN: Fen = 10_000_000 * 100;

const YUAN_PATTERN = /^(0|[1-9]\d*)(?:\.(\d{1,2}))?$/;

/** `code` names the problem for the message catalog; `error` says it in English (logs, API messages). */
export type ParseYuanResult = { ok: true; fen: Fen } | { ok: false; error: string; code: AmountProblem };
export type AmountProblem =
  | 'AMOUNT_NOT_STRING'
  | 'AMOUNT_EMPTY'
  | 'AMOUNT_TOO_LONG'
  | 'AMOUNT_NEGATIVE'
  | 'AMOUNT_EXPONENT'
  | 'AMOUNT_DECIMALS'
  | 'AMOUNT_INVALID'
  | 'AMOUNT_TOO_LARGE';

/**
 * Parses a decimal-yuan string ("22700", "22700.5", "22700.50") to integer fen.
 * Rejects negatives, exponents, more than two decimals, separators, blanks and > 10,000,000.
 * Messages never quote the input: they end up in claim details and API errors, and a mistyped
 * amount field can hold an ID number or a bank account.
 */
export function parseYuan(input: unknown): ParseYuanResult {
  if (typeof input !== 'string') {
    return {
      ok: false,
      code: 'AMOUNT_NOT_STRING',
      error: `amount must be a string of yuan such as "22700.50", not ${describe(input)}`,
    };
  }
  if (input.length === 0) return { ok: false, code: 'AMOUNT_EMPTY', error: 'amount is empty' };
  if (input.length > 20) return { ok: false, code: 'AMOUNT_TOO_LONG', error: 'amount is too long' };
  if (input.startsWith('-')) return { ok: false, code: 'AMOUNT_NEGATIVE', error: 'amount is negative' };
  if (/[eE]/.test(input))
    return { ok: false, code: 'AMOUNT_EXPONENT', error: 'amount uses an exponent; write it out in yuan' };
  const match = YUAN_PATTERN.exec(input);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(input)) {
      return {
        ok: false,
        code: 'AMOUNT_DECIMALS',
        error: 'amount has more than two decimals (fen is the smallest unit)',
      };
    }
    return {
      ok: false,
      code: 'AMOUNT_INVALID',
      error: 'amount is not a yuan amount such as "22700" or "22700.50"',
    };
  }
  const whole = match[1] ?? '0';
  const decimals = (match[2] ?? '').padEnd(2, '0');
  if (whole.length > 8)
    return { ok: false, code: 'AMOUNT_TOO_LARGE', error: 'amount is above 10,000,000 yuan' };
  const fen = Number(whole) * 100 + Number(decimals);
  if (fen > MAX_YUAN_FEN)
    return { ok: false, code: 'AMOUNT_TOO_LARGE', error: 'amount is above 10,000,000 yuan' };
  return { ok: true, fen };
}

/** parseYuan for trusted inputs (data files already validated): throws on a bad amount. */
export function yuanToFen(input: string): Fen {
  const parsed = parseYuan(input);
  if (!parsed.ok) throw new RangeError(parsed.error);
  return parsed.fen;
}

export function assertFen(value: number, what = 'amount'): asserts value is Fen {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer number of fen`);
  }
}

/** 812000 -> "8120.00" (plain, for files and JSON). */
export function fenToYuan(fen: Fen): string {
  assertFen(fen);
  const whole = Math.trunc(fen / 100);
  const cents = fen % 100;
  return `${whole}.${String(cents).padStart(2, '0')}`;
}

/** 2270000 -> "¥22,700.00" (for people). */
export function formatFen(fen: Fen): string {
  assertFen(fen);
  const whole = String(Math.trunc(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `¥${whole}.${String(fen % 100).padStart(2, '0')}`;
}

/** round_half_up(fen * bp / 10000) with exact integer arithmetic (fen * bp stays below 2^53). */
export function applyRateBp(fen: Fen, bp: number): Fen {
  assertFen(fen);
  if (!Number.isSafeInteger(bp) || bp < 0 || bp > 10_000) throw new RangeError('rate must be 0..10000 bp');
  const scaled = fen * bp + 5_000;
  return (scaled - (scaled % 10_000)) / 10_000;
}

/** The kind of a non-string amount, never its value (see parseYuan). */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
