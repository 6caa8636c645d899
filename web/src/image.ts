// Receipt photos are shrunk on the phone: a 4 MB camera JPEG becomes a few hundred KB at
// 1600 px on the long edge, still legible, and a weak signal can carry it. Re-encoding also
// drops EXIF (the phone's GPS position has no place in a claim).
import { sha256Hex } from './sha256.ts';

export const MAX_EDGE_PX = 1600;
export const JPEG_QUALITY = 0.7;
/** The API's limit per receipt (shared/manifest.ts MAX_RECEIPT_BYTES). */
export const MAX_RECEIPT_BYTES = 10 * 1024 * 1024;
/** shared/manifest.ts MAX_RECEIPTS. */
export const MAX_RECEIPTS = 10;

export type ReceiptType = 'image/jpeg' | 'image/png' | 'application/pdf';

export interface PreparedReceipt {
  readonly name: string;
  readonly contentType: ReceiptType;
  /** Exactly the bytes that will be uploaded (and hashed). */
  readonly bytes: ArrayBuffer;
  readonly sha256: string;
  readonly originalSize: number;
}

export class ReceiptError extends Error {
  constructor(readonly kind: 'badImage' | 'tooLarge') {
    super(kind);
    this.name = 'ReceiptError';
  }
}

/** What the leading bytes prove (the server checks the same magic numbers). */
export function sniff(head: Uint8Array): ReceiptType | undefined {
  const starts = (sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return undefined;
}

interface Decoded {
  readonly source: CanvasImageSource;
  readonly width: number;
  readonly height: number;
  release(): void;
}

async function decode(file: Blob): Promise<Decoded> {
  if (typeof createImageBitmap === 'function') {
    try {
      // from-image: a phone photo taken upright has EXIF rotation; apply it before drawing.
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bitmap, width: bitmap.width, height: bitmap.height, release: () => bitmap.close() };
    } catch {
      // Fall through to <img>, which decodes a few more formats on some browsers.
    }
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  try {
    await img.decode();
  } catch {
    URL.revokeObjectURL(url);
    throw new ReceiptError('badImage');
  }
  return {
    source: img,
    width: img.naturalWidth,
    height: img.naturalHeight,
    release: () => URL.revokeObjectURL(url),
  };
}

/** Fits `width` x `height` into MAX_EDGE_PX on the long edge, never enlarging. */
export function fitWithin(
  width: number,
  height: number,
  max = MAX_EDGE_PX,
): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function compressImage(file: Blob): Promise<Blob> {
  const decoded = await decode(file);
  try {
    if (decoded.width === 0 || decoded.height === 0) throw new ReceiptError('badImage');
    const size = fitWithin(decoded.width, decoded.height);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new ReceiptError('badImage');
    // JPEG has no transparency: a PNG screenshot's clear pixels become white, not black.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(decoded.source, 0, 0, size.width, size.height);
    const blob = await new Promise<Blob | null>((resolve) =>
      canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY),
    );
    // Frees the pixel buffer now rather than at GC: a cheap phone has little memory to spare.
    canvas.width = 0;
    canvas.height = 0;
    if (!blob) throw new ReceiptError('badImage');
    return blob;
  } finally {
    decoded.release();
  }
}

/** Turns a picked file into the receipt to upload: images compressed, PDFs as they are. */
export async function prepareReceipt(file: File): Promise<PreparedReceipt> {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const sniffed = sniff(head);
  if (sniffed === 'application/pdf') {
    if (file.size > MAX_RECEIPT_BYTES) throw new ReceiptError('tooLarge');
    const bytes = await file.arrayBuffer();
    return {
      name: file.name,
      contentType: 'application/pdf',
      bytes,
      sha256: await sha256Hex(bytes),
      originalSize: file.size,
    };
  }
  if (!sniffed && !file.type.startsWith('image/')) throw new ReceiptError('badImage');
  const blob = await compressImage(file);
  if (blob.size > MAX_RECEIPT_BYTES) throw new ReceiptError('tooLarge');
  const bytes = await blob.arrayBuffer();
  return {
    name: file.name.replace(/\.[^.]*$/, '') + '.jpg',
    contentType: 'image/jpeg',
    bytes,
    sha256: await sha256Hex(bytes),
    originalSize: file.size,
  };
}
