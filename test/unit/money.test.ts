import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyRateBp, fenToYuan, formatFen, parseYuan, MAX_YUAN_FEN } from '#shared/money.ts';

describe('parseYuan', () => {
  it.each([
    ['22700', 2_270_000],
    ['22700.5', 2_270_050],
    ['22700.50', 2_270_050],
    ['0', 0],
    ['0.01', 1],
    ['8000.01', 800_001],
    ['10000000', 1_000_000_000],
    ['10000000.00', 1_000_000_000],
  ])('%s yuan is %i fen', (input, fen) => {
    expect(parseYuan(input)).toEqual({ ok: true, fen });
  });

  it.each([
    ['-1', /negative/],
    ['1e5', /exponent/],
    ['1E5', /exponent/],
    ['22700.505', /more than two decimals/],
    ['NaN', /not a yuan amount/],
    ['Infinity', /not a yuan amount/],
    ['', /empty/],
    [' 100', /not a yuan amount/],
    ['100 ', /not a yuan amount/],
    ['1,000', /not a yuan amount/],
    ['0x10', /not a yuan amount/],
    ['01', /not a yuan amount/],
    ['1.', /not a yuan amount/],
    ['.5', /not a yuan amount/],
    ['+5', /not a yuan amount/],
    ['10000000.01', /above 10,000,000/],
    ['99999999999', /above 10,000,000/],
    ['１００', /not a yuan amount/],
  ])('rejects %j', (input, message) => {
    const result = parseYuan(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it.each([[100], [null], [undefined], [{}], [[]]])('rejects non-strings (%j)', (input) => {
    expect(parseYuan(input).ok).toBe(false);
  });

  it('round-trips every fen amount through fenToYuan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_YUAN_FEN }), (fen) => {
        expect(parseYuan(fenToYuan(fen))).toEqual({ ok: true, fen });
      }),
    );
  });

  it('round-trips canonical yuan strings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 99 }),
        (whole, cents) => {
          const text = `${whole}.${String(cents).padStart(2, '0')}`;
          const parsed = parseYuan(text);
          expect(parsed.ok).toBe(whole < 10_000_000 || cents === 0);
          if (parsed.ok) expect(fenToYuan(parsed.fen)).toBe(text);
        },
      ),
    );
  });
});

describe('formatFen', () => {
  it.each([
    [812_000, '¥8,120.00'],
    [2_270_000, '¥22,700.00'],
    [0, '¥0.00'],
    [5, '¥0.05'],
    [1_000_000_000, '¥10,000,000.00'],
    [123_456_789, '¥1,234,567.89'],
  ])('%i fen -> %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text);
  });

  it('refuses fractions and negatives', () => {
    expect(() => formatFen(1.5)).toThrow();
    expect(() => formatFen(-1)).toThrow();
  });
});

describe('applyRateBp', () => {
  it.each([
    [700_000, 5000, 350_000],
    [770_000, 6000, 462_000],
    [1, 5000, 1], // 0.5 fen rounds half up
    [1, 4999, 0],
    [3, 5000, 2], // 1.5 -> 2
    [5, 1000, 1], // 0.5 -> 1
    [4, 1000, 0], // 0.4 -> 0
    [15, 1000, 2], // 1.5 -> 2
    [1_000_000_000, 10_000, 1_000_000_000],
  ])('%i fen at %i bp = %i fen', (fen, bp, out) => {
    expect(applyRateBp(fen, bp)).toBe(out);
  });

  it('equals exact rational half-up rounding (bigint oracle)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_YUAN_FEN }),
        fc.integer({ min: 0, max: 10_000 }),
        (fen, bp) => {
          const oracle = (BigInt(fen) * BigInt(bp) * 2n + 10_000n) / 20_000n;
          expect(applyRateBp(fen, bp)).toBe(Number(oracle));
        },
      ),
    );
  });
});
