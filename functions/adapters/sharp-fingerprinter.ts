// The receipt fingerprint port on sharp (libvips): decode, turn upright by EXIF, greyscale, and
// shrink to the 256x256 picture the pure fingerprint is computed from (shared/receipt-fingerprint).
// sharp is a native module: the Lambda bundle installs it for linux-arm64 (see claims-function.ts).
import sharp from 'sharp';
import {
  fingerprintFromGrey,
  SOURCE_SIZE,
  type FingerprintResult,
  type ReceiptFingerprinter,
} from '#shared/receipt-fingerprint.ts';

/**
 * Larger images are refused before decoding. 10 MB of JPEG can hold about 50 megapixels; a phone
 * takes 12-50. libvips streams the decode (sequential read, and JPEGs are shrunk by 1/8 while
 * they are decoded), so memory stays far below width x height x 3 bytes.
 */
export const MAX_INPUT_PIXELS = 100_000_000;

// Every receipt is decoded once: libvips' operation cache would only hold on to memory.
sharp.cache(false);

/**
 * Pictures smaller than this on either side cannot hold a legible bill (a 1x1 test image, an
 * icon): they get no fingerprint rather than one that says nothing.
 */
export const MIN_SIDE_PIXELS = 64;

/** The port as the handlers' dependency wiring takes it: one fingerprinter, no AWS context. */
export const sharpFingerprinter = (): ReceiptFingerprinter => new SharpFingerprinter();

export class SharpFingerprinter implements ReceiptFingerprinter {
  async fingerprint(bytes: Uint8Array, contentType: string): Promise<FingerprintResult> {
    if (contentType === 'application/pdf') return { kind: 'none' };
    if (contentType !== 'image/jpeg' && contentType !== 'image/png')
      return { kind: 'undecodable', detail: `${contentType} is not an image type receipts may have` };
    const options = {
      limitInputPixels: MAX_INPUT_PIXELS,
      sequentialRead: true,
      // sharp's advice for untrusted input: a decoder warning (corrupt or missing data) fails it.
      failOn: 'warning',
    } as const;
    let decoded;
    try {
      const meta = await sharp(bytes, options).metadata();
      const expected = contentType === 'image/jpeg' ? 'jpeg' : 'png';
      if (meta.format !== expected)
        return { kind: 'undecodable', detail: `the file is ${meta.format ?? 'unknown'}, not ${expected}` };
      const picture = await sharp(bytes, options)
        .autoOrient()
        // A screenshot's transparent pixels are white paper, not black.
        .flatten({ background: '#ffffff' })
        .greyscale()
        .resize(SOURCE_SIZE, SOURCE_SIZE, { fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      decoded = { ...meta.autoOrient, picture };
    } catch (error) {
      // Only the decoder's refusals: a fault in the arithmetic below must not reject a claim.
      return { kind: 'undecodable', detail: describe(error) };
    }
    const { width, height, picture } = decoded;
    if (
      picture.info.width !== SOURCE_SIZE ||
      picture.info.height !== SOURCE_SIZE ||
      picture.info.channels !== 1
    )
      throw new Error('sharp returned a picture of an unexpected shape');
    if (width < MIN_SIDE_PIXELS || height < MIN_SIDE_PIXELS) return { kind: 'none' };
    return { kind: 'image', hash: fingerprintFromGrey(picture.data, width, height) };
  }
}

/** libvips' message, shortened to its first line and without the decoder's internal prefix. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? 'the image cannot be decoded';
  return first.replace(/^(VipsJpeg|VipsForeignLoad\w*|vips\w*):\s*/i, '').slice(0, 200);
}
