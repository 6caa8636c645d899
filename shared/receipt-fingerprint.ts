// Perceptual fingerprints of receipt images, to catch the same bill filed twice after it was
// recompressed, resized, slightly cropped, brightened or converted between PNG and JPEG.
//
// Why not a 64-bit pHash: two bills of one hospital share their whole layout (header, table,
// footer) and differ only in names, amounts and where the stamp landed. At 8x8 DCT resolution
// they look the same (measured: 40-90% of distinct receipts collided with some other one), and
// a finer hash breaks under a 1-5% crop, which shifts and rescales everything. So a fingerprint
// keeps a small picture of the receipt, and two fingerprints are compared by first finding the
// crop that maps one onto the other (a search over shift and scale per axis, coarse to fine),
// then checking every block of the aligned detail: a copy matches everywhere, a different bill
// differs somewhere (the stamp, an amount, a name).
//
// Everything here is pure arithmetic over decoded pixels: the image decoder is an adapter
// (functions/adapters/sharp-fingerprinter.ts) that hands over a 256x256 greyscale picture.

export type FingerprintResult =
  | { readonly kind: 'image'; readonly hash: string }
  /** PDFs, and images too small to hold a bill: nothing to compare. */
  | { readonly kind: 'none' }
  /** An image the decoder refused (cut off or corrupt); `detail` says why, in words. */
  | { readonly kind: 'undecodable'; readonly detail: string };

export interface ReceiptFingerprinter {
  fingerprint(bytes: Uint8Array, contentType: string): Promise<FingerprintResult>;
}

/** The side of the square greyscale picture a fingerprint is computed from (stretched to fill). */
export const SOURCE_SIZE = 256;
/** Side of the coarse map used to align two fingerprints. */
const ALIGN_SIZE = 32;
/** Side of the detail map compared block by block. */
const DETAIL_SIZE = 96;
/** Blocks per side in the block-by-block comparison (12x12 detail cells each). */
const BLOCKS = 8;
const FORMAT_VERSION = 1;

/**
 * Near duplicates score at least this (1 = identical; the score is one minus the worst block's
 * residual energy after alignment). Chosen on generated receipts (verify/near-duplicates.ts,
 * seeds 20261122, 7 and 2: 200 receipts x 5 transformations and 1,000 distinct receipts each,
 * every pair compared): 99% of copies scored 0.89 or more (the lowest, brightened scans whose
 * paper clipped to white, 0.79); two different bills, nearly always of one hospital's layout,
 * scored at most 0.854. The threshold sits in that gap, a little nearer the distinct bills.
 */
export const NEAR_DUPLICATE_MIN_SCORE = 0.87;

/**
 * The crop a copy may have had, per axis: it keeps at least this share of the other image.
 * The transformations checked crop up to 5%; the search goes a little beyond.
 */
const MAX_CROP = 0.065;

/**
 * Cheap screens before the alignment, each wider than any copy measured: the aspect ratio
 * changes only by the crop, and the 64-bit DCT hash of the coarse map by at most 20 bits.
 */
const MAX_ASPECT_LOG_RATIO = Math.log(1 / (1 - MAX_CROP)) + 0.01;
export const PHASH_SCREEN_BITS = 26;

// --- fingerprint layout: one hex string --------------------------------------------------------
// [2 version][4 aspect: round(log2(width/height) * 4096) + 0x8000][16 pHash]
// [ALIGN_SIZE² x 2: coarse map, 8 bits a cell][DETAIL_SIZE² x 1: detail map, 4 bits a cell]
const ASPECT_AT = 2;
const PHASH_AT = 6;
const ALIGN_AT = 22;
const DETAIL_AT = ALIGN_AT + ALIGN_SIZE * ALIGN_SIZE * 2;
export const FINGERPRINT_HEX_LENGTH = DETAIL_AT + DETAIL_SIZE * DETAIL_SIZE;
/** The detail map's quantization step, as a share of its mean absolute value. */
const DETAIL_STEP = 0.3;

/**
 * The fingerprint of a picture given as SOURCE_SIZE x SOURCE_SIZE greyscale bytes (the whole
 * image stretched to a square), with the image's real width and height (after EXIF rotation).
 */
