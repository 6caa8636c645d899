// PRC resident ID numbers (GB 11643-1999) and masking of personal data for display and logs.
// An ID number is sensitive personal information: no message built here ever contains it.

import { isIsoDate } from '#shared/dates.ts';

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

/** Why `id` is not a valid 18-character resident ID number, or undefined when it is. */
export function residentIdError(id: string): string | undefined {
  if (typeof id !== 'string') return 'ID number must be text';
  if (id.length === 0) return 'ID number is empty';
  if (id.length !== 18) return `ID number must be 18 characters, got ${String(id.length)}`;
  const badDigit = id.slice(0, 17).search(/\D/);
  if (badDigit >= 0) {
    return `ID number must start with 17 digits; character ${String(badDigit + 1)} is not a digit`;
  }
  const normalized = normalizeResidentId(id);
  const given = normalized.charAt(17);
  if (!/^[0-9X]$/.test(given)) return 'ID number must end with a digit or X';
  // The birth date is personal data too, so say what is wrong with it, not what it is.
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!isIsoDate(birth)) return 'ID number birth date (characters 7-14) is not a real calendar date';
  if (birth < EARLIEST_BIRTH_DATE) return 'ID number birth date (characters 7-14) is before 1900-01-01';
  const expected = residentIdCheckDigit(id.slice(0, 17));
  // Never say which digit would be right: that would turn the check into a generator of valid IDs.
  if (given !== expected) return 'ID number check digit does not match the rest of the number';
  return undefined;
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
