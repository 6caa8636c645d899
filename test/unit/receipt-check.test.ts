// The structural receipt check on real files: PNGs and JPEGs encoded by sharp (a receipt from the
// verify generator, a phone-like progressive JPEG with EXIF) and a small hand-assembled PDF with
// a correct cross-reference table, each whole and cut off at several points.
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { receiptProblem, sniffContentType } from '#shared/receipt-check.ts';
import { renderMessage, type Message } from '#shared/messages/render.ts';
import type { ReceiptRef } from '#shared/manifest.ts';
import { MemoryReceipts } from '#functions/adapters/memory/memory-ports.ts';
import { sha256 } from '#cli/local/demo-data.ts';
import { receiptSpec, renderReceipt } from '../../verify/lib/receipt-images.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import { claimGrant, makeWorld, nextUlid, type World } from '#test/support/fixtures.ts';

type Kind = ReceiptRef['contentType'];
const files: Record<string, { bytes: Uint8Array; type: Kind }> = {};

/** A one-page PDF whose xref offsets are right, as a PDF writer makes it. */
function smallPdf(text = 'Receipt CNY 1,234.50'): Uint8Array {
  const content = `BT /F1 18 Tf 30 100 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(pdf, 'latin1'));
}

beforeAll(async () => {
  const photo = await renderReceipt(receiptSpec(20261122));
  files.png = { bytes: await sharp(photo.bytes).resize(600).png().toBuffer(), type: 'image/png' };
  files.jpeg = {
    bytes: await sharp(photo.bytes).resize(600).jpeg({ quality: 80 }).toBuffer(),
    type: 'image/jpeg',
  };
  // As a phone writes it: progressive, EXIF with make, model and a rotation.
  files.phone = {
    bytes: await sharp(photo.bytes)
      .jpeg({ quality: 90, progressive: true })
      .withExif({ IFD0: { Make: 'HUAWEI', Model: 'NOH-AN00', Software: 'NOH-AN00 4.0.0' } })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
    type: 'image/jpeg',
  };
  files.pdf = { bytes: smallPdf(), type: 'application/pdf' };
}, 30_000);

async function problemOf(bytes: Uint8Array, type: Kind, name = 'receipt-1') {
  const store = new MemoryReceipts();
  const key = `claims/C/${name}`;
  store.put(key, bytes);
  return receiptProblem(
    { key, sha256: sha256(bytes), contentType: type },
    await store.inspect(key, 10 << 20),
    1,
  );
}

/** The message for receipt 1 (the file's own name is never in it). */
const about = (code: string, params: Record<string, number> = {}) => ({ code, params: { n: 1, ...params } });

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));

describe('whole files pass', () => {
  it.each(['png', 'jpeg', 'phone', 'pdf'])('%s', async (name) => {
    const file = files[name]!;
    expect(sniffContentType(file.bytes)).toBe(file.type);
    expect(await problemOf(file.bytes, file.type)).toBeUndefined();
  });

  it('a phone-like JPEG is progressive and carries EXIF', async () => {
    const meta = await sharp(files.phone!.bytes).metadata();
    expect(meta).toMatchObject({ isProgressive: true, orientation: 6 });
    expect(meta.exif?.length).toBeGreaterThan(0);
  });
});

describe('cut-off files are refused, saying so', () => {
  const cuts = (length: number) => [
    33, // PNG signature and IHDR only: the file that passed before
    100,
    Math.floor(length * 0.25),
    Math.floor(length * 0.5),
    Math.floor(length * 0.9),
    length - 20,
    length - 2,
    length - 1,
  ];

  it('PNG: every cut loses the IEND chunk', async () => {
    const { bytes } = files.png!;
    for (const cut of cuts(bytes.length))
      expect(await problemOf(bytes.subarray(0, cut), 'image/png', 'receipt-1.png')).toEqual(
        about('RECEIPT_PNG_NO_END'),
      );
    expect(await problemOf(bytes.subarray(0, 20), 'image/png')).toEqual(about('RECEIPT_PNG_CUT_IN_HEADER'));
  });

  it.each(['jpeg', 'phone'])('JPEG (%s): every cut loses the end-of-image marker', async (name) => {
    const { bytes } = files[name]!;
    for (const cut of [...cuts(bytes.length), 2000]) {
      const problem = await problemOf(bytes.subarray(0, cut), 'image/jpeg', 'receipt-1.jpg');
      expect([
        about('RECEIPT_JPEG_CUT_OFF'),
        about('RECEIPT_JPEG_NO_END_NEAR_END', { bytes: 1024 }),
      ]).toContainEqual(problem);
    }
  });

  it('JPEG cut inside its compressed data is named plainly as cut off', async () => {
    const { bytes } = files.jpeg!;
    for (const share of [0.3, 0.6, 0.95])
      expect(
        await problemOf(bytes.subarray(0, Math.floor(bytes.length * share)), 'image/jpeg', 'r.jpg'),
      ).toEqual(about('RECEIPT_JPEG_CUT_OFF'));
  });

  it('PDF: a cut before %%EOF is refused; the whole file, also with an incremental update, passes', async () => {
    const { bytes } = files.pdf!;
    for (const cut of [20, Math.floor(bytes.length / 2), bytes.length - 7, bytes.length - 3])
      expect(await problemOf(bytes.subarray(0, cut), 'application/pdf', 'bill.pdf')).toEqual(
        about('RECEIPT_PDF_CUT_OFF', { bytes: 1024 }),
      );
    const updated = concat(
      bytes,
      new TextEncoder().encode('3 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\r\n'),
    );
    expect(await problemOf(updated, 'application/pdf')).toBeUndefined();
    // Cut inside the update: the first revision's %%EOF is still in the last 1 KiB, a whole document.
    expect(await problemOf(updated.subarray(0, bytes.length + 12), 'application/pdf')).toBeUndefined();
  });

  it('a cut-off receipt rejects the claim as INVALID_RECEIPT with the reason as a code, in words in both languages', async () => {
    const world = await makeWorld();
    const png = files.png!.bytes.subarray(0, 33);
    const { claimId, key } = fileClaim(world, png, 'image/png', 'receipt-1.png');
    expect(await validateClaim(world, { bucket: 'receipts', key })).toMatchObject({ outcome: 'rejected' });
    expect(await world.store.get(claimId)).toMatchObject({
      state: 'REJECTED',
      reason: 'INVALID_RECEIPT',
      detail: about('RECEIPT_PNG_NO_END'),
    });
    const { detail } = (await world.store.get(claimId))!;
    expect(renderMessage(detail as Message, 'zh')).toBe('票据 1 不完整：PNG 文件缺少结束块');
    expect(renderMessage(detail as Message, 'en')).toBe(
      'Receipt 1 is cut off: the PNG has no end (IEND) chunk',
    );
  });
});

describe('what real encoders and phones put after the end', () => {
  it('zero padding after the end marker passes (JPEG and PNG)', async () => {
    expect(await problemOf(concat(files.jpeg!.bytes, new Uint8Array(300)), 'image/jpeg')).toBeUndefined();
    expect(await problemOf(concat(files.png!.bytes, new Uint8Array(300)), 'image/png')).toBeUndefined();
  });

  it("a trailer after EOI passes: a short one, and Samsung's longer SEF trailer ending in SEFT", async () => {
    const short = concat(files.phone!.bytes, new TextEncoder().encode('{"watermark":"device"}'));
    expect(await problemOf(short, 'image/jpeg')).toBeUndefined();
    const sef = concat(
      files.phone!.bytes,
      new Uint8Array(5000).fill(0x41),
      new Uint8Array([0x10, 0, 0, 0]),
      new TextEncoder().encode('SEFT'),
    );
    expect(await problemOf(sef, 'image/jpeg')).toBeUndefined();
  });

  it('kilobytes of unknown data after the image are refused: its end is not where it should be', async () => {
    const junk = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(await problemOf(concat(files.jpeg!.bytes, junk), 'image/jpeg', 'x.jpg')).toEqual(
      about('RECEIPT_JPEG_NO_END_NEAR_END', { bytes: 1024 }),
    );
  });

  it('a damaged PNG header is refused even when the file ends properly', async () => {
    const bad = Uint8Array.from(files.png!.bytes);
    bad[17] = (bad[17] as number) ^ 0x40; // a bit of the width: the IHDR CRC no longer matches
    expect(await problemOf(bad, 'image/png', 'a.png')).toEqual(about('RECEIPT_PNG_HEADER_CHECKSUM'));
  });
});

function fileClaim(world: World, bytes: Uint8Array, contentType: Kind, name: string) {
  const claimId = nextUlid();
  const receiptKey = `claims/${claimId}/${name}`;
  world.bucket.put(receiptKey, bytes);
  const manifest = {
    schemaVersion: 1,
    claimId,
    householdId: 'HH-0001',
    category: 'education',
    expenseDate: '2026-09-01',
    totalCost: '15000',
    reimbursed: '0',
    receipts: [{ key: receiptKey, sha256: sha256(bytes), contentType }],
    submittedBy: 'worker1',
  };
  world.store.grants.set(claimId, claimGrant(claimId, 'HH-0001', 'worker1', world.clockControl.now()));
  const key = `claims/${claimId}/manifest.json`;
  world.bucket.put(key, JSON.stringify(manifest));
  return { claimId, key };
}