export function fingerprintFromGrey(grey: Uint8Array, width: number, height: number): string {
  if (grey.length !== SOURCE_SIZE * SOURCE_SIZE) throw new RangeError('expected a 256x256 greyscale picture');
  const ink = new Float64Array(grey.length);
  for (let i = 0; i < grey.length; i++) ink[i] = 255 - (grey[i] as number);
  // Coarse map: heavily smoothed, so a shift of a fraction of a cell changes it smoothly.
  const align = areaResize(gaussianBlur(ink, SOURCE_SIZE, 3), SOURCE_SIZE, ALIGN_SIZE);
  // Detail map: text lines and words, minus the local mean (lighting, paper tint, table). Blurred
  // before it is shrunk, or fine print aliases into patterns that move with every resampling.
  const fine = areaResize(gaussianBlur(ink, SOURCE_SIZE, 2), SOURCE_SIZE, DETAIL_SIZE);
  const detail = highPass(fine, DETAIL_SIZE);

  const aspect = Math.round(Math.log2(width / height) * 4096) + 0x8000;
  let hex = FORMAT_VERSION.toString(16).padStart(2, '0');
  hex += Math.max(0, Math.min(0xffff, aspect)).toString(16).padStart(4, '0');
  hex += phash64(align);
  hex += quantizeAlign(align);
  hex += quantizeDetail(detail);
  return hex;
}

/** The value of the hex digit at `at` (the string is checked to be lowercase hex before). */
function nibble(hex: string, at: number): number {
  const c = hex.charCodeAt(at);
  return c <= 57 ? c - 48 : c - 87;
}

/** Bits that differ between two equally long hex strings. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('hashes of different lengths');
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = parseInt(a.charAt(i), 16) ^ parseInt(b.charAt(i), 16);
    for (; x; x &= x - 1) bits++;
  }
  return bits;
}

/** A fingerprint unpacked for comparing, once per fingerprint when comparing many. */
export interface ParsedFingerprint {
  readonly aspectLog2: number;
  readonly phash: string;
  /** Maps at 16, 32 and 48 cells a side, for the coarse-to-fine alignment. */
  readonly pyramid: readonly Float64Array[];
  readonly detail: Float64Array;
}

export function parseFingerprint(hash: string): ParsedFingerprint {
  if (hash.length !== FINGERPRINT_HEX_LENGTH || !/^[0-9a-f]+$/.test(hash) || !hash.startsWith('01'))
    throw new RangeError('not a receipt fingerprint of this version');
  const align = new Float64Array(ALIGN_SIZE * ALIGN_SIZE);
  for (let i = 0; i < align.length; i++)
    align[i] = nibble(hash, ALIGN_AT + 2 * i) * 16 + nibble(hash, ALIGN_AT + 2 * i + 1);
  const detail = new Float64Array(DETAIL_SIZE * DETAIL_SIZE);
  for (let i = 0; i < detail.length; i++) detail[i] = nibble(hash, DETAIL_AT + i) - 7;
  return {
    aspectLog2: (parseInt(hash.substr(ASPECT_AT, 4), 16) - 0x8000) / 4096,
    phash: hash.substr(PHASH_AT, 16),
    // The 48-cell level: the detail blurred before it is halved, or its fine text lines alias
    // and the finest alignment step locks onto the wrong line.
    pyramid: [halve(align, ALIGN_SIZE), align, halve(gaussianBlur(detail, DETAIL_SIZE, 1.5), DETAIL_SIZE)],
    detail,
  };
}

/** How alike two fingerprints are, 0..1, and the crop that maps the first onto the second. */
export function similarity(
  a: ParsedFingerprint,
  b: ParsedFingerprint,
): { readonly score: number; readonly crop?: Crop } {
  // The screens: a copy keeps its aspect ratio up to the crop, and its coarse DCT hash nearly.
  if (Math.abs(a.aspectLog2 - b.aspectLog2) * Math.LN2 > MAX_ASPECT_LOG_RATIO) return { score: 0 };
  if (hammingDistance(a.phash, b.phash) > PHASH_SCREEN_BITS) return { score: 0 };
  const crop = align(a.pyramid, b.pyramid);
  if (!crop) return { score: 0 };
  return { score: blockScore(a.detail, b.detail, crop), crop };
}

