// Synthetic receipt photos for measuring the perceptual duplicate check: distinct bills from
// many hospitals and schools (each institution keeps one layout, as real ones do, so two bills
// of one hospital differ only in their rows, amounts, names and stamp), photographed or scanned,
// and the five ways a web app or a person changes a photo before filing it again.
// Everything is fixed by a seed; text is drawn by librsvg through sharp with DejaVu fonts.
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { seededRandom, hashSeed, type Random } from './random.ts';
import {
  NEAR_DUPLICATE_MIN_SCORE,
  parseFingerprint,
  similarity,
  type ParsedFingerprint,
  type ReceiptFingerprinter,
} from '#shared/receipt-fingerprint.ts';
import { SharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';

// --- what a receipt says ----------------------------------------------------------------------

type Layout = 'invoice' | 'school' | 'thermal' | 'fapiao';

interface Institution {
  readonly name: string;
  readonly title: string;
  readonly layout: Layout;
  readonly font: string;
  readonly accent: string;
  readonly items: readonly string[];
}

const places = [
  'Huining',
  'Dingxi',
  'Tongwei',
  'Minxian',
  'Zhangxian',
  'Longxi',
  'Weiyuan',
  'Lintao',
  'Jingning',
  'Qin\u2019an',
  'Gangu',
  'Wushan',
  'Xihe',
  'Lixian',
  'Kangxian',
  'Wenxian',
  'Dangchang',
  'Zhouqu',
  'Zhuoni',
  'Lintan',
];
const hospitalKinds = [
  'County People\u2019s Hospital',
  'Hospital of Traditional Chinese Medicine',
  'Maternal and Child Health Hospital',
  'Township Health Centre',
  'Second People\u2019s Hospital',
];
const schoolKinds = [
  'No.1 Senior Middle School',
  'Vocational College',
  'Teachers\u2019 College',
  'University',
];
const fonts = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Condensed', 'DejaVu Sans Mono'];
const accents = ['#1d3f8f', '#8a3b12', '#2c6e49', '#5b2a86', '#333333', '#9c1c1c', '#0f5e7a'];
const medicalItems = [
  'Registration fee',
  'Western medicine',
  'Chinese patent medicine',
  'Chinese herbal medicine',
  'Laboratory tests',
  'CT examination',
  'B-mode ultrasound',
  'X-ray radiography',
  'Ward bed (per day)',
  'Nursing care',
  'Surgery',
  'Anaesthesia',
  'Medical materials',
  'Oxygen therapy',
  'Injection',
  'General treatment',
  'Blood transfusion',
  'Dialysis session',
];
const schoolItems = [
  'Tuition (academic year)',
  'Accommodation',
  'Textbooks',
  'Military training uniform',
  'Insurance premium',
  'Laboratory fee',
  'Examination fee',
  'Internship fee',
  'Meal card deposit',
  'Computer course fee',
];
const surnames = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu', 'Ma', 'Hu'];
const givenNames = [
  'Xiuying',
  'Guilan',
  'Jianguo',
  'Zhiqiang',
  'Haiyan',
  'Chunmei',
  'Deming',
  'Yulan',
  'Hong',
];

/** Fifty institutions; which one a receipt comes from is drawn from the seed. */
function institutions(): Institution[] {
  const random = seededRandom(hashSeed('receipt institutions'));
  const list: Institution[] = [];
  for (let i = 0; i < 50; i++) {
    const school = i % 5 === 4;
    const place = places[i % places.length] as string;
    const kind = school ? random.pick(schoolKinds) : random.pick(hospitalKinds);
    const layout: Layout = school
      ? random.pick<Layout>(['school', 'fapiao'])
      : random.pick<Layout>(['invoice', 'invoice', 'thermal', 'fapiao']);
    list.push({
      name: `${place} ${kind}`,
      title: school
        ? random.pick(['Receipt for Tuition and Fees', 'Fee Receipt', 'Payment Voucher'])
        : random.pick(['Outpatient Invoice', 'Inpatient Settlement', 'Medical Fee Receipt', 'Hospital Bill']),
      layout,
      font: random.pick(fonts),
      accent: random.pick(accents),
      items: school ? schoolItems : medicalItems,
    });
  }
  return list;
}

const allInstitutions = institutions();

export interface ReceiptSpec {
  readonly seed: number;
  readonly institution: Institution;
  readonly payer: string;
  readonly number: string;
  readonly date: string;
  readonly rows: readonly { item: string; qty: number; unitFen: number }[];
  readonly stamp: { x: number; y: number; angle: number; r: number };
  readonly paper: string;
  /** A photo on a table (rotation, background, light falloff, sensor noise) or a flat scan. */
  readonly capture:
    | {
        kind: 'photo';
        angle: number;
        table: string;
        margin: number;
        light: number;
        lightAngle: number;
        noise: number;
      }
    | { kind: 'scan'; noise: number };
  readonly width: number;
  readonly format: 'jpeg' | 'png';
  readonly quality: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const yuan = (fen: number) => `${Math.floor(fen / 100).toLocaleString('en-US')}.${pad(fen % 100, 2)}`;

/** A distinct bill: its institution, payer, rows, stamp and how it was captured, all from the seed. */
export function receiptSpec(seed: number): ReceiptSpec {
  const random = seededRandom(seed);
  const institution = random.pick(allInstitutions);
  const rowCount = random.int(1, institution.layout === 'thermal' ? 7 : 9);
  const rows = random
    .shuffle([...institution.items])
    .slice(0, rowCount)
    .map((item) => ({
      item,
      qty: random.chance(0.6) ? 1 : random.int(2, 14),
      unitFen: random.int(5, 900_00),
    }));
  const scan = random.chance(0.3);
  return {
    seed,
    institution,
    payer: `${random.pick(surnames)} ${random.pick(givenNames)}`,
    number: `${random.int(10, 99)}${pad(random.int(0, 99_999_999), 8)}`,
    date: `2026-${pad(random.int(1, 11), 2)}-${pad(random.int(1, 28), 2)}`,
    rows,
    stamp: { x: random.next(), y: random.next(), angle: random.int(-40, 40), r: random.int(58, 78) },
    paper: random.pick(['#ffffff', '#fbf8ef', '#f6f1e2', '#f4f4f0', '#fdf6e9', '#eef0ea']),
    capture: scan
      ? { kind: 'scan', noise: random.int(2, 6) }
      : {
          kind: 'photo',
          angle: (random.next() - 0.5) * 5,
          table: random.pick(['#6b4a2f', '#8b8f94', '#3e3a36', '#a07850', '#c9c2b5', '#2f4f4f']),
          margin: 0.04 + random.next() * 0.1,
          light: 0.15 + random.next() * 0.35,
          lightAngle: random.int(0, 359),
          noise: random.int(6, 16),
        },
    width: random.int(880, 1300),
    format: scan && random.chance(0.5) ? 'png' : 'jpeg',
    quality: random.int(82, 95),
  };
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The paper itself as SVG, in pixels of the final photo. */
export function receiptSvg(spec: ReceiptSpec): { svg: string; width: number; height: number } {
  const { institution: inst, rows } = spec;
  const thermal = inst.layout === 'thermal';
  const wide = inst.layout === 'fapiao';
  const width = thermal ? Math.round(spec.width * 0.55) : spec.width;
  const unit = width / (thermal ? 30 : 60); // one text line's height
  const lines: string[] = [];
  const text = (x: number, y: number, s: string, size = 1, opts = '') =>
    lines.push(
      `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${(unit * size).toFixed(1)}" ${opts}>${escape(s)}</text>`,
    );
  const left = unit * (thermal ? 1.2 : 2.5);
  const right = width - left;
  let y = unit * 3;

  // Header.
  if (inst.layout === 'thermal') {
    text(width / 2, y, inst.name.toUpperCase(), 0.95, 'text-anchor="middle" font-weight="bold"');
    y += unit * 1.5;
    text(width / 2, y, inst.title, 0.9, 'text-anchor="middle"');
    y += unit * 1.2;
    lines.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#222" stroke-dasharray="${unit * 0.4} ${unit * 0.3}"/>`,
    );
  } else {
    if (inst.layout !== 'school')
      lines.push(`<rect x="0" y="0" width="${width}" height="${unit * 0.9}" fill="${inst.accent}"/>`);
    text(
      width / 2,
      y + unit * 0.6,
      inst.name,
      1.7,
      `text-anchor="middle" font-weight="bold" fill="${inst.accent}"`,
    );
    y += unit * 2.6;
    text(width / 2, y, inst.title, 1.25, 'text-anchor="middle"');
    if (inst.layout === 'school')
      lines.push(
        `<line x1="${left}" y1="${y + unit * 0.6}" x2="${right}" y2="${y + unit * 0.6}" stroke="${inst.accent}" stroke-width="${unit * 0.15}"/>`,
      );
    if (wide) {
      // The QR-like block on a fapiao: cells from the invoice number, so every bill has its own.
      const cells = seededRandom(hashSeed(spec.number));
      const size = unit * 5;
      const cell = size / 21;
      for (let r = 0; r < 21; r++)
        for (let c = 0; c < 21; c++)
          if (cells.chance(0.5))
            lines.push(
              `<rect x="${(left + c * cell).toFixed(1)}" y="${(unit * 1.5 + r * cell).toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="#111"/>`,
            );
    }
  }
  y += unit * 2;

  // Who paid, and which bill this is.
  const facts: [string, string][] = [
    [inst.layout === 'school' ? 'Student' : 'Patient', spec.payer],
    ['No.', spec.number],
    ['Date', spec.date],
  ];
  if (thermal) {
    for (const [k, v] of facts) {
      text(left, y, `${k}: ${v}`, 0.85);
      y += unit * 1.2;
    }
  } else {
    const step = (right - left) / facts.length;
    facts.forEach(([k, v], i) => text(left + i * step, y, `${k}: ${v}`, 0.95));
    y += unit * 1.6;
  }

  // The table.
  const cols = thermal
    ? [left, left + (right - left) * 0.62, right]
    : [left, left + (right - left) * 0.5, left + (right - left) * 0.62, left + (right - left) * 0.8, right];
  const rowHeight = unit * (thermal ? 1.25 : 1.6);
  const tableTop = y;
  if (!thermal) {
    lines.push(
      `<rect x="${left}" y="${y}" width="${right - left}" height="${rowHeight}" fill="${inst.accent}" fill-opacity="0.12"/>`,
    );
    const heads = ['Item', 'Qty', 'Unit price', 'Amount'];
    heads.forEach((h, i) =>
      text((cols[i] as number) + unit * 0.4, y + rowHeight * 0.7, h, 0.95, 'font-weight="bold"'),
    );
    y += rowHeight;
  }
  let totalFen = 0;
  for (const row of rows) {
    const amount = row.qty * row.unitFen;
    totalFen += amount;
    if (thermal) {
      text(left, y + rowHeight * 0.7, `${row.item} x${row.qty}`, 0.85);
      text(right, y + rowHeight * 0.7, yuan(amount), 0.85, 'text-anchor="end"');
    } else {
      text((cols[0] as number) + unit * 0.4, y + rowHeight * 0.7, row.item);
      text((cols[1] as number) + unit * 0.4, y + rowHeight * 0.7, String(row.qty));
      text((cols[2] as number) + unit * 0.4, y + rowHeight * 0.7, yuan(row.unitFen));
      text((cols[4] as number) - unit * 0.4, y + rowHeight * 0.7, yuan(amount), 1, 'text-anchor="end"');
    }
    y += rowHeight;
  }
  if (!thermal) {
    for (let r = 0; r <= rows.length + 1; r++) {
      const ly = tableTop + r * rowHeight;
      lines.push(
        `<line x1="${left}" y1="${ly}" x2="${right}" y2="${ly}" stroke="#444" stroke-width="${unit * 0.06}"/>`,
      );
    }
    for (const x of cols)
      lines.push(
        `<line x1="${x}" y1="${tableTop}" x2="${x}" y2="${tableTop + (rows.length + 1) * rowHeight}" stroke="#444" stroke-width="${unit * 0.06}"/>`,
      );
  } else {
    lines.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#222" stroke-dasharray="${unit * 0.4} ${unit * 0.3}"/>`,
    );
  }
  y += unit * 1.8;

  // Totals and the cashier.
  text(left, y, `Total: CNY ${yuan(totalFen)}`, thermal ? 1 : 1.3, 'font-weight="bold"');
  y += unit * 1.6;
  if (inst.layout !== 'school') {
    const insured = Math.round(totalFen * (0.3 + (spec.seed % 40) / 100));
    text(left, y, `Insurance paid: ${yuan(insured)}   Self-paid: ${yuan(totalFen - insured)}`, 0.9);
    y += unit * 1.4;
  }
  text(left, y, `Cashier: ${spec.payer.split(' ')[0]} ${spec.number.slice(-3)}`, 0.85);
  y += unit * 1.4;
  if (!thermal) {
    text(
      left,
      y,
      `Remarks: ${rows.length} item(s), paid in ${spec.number.charCodeAt(9) % 2 ? 'cash' : 'WeChat Pay'}`,
      0.85,
    );
    y += unit * 2.2;
    text(
      left,
      y,
      'This receipt is the only proof of payment. Keep it safe; it is not replaced if lost.',
      0.7,
      'fill="#555"',
    );
    y += unit * 1.1;
    text(left, y, `Checked by the ${inst.name} finance office.`, 0.7, 'fill="#555"');
    y += unit * 1.1;
  }
  if (thermal) {
    // A barcode of the bill number.
    const bars = seededRandom(hashSeed(`bars ${spec.number}`));
    let x = left;
    while (x < right - unit) {
      const w = unit * (bars.chance(0.5) ? 0.12 : 0.28);
      lines.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${unit * 2.2}" fill="#111"/>`,
      );
      x += w + unit * (bars.chance(0.5) ? 0.12 : 0.25);
    }
    y += unit * 3;
  }
  const height = Math.round(thermal ? y + unit * 1.5 : Math.max(y + unit * 2.5, width * (wide ? 0.6 : 0.75)));

  // The stamp, pressed by hand somewhere over the lower half.
  const { stamp } = spec;
  const r = unit * (stamp.r / 30);
  const sx = left + r + stamp.x * (right - left - 2 * r);
  const sy = height * 0.45 + stamp.y * (height * 0.5 - r);
  lines.push(
    `<g transform="translate(${sx.toFixed(1)} ${sy.toFixed(1)}) rotate(${stamp.angle})" fill="none" stroke="#c8102e" stroke-opacity="0.78">` +
      (wide
        ? `<ellipse rx="${r * 1.4}" ry="${r}" stroke-width="${unit * 0.16}"/>`
        : `<circle r="${r}" stroke-width="${unit * 0.16}"/><path d="M0 ${-r * 0.35} L${r * 0.1} ${-r * 0.05} L${r * 0.35} ${-r * 0.05} L${r * 0.14} ${r * 0.1} L${r * 0.22} ${r * 0.4} L0 ${r * 0.2} L${-r * 0.22} ${r * 0.4} L${-r * 0.14} ${r * 0.1} L${-r * 0.35} ${-r * 0.05} L${-r * 0.1} ${-r * 0.05} Z" fill="#c8102e" fill-opacity="0.78" stroke="none"/>`) +
      `<text y="${r * 0.68}" font-size="${(r * 0.17).toFixed(1)}" text-anchor="middle" fill="#c8102e" fill-opacity="0.78" stroke="none">FINANCE SEAL</text></g>`,
  );

  const border = inst.layout === 'invoice' || wide;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${inst.font}" fill="#1a1a1a">` +
    `<rect width="${width}" height="${height}" fill="${spec.paper}"/>` +
    (border
      ? `<rect x="${unit}" y="${unit * 1.4}" width="${width - 2 * unit}" height="${height - 2.4 * unit}" fill="none" stroke="${inst.accent}" stroke-width="${unit * 0.12}"/>`
      : '') +
    lines.join('') +
    '</svg>';
  return { svg, width, height };
}

