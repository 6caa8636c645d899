// The human table and the goal verdicts, from the groups' results.
import type { ColdStartResult } from '#bench/cold-start.ts';
import type { CostLine, PerClaimUse } from '#bench/cost.ts';
import type { EndToEndResult, LatencyRun } from '#bench/end-to-end.ts';
import type { ExportResult } from '#bench/ledger-export.ts';
import type { ListingResult } from '#bench/claim-listing.ts';
import type { RosterImportResult } from '#bench/roster-import.ts';
import type { FeedImportResult } from '#bench/feed-import.ts';
import { ledgerExportCost } from '#bench/bulk-cost.ts';
import { loadPrices } from '#bench/cost.ts';
import type { UploadWeight } from '#bench/upload-weight.ts';

export interface GroupResults {
  'end-to-end'?: { disk: EndToEndResult; compute: LatencyRun[]; stepsOnly: LatencyRun[] };
  'cold-start'?: ColdStartResult;
  'ledger-export'?: ExportResult;
  'upload-weight'?: UploadWeight;
  'claim-listing'?: ListingResult;
  'roster-import'?: RosterImportResult;
  'feed-import'?: FeedImportResult;
  cost?: {
    prices: { source: string; asOf: string };
    paths: Record<'automatic' | 'review', CostPath> & { notice?: CostPath };
  };
}

interface CostPath {
  claims: number;
  use: PerClaimUse;
  lines: CostLine[];
  totalUsdPer1000: number;
  outcomes: Record<string, number>;
}