/** Whether two fingerprints are of the same picture, give or take the transformations above. */
export function isNearDuplicate(a: string, b: string): boolean {
  return similarity(parseFingerprint(a), parseFingerprint(b)).score >= NEAR_DUPLICATE_MIN_SCORE;
}

// --- alignment -----------------------------------------------------------------------------------

/** Where the second image sits in the first, per axis: x_first = offset + scale * x_second (0..1). */
export interface Crop {
  readonly x: { readonly offset: number; readonly scale: number };
  readonly y: { readonly offset: number; readonly scale: number };
}

/** Where the search starts on the 16x16 maps: a grid over shift and scale, one axis at a time, twice. */
const GRID_STEP = 0.025;
const GRID_SPAN = 3;
/**
 * Copies correlate at least 0.89 on the 16x16 maps once aligned (measured); pairs below this are
 * different pictures and skip the finer, costlier search.
 */
const COARSE_MIN_CORRELATION = 0.85;
/** Then a compass search over the four edges on the 32 and 48 cell maps, halving its step. */
const REFINE = [
  { level: 1, first: 0.006, last: 0.003 },
  { level: 2, first: 0.003, last: 0.001 },
] as const;

function align(a: readonly Float64Array[], b: readonly Float64Array[]): Crop | undefined {
  const coarse = (level: number) => {
    const ma = a[level] as Float64Array;
    const mb = b[level] as Float64Array;
    return { ma, mb, size: Math.round(Math.sqrt(ma.length)) };
  };
  let { ma, mb, size } = coarse(0);
  let x: Axis = { offset: 0, scale: 1 };
  let y: Axis = { offset: 0, scale: 1 };
  // Two rounds: when both axes were cropped, the first guess for x is made with y still unknown.
  for (let round = 0; round < 2; round++) {
    x = bestAxis(x, (c) => correlation(ma, mb, size, c, y));
    y = bestAxis(y, (c) => correlation(ma, mb, size, x, c));
  }
  if (correlation(ma, mb, size, x, y) < COARSE_MIN_CORRELATION) return undefined;
  // The edges move independently (a crop cuts each side by its own amount), so the finer search
  // moves one edge at a time: [left, right, top, bottom] in the first image's 0..1 coordinates.
  let edges = [x.offset, x.offset + x.scale, y.offset, y.offset + y.scale];
  const score = (e: readonly number[]) => {
    const ex = { offset: e[0] as number, scale: (e[1] as number) - (e[0] as number) };
    const ey = { offset: e[2] as number, scale: (e[3] as number) - (e[2] as number) };
    return withinCrop(ex) && withinCrop(ey) ? correlation(ma, mb, size, ex, ey) : -Infinity;
  };
  for (const { level, first, last } of REFINE) {
    ({ ma, mb, size } = coarse(level));
    let current = score(edges);
    for (let step = first; step >= last - 1e-12; step /= 2) {
      for (let moved = true, rounds = 0; moved && rounds < 20; rounds++) {
        moved = false;
        for (let k = 0; k < 4; k++)
          for (const d of [step, -step]) {
            const trial = [...edges];
            trial[k] = (trial[k] as number) + d;
            const s = score(trial);
            if (s > current) {
              current = s;
              edges = trial;
              moved = true;
            }
          }
      }
    }
  }
  const [left, right, top, bottom] = edges as [number, number, number, number];
  return { x: { offset: left, scale: right - left }, y: { offset: top, scale: bottom - top } };
}

interface Axis {
  readonly offset: number;
  readonly scale: number;
}

function withinCrop(c: Axis): boolean {
  return c.scale >= 1 - MAX_CROP && c.scale <= 1 / (1 - MAX_CROP) && Math.abs(c.offset) <= MAX_CROP;
}