/** zlib effort for the PNGs made here: lossless either way, so only the time differs. */
const PNG_EFFORT = 2;

export interface ReceiptImage {
  readonly bytes: Buffer;
  readonly contentType: 'image/jpeg' | 'image/png';
}

/** Sensor grain: a seeded tile of grey noise around mid-grey, laid over the photo with `overlay`. */
function noiseTile(seed: number, sigma: number): Buffer {
  const random = seededRandom(seed);
  const tile = Buffer.alloc(NOISE_TILE * NOISE_TILE * 3);
  for (let i = 0; i < tile.length; i++) {
    // The sum of three uniforms is close enough to a normal distribution for grain.
    const g = (random.next() + random.next() + random.next() - 1.5) * 2;
    tile[i] = Math.max(0, Math.min(255, Math.round(128 + g * sigma)));
  }
  return tile;
}
const NOISE_TILE = 128;

/** The bill as a phone photo or a scan, encoded as the phone or scanner would. */
export async function renderReceipt(spec: ReceiptSpec): Promise<ReceiptImage> {
  const { svg, width, height } = receiptSvg(spec);
  const capture = spec.capture;
  let flat = sharp(Buffer.from(svg)).removeAlpha();
  if (capture.kind === 'photo') {
    const pad = Math.round(Math.max(width, height) * capture.margin);
    flat = flat
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: capture.table })
      .rotate(capture.angle, { background: capture.table });
  }
  const { data, info } = await flat.raw().toBuffer({ resolveWithObject: true });
  const layers: OverlayOptions[] = [];
  if (capture.kind === 'photo') {
    // Light falls off across the picture, as under a ceiling lamp.
    const rad = (capture.lightAngle * Math.PI) / 180;
    const shade = Math.round(255 * (1 - capture.light));
    const [x1, y1, x2, y2] = [
      0.5 - Math.cos(rad) / 2,
      0.5 - Math.sin(rad) / 2,
      0.5 + Math.cos(rad) / 2,
      0.5 + Math.sin(rad) / 2,
    ];
    layers.push({
      input: Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${info.width}" height="${info.height}"><defs>` +
          `<linearGradient id="l" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"><stop offset="0" stop-color="#ffffff"/>` +
          `<stop offset="1" stop-color="rgb(${shade},${shade},${shade})"/></linearGradient></defs>` +
          `<rect width="${info.width}" height="${info.height}" fill="url(#l)"/></svg>`,
      ),
      blend: 'multiply',
    });
  }
  layers.push({
    input: noiseTile(spec.seed, capture.noise),
    raw: { width: NOISE_TILE, height: NOISE_TILE, channels: 3 },
    tile: true,
    blend: 'overlay',
  });
  const image = sharp(data, { raw: info })
    .composite(layers)
    .blur(capture.kind === 'photo' ? 0.7 : 0.4);
  const bytes =
    spec.format === 'png'
      ? await image.png({ compressionLevel: PNG_EFFORT }).toBuffer()
      : await image.jpeg({ quality: spec.quality, optimiseCoding: false }).toBuffer();
  return { bytes, contentType: spec.format === 'png' ? 'image/png' : 'image/jpeg' };
}