export interface Verdict {
  readonly figure: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

export function verdicts(r: GroupResults): Verdict[] {
  const out: Verdict[] = [];
  const e2e = r['end-to-end'];
  if (e2e) {
    const c1 = e2e.disk.runs.find((x) => x.concurrency === 1);
    if (c1)
      out.push({
        figure: 'p50 upload->PAID, c=1',
        goal: '<= 150 ms',
        value: `${c1.p50Ms} ms`,
        met: c1.p50Ms <= 150,
      });
    const best = Math.max(...e2e.disk.runs.map((x) => x.claimsPerSecond));
    out.push({
      figure: 'end-to-end throughput (best c)',
      goal: '>= 50 claims/s',
      value: `${best} claims/s`,
      met: best >= 50,
    });
  }
  const cold = r['cold-start'];
  if (cold) {
    const sdk = cold.bundles.filter((b) => b.usesSdk);
    const largest = Math.max(...sdk.map((b) => b.bytes));
    const over = sdk.filter((b) => b.bytes > 150 * 1024).length;
    out.push({
      figure: 'largest SDK-using bundle',
      goal: '<= 150 KB each',
      value: `${kb(largest)} (${over}/${sdk.length} over)`,
      met: over === 0,
    });
    const slowest = Math.max(...cold.bundles.map((b) => b.initMs));
    const slowOver = cold.bundles.filter((b) => b.initMs > 100).length;
    out.push({
      figure: 'slowest init (wall - bare node)',
      goal: '<= 100 ms each',
      value: `${slowest} ms (${slowOver}/${cold.bundles.length} over)`,
      met: slowOver === 0,
    });
  }
  const cl = r['claim-listing'];
  if (cl) {
    const slowest = Math.max(...cl.figures.map((f) => f.p95Ms));
    out.push({
      figure: `claim list first page p95 (${cl.claims} claims)`,
      goal: '<= 150 ms',
      value: `${slowest} ms (slowest listing)`,
      met: cl.claims >= 1_000_000 && slowest <= 150,
    });
  }
  const ex = r['ledger-export'];
  if (ex) {
    const largest = (format: 'csv' | 'xlsx') => {
      const of = ex.figures.filter((f) => f.format === format);
      return of[of.length - 1];
    };
    const csv = largest('csv');
    const xlsx = largest('xlsx');
    if (csv) {
      out.push({
        figure: `CSV rows/s at ${csv.rows} rows`,
        goal: '>= 250,000 rows/s',
        value: `${csv.rowsPerSecond} (${csv.rowsPerCpuSecond} per CPU-s)`,
        met: csv.rowsPerSecond >= 250_000,
      });
      out.push({
        figure: `CSV peak RSS at ${csv.rows} rows`,
        goal: '<= 150 MB',
        value: `${csv.peakRssMiB} MiB`,
        met: csv.peakRssMiB <= 150,
      });
    }
    if (xlsx)
      out.push({
        figure: `XLSX peak RSS at ${xlsx.rows} rows`,
        goal: '<= 250 MB',
        value: `${xlsx.peakRssMiB} MiB`,
        met: xlsx.peakRssMiB <= 250,
      });
    out.push({
      figure: 'RSS growth, largest / smallest size',
      goal: '<= 1.2x',
      value: `CSV ${ex.rssGrowth.csv}x, XLSX ${ex.rssGrowth.xlsx}x`,
      met: ex.rssGrowth.csv <= 1.2 && ex.rssGrowth.xlsx <= 1.2,
    });
  }
  const ri = r['roster-import'];
  if (ri) {
    const first = ri.figures[0];
    const last = ri.figures.at(-1);
    if (first) {
      out.push({
        figure: `roster import, ${first.rows} rows, end to end`,
        goal: '<= 60 s, stack peak RSS <= 300 MB',
        value: `${first.status} in ${first.seconds} s, ${first.peakRssMiB} MiB`,
        met: first.status === 'SUCCEEDED' && first.seconds <= 60 && first.peakRssMiB <= 300,
      });
      out.push({
        figure: `roster import rate as a share of DynamoDB Local's BatchWriteItem rate`,
        goal: '>= 50%',
        value: `${Math.round(first.shareOfStoreRate * 100)}% (${first.rowsPerSecond} of ${first.storeItemsPerSecond} per s)`,
        met: first.shareOfStoreRate >= 0.5,
      });
    }
    if (last && last !== first)
      out.push({
        figure: `roster import, ${last.rows} rows: finishes, RSS flat`,
        goal: `finishes; RSS ${last.rows} / ${first?.rows ?? 0} <= 1.2x`,
        value: `${last.status}, ${ri.rssGrowth}x`,
        met: last.status === 'SUCCEEDED' && ri.rssGrowth <= 1.2,
      });
  }
  const fi = r['feed-import'];
  if (fi) {
    const f = fi.figure;
    const mb = f.peakRssMiB * 1.048576;
    out.push({
      figure: `医保 feed of ${f.rows.toLocaleString('en-US')} records against ${f.households.toLocaleString('en-US')} households (${f.people.toLocaleString('en-US')} people)`,
      goal: '<= 3 min end to end, stack RSS <= 300 MB (at 1,000,000 vs 100,000)',
      value: `${f.status} in ${f.seconds} s, ${f.peakRssMiB} MiB (node ${f.peakNodeRssMiB}, JVM ${f.peakJvmRssMiB})`,
      met:
        f.rows >= 1_000_000 &&
        f.households >= 100_000 &&
        f.status === 'SUCCEEDED' &&
        f.seconds <= 180 &&
        mb <= 300,
    });
  }
  const cost = r.cost;
  if (cost) {
    const auto = cost.paths.automatic.totalUsdPer1000;
    out.push({
      figure: 'US$ per 1,000 automatic claims',
      goal: '<= 0.05',
      value: `$${auto.toFixed(4)}`,
      met: auto <= 0.05,
    });
  }
  return out;
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function humanReport(r: GroupResults, header: string): string {
  const parts: string[] = [header];
  const e2e = r['end-to-end'];
  if (e2e) {
    const rows = (label: string, runs: readonly LatencyRun[]) =>
      runs.map((x) => [
        label,
        x.concurrency,
        x.claims,
        x.claimsPerSecond,
        x.p50Ms,
        x.p95Ms,
        x.p99Ms,
        `${x.paid}/${x.claims}`,
      ]);
    parts.push(
      '1. End to end, automatic path (manifest PutObject resolved -> PAID)',
      table(
        ['path', 'c', 'claims', 'claims/s', 'p50 ms', 'p95 ms', 'p99 ms', 'PAID'],
        [
          ...rows('disk (local stack)', e2e.disk.runs),
          ...rows('compute (handlers+ASL, memory ports)', e2e.compute),
          ...rows('steps only (memory ports)', e2e.stepsOnly),
        ],
      ),
      `   CPU per claim on disk: ${e2e.disk.runs.map((x) => `c=${x.concurrency} node ${x.nodeCpuMsPerClaim} ms + DynamoDB Local ${x.jvmCpuMsPerClaim} ms`).join('; ')}`,
      `   step p50 at c=1: ${Object.entries(e2e.disk.stepP50Ms)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}`,
    );
  }
  const cold = r['cold-start'];
  if (cold) {
    parts.push(
      `2. Cold-start weight per Lambda (esbuild as CDK bundles it; init = median of ${cold.samples} fresh node --enable-source-maps processes importing the bundle minus bare node ${cold.baselineMs} ms)`,
      table(
        ['handler', 'bundle', 'gzip', 'SDK', 'init ms', 'import ms', 'import CPU ms', 'heaviest'],
        cold.bundles.map((b) => [
          b.handler,
          kb(b.bytes),
          kb(b.gzipBytes),
          b.usesSdk ? 'yes' : 'no',
          b.initMs,
          b.importMs,
          b.importCpuMs,
          b.heaviest.map((h) => `${h.name} ${kb(h.bytes)}`).join(', '),
        ]),
      ),
      cold.drift.length > 0
        ? `   WARNING: bundle options drifted from infra/constructs/claims-function.ts: ${cold.drift.join('; ')}`
        : '   bundle options match infra/constructs/claims-function.ts',
    );
  }
  const ex = r['ledger-export'];
  if (ex) {
    parts.push(
      '3. Ledger export (synthetic entries, counting sink, fresh process per size)',
      table(
        ['format', 'rows', 'rows/s', 'rows/CPU-s', 'seconds', 'output MiB', 'peak RSS MiB'],
        ex.figures.map((f) => [
          f.format,
          f.rows,
          f.rowsPerSecond,
          f.rowsPerCpuSecond,
          f.seconds,
          f.outputMiB,
          f.peakRssMiB,
        ]),
      ),
      `   peak RSS growth largest/smallest: CSV ${ex.rssGrowth.csv}x, XLSX ${ex.rssGrowth.xlsx}x (V8's default heap sizing)`,
      `   largest size with the heap capped at 48 MiB old space: ${ex.cappedHeap.map((f) => `${f.format} peak RSS ${f.peakRssMiB} MiB`).join(', ')} (both run at once: a memory check, not a speed one)`,
      `   largest size with the export Lambda's own heap flags (semi-space a twentieth of its memory): ${(ex.lambdaHeap ?? []).map((f) => `${f.format} peak RSS ${f.peakRssMiB} MiB`).join(', ')} (Node defaults above understate production)`,
    );
  }
  const ri = r['roster-import'];
  if (ri) {
    parts.push(
      '7. Roster import as a bulk job (local stack: API, upload, import-file Distributed Map, DynamoDB Local)',
      table(
        [
          'rows',
          'file MiB',
          'status',
          'seconds',
          'rows/s',
          'store items/s',
          'share',
          'peak RSS MiB (node+JVM)',
        ],
        ri.figures.map((f) => [
          f.rows,
          f.fileMiB,
          f.status,
          f.seconds,
          f.rowsPerSecond,
          f.storeItemsPerSecond,
          `${Math.round(f.shareOfStoreRate * 100)}%`,
          `${f.peakRssMiB} (${f.peakNodeRssMiB}+${f.peakJvmRssMiB})`,
        ]),
      ),
      `   on AWS per ${ri.cost.per}: $${ri.cost.usd} (${Object.entries(ri.cost.parts)
        .map(([k, v]) => `${k} $${v}`)
        .join(', ')})`,
    );
  }
  const fi = r['feed-import'];
  if (fi) {
    const f = fi.figure;
    const n = (x: number) => x.toLocaleString('en-US');
    const o = (name: string) => n(f.outcomes[name] ?? 0);
    const use = fi.cost.use ?? {};
    parts.push(
      `8. 医保 data feed as a bulk job (local stack; county of demo-fund seeded through the roster store in ${f.seedSeconds} s; file ${(f.fileBytes / 1048576).toFixed(1)} MiB)`,
      table(
        ['figure', 'goal', 'measured'],
        [
          [
            `医保 feed of ${n(f.rows)} records against ${n(f.households)} households (${n(f.people)} people)`,
            '<= 3 min end to end, stack RSS <= 300 MB (at 1,000,000 vs 100,000)',
            `${f.status}${f.failure ? ` (${f.failure})` : ''} in ${f.seconds} s; peak RSS ${f.peakRssMiB} MiB (node ${f.peakNodeRssMiB} + JVM ${f.peakJvmRssMiB})`,
          ],
          [
            "records per second, as a share of DynamoDB Local's BatchWriteItem rate in the same run",
            'printed',
            `${n(f.recordsPerSecond)} records/s, ${Math.round(f.shareOfStoreRate * 100)}% of ${n(f.storeItemsPerSecond)} items/s`,
          ],
          [
            `cost on AWS per ${fi.cost.per}`,
            'printed',
            `$${fi.cost.usd} (${Object.entries(fi.cost.parts)
              .map(([k, v]) => `${k} $${v}`)
              .join(', ')})`,
          ],
        ],
      ),
      `   records: matched ${o('matched')}, unmatched ${o('unmatched')} (generated ${n(f.unmatchedRows)}), notCovered ${o('notCovered')}, repeated ${o('repeated')}, corrected ${o('corrected')}, counted ${o('counted')}, pending ${o('pending')}; rows refused ${n(f.rejected)} (${n(f.repeatedRows)} repeated ids in the file); claims opened ${n(f.claimsOpened)} (${n(f.largeStays)} large stays)`,
      `   measured on the local stack: Lambda ${(f.measured.lambdaSecondsPerRecord * 1000).toFixed(2)} ms per record (${Object.entries(
        f.measured.lambdaMsByHandler,
      )
        .map(
          ([h, l]) => `${h} ${l.invocations}x${l.failed ? ` (${l.failed} failed)` : ''} ${n(l.totalMs)} ms`,
        )
        .join(
          ', ',
        )}); ${f.measured.childExecutions} map children, parent ${f.measured.parentTransitions} transitions; DynamoDB ${f.measured.dynamoReadUnitsPerRecord} read and ${f.measured.dynamoWriteUnitsPerRecord} write units per record as Local reports them (${Object.entries(
        f.measured.dynamoRequests,
      )
        .map(([c, k]) => `${c.replace(/Command$/, '')} ${n(k)}`)
        .join(', ')})`,
      `   cost model per record: ${use.readUnitsPerRecord ?? 0} RRU (holders ${use.holdersReadUnitsPerRecord ?? 0}, records ${use.recordReadUnitsPerRecord ?? 0}), ${use.writeUnitsPerRecord ?? 0} WRU (record+counter transactions ${use.transactionWriteUnitsPerRecord ?? 0}); ${n(use.childExecutions ?? 0)} map children, ${n(use.standardTransitions ?? 0)} Standard transitions, ${n(use.s3Requests ?? 0)} S3 requests, ${use.lambdaGbSeconds ?? 0} Lambda GB-s; ${n(use.claimsOpened ?? 0)} claims opened (each then costs what the cost group's review path does)`,
    );
  }
  if (ex) {
    const largestCsv = ex.figures.filter((f) => f.format === 'csv').at(-1);
    if (largestCsv) {
      const cost = ledgerExportCost(loadPrices(), 1_000_000, 1 / largestCsv.rowsPerCpuSecond);
      parts.push(
        `   ledger export job on AWS per ${cost.per}: $${cost.usd} (${Object.entries(cost.parts)
          .map(([k, v]) => `${k} $${v}`)
          .join(', ')})`,
      );
    }
  }
  const up = r['upload-weight'];
  if (up) {
    parts.push(
      '4. Receipt upload weight (headless Chromium)',
      `   photo ${up.photoWidth}x${up.photoHeight} ${kb(up.photoBytes)} -> sent ${up.uploadWidth}x${up.uploadHeight} ${kb(up.uploadBytes)} (${(up.ratio * 100).toFixed(1)}%), by ${up.compressor}`,
    );
  }
  const cost = r.cost;
  if (cost) {
    const auto = cost.paths.automatic;
    const review = cost.paths.review;
    const notice = cost.paths.notice;
    const others = notice ? ([review, notice] as const) : ([review] as const);
    parts.push(
      `5. Cost per 1,000 claims (${cost.prices.source})`,
      table(
        [
          'service',
          'automatic: per claim',
          'US$/1k',
          'review: per claim',
          'US$/1k',
          ...(notice ? ['notice: per claim', 'US$/1k'] : []),
        ],
        auto.lines.map((l, i) => [
          l.service,
          l.perClaim,
          l.usdPer1000.toFixed(5),
          ...others.flatMap((p) => [p.lines[i]?.perClaim ?? '', (p.lines[i]?.usdPer1000 ?? 0).toFixed(5)]),
        ]),
      ),
      `   total: automatic $${auto.totalUsdPer1000.toFixed(4)} per 1,000 claims (${auto.claims} measured), review path $${review.totalUsdPer1000.toFixed(4)} (${review.claims} measured)${notice ? `, notice path $${notice.totalUsdPer1000.toFixed(4)} (${notice.claims} measured)` : ''}`,
      ...(notice
        ? [
            `   public notice adds $${(notice.totalUsdPer1000 - auto.totalUsdPer1000).toFixed(4)} per 1,000 automatic claims (Standard workflow: ${notice.use.standardTransitions} transitions per claim)`,
          ]
        : []),
      `   DynamoDB write units per automatic claim spent on indexes: ${Object.entries(
        auto.use.dynamoIndexWriteUnits,
      )
        .map(([index, units]) => `${index} ${units}`)
        .join(', ')} of ${auto.use.dynamoWriteUnits}`,
    );
  }
  const cl = r['claim-listing'];
  if (cl) {
    parts.push(
      `6. Claim listings, first page of 50 (DynamoDB Local, ${cl.claims} claims, ${cl.households} households)`,
      table(
        ['listing', 'samples', 'p50 ms', 'p95 ms', 'claims/page'],
        cl.figures.map((f) => [f.listing, f.samples, f.p50Ms, f.p95Ms, f.meanItems]),
      ),
      `   loading the county took ${cl.loadSeconds} s (roster, claims and ledger entries; no history events)`,
    );
  }
  const v = verdicts(r);
  if (v.length > 0) {
    parts.push(
      'Goals',
      table(
        ['figure', 'goal', 'measured', ''],
        v.map((x) => [x.figure, x.goal, x.value, x.met ? 'met' : 'MISSED']),
      ),
    );
  }
  return parts.join('\n\n');
}
