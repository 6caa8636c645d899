// Figure group 6: claim listings at county size. A synthetic county (cli/local/synthetic-county.ts)
// is loaded into DynamoDB Local through the claim store's loader, then GET /claims's own function
// (listClaims over DynamoClaimStore) is timed for first pages of 50: every claim, by state, by
// village, by grid worker, and combined filters, each sample with another value picked at random.
// BENCH_LISTING_CLAIMS sets the count (default 1,000,000; e.g. 100000 to try it quickly).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { listClaims } from '#shared/api/claims-api.ts';
import { claimStates } from '#shared/claim-state.ts';
import { categories } from '#shared/vocabulary.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { withRequestGate } from '#functions/adapters/handler-deps.ts';
import { startDynamoDbLocal } from '#cli/local/dynamodb-local.ts';
import { ensureClaimsTable } from '#cli/local/claims-table.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { seedCounty, seededRandom, syntheticRoster } from '#cli/local/synthetic-county.ts';
import { percentile, round } from '#bench/stats.ts';

export interface ListingFigure {
  readonly listing: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Claims on the average first page (50 unless the filter matches fewer). */
  readonly meanItems: number;
}

export interface ListingResult {
  readonly claims: number;
  readonly households: number;
  /** Seconds to load the county (roster and claims with their ledger entries; no history events). */
  readonly loadSeconds: number;
  readonly figures: readonly ListingFigure[];
}

export async function runClaimListing(options: {
  claims: number;
  samples: number;
  log: (line: string) => void;
}): Promise<ListingResult> {
  // A grid worker per 30 households and ~30 claims a year per worker's village share: a county's
  // households number about a tenth of its claims here, at least 3,000.
  const households = Math.max(3_000, Math.round(options.claims / 10));
  const dir = await mkdtemp(join(tmpdir(), 'claims-bench-listing-'));
  const dynamo = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir });
  const db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
  try {
    await ensureClaimsTable(db, 'claims');
    const store = new DynamoClaimStore(db, 'claims');
    // The load talks to the emulator directly, past the local signature check (a proxy that costs
    // CPU per request on a 2-core machine); the timed listings go through it like the stack's.
    const direct = withRequestGate(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${dynamo.jvmPort}`,
        region: 'us-east-1',
        credentials: s3LocalCredentials,
      }),
      dynamo.gate,
    );
    options.log(`  loading ${options.claims} claims over ${households} households...`);
    const t0 = performance.now();
    // History events are other items in the table: listings never read them, and they would
    // multiply the load time by four on DynamoDB Local.
    const loaded = await seedCounty(
      new DynamoClaimStore(direct, 'claims'),
      { households, claims: options.claims, seed: 1, history: false },
      (done) => {
        options.log(`    ${done} claims, ${round((performance.now() - t0) / 1000)} s`);
      },
    );
    direct.destroy();
    options.log(`  loaded in ${loaded.seconds} s`);
    const county = syntheticRoster({ households, seed: 1 });
    const random = seededRandom(99);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const deps = { claims: store, roster: store };
    const insurer = { username: 'insurer1', roles: ['insurer' as const] };
    const worker = { username: '', roles: ['gridWorker' as const] };
    const kinds: [string, () => Promise<unknown>][] = [
      ['all', () => listClaims(deps, insurer, { limit: '50' })],
      ['by state', () => listClaims(deps, insurer, { state: pick(claimStates), limit: '50' })],
      ['by village', () => listClaims(deps, insurer, { village: pick(county.villages), limit: '50' })],
      [
        'by grid worker (own claims)',
        () => listClaims(deps, { ...worker, username: pick(county.workers) }, { limit: '50' }),
      ],
      [
        'village + state',
        () =>
          listClaims(deps, insurer, {
            village: pick(county.villages),
            state: pick(claimStates),
            limit: '50',
          }),
      ],
      [
        'state + category + month',
        () => {
          const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
          return listClaims(deps, insurer, {
            state: pick(claimStates),
            category: pick(categories),
            from: `2026-${month}-01`,
            to: `2026-${month}-28`,
            limit: '50',
          });
        },
      ],
      [
        'grid worker + state',
        () => listClaims(deps, insurer, { gridWorker: pick(county.workers), state: 'PAID', limit: '50' }),
      ],
    ];
    const figures: ListingFigure[] = [];
    for (const [listing, run] of kinds) {
      for (let i = 0; i < 10; i++) await run();
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < options.samples; i++) {
        const t0 = performance.now();
        const page = (await run()) as { items: unknown[] };
        times.push(performance.now() - t0);
        items += page.items.length;
      }
      const figure = {
        listing,
        samples: options.samples,
        p50Ms: round(percentile(times, 50)),
        p95Ms: round(percentile(times, 95)),
        meanItems: round(items / options.samples),
      };
      options.log(
        `  ${listing}: p50 ${figure.p50Ms} ms, p95 ${figure.p95Ms} ms, ${figure.meanItems} claims/page`,
      );
      figures.push(figure);
    }
    return { claims: options.claims, households, loadSeconds: loaded.seconds, figures };
  } finally {
    db.destroy();
    await dynamo.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