function bestAxis(from: Axis, score: (c: Axis) => number): Axis {
  let best = from;
  let bestScore = -Infinity;
  for (let i = -GRID_SPAN; i <= GRID_SPAN; i++)
    for (let j = -GRID_SPAN; j <= GRID_SPAN; j++) {
      const c = { offset: from.offset + j * GRID_STEP, scale: from.scale + i * GRID_STEP };
      if (!withinCrop(c)) continue;
      const s = score(c);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
  return best;
}

/** Where each of `size` cells of the second map falls in the first: cell and weight of the next. */
function sampling(size: number, c: Axis): { from: Int32Array; weight: Float64Array; lo: number; hi: number } {
  const from = new Int32Array(size);
  const weight = new Float64Array(size);
  let lo = size;
  let hi = -1;
  for (let i = 0; i < size; i++) {
    const f = (c.offset + (c.scale * (i + 0.5)) / size) * size - 0.5;
    if (f < -0.5 || f > size - 0.5) continue;
    if (i < lo) lo = i;
    hi = i;
    const i0 = Math.max(0, Math.min(size - 2, Math.floor(f)));
    from[i] = i0;
    weight[i] = Math.max(0, Math.min(1, f - i0));
  }
  return { from, weight, lo, hi };
}

/** Pearson correlation of map b with map a sampled where b's cells fall in a, over the overlap. */
function correlation(a: Float64Array, b: Float64Array, size: number, x: Axis, y: Axis): number {
  const sx = sampling(size, x);
  const sy = sampling(size, y);
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let n = 0;
  for (let j = sy.lo; j <= sy.hi; j++) {
    const wy = sy.weight[j] as number;
    const row = (sy.from[j] as number) * size;
    for (let i = sx.lo; i <= sx.hi; i++) {
      const wx = sx.weight[i] as number;
      const r = row + (sx.from[i] as number);
      const top = (a[r] as number) + wx * ((a[r + 1] as number) - (a[r] as number));
      const bottom = (a[r + size] as number) + wx * ((a[r + size + 1] as number) - (a[r + size] as number));
      const va = top + wy * (bottom - top);
      const vb = b[j * size + i] as number;
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
      n++;
    }
  }
  if (n < size * size * 0.8) return -1;
  const cov = sab - (sa * sb) / n;
  return cov / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n) + 1e-12);
}

// --- block comparison ----------------------------------------------------------------------------

/** Weight of a block's share of the mean detail energy, so near-blank blocks don't count as different. */
const BLANK_ALLOWANCE = 0.5;

/**
 * Cells this close to either frame's edge are left out: there the blur and the high-pass saw the
 * frame's edge, which a crop moves (high-pass radius 3, blur reach 2, one for resampling).
 */
const EDGE_CELLS = 6;
/** Blocks with less of their area compared than this are left out (cut by an edge). */
const MIN_BLOCK_COVER = 0.75;

function blockScore(a: Float64Array, b: Float64Array, crop: Crop): number {
  const size = DETAIL_SIZE;
  const sx = sampling(size, crop.x);
  const sy = sampling(size, crop.y);
  // Both maps were high-passed over their own frame, so the bands along either frame's edges
  // differ after a crop whatever the content: leave them out, with the cells a does not cover.
  const edge = EDGE_CELLS;
  const keep = (i: number, c: Axis) => {
    const f = (c.offset + (c.scale * (i + 0.5)) / size) * size;
    return i >= edge && i < size - edge && f >= edge && f <= size - edge;
  };
  const warped = new Float64Array(size * size);
  const inside = new Uint8Array(size * size);
  let saa = 0;
  let sbb = 0;
  let cells = 0;
  for (let j = sy.lo; j <= sy.hi; j++) {
    if (!keep(j, crop.y)) continue;
    const wy = sy.weight[j] as number;
    const row = (sy.from[j] as number) * size;
    for (let i = sx.lo; i <= sx.hi; i++) {
      if (!keep(i, crop.x)) continue;
      const wx = sx.weight[i] as number;
      const r = row + (sx.from[i] as number);
      const top = (a[r] as number) + wx * ((a[r + 1] as number) - (a[r] as number));
      const bottom = (a[r + size] as number) + wx * ((a[r + size + 1] as number) - (a[r + size] as number));
      const k = j * size + i;
      const va = top + wy * (bottom - top);
      warped[k] = va;
      inside[k] = 1;
      saa += va * va;
      sbb += (b[k] as number) ** 2;
      cells++;
    }
  }
  if (cells < size * size * 0.5 || sbb === 0 || saa === 0) return 0;
  const gain = Math.sqrt(sbb / saa);
  const allowance = (sbb / cells) * BLANK_ALLOWANCE;
  const per = size / BLOCKS;
  const residuals: number[] = [];
  for (let by = 0; by < BLOCKS; by++)
    for (let bx = 0; bx < BLOCKS; bx++) {
      let diff = 0;
      let energy = 0;
      let n = 0;
      for (let j = by * per; j < (by + 1) * per; j++)
        for (let i = bx * per; i < (bx + 1) * per; i++) {
          const k = j * size + i;
          if (!inside[k]) continue;
          const va = (warped[k] as number) * gain;
          const vb = b[k] as number;
          diff += (va - vb) ** 2;
          energy += va * va + vb * vb;
          n++;
        }
      if (n < per * per * MIN_BLOCK_COVER) continue;
      residuals.push(diff / (energy + n * allowance));
    }
  if (residuals.length < (BLOCKS * BLOCKS) / 2) return 0;
  // The worst block decides: a copy is close everywhere; another bill of the same layout differs
  // somewhere (its stamp, an amount, a name), and averaging would dilute that one place.
  return Math.max(0, 1 - Math.max(...residuals));
}