// --- what happens to a photo before it is filed again -----------------------------------------

export const transformationKinds = ['jpeg-quality', 'resize', 'crop', 'brightness', 'reencode'] as const;
export type TransformationKind = (typeof transformationKinds)[number];

/** One of the five changes, with its strength drawn from `random`. */
export async function transformReceipt(
  original: ReceiptImage,
  kind: TransformationKind,
  random: Random,
): Promise<ReceiptImage & { readonly detail: string }> {
  const meta = await sharp(original.bytes).metadata();
  const width = meta.width;
  const height = meta.height;
  const same = (image: Sharp) =>
    original.contentType === 'image/png'
      ? image.png({ compressionLevel: PNG_EFFORT })
      : image.jpeg({ quality: random.int(80, 92), optimiseCoding: false });
  const out = async (image: Sharp, contentType: ReceiptImage['contentType'], detail: string) => ({
    bytes: await image.toBuffer(),
    contentType,
    detail,
  });
  switch (kind) {
    case 'jpeg-quality': {
      const quality = random.int(50, 90);
      return out(
        sharp(original.bytes).jpeg({ quality, optimiseCoding: false }),
        'image/jpeg',
        `JPEG quality ${quality}`,
      );
    }
    case 'resize': {
      const scale = 0.5 + random.next();
      return out(
        same(sharp(original.bytes).resize(Math.max(1, Math.round(width * scale)))),
        original.contentType,
        `resized to ${Math.round(scale * 100)}%`,
      );
    }
    case 'crop': {
      // Up to 5% of each side's length cut away in all, shared between its two edges.
      const cutX = Math.floor(width * 0.05 * random.next());
      const cutY = Math.floor(height * 0.05 * random.next());
      const left = Math.floor(cutX * random.next());
      const top = Math.floor(cutY * random.next());
      return out(
        same(sharp(original.bytes).extract({ left, top, width: width - cutX, height: height - cutY })),
        original.contentType,
        `cropped ${((cutX / width) * 100).toFixed(1)}% x ${((cutY / height) * 100).toFixed(1)}%`,
      );
    }
    case 'brightness': {
      const factor = 0.9 + random.next() * 0.2;
      return out(
        same(sharp(original.bytes).modulate({ brightness: factor })),
        original.contentType,
        `brightness x${factor.toFixed(2)}`,
      );
    }
    case 'reencode':
      return original.contentType === 'image/png'
        ? out(
            sharp(original.bytes).jpeg({ quality: random.int(70, 92), optimiseCoding: false }),
            'image/jpeg',
            'PNG to JPEG',
          )
        : out(sharp(original.bytes).png({ compressionLevel: PNG_EFFORT }), 'image/png', 'JPEG to PNG');
  }
}

