import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The demo roster shipped with the repo: 35 households in `demo` (some ineligible on purpose) and 8 in `demo-fund`. */
export function demoRosterCsv(): string {
  return readFileSync(new URL('../../shared/data/demo-roster.csv', import.meta.url), 'utf8');
}

/** Lowercase hex sha256, as manifests list receipts. */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A real 1x1 JPEG made unique by a comment segment holding `seed`: it decodes, so it passes
 * the structural and image checks, and is too small to be fingerprinted as a photo of a bill.
 */
export function fakeJpeg(seed: string): Uint8Array {
  const base = Buffer.from(
    'ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9',
    'hex',
  );
  const comment = Buffer.from(seed, 'utf8');
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
  return new Uint8Array(Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]));
}