// --- image arithmetic ------------------------------------------------------------------------------

const HIGH_PASS_RADIUS = 3;

/** Each cell minus the mean of the cells around it (a box of HIGH_PASS_RADIUS, cut at the edges). */
function highPass(map: Float64Array, size: number): Float64Array {
  // Summed-area table: any box's sum in four lookups.
  const w = size + 1;
  const sum = new Float64Array(w * w);
  for (let y = 0; y < size; y++) {
    let rowSum = 0;
    for (let x = 0; x < size; x++) {
      rowSum += map[y * size + x] as number;
      sum[(y + 1) * w + x + 1] = (sum[y * w + x + 1] as number) + rowSum;
    }
  }
  const r = HIGH_PASS_RADIUS;
  const out = new Float64Array(size * size);
  for (let y = 0; y < size; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(size, y + r + 1);
    for (let x = 0; x < size; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(size, x + r + 1);
      const total =
        (sum[y1 * w + x1] as number) -
        (sum[y0 * w + x1] as number) -
        (sum[y1 * w + x0] as number) +
        (sum[y0 * w + x0] as number);
      out[y * size + x] = (map[y * size + x] as number) - total / ((x1 - x0) * (y1 - y0));
    }
  }
  return out;
}

function gaussianBlur(map: Float64Array, size: number, sigma: number): Float64Array {
  const r = Math.ceil(sigma * 2.5);
  const kernel = new Float64Array(2 * r + 1);
  for (let d = -r; d <= r; d++) kernel[d + r] = Math.exp(-(d * d) / (2 * sigma * sigma));
  // Separable: along rows into `mid`, then along columns; near the edges the kernel is renormalised.
  const mid = new Float64Array(size * size);
  const out = new Float64Array(size * size);
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      const lo = Math.max(-r, -x);
      const hi = Math.min(r, size - 1 - x);
      let s = 0;
      let w = 0;
      for (let d = lo; d <= hi; d++) {
        const k = kernel[d + r] as number;
        s += k * (map[row + x + d] as number);
        w += k;
      }
      mid[row + x] = s / w;
    }
  }
  for (let y = 0; y < size; y++) {
    const lo = Math.max(-r, -y);
    const hi = Math.min(r, size - 1 - y);
    let w = 0;
    for (let d = lo; d <= hi; d++) w += kernel[d + r] as number;
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let d = lo; d <= hi; d++) s += (kernel[d + r] as number) * (mid[(y + d) * size + x] as number);
      out[y * size + x] = s / w;
    }
  }
  return out;
}

