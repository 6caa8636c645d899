// An independent pricer for the demo policies, written from the money rules' table (docs and README)
// and not from shared/compensation.ts: the checks compare the ledger against it, so a bug in the
// engine cannot also hide in the expectation. BigInt throughout; no float touches an amount.

type Tiered = { kind: 'tiered'; bands: [fromYuan: bigint, toYuan: bigint | null, percent: bigint][] };
type Fixed = { kind: 'fixed'; grants: [minLossYuan: bigint, grantYuan: bigint][] };

const demoTable: Record<string, { rule: Tiered | Fixed; capYuan: bigint }> = {
  education: {
    rule: {
      kind: 'tiered',
      bands: [
        [8_000n, 15_000n, 50n],
        [15_000n, 25_000n, 60n],
        [25_000n, null, 70n],
      ],
    },
    capYuan: 20_000n,
  },
  medical: {
    rule: {
      kind: 'tiered',
      bands: [
        [10_000n, 30_000n, 50n],
        [30_000n, 50_000n, 60n],
        [50_000n, null, 70n],
      ],
    },
    capYuan: 50_000n,
  },
  disaster: {
    rule: {
      kind: 'fixed',
      grants: [
        [10_000n, 3_000n],
        [30_000n, 5_000n],
      ],
    },
    capYuan: 5_000n,
  },
  industry: {
    rule: {
      kind: 'fixed',
      grants: [
        [10_000n, 3_000n],
        [30_000n, 5_000n],
      ],
    },
    capYuan: 5_000n,
  },
};

/** "22700.5" -> 2270050n fen; the checks only feed it amounts they wrote themselves. */
export function yuanStringToFen(yuan: string): bigint {
  const [whole = '0', decimals = ''] = yuan.split('.');
  return BigInt(whole) * 100n + BigInt(decimals.padEnd(2, '0') || '0');
}

/** round_half_up(numerator / denominator) for non-negative integers. */
function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** Gross payout in fen before the cap: the band sum, or the highest grant reached. */
export function referenceGrossFen(category: string, selfPaidFen: bigint): bigint {
  const entry = demoTable[category];
  if (!entry) throw new RangeError(`no reference rule for ${category}`);
  const { rule } = entry;
  if (rule.kind === 'fixed') {
    let grant = 0n;
    for (const [minLoss, amount] of rule.grants) if (selfPaidFen >= minLoss * 100n) grant = amount * 100n;
    return grant;
  }
  let total = 0n;
  for (const [from, to, percent] of rule.bands) {
    const lo = from * 100n;
    if (selfPaidFen <= lo) break;
    const hi = to === null ? selfPaidFen : selfPaidFen < to * 100n ? selfPaidFen : to * 100n;
    // A band pays round_half_up(fen_in_band * bp / 10000), with bp = percent * 100.
    total += roundHalfUp((hi - lo) * percent * 100n, 10_000n);
  }
  return total;
}

export function referenceCapFen(category: string): bigint {
  const entry = demoTable[category];
  if (!entry) throw new RangeError(`no reference rule for ${category}`);
  return entry.capYuan * 100n;
}

/** The review routing for the claims the checks generate (roster status long settled). */
export function referenceNeedsReview(c: {
  category: string;
  totalFen: bigint;
  reimbursedFen: bigint;
  payoutFen: bigint;
}): boolean {
  if (c.payoutFen > 500_000n) return true;
  if (c.category === 'disaster' || c.category === 'industry') return true;
  if (c.totalFen > 20_000_000n) return true;
  return c.category === 'medical' && c.reimbursedFen === 0n;
}

/**
 * The relief fund's policy (demo-fund) prices the same tiered tables, but over the household's
 * year: every self-paid cost counted that year (paying or not) adds to one total, and the year's
 * payouts together come to min(annual cap, price(total)). Only the tiered categories accumulate.
 */
export function referenceYearPayoutFen(category: 'education' | 'medical', countedTotalFen: bigint): bigint {
  if (countedTotalFen < 0n) throw new RangeError('a counted total is not negative');
  const gross = referenceGrossFen(category, countedTotalFen);
  const cap = referenceCapFen(category);
  return gross < cap ? gross : cap;
}
