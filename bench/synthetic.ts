// Synthetic data for the benchmark: a roster of distinct households (so annual caps never bite),
// automatic-path claims, and ledger entries made on the fly (nothing stored).
import { CLAIM_GRANT_SECONDS, type ClaimGrant } from '#shared/claim-grant.ts';
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '#shared/claim.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { rosterColumns } from '#shared/roster.ts';

const villages = ['红星村', '和平村', '向阳村', '东风村', '新华村'] as const;
const surnames = ['张', '王', '李', '刘', '陈', '杨', '赵', '黄'] as const;
const givenNames = ['德胜', '振华', '建华', '玉珍', '秀英', '国强', '桂兰', '志明'] as const;

export const householdId = (i: number): string => `BH-${String(i).padStart(6, '0')}`;

/** An 18-character resident ID whose GB 11643 check digit verifies. */
export function residentId(i: number): string {
  const birth = `19${String(50 + (i % 45)).padStart(2, '0')}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`;
  const first17 = `430381${birth}${String(i % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

/**
 * Roster CSV of `count` eligible households, on the roster since 2024 (no recent status change):
 * householdId(first).. in `region` (a second region's households number on from the first's).
 */
export function syntheticRosterCsv(
  count: number,
  options: { readonly region?: string; readonly first?: number } = {},
): string {
  const { region = 'demo', first = 1 } = options;
  const lines = [rosterColumns.join(',')];
  for (let i = first; i < first + count; i++) {
    const name = `${surnames[i % surnames.length]}${givenNames[(i >> 3) % givenNames.length]}`;
    lines.push(
      [
        householdId(i),
        region,
        villages[i % villages.length],
        name,
        residentId(i),
        String(1 + (i % 6)),
        'out_of_poverty',
        '2024-01-01',
        i % 2 === 0 ? 'worker1' : 'worker2',
        `62309${String(i).padStart(14, '0')}`,
        '8600.00',
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A small real JPEG, unique per seed (a comment segment), as the end-to-end tests upload. */
export function receiptJpeg(seed: string): Uint8Array {
  const base = Buffer.from(
    'ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9',
    'hex',
  );
  const comment = Buffer.from(seed, 'utf8');
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
  return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
}

/** A date `daysAgo` days before today in China time (claims must be filed within 180 days). */
export function chinaDaysAgo(daysAgo: number): string {
  return new Date(Date.now() + 8 * 3_600_000 - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

export interface ClaimUpload {
  readonly claimId: string;
  /** What POST /claims stores before a phone uploads: the manifest must agree with it. */
  readonly grant: ClaimGrant;
  readonly receiptKey: string;
  readonly receipt: Uint8Array;
  readonly manifestKey: string;
  readonly manifest: string;
}

export type PathKind = 'automatic' | 'review';

/**
 * One claim's objects. Automatic path: tuition 15,000 yuan -> 3,500 paid, under the 5,000 review
 * line. Review path: 30,000 -> 10,500, which needs the three gates.
 */
let uploads = 0;

export function claimUpload(claimId: string, household: string, path: PathKind = 'automatic'): ClaimUpload {
  const receipt = receiptJpeg(claimId);
  // Each claim on its own day (cycling over 150): one household's claims with the same category,
  // date and cost would be possible duplicates, sent to review rather than paid.
  uploads += 1;
  const now = new Date();
  const receiptKey = `claims/${claimId}/receipt-1.jpg`;
  const manifest = JSON.stringify({
    schemaVersion: 1,
    claimId,
    householdId: household,
    category: 'education',
    expenseDate: chinaDaysAgo(3 + (uploads % 150)),
    totalCost: path === 'automatic' ? '15000.00' : '30000.00',
    reimbursed: '0',
    receipts: [
      {
        key: receiptKey,
        sha256: createHash('sha256').update(receipt).digest('hex'),
        contentType: 'image/jpeg',
      },
    ],
    submittedBy: 'worker1',
  });
  const grant: ClaimGrant = {
    claimId,
    householdId: household,
    filer: 'worker1',
    grantedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + CLAIM_GRANT_SECONDS * 1000).toISOString(),
  };
  return { claimId, grant, receiptKey, receipt, manifestKey: `claims/${claimId}/manifest.json`, manifest };
}

/**
 * `count` ledger entries in paidAt order, made one at a time (memory stays flat). Households
 * number half the rows, as caps allow a household only a few payouts a year: a province-sized
 * export has as many distinct payees as it has rows, give or take.
 */
export async function* syntheticLedgerEntries(count: number): AsyncGenerator<LedgerEntry> {
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const households = Math.max(1, Math.ceil(count / 2));
  for (let i = 0; i < count; i++) {
    // Spread over a year so paidDate changes like a real export's.
    const paidAt = new Date(start + Math.floor((i * 31_536_000_000) / count)).toISOString();
    yield {
      claimId: `01JC${String(i).padStart(22, '0')}`,
      householdId: householdId(1 + (i % households)),
      region: 'demo',
      village: villages[i % villages.length] ?? '',
      category: 'education',
      gridWorker: i % 2 === 0 ? 'worker1' : 'worker2',
      payoutFen: 350_000 + (i % 997),
      capYear: 2026,
      policyId: 'demo',
      policyVersion: 1,
      paidAt,
      paidDate: paidAt.slice(0, 10),
    };
  }
}
