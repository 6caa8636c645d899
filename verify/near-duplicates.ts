// Measures the perceptual duplicate check on generated receipts and prints its figures:
//   npx tsx verify/near-duplicates.ts [--receipts 200] [--distinct 1000] [--seed N]
// Goals: at least 95% of transformed copies flagged, at most 1% of distinct receipts flagged.
// Exits non-zero when a goal is missed.
import { cpus } from 'node:os';
import { NEAR_DUPLICATE_MIN_SCORE } from '#shared/receipt-fingerprint.ts';
import { measureNearDuplicates } from '#verify/lib/receipt-images.ts';
import { DEFAULT_SEED } from '#verify/types.ts';

function parseArgs(argv: readonly string[]) {
  const options = { receipts: 200, distinct: 1000, seed: DEFAULT_SEED };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]?.replace(/^--/, '');
    const value = Number(argv[++i]);
    if ((name !== 'receipts' && name !== 'distinct' && name !== 'seed') || !Number.isSafeInteger(value))
      throw new Error('use --receipts N, --distinct N, --seed N');
    options[name] = value;
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const started = performance.now();
const f = await measureNearDuplicates(options);
const seconds = (performance.now() - started) / 1000;
const pct = (share: number) => `${(share * 100).toFixed(2)}%`;
console.log(
  `near duplicates, seed ${options.seed}, threshold ${NEAR_DUPLICATE_MIN_SCORE}, ${cpus().length} cores, Node ${process.versions.node}`,
);
console.log(
  `  copies:   ${f.flagged}/${f.transformed} flagged (${pct(f.flaggedShare)}), lowest score ${f.lowestCopyScore.toFixed(3)}`,
);
console.log(
  `  distinct: ${f.falselyFlagged}/${f.distinct} falsely flagged (${pct(f.falseShare)}), highest score ${f.highestDistinctScore.toFixed(3)}`,
);
console.log(
  `  time: ${seconds.toFixed(0)} s; ${f.fingerprints} fingerprints at ${f.msPerFingerprint.toFixed(1)} ms each (decode included); ${f.comparisons} comparisons at ${(f.msPerComparison * 1000).toFixed(0)} µs each`,
);
for (const line of f.examples) console.log(`  ${line}`);
const ok = f.flaggedShare >= 0.95 && f.falseShare <= 0.01;
console.log(ok ? 'goals met' : 'goals missed');
process.exitCode = ok ? 0 : 1;
