// Check 12: a county-sized roster file as a bulk job, with `claims start` killed (-9) while the
// job runs and started again on the same data. The job must finish by itself, with every row
// counted exactly once: processed = rows, imported + rejected = rows, the refused rows exactly
// the ones planted, and the households stored.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { killHard, startChild, type ChildPorts, type RunningChild } from '#verify/lib/child-stack.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { secondsSince, sleep } from '#verify/lib/stack.ts';
import { rosterCsv, syntheticHouseholds } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

interface JobAnswer {
  jobId: string;
  status: string;
  rows?: number;
  processed: number;
  imported: number;
  rejected: number;
  rejectedRows?: { row: number; error: string }[];
  failure?: string;
}

async function api(ports: ChildPorts, method: string, path: string, body?: unknown): Promise<unknown> {
  const signIn = await fetch(`http://127.0.0.1:${ports.api}/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin1' }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const response = await fetch(`http://127.0.0.1:${ports.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
  return response.json();
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const rowCount = full ? 20_000 : 3_000;
  const kills = full ? 3 : 1;
  const random = seededRandom(seed);
  const dataDir = await mkdtemp(join(tmpdir(), 'verify-bulk-kill-'));
  const ports: ChildPorts = { api: await findFreePort(), s3: await findFreePort(), db: await findFreePort() };
  let child: RunningChild | undefined = await startChild(dataDir, ports);
  const db = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${ports.db}`,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
  const failures: string[] = [];
  let job: JobAnswer | undefined;
  let killsDone = 0;
  let stored = 0;
  const households = syntheticHouseholds('BK', rowCount, random.fork('hh'));
  // Every 997th row is planted bad (a status nobody has): those and only those must be refused.
  const lines = rosterCsv(households).split('\n');
  const planted = new Set<number>();
  for (let row = 2; row <= rowCount + 1; row += 997) {
    lines[row - 1] = (lines[row - 1] ?? '').replace(
      /,(out_of_poverty|unstable|marginal|sudden_hardship),/,
      ',rich,',
    );
    planted.add(row);
  }
  try {
    const created = (await api(ports, 'POST', '/imports', { kind: 'roster' })) as {
      job: JobAnswer;
      upload: { url: string; fields: Record<string, string>; contentType: string };
    };
    const form = new FormData();
    for (const [k, v] of Object.entries(created.upload.fields)) form.append(k, v);
    form.append('file', new Blob([lines.join('\n')], { type: created.upload.contentType }), 'roster.csv');
    const uploaded = await fetch(created.upload.url, { method: 'POST', body: form });
    if (!uploaded.ok) throw new Error(`upload answered ${uploaded.status}`);
    const jobId = created.job.jobId;

    // Kill while the job runs: the first time once some rows are in, then at random moments.
    for (let k = 0; k < kills; k++) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        job = (await api(ports, 'GET', `/imports/${jobId}`)) as JobAnswer;
        if (job.processed > 0 || job.status !== 'WAITING_FOR_FILE' || Date.now() > deadline) break;
        await sleep(100);
      }
      await sleep(random.int(0, 1500));
      if (!child) break;
      await killHard(child, ports);
      killsDone += 1;
      log(`bulk kill ${killsDone}/${kills} at ${job?.processed ?? 0}/${rowCount} rows`);
      child = await startChild(dataDir, ports);
    }

    const deadline = Date.now() + (full ? 600_000 : 180_000);
    for (;;) {
      job = (await api(ports, 'GET', `/imports/${jobId}`)) as JobAnswer;
      if (!['WAITING_FOR_FILE', 'RUNNING'].includes(job.status) || Date.now() > deadline) break;
      await sleep(250);
    }
    if (job.status !== 'SUCCEEDED')
      failures.push(
        `job ended ${job.status} ${job.failure ?? ''}; the stack said: ${child?.output().slice(-400) ?? ''}`,
      );
    if (job.rows !== rowCount) failures.push(`job counted ${job.rows} rows, the file has ${rowCount}`);
    if (job.processed !== rowCount)
      failures.push(`processed ${job.processed} of ${rowCount} (a batch counted twice or lost)`);
    if (job.imported !== rowCount - planted.size || job.rejected !== planted.size)
      failures.push(
        `imported ${job.imported}, rejected ${job.rejected}; expected ${rowCount - planted.size} and ${planted.size}`,
      );
    const refused = new Set((job.rejectedRows ?? []).map((r) => r.row));
    if (refused.size !== planted.size || [...planted].some((r) => !refused.has(r)))
      failures.push(
        `refused rows ${[...refused].slice(0, 5).join(',')} differ from the planted ${[...planted].slice(0, 5).join(',')}`,
      );
    // The households themselves: a sample across the file, each with its one period.
    const store = new DynamoClaimStore(db, 'claims');
    const sample = households.filter((_, i) => !planted.has(i + 2) && i % Math.ceil(rowCount / 200) === 0);
    for (const h of sample) if ((await store.periods(h.householdId)).length === 1) stored += 1;
    if (stored !== sample.length)
      failures.push(`${sample.length - stored} of ${sample.length} sampled households missing`);
  } finally {
    db.destroy();
    if (child) await killHard(child, ports).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
  const seconds = secondsSince(started);
  return {
    label: 'bulk file kill -9',
    ok: failures.length === 0,
    figures: {
      rows: rowCount,
      kills: killsDone,
      status: job?.status ?? 'none',
      processed: job?.processed ?? 0,
      imported: job?.imported ?? 0,
      rejected: job?.rejected ?? 0,
      planted: planted.size,
      sampledStored: stored,
      seconds,
    },
    failures,
  };
}