/** Area-weighted resampling of a square map to `to` cells a side (rows, then columns). */
function areaResize(map: Float64Array, from: number, to: number): Float64Array {
  // Which source cells each target cell covers, and by how much: the same along both axes.
  const f = from / to;
  const span = Math.ceil(f) + 1;
  const first = new Int32Array(to);
  const weights = new Float64Array(to * span);
  for (let i = 0; i < to; i++) {
    const lo = i * f;
    const hi = (i + 1) * f;
    first[i] = Math.floor(lo);
    for (let k = Math.floor(lo); k < Math.ceil(hi); k++)
      weights[i * span + k - Math.floor(lo)] = (Math.min(k + 1, hi) - Math.max(k, lo)) / f;
  }
  const weigh = (read: (k: number) => number, i: number) => {
    let s = 0;
    const base = first[i] as number;
    for (let t = 0; t < span && base + t < from; t++) s += read(base + t) * (weights[i * span + t] as number);
    return s;
  };
  const across = new Float64Array(from * to);
  for (let y = 0; y < from; y++)
    for (let i = 0; i < to; i++) across[y * to + i] = weigh((k) => map[y * from + k] as number, i);
  const out = new Float64Array(to * to);
  for (let j = 0; j < to; j++)
    for (let i = 0; i < to; i++) out[j * to + i] = weigh((k) => across[k * to + i] as number, j);
  return out;
}

function halve(map: Float64Array, size: number): Float64Array {
  const h = size / 2;
  const out = new Float64Array(h * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < h; x++) {
      const k = 2 * y * size + 2 * x;
      out[y * h + x] =
        ((map[k] as number) +
          (map[k + 1] as number) +
          (map[k + size] as number) +
          (map[k + size + 1] as number)) /
        4;
    }
  return out;
}

/** The coarse map, stretched to 0..255 between its 1st and 99th percentile (8 bits a cell). */
function quantizeAlign(map: Float64Array): string {
  const sorted = Float64Array.from(map).sort();
  const lo = sorted[Math.floor(sorted.length * 0.01)] as number;
  const hi = sorted[Math.floor(sorted.length * 0.99)] as number;
  // A floor, so a blank picture's rounding noise is not stretched into a pattern.
  const range = Math.max(hi - lo, 8);
  let hex = '';
  for (const v of map) {
    const q = Math.max(0, Math.min(255, Math.round(((v - lo) / range) * 255)));
    hex += q.toString(16).padStart(2, '0');
  }
  return hex;
}

/**
 * The detail map in steps of 0.3x its mean absolute value (4 bits a cell). The mean absolute value
 * rather than the RMS: paper edges and QR codes are strong and few, and would squeeze the text
 * into the zero level; clipping them at ±7 steps keeps them from dominating the comparison.
 */
function quantizeDetail(map: Float64Array): string {
  let sum = 0;
  for (const v of map) sum += Math.abs(v);
  // A floor of a tenth of a grey level: a blank picture's detail is zero, not amplified noise.
  const step = Math.max((sum / map.length) * DETAIL_STEP, 0.1);
  let hex = '';
  for (const v of map) {
    // Rounded, so the flat background (most cells) stays exactly 0 instead of flickering ±½ step.
    const q = Math.max(-7, Math.min(8, Math.round(v / step)));
    hex += (q + 7).toString(16);
  }
  return hex;
}

/** 64-bit DCT hash of the coarse map: the 8x8 lowest frequencies against their median. */
function phash64(map: Float64Array): string {
  const n = ALIGN_SIZE;
  const cos = (k: number, i: number) => Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
  const rows = new Float64Array(8 * n);
  for (let k = 0; k < 8; k++)
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += cos(k, y) * (map[y * n + x] as number);
      rows[k * n + x] = s;
    }
  const coefficients: number[] = [];
  for (let k = 0; k < 8; k++)
    for (let l = 0; l < 8; l++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += cos(l, x) * (rows[k * n + x] as number);
      coefficients.push(s);
    }
  // The DC term only says how dark the picture is: the median is taken over the others.
  const median = [...coefficients.slice(1)].sort((p, q) => p - q)[31] as number;
  let hex = '';
  for (let i = 0; i < 64; i += 4) {
    let nibble = 0;
    for (let b = 0; b < 4; b++) nibble = (nibble << 1) | ((coefficients[i + b] as number) > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}
