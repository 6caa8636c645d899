// PRC resident ID numbers (GB 11643-1999) and masking of personal data for display and logs.
// An ID number is sensitive personal information: no message built here ever contains it.

import { isIsoDate } from '#shared/dates.ts';
import { renderMessage, type Message } from '#shared/messages/render.ts';

// ISO 7064 MOD 11-2: weight of position i is 2^(17-i) mod 11.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';

/** Upper-cases a final lowercase x, the only normalisation the standard allows. */
export function normalizeResidentId(id: string): string {
  return id.endsWith('x') ? `${id.slice(0, -1)}X` : id;
}

/** The check character (0-9 or X) for the first 17 digits of an ID number. */
export function residentIdCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('residentIdCheckDigit needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS.charAt(sum % 11);
}

/**
 * Why `id` is not a valid 18-character resident ID number, as a message code, or undefined when
 * it is. Parameters are lengths and positions only: never the number, its digits or its date.
 */
export function residentIdProblem(id: string): Message | undefined {
  const problem = (code: string, params: Message['params'] = {}): Message => ({ code, params });
  if (typeof id !== 'string') return problem('ID_NOT_TEXT');
  if (id.length === 0) return problem('ID_EMPTY');
  if (id.length !== 18) return problem('ID_LENGTH', { got: id.length });
  const badDigit = id.slice(0, 17).search(/\D/);
  if (badDigit >= 0) return problem('ID_NOT_DIGIT', { position: badDigit + 1 });
  const normalized = normalizeResidentId(id);
  const given = normalized.charAt(17);
  if (!/^[0-9X]$/.test(given)) return problem('ID_LAST_CHAR');
  // The birth date is personal data too, so say what is wrong with it, not what it is.
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!isIsoDate(birth)) return problem('ID_BIRTH_DATE');
  if (birth < EARLIEST_BIRTH_DATE) return problem('ID_BIRTH_BEFORE_1900');
  const expected = residentIdCheckDigit(id.slice(0, 17));
  // Never say which digit would be right: that would turn the check into a generator of valid IDs.
  if (given !== expected) return problem('ID_CHECK_DIGIT');
  return undefined;
}

/** residentIdProblem in English words (logs, programs). */
export function residentIdError(id: string): string | undefined {
  const problem = residentIdProblem(id);
  return problem && renderMessage(problem, 'en');
}

export function isValidResidentId(id: string): boolean {
  return residentIdError(id) === undefined;
}

/** 430381********1234: region and last four only, as on printed notices (公示). */
export function maskIdNumber(id: string): string {
  const chars = Array.from(id);
  if (chars.length <= 10) return '*'.repeat(chars.length);
  return `${chars.slice(0, 6).join('')}${'*'.repeat(chars.length - 10)}${chars.slice(-4).join('')}`;
}

/** **** **** **** 1234: the fixed prefix hides the account's length too. */
export function maskBankAccount(account: string): string {
  const digits = account.replace(/\s+/g, '');
  if (digits.length <= 4) return '****';
  return `**** **** **** ${digits.slice(-4)}`;
}

/** 张三丰 -> 张**: the usual way to show a name in a public notice. */
export function maskName(name: string): string {
  // Array.from splits by code point, so rare characters outside the BMP count as one.
  const chars = Array.from(name.trim());
  const first = chars[0];
  if (first === undefined) return '';
  return first + '*'.repeat(chars.length - 1);
}

/**
 * Free text made safe to keep and show to every role: a run of six or more digits (an ID number
 * or a bank account someone typed or quoted) is masked but for its last four.
 */
export function maskDigitRuns(text: string): string {
  return text.replace(/\d[\d\s-]{4,}\d/g, (run) => {
    const digits = run.replace(/[\s-]/g, '');
    return digits.length >= 6 ? `****${digits.slice(-4)}` : run;
  });
}
