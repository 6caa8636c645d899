// The sharp adapter of the fingerprint port: what it makes of real and broken files.
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { MIN_SIDE_PIXELS, sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { FINGERPRINT_HEX_LENGTH, isNearDuplicate } from '#shared/receipt-fingerprint.ts';
import { fakeJpeg } from '#cli/local/demo-data.ts';
import { receiptSpec, renderReceipt } from '../../verify/lib/receipt-images.ts';

const fingerprinter = sharpFingerprinter();

async function receipt(seed: number) {
  return (await renderReceipt(receiptSpec(seed))).bytes;
}

describe('sharpFingerprinter', () => {
  it('fingerprints JPEG and PNG receipts; the same picture in either format is a near duplicate', async () => {
    const jpeg = await receipt(7);
    const png = await sharp(jpeg).png().toBuffer();
    const a = await fingerprinter.fingerprint(jpeg, 'image/jpeg');
    const b = await fingerprinter.fingerprint(png, 'image/png');
    expect(a.kind === 'image' && a.hash.length).toBe(FINGERPRINT_HEX_LENGTH);
    expect(a.kind === 'image' && b.kind === 'image' && isNearDuplicate(a.hash, b.hash)).toBe(true);
  });

  it('turns a photo upright by its EXIF orientation before fingerprinting', async () => {
    const upright = await receipt(8);
    // Stored sideways with orientation 6 ("turn 90° clockwise to view"), as phones save them.
    const sideways = await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const a = await fingerprinter.fingerprint(upright, 'image/jpeg');
    const b = await fingerprinter.fingerprint(sideways, 'image/jpeg');
    expect(a.kind === 'image' && b.kind === 'image' && isNearDuplicate(a.hash, b.hash)).toBe(true);
  });

  it('a PDF has no fingerprint, nor has a picture too small to hold a bill', async () => {
    expect(
      await fingerprinter.fingerprint(new TextEncoder().encode('%PDF-1.4\n'), 'application/pdf'),
    ).toEqual({
      kind: 'none',
    });
    expect(MIN_SIDE_PIXELS).toBeGreaterThan(1);
    expect(await fingerprinter.fingerprint(fakeJpeg('one pixel'), 'image/jpeg')).toEqual({ kind: 'none' });
  });

  it('cut-off and corrupt images are undecodable, with the decoder reason', async () => {
    const jpeg = await receipt(9);
    const png = await sharp(jpeg).png().toBuffer();
    for (const [bytes, type] of [
      [jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image/jpeg'],
      [jpeg.subarray(0, jpeg.length - 2), 'image/jpeg'],
      [png.subarray(0, Math.floor(png.length / 2)), 'image/png'],
    ] as const) {
      const result = await fingerprinter.fingerprint(bytes, type);
      expect(result.kind).toBe('undecodable');
      expect(result.kind === 'undecodable' && result.detail).toMatch(/premature end|read error|truncated/i);
    }
    // Garbage over the compressed data of a progressive JPEG: the decoder notices.
    const progressive = Buffer.from(await sharp(jpeg).jpeg({ progressive: true }).toBuffer());
    progressive.fill(0x5a, Math.floor(progressive.length * 0.5), Math.floor(progressive.length * 0.5) + 64);
    expect((await fingerprinter.fingerprint(progressive, 'image/jpeg')).kind).toBe('undecodable');
  });

  it('a file that is not what it was declared as is undecodable', async () => {
    const jpeg = await receipt(10);
    expect(await fingerprinter.fingerprint(jpeg, 'image/png')).toEqual({
      kind: 'undecodable',
      detail: 'the file is jpeg, not png',
    });
    expect((await fingerprinter.fingerprint(jpeg, 'image/gif')).kind).toBe('undecodable');
    expect((await fingerprinter.fingerprint(new Uint8Array([1, 2, 3]), 'image/jpeg')).kind).toBe(
      'undecodable',
    );
  });

  it('a 12-megapixel phone photo is shrunk while it is decoded', async () => {
    const photo = await sharp(await receipt(11))
      .resize(4000, 3000, { fit: 'fill' })
      .jpeg({ quality: 92 })
      .toBuffer();
    const started = performance.now();
    const result = await fingerprinter.fingerprint(photo, 'image/jpeg');
    expect(result.kind).toBe('image');
    // Generous: about 0.1 s on this machine; the bound only catches a full-size decode gone wrong.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