// --- the measurement --------------------------------------------------------------------------

export interface NearDuplicateFigures {
  /** Transformed copies compared with their original, and how many of them were flagged. */
  readonly transformed: number;
  readonly flagged: number;
  readonly flaggedShare: number;
  /** Distinct receipts, and how many were flagged as a near duplicate of any other of them. */
  readonly distinct: number;
  readonly falselyFlagged: number;
  readonly falseShare: number;
  /** Fingerprints taken, and their mean time in milliseconds (decode included; one at a time, while the next images render). */
  readonly fingerprints: number;
  readonly msPerFingerprint: number;
  /** Pairs compared, and the mean time of a comparison in milliseconds (screened pairs included). */
  readonly comparisons: number;
  readonly msPerComparison: number;
  /** The lowest score of a copy and the highest of two distinct receipts, against the threshold. */
  readonly lowestCopyScore: number;
  readonly highestDistinctScore: number;
  /** A few misses and false matches, for the person tuning the threshold. */
  readonly examples: readonly string[];
}

/** Images are rendered a few at a time (sharp works off the main thread), a batch ahead. */
const RENDER_BATCH = 4;

/** make(0..count-1), in order, rendering the next batch while the caller works on this one. */
async function* inBatches<T>(count: number, make: (i: number) => Promise<T>): AsyncGenerator<T> {
  const batch = (first: number) => {
    const made = Promise.all(range(first, Math.min(count, first + RENDER_BATCH)).map(make));
    made.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    return made;
  };
  let next = batch(0);
  for (let first = 0; first < count; first += RENDER_BATCH) {
    const current = await next;
    if (first + RENDER_BATCH < count) next = batch(first + RENDER_BATCH);
    yield* current;
  }
}

