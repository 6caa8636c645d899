import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, chinaDate, daysBetween, isIsoDate, yearOf } from '#shared/dates.ts';

describe('isIsoDate', () => {
  it.each(['2026-01-01', '2024-02-29', '2000-02-29', '1900-01-01', '2026-12-31', '0001-01-01', '9999-12-31'])(
    'accepts %s',
    (s) => expect(isIsoDate(s)).toBe(true),
  );

  it.each([
    '2026-02-30',
    '2026-02-29',
    '1900-02-29',
    '2100-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '0000-01-01',
    '2026-1-01',
    '20260101',
    ' 2026-01-01',
    '2026-01-01 ',
    '2026-01-01T00:00:00Z',
    '２０２６-01-01',
    '',
  ])('rejects %j', (s) => expect(isIsoDate(s)).toBe(false));
});

describe('daysBetween', () => {
  it('counts whole days from a to b', () => {
    expect(daysBetween('2026-01-01', '2026-01-01')).toBe(0);
    expect(daysBetween('2026-01-01', '2026-01-02')).toBe(1);
    expect(daysBetween('2026-01-02', '2026-01-01')).toBe(-1);
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('1970-01-01', '2000-01-01')).toBe(10_957);
    // 180 days after an expense: the filing limit
    expect(daysBetween('2026-03-05', '2026-09-01')).toBe(180);
  });

  it('throws on a date that is not real', () => {
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow(RangeError);
    expect(() => daysBetween('2026-03-01', 'tomorrow')).toThrow(RangeError);
  });

  const isoDate = fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2200-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));

  it('agrees with Date.UTC arithmetic', () => {
    fc.assert(
      fc.property(isoDate, isoDate, (a, b) => {
        const ms = Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`);
        expect(daysBetween(a, b)).toBe(ms / 86_400_000);
      }),
    );
  });

  it('is undone by addDays', () => {
    fc.assert(
      fc.property(isoDate, fc.integer({ min: -100_000, max: 100_000 }), (a, n) => {
        const b = addDays(a, n);
        expect(isIsoDate(b)).toBe(true);
        expect(daysBetween(a, b)).toBe(n);
      }),
    );
  });
});

describe('addDays', () => {
  it('crosses months, years and leap days', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-05', 180)).toBe('2026-09-01');
  });

  it('refuses fractional days', () => {
    expect(() => addDays('2026-01-01', 1.5)).toThrow(RangeError);
  });
});

describe('chinaDate', () => {
  it('is the calendar date in UTC+8', () => {
    expect(chinaDate(new Date('2025-12-31T15:59:59.999Z'))).toBe('2025-12-31');
    expect(chinaDate(new Date('2025-12-31T16:00:00.000Z'))).toBe('2026-01-01');
    expect(chinaDate(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(chinaDate(new Date('2026-07-01T00:00:00+08:00'))).toBe('2026-07-01');
    expect(chinaDate(new Date('2024-02-28T16:00:00Z'))).toBe('2024-02-29');
  });

  it('rejects an invalid Date', () => {
    expect(() => chinaDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('yearOf', () => {
  it('returns the year', () => {
    expect(yearOf('2026-09-01')).toBe(2026);
    expect(yearOf('0999-12-31')).toBe(999);
    expect(() => yearOf('2026-02-30')).toThrow(RangeError);
  });
});
