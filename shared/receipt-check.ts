// A receipt is judged by its bytes, not by what the uploader declared. The checks here look only
// at the first and last bytes the store read while hashing the object: a cheap test that catches
// files cut off on the phone or in transit, before any decoder runs.
import type { ObjectInspection } from '#shared/ports.ts';
import { MAX_RECEIPT_BYTES, type ReceiptRef } from '#shared/manifest.ts';
import type { Message, MessageParams } from '#shared/messages/render.ts';

/** How many leading bytes a receipt store keeps: the PNG signature and IHDR chunk need 33. */
export const INSPECT_HEAD_BYTES = 64;
/** How many trailing bytes a receipt store keeps: PDF readers look for `%%EOF` this far back. */
export const INSPECT_TAIL_BYTES = 1024;

const signatures: { type: ReceiptRef['contentType']; bytes: number[] }[] = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
];

/** The content type the leading bytes prove, or undefined for anything else. */
export function sniffContentType(head: Uint8Array): ReceiptRef['contentType'] | undefined {
  return signatures.find((s) => s.bytes.every((b, i) => head[i] === b))?.type;
}

/** What a problem is called for people, in the catalog: a code and the numbers it needs. */
export interface Problem {
  readonly code: string;
  readonly params?: MessageParams;
}

const typeNames: Readonly<Record<ReceiptRef['contentType'], string>> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'application/pdf': 'PDF',
};

/**
 * Why a stored receipt fails its manifest entry, or undefined when it is good: a message about
 * receipt `n` (its place in the manifest, from 1), never its key (the uploader chose it).
 */
export function receiptProblem(
  ref: ReceiptRef,
  inspection: ObjectInspection | undefined,
  n: number,
): Message | undefined {
  const about = (problem: Problem): Message => ({ code: problem.code, params: { n, ...problem.params } });
  if (!inspection) return about({ code: 'RECEIPT_NOT_UPLOADED' });
  if (inspection.size === 0) return about({ code: 'RECEIPT_EMPTY' });
  if (inspection.size > MAX_RECEIPT_BYTES)
    return about({ code: 'RECEIPT_TOO_LARGE', params: { maxMb: MAX_RECEIPT_BYTES / 1024 / 1024 } });
  const actual = sniffContentType(inspection.head);
  if (!actual) return about({ code: 'RECEIPT_UNKNOWN_TYPE' });
  if (actual !== ref.contentType)
    return about({
      code: 'RECEIPT_TYPE_DIFFERS',
      params: { actual: typeNames[actual], declared: typeNames[ref.contentType] },
    });
  // Before the hash: a file cut off in transit fails both, and "cut off" says what to do.
  const broken = structureProblem(actual, inspection);
  if (broken) return about(broken);
  if (inspection.sha256 !== ref.sha256) return about({ code: 'RECEIPT_SHA256_DIFFERS' });
  return undefined;
}

/** What is wrong with the file's first or last bytes for its type (a catalog code), or undefined. */
export function structureProblem(
  type: ReceiptRef['contentType'],
  inspection: Pick<ObjectInspection, 'size' | 'head' | 'tail'>,
): Problem | undefined {
  switch (type) {
    case 'image/png':
      return pngProblem(inspection);
    case 'image/jpeg':
      return jpegProblem(inspection);
    case 'application/pdf':
      return pdfProblem(inspection.tail);
  }
}

// --- PNG: signature, IHDR (13 bytes, CRC-checked), ..., IEND -----------------------------------

const IEND_CHUNK = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
const IHDR_END = 33; // signature 8 + length 4 + type 4 + data 13 + CRC 4
/** Bit depths each PNG colour type allows (PNG spec, table 11.1). */
const PNG_BIT_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function pngProblem({
  size,
  head,
  tail,
}: Pick<ObjectInspection, 'size' | 'head' | 'tail'>): Problem | undefined {
  if (size < IHDR_END || head.length < IHDR_END) return { code: 'RECEIPT_PNG_CUT_IN_HEADER' };
  const header = ihdrProblem(head);
  if (header) return header;
  // Decoders stop at IEND, so bytes after it (some tools append their own) leave the image whole;
  // a cut-off file cannot contain the 12-byte chunk with its CRC by chance.
  if (lastIndexOf(tail, IEND_CHUNK) < 0) return { code: 'RECEIPT_PNG_NO_END' };
  return undefined;
}