/**
 * For `receipts` bills, each of the five transformations: is the copy flagged as a near duplicate
 * of its original? And among `distinct` other bills, how many are flagged as a near duplicate of
 * any other one (every pair compared: the worst case, as if one household had filed them all)?
 */
export async function measureNearDuplicates(options: {
  readonly receipts: number;
  readonly distinct: number;
  readonly seed: number;
  readonly fingerprinter?: ReceiptFingerprinter;
  readonly minScore?: number;
}): Promise<NearDuplicateFigures> {
  const fingerprinter = options.fingerprinter ?? new SharpFingerprinter();
  const minScore = options.minScore ?? NEAR_DUPLICATE_MIN_SCORE;
  const random = seededRandom(options.seed);
  const fingerprintMs: number[] = [];
  const examples: string[] = [];
  const fingerprintOf = async (image: ReceiptImage, label: string) => {
    const started = performance.now();
    const result = await fingerprinter.fingerprint(image.bytes, image.contentType);
    fingerprintMs.push(performance.now() - started);
    if (result.kind !== 'image') throw new Error(`${label} did not fingerprint: ${JSON.stringify(result)}`);
    return parseFingerprint(result.hash);
  };
  let comparisons = 0;
  let comparisonMs = 0;
  const score = (a: ParsedFingerprint, b: ParsedFingerprint) => {
    const started = performance.now();
    const s = similarity(a, b).score;
    comparisonMs += performance.now() - started;
    comparisons++;
    return s;
  };

  let transformed = 0;
  let flagged = 0;
  let lowestCopyScore = 1;
  const originals = inBatches(options.receipts, async (i) => {
    const spec = receiptSpec(hashSeed(`${options.seed} transformed ${i}`));
    const original = await renderReceipt(spec);
    const copies = await Promise.all(
      transformationKinds.map((kind) => transformReceipt(original, kind, random.fork(`${i} ${kind}`))),
    );
    return { spec, original, copies };
  });
  for await (const { spec, original, copies } of originals) {
    const base = await fingerprintOf(original, `receipt ${spec.seed}`);
    for (const copy of copies) {
      const s = score(base, await fingerprintOf(copy, `receipt ${spec.seed} ${copy.detail}`));
      transformed += 1;
      lowestCopyScore = Math.min(lowestCopyScore, s);
      if (s >= minScore) flagged += 1;
      else if (examples.length < 8)
        examples.push(`missed: receipt ${spec.seed} ${copy.detail} (${s.toFixed(3)})`);
    }
  }

  const fingerprints: ParsedFingerprint[] = [];
  const seeds: number[] = [];
  const distinct = inBatches(options.distinct, async (i) => {
    const spec = receiptSpec(hashSeed(`${options.seed} distinct ${i}`));
    return { spec, image: await renderReceipt(spec) };
  });
  for await (const { spec, image } of distinct) {
    seeds.push(spec.seed);
    fingerprints.push(await fingerprintOf(image, `receipt ${spec.seed}`));
  }
  const falsely = new Set<number>();
  let highestDistinctScore = 0;
  for (let a = 0; a < fingerprints.length; a++)
    for (let b = a + 1; b < fingerprints.length; b++) {
      const s = score(fingerprints[a] as ParsedFingerprint, fingerprints[b] as ParsedFingerprint);
      highestDistinctScore = Math.max(highestDistinctScore, s);
      if (s < minScore) continue;
      falsely.add(a).add(b);
      if (examples.length < 12)
        examples.push(`false match: receipts ${seeds[a]} and ${seeds[b]} (${s.toFixed(3)})`);
    }
  return {
    transformed,
    flagged,
    flaggedShare: transformed ? flagged / transformed : 0,
    distinct: fingerprints.length,
    falselyFlagged: falsely.size,
    falseShare: fingerprints.length ? falsely.size / fingerprints.length : 0,
    fingerprints: fingerprintMs.length,
    msPerFingerprint: mean(fingerprintMs),
    comparisons,
    msPerComparison: comparisons ? comparisonMs / comparisons : 0,
    lowestCopyScore,
    highestDistinctScore,
    examples,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const mean = (values: readonly number[]) =>
  values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0;
