// How much each figure group measures: the full run the README reports, and --quick, a smoke run
// of every group in under a minute.

export interface Plan {
  readonly endToEnd: {
    readonly claims: number;
    readonly concurrencies: readonly number[];
    readonly warmup: number;
  };
  readonly computePath: { readonly claims: number; readonly concurrencies: readonly number[] };
  readonly coldStart: { readonly samples: number; readonly handlers?: readonly string[] };
  readonly ledgerExport: { readonly sizes: readonly number[] };
  readonly cost: { readonly automatic: number; readonly review: number; readonly notice: number };
  /**
   * County roster files: households x status periods, cut at `rows` when given
   * (BENCH_ROSTER_HOUSEHOLDS overrides the first; BENCH_ROSTER_ROWS, from `--rows`, all of them).
   */
  readonly rosterImport: {
    readonly sizes: readonly { households: number; periods: number; rows?: number }[];
  };
  /** Claims loaded for the listing figures (BENCH_LISTING_CLAIMS overrides) and samples per listing. */
  readonly claimListing: { readonly claims: number; readonly samples: number };
  /**
   * A medical feed of `records` against `households` of demo-fund (BENCH_FEED_RECORDS and
   * BENCH_FEED_HOUSEHOLDS, from `--feed-records` and `--feed-households`, override both plans).
   */
  readonly feedImport: { readonly size: { readonly records: number; readonly households: number } };
}

/** `--rows=100000,1000000`: files of that many rows, households of three periods. */
const rosterRows = (process.env.BENCH_ROSTER_ROWS ?? '')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0)
  .map((rows) => ({ households: Math.ceil(rows / 3), periods: 3, rows }));

const feedSize = (records: number, households: number) => ({
  size: {
    records: Number(process.env.BENCH_FEED_RECORDS ?? records) || records,
    households: Number(process.env.BENCH_FEED_HOUSEHOLDS ?? households) || households,
  },
});

const listingClaims = (fallback: number) => Number(process.env.BENCH_LISTING_CLAIMS ?? fallback) || fallback;

export const fullPlan: Plan = {
  endToEnd: { claims: 2000, concurrencies: [1, 8, 32], warmup: 20 },
  computePath: { claims: 2000, concurrencies: [1, 8, 32] },
  coldStart: { samples: 20 },
  ledgerExport: { sizes: [100_000, 1_000_000] },
  cost: { automatic: 200, review: 20, notice: 50 },
  rosterImport: {
    sizes:
      rosterRows.length > 0
        ? rosterRows
        : [
            { households: Number(process.env.BENCH_ROSTER_HOUSEHOLDS ?? 100_000) || 100_000, periods: 3 },
            { households: 333_334, periods: 3 },
          ],
  },
  claimListing: { claims: listingClaims(1_000_000), samples: 200 },
  feedImport: feedSize(20_000, 2_000),
};

export const quickPlan: Plan = {
  endToEnd: { claims: 25, concurrencies: [1, 8, 32], warmup: 3 },
  computePath: { claims: 100, concurrencies: [1, 8, 32] },
  coldStart: { samples: 5, handlers: ['validate-claim', 'record-payout', 'export-ledger'] },
  ledgerExport: { sizes: [10_000, 50_000] },
  cost: { automatic: 6, review: 1, notice: 3 },
  rosterImport: {
    sizes:
      rosterRows.length > 0
        ? rosterRows
        : [
            { households: 1_000, periods: 3 },
            { households: 3_000, periods: 3 },
          ],
  },
  claimListing: { claims: listingClaims(5_000), samples: 50 },
  feedImport: feedSize(3_000, 300),
};

export const groupNames = [
  'end-to-end',
  'cold-start',
  'ledger-export',
  'upload-weight',
  'cost',
  'claim-listing',
  'roster-import',
  'feed-import',
] as const;
export type GroupName = (typeof groupNames)[number];
