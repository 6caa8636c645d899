// What people type into an amount box, made into the API's yuan string. Phones with a
// Chinese IME often give full-width digits (２２７００．５); people also write 22,700 or ¥22700.
// Anything still odd goes to parseYuan, whose message says what is wrong.
import { fenToYuan, parseYuan, type ParseYuanResult } from '#shared/money.ts';

export function normalizeAmount(input: string): string {
  return input
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/[,，\s¥￥元]/g, '');
}

export function readAmount(input: string, emptyAsZero = false): ParseYuanResult {
  const text = normalizeAmount(input);
  if (text === '' && emptyAsZero) return { ok: true, fen: 0 };
  return parseYuan(text);
}

/** The canonical yuan string the API and the manifest carry ("22700.00"). */
export function canonicalYuan(fen: number): string {
  return fenToYuan(fen);
}
