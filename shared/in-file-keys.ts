// Which keys of a bulk file can make one row contradict an earlier one, learnt in a first read of
// the file with a few bytes per row (typed arrays of fingerprints, no strings), so the checking
// read keeps exact maps for those keys only instead of for every household in the file.
// A fingerprint shared by two different keys only adds a key to watch, never hides one, except
// where noted: two different values of one key agreeing in all 53 bits of their fingerprint.

/** FNV-1a over UTF-16 code units, with a seed: two seeds give two independent 32-bit hashes. */
function fnv(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix so keys differing in their last character spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** A 53-bit fingerprint: exact as a JavaScript number, so it keys a Set or a Float64Array. */
export function fingerprint(text: string): number {
  return (fnv(text, 0) & 0x1fffff) * 2 ** 32 + fnv(text, 0x9e3779b9);
}

class Growing<T extends Float64Array | Uint32Array> {
  length = 0;
  constructor(
    public items: T,
    private readonly make: (size: number) => T,
  ) {}
  push(value: number): void {
    if (this.length === this.items.length) {
      const bigger = this.make(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.length++] = value;
  }
  view(): T {
    return this.items.subarray(0, this.length) as T;
  }
}

const floats = () => new Growing(new Float64Array(1024), (n) => new Float64Array(n));

/** Keys seen more than once (by fingerprint). */
export class RepeatedKeys {
  private readonly seen = floats();

  add(key: string): void {
    this.seen.push(fingerprint(key));
  }

  /** The fingerprints that came more than once; the collected ones are let go. */
  finish(): Set<number> {
    const sorted = this.seen.view().sort();
    const repeated = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i] ?? 0);
    this.seen.items = new Float64Array(0);
    this.seen.length = 0;
    return repeated;
  }
}

/**
 * Pairs of keys (say a household and its head's ID number): which first keys come with more than
 * one second key, and which second keys with more than one first key.
 */
export class PairedKeys {
  private readonly firsts = floats();
  private readonly seconds = floats();

  add(first: string, second: string): void {
    this.firsts.push(fingerprint(first));
    this.seconds.push(fingerprint(second));
  }

  finish(): { firstsWithMany: Set<number>; secondsWithMany: Set<number> } {
    const a = this.firsts.view();
    const b = this.seconds.view();
    const result = { firstsWithMany: withMany(a, b), secondsWithMany: withMany(b, a) };
    this.firsts.items = this.seconds.items = new Float64Array(0);
    this.firsts.length = this.seconds.length = 0;
    return result;
  }
}

/** The keys of `by` that come with two or more different values of `of`. */
function withMany(by: Float64Array, of: Float64Array): Set<number> {
  const order = new Uint32Array(by.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((x, y) => (by[x] ?? 0) - (by[y] ?? 0) || (of[x] ?? 0) - (of[y] ?? 0));
  const many = new Set<number>();
  for (let k = 1; k < order.length; k++) {
    const i = order[k] ?? 0;
    const j = order[k - 1] ?? 0;
    if (by[i] === by[j] && of[i] !== of[j]) many.add(by[i] ?? 0);
  }
  return many;
}

/** Which keys a check keeps exact maps for: every key (a whole file in memory), or the watched ones. */
export interface KeyWatch {
  has(key: string): boolean;
}
export const watchAll: KeyWatch = { has: () => true };
export const watchSet = (fingerprints: ReadonlySet<number>): KeyWatch => ({
  has: (key) => fingerprints.size > 0 && fingerprints.has(fingerprint(key)),
});
