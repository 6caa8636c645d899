// The perceptual fingerprint: its pure parts, and the measurement of what it catches on generated
// receipts (a small run of verify/near-duplicates.ts, with the same goals).
import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_HEX_LENGTH,
  fingerprintFromGrey,
  hammingDistance,
  isNearDuplicate,
  NEAR_DUPLICATE_MIN_SCORE,
  parseFingerprint,
  similarity,
  SOURCE_SIZE,
} from '#shared/receipt-fingerprint.ts';
import { measureNearDuplicates } from '../../verify/lib/receipt-images.ts';

/** A synthetic page: dark "text lines" of seeded lengths on light paper, moved by `shift` pixels. */
function page(seed: number, shift = 0): Uint8Array {
  const grey = new Uint8Array(SOURCE_SIZE * SOURCE_SIZE).fill(235);
  // A hash per position, so the same page shifted has the same marks.
  const noise = (a: number, b: number) => {
    let h = Math.imul(seed ^ Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    return (Math.imul(h, 0x27d4eb2f) >>> 0) / 2 ** 32;
  };
  for (let line = 0, y = 20; y < SOURCE_SIZE - 24; line++, y += 6 + Math.floor(noise(line, -3) * 8)) {
    const start = 16 + Math.floor(noise(line, -1) * 40);
    const end = start + 40 + Math.floor(noise(line, -2) * 150);
    for (let dy = 0; dy < 3; dy++)
      for (let x = start; x < Math.min(end, SOURCE_SIZE - 16); x++) {
        const [px, py] = [x + shift, y + dy + shift];
        if (py < SOURCE_SIZE && noise(line * 4 + dy, x) < 0.7) grey[py * SOURCE_SIZE + px] = 40;
      }
  }
  return grey;
}

describe('hammingDistance', () => {
  it('counts differing bits of hex strings', () => {
    expect(hammingDistance('00', '00')).toBe(0);
    expect(hammingDistance('0f', 'f0')).toBe(8);
    expect(hammingDistance('a5c3', 'a5c2')).toBe(1);
    expect(() => hammingDistance('0', '00')).toThrow(RangeError);
  });
});

describe('fingerprintFromGrey', () => {
  it('is one lowercase hex string of fixed length that parses back', () => {
    const hash = fingerprintFromGrey(page(1), 1200, 900);
    expect(hash).toMatch(/^[0-9a-f]+$/);
    expect(hash).toHaveLength(FINGERPRINT_HEX_LENGTH);
    expect(parseFingerprint(hash).aspectLog2).toBeCloseTo(Math.log2(1200 / 900), 3);
    expect(() => parseFingerprint(hash.slice(1))).toThrow(RangeError);
    expect(() => parseFingerprint(`02${hash.slice(2)}`)).toThrow(RangeError);
  });

  it('the same page is a near duplicate of itself; two different pages are not', () => {
    const a = fingerprintFromGrey(page(1), 1200, 900);
    expect(isNearDuplicate(a, a)).toBe(true);
    expect(similarity(parseFingerprint(a), parseFingerprint(a)).score).toBeGreaterThan(0.99);
    expect(isNearDuplicate(a, fingerprintFromGrey(page(2), 1200, 900))).toBe(false);
  });

  it('a page shifted by a few pixels is found again by the alignment', () => {
    const a = parseFingerprint(fingerprintFromGrey(page(3), 1200, 900));
    const b = parseFingerprint(fingerprintFromGrey(page(3, 4), 1200, 900));
    const { score, crop } = similarity(a, b);
    expect(score).toBeGreaterThanOrEqual(NEAR_DUPLICATE_MIN_SCORE);
    // b is a moved right and down by 4 of 256 pixels: a's frame starts 1.6% before b's.
    expect(crop?.x.offset).toBeCloseTo(-4 / 256, 2);
    expect(crop?.y.offset).toBeCloseTo(-4 / 256, 2);
  });

  it('pictures of very different shape are never compared further', () => {
    const a = fingerprintFromGrey(page(4), 1200, 900);
    expect(
      similarity(parseFingerprint(a), parseFingerprint(fingerprintFromGrey(page(4), 600, 1400))).score,
    ).toBe(0);
  });

  it('a blank picture matches nothing, not even another blank one', () => {
    const blank = fingerprintFromGrey(new Uint8Array(SOURCE_SIZE * SOURCE_SIZE).fill(250), 800, 800);
    expect(isNearDuplicate(blank, blank)).toBe(false);
  });
});

describe('near duplicates on generated receipts (small run of verify/near-duplicates.ts)', () => {
  it('flags at least 95% of 20 receipts x 5 transformations and at most 1% of 100 distinct ones', async () => {
    const figures = await measureNearDuplicates({ receipts: 20, distinct: 100, seed: 20261122 });
    expect(figures).toMatchObject({ transformed: 100, distinct: 100 });
    expect(figures.flaggedShare, figures.examples.join('\n')).toBeGreaterThanOrEqual(0.95);
    expect(figures.falseShare, figures.examples.join('\n')).toBeLessThanOrEqual(0.01);
  }, 60_000);
});
