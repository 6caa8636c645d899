import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isValidResidentId,
  maskBankAccount,
  maskIdNumber,
  maskName,
  normalizeResidentId,
  residentIdCheckDigit,
  residentIdError,
} from '#shared/resident-id.ts';

// The worked example printed in GB 11643-1999, and two synthetic demo IDs.
const GOOD = ['11010519491231002X', '430381196007101077', '430381198205111566'];
const CHECK_CHARS = [...'0123456789X'];

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const birthDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10).replaceAll('-', ''));
const first17 = fc.tuple(digits(6), birthDate, digits(3)).map(([region, birth, seq]) => region + birth + seq);

describe('residentIdError', () => {
  it.each(GOOD)('accepts %s', (id) => {
    expect(residentIdError(id)).toBeUndefined();
    expect(isValidResidentId(id)).toBe(true);
  });

  it('accepts a lowercase x check character', () => {
    expect(residentIdError('11010519491231002x')).toBeUndefined();
    expect(normalizeResidentId('11010519491231002x')).toBe('11010519491231002X');
    expect(normalizeResidentId('430381196007101077')).toBe('430381196007101077');
  });

  it.each(GOOD)('rejects every wrong check character of %s, naming the right one', (id) => {
    const right = id.charAt(17);
    for (const wrong of CHECK_CHARS.filter((c) => c !== right)) {
      const bad = id.slice(0, 17) + wrong;
      const error = residentIdError(bad);
      expect(error).toBe('ID number check digit does not match the rest of the number');
      // The right digit is never told (nor the wrong one echoed).
      expect(error).not.toMatch(/\d/);
      expect(isValidResidentId(bad)).toBe(false);
    }
  });

  it('computes the check digit with ISO 7064 MOD 11-2', () => {
    expect(residentIdCheckDigit('11010519491231002')).toBe('X');
    expect(residentIdCheckDigit('43038119600710107')).toBe('7');
    expect(() => residentIdCheckDigit('1101051949123100')).toThrow(RangeError);
    expect(() => residentIdCheckDigit('1101051949123100A')).toThrow(RangeError);
  });

  it.each([
    ['', 'ID number is empty'],
    ['11010519491231002', 'ID number must be 18 characters, got 17'],
    ['11010519491231002X0', 'ID number must be 18 characters, got 19'],
    ['110105194912310', 'ID number must be 18 characters, got 15'],
    ['1101051949123100AX', 'ID number must start with 17 digits; character 17 is not a digit'],
    ['A1010519491231002X', 'ID number must start with 17 digits; character 1 is not a digit'],
    ['1101051949 231002X', 'ID number must start with 17 digits; character 11 is not a digit'],
    ['11010519491231002Y', 'ID number must end with a digit or X'],
    ['11010519900230002X', 'ID number birth date (characters 7-14) is not a real calendar date'],
    ['11010519491301002X', 'ID number birth date (characters 7-14) is not a real calendar date'],
    ['11010519491200002X', 'ID number birth date (characters 7-14) is not a real calendar date'],
    ['11010519000229002X', 'ID number birth date (characters 7-14) is not a real calendar date'],
    ['11010518991231002X', 'ID number birth date (characters 7-14) is before 1900-01-01'],
  ])('rejects %j: %s', (id, message) => {
    expect(residentIdError(id)).toBe(message);
  });

  it('accepts a leap-day birth date and the earliest allowed one', () => {
    const leap = '11010520000229001';
    expect(residentIdError(leap + residentIdCheckDigit(leap))).toBeUndefined();
    const earliest = '11010519000101001';
    expect(residentIdError(earliest + residentIdCheckDigit(earliest))).toBeUndefined();
  });

  it('never echoes the ID number or its digits in a message', () => {
    const bad = ['11010519491231002', '1101051949123100AX', '11010519900230002X', '110105194912310021'];
    for (const id of bad) {
      const message = residentIdError(id) ?? '';
      expect(message).not.toContain(id);
      expect(message).not.toContain(id.slice(0, 6));
      expect(message).not.toContain(id.slice(6, 14));
    }
  });

  it('property: 17 digits with a real birth date plus their check digit form a valid ID, any other ending does not', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const check = residentIdCheckDigit(prefix);
        expect(isValidResidentId(prefix + check)).toBe(true);
        if (check === 'X') expect(isValidResidentId(`${prefix}x`)).toBe(true);
        for (const other of CHECK_CHARS.filter((c) => c !== check)) {
          expect(isValidResidentId(prefix + other)).toBe(false);
        }
      }),
    );
  });

  it('property: a single changed digit is always caught', () => {
    fc.assert(
      fc.property(
        first17,
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        (prefix, pos, delta) => {
          const id = prefix + residentIdCheckDigit(prefix);
          const changed = String((Number(id[pos]) + delta) % 10);
          const typo = id.slice(0, pos) + changed + id.slice(pos + 1);
          expect(isValidResidentId(typo)).toBe(false);
        },
      ),
    );
  });
});

describe('masking', () => {
  it('keeps only the region code and the last four of an ID number', () => {
    expect(maskIdNumber('430381196007101077')).toBe('430381********1077');
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskIdNumber('12345')).toBe('*****');
  });

  it('keeps only the last four digits of a bank account', () => {
    expect(maskBankAccount('6230900000000001234')).toBe('**** **** **** 1234');
    expect(maskBankAccount('6230 9000 0000 0001 234')).toBe('**** **** **** 1234');
    expect(maskBankAccount('1234567890')).toBe('**** **** **** 7890');
    expect(maskBankAccount('123')).toBe('****');
  });

  it('keeps the first character of a name', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳建国')).toBe('欧***');
    expect(maskName('𠀾建国')).toBe('𠀾**');
    expect(maskName('')).toBe('');
  });

  it('property: masks never reveal the hidden middle', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const id = prefix + residentIdCheckDigit(prefix);
        const masked = maskIdNumber(id);
        expect(masked).toHaveLength(18);
        expect(masked.slice(6, 14)).toBe('********');
        expect(masked).not.toContain(id.slice(6, 14));
      }),
    );
  });
});
