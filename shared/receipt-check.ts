// A receipt is judged by its bytes, not by what the uploader declared.
import type { ObjectInspection } from '#shared/ports.ts';
import { MAX_RECEIPT_BYTES, type ReceiptRef } from '#shared/manifest.ts';

const signatures: { type: ReceiptRef['contentType']; bytes: number[] }[] = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
];

/** The content type the leading bytes prove, or undefined for anything else. */
export function sniffContentType(head: Uint8Array): ReceiptRef['contentType'] | undefined {
  return signatures.find((s) => s.bytes.every((b, i) => head[i] === b))?.type;
}

/** Why a stored receipt fails its manifest entry, or undefined when it is good. */
export function receiptProblem(
  ref: ReceiptRef,
  inspection: ObjectInspection | undefined,
): string | undefined {
  const name = ref.key.split('/').pop() ?? ref.key;
  if (!inspection) return `receipt ${name} was not uploaded`;
  if (inspection.size === 0) return `receipt ${name} is empty (0 bytes)`;
  if (inspection.size > MAX_RECEIPT_BYTES) return `receipt ${name} is larger than 10 MB`;
  const actual = sniffContentType(inspection.head);
  if (!actual) return `receipt ${name} is not a JPEG, PNG or PDF file`;
  if (actual !== ref.contentType)
    return `receipt ${name} is a ${actual} file but was declared ${ref.contentType}`;
  if (inspection.sha256 !== ref.sha256) return `receipt ${name} does not match its sha256 in the manifest`;
  return undefined;
}