function ihdrProblem(head: Uint8Array): Problem | undefined {
  const view = new DataView(head.buffer, head.byteOffset, IHDR_END);
  if (view.getUint32(8) !== 13 || !matchesAt(head, 12, [0x49, 0x48, 0x44, 0x52]))
    return { code: 'RECEIPT_PNG_HEADER_NOT_FIRST' };
  if (crc32(head.subarray(12, 29)) !== view.getUint32(29)) return { code: 'RECEIPT_PNG_HEADER_CHECKSUM' };
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    return { code: 'RECEIPT_PNG_IMPOSSIBLE_SIZE', params: { width, height } };
  const depth = head[24] ?? 0;
  const colourType = head[25] ?? 0;
  if (!PNG_BIT_DEPTHS[colourType]?.includes(depth))
    return { code: 'RECEIPT_PNG_IMPOSSIBLE_COLOUR', params: { colourType, depth } };
  if (head[26] !== 0 || head[27] !== 0 || (head[28] !== 0 && head[28] !== 1))
    return { code: 'RECEIPT_PNG_UNKNOWN_METHOD' };
  return undefined;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 as PNG chunks use it (ISO 3309, polynomial 0xEDB88320). */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of bytes) crc = (crcTable[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// --- JPEG: SOI ... EOI (FFD9), then possibly a phone's trailer -----------------------------------

const SAMSUNG_TRAILER_END = [0x53, 0x45, 0x46, 0x54]; // "SEFT"

function jpegProblem({ size, tail }: Pick<ObjectInspection, 'size' | 'tail'>): Problem | undefined {
  // Encoders end the file with EOI. Phones may append data after it (the Exif spec tells readers
  // to tolerate that): Samsung's SEF trailer, Google's gain map or motion-photo video, padding.
  // Inside compressed data every 0xFF is followed by 0x00 or a restart marker, so an FFD9 in the
  // tail is a real end marker, and whatever follows it is such a trailer.
  if (lastIndexOf(tail, [0xff, 0xd9]) >= 0) return undefined;
  // A Samsung trailer can be longer than the tail; it is written after a finished image.
  if (tail.length >= 4 && matchesAt(tail, tail.length - 4, SAMSUNG_TRAILER_END)) return undefined;
  if (size <= tail.length || looksLikeScanData(tail)) return { code: 'RECEIPT_JPEG_CUT_OFF' };
  return { code: 'RECEIPT_JPEG_NO_END_NEAR_END', params: { bytes: tail.length } };
}

/** Whether bytes can be the middle of a JPEG's compressed data: no marker but fill and restarts. */
function looksLikeScanData(bytes: Uint8Array): boolean {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0xff) continue;
    const next = bytes[i + 1] as number;
    if (next !== 0x00 && next !== 0xff && (next < 0xd0 || next > 0xd7)) return false;
  }
  return true;
}

// --- PDF: %%EOF near the end -------------------------------------------------------------------

const PDF_EOF = [0x25, 0x25, 0x45, 0x4f, 0x46]; // %%EOF

function pdfProblem(tail: Uint8Array): Problem | undefined {
  // PDF readers (Acrobat among them) look for %%EOF within the last 1024 bytes; incremental
  // updates each end with one, so a file cut after an earlier update is still a whole document.
  if (lastIndexOf(tail.subarray(-INSPECT_TAIL_BYTES), PDF_EOF) < 0)
    return { code: 'RECEIPT_PDF_CUT_OFF', params: { bytes: INSPECT_TAIL_BYTES } };
  return undefined;
}

// --- bytes -------------------------------------------------------------------------------------

function matchesAt(bytes: Uint8Array, at: number, pattern: readonly number[]): boolean {
  return at >= 0 && pattern.every((b, i) => bytes[at + i] === b);
}

function lastIndexOf(bytes: Uint8Array, pattern: readonly number[]): number {
  for (let at = bytes.length - pattern.length; at >= 0; at--) if (matchesAt(bytes, at, pattern)) return at;
  return -1;
}
