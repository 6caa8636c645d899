// The ledger export as a job on the local stack: the API records it and starts the export-ledger
// workflow (the same ASL CDK deploys), whose step writes the file; the job then carries the control
// total and a link, and the CLI's runner downloads the very file that total counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { connect } from '#cli/api-client.ts';
import { runExportJob } from '#cli/verbs/export-job.ts';
import { todayInChina } from '#verify/lib/synthetic.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const quiet = { out: () => undefined, err: () => undefined };

describe('the ledger export as a job', () => {
  it('writes the file in the workflow and ends with the control total of that very file', async () => {
    const paid = [];
    for (const cost of ['15000', '16000']) {
      const { claimId } = await uploadClaim(stack, { totalCost: cost });
      paid.push(await settled(stack, claimId));
    }
    expect(paid.map((c) => c.state)).toEqual(['PAID', 'PAID']);
    const today = todayInChina();
    const finance = await stack.as('finance1');
    const listed = await finance('GET', `/ledger?from=${today}&to=${today}`);
    const api = await connect(stack.apiUrl, 'finance1');
    const { job, bytes } = await runExportJob(
      api,
      { from: today, to: today, format: 'csv', lang: 'zh' },
      quiet,
      { progress: false, pollMs: 100 },
    );
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      count: listed.body.count,
      totalFen: listed.body.totalFen,
    });
    expect(job.processed).toBe(job.count);
    const lines = bytes
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    // A header and one line per payout: the file holds exactly what the total counts.
    expect(lines.length).toBe(1 + (job.count ?? 0));
    for (const c of paid) expect(bytes.toString('utf8')).toContain(c.claimId);

    // Asked again later, the same job gives a fresh link to the same file.
    const again = await finance('GET', `/ledger/exports/${job.jobId}`);
    expect(again.body).toMatchObject({ status: 'SUCCEEDED', count: job.count, bytes: job.bytes });
  }, 120_000);

  it('is for finance only, checks its input, and tells nothing of jobs to others', async () => {
    const today = todayInChina();
    const admin = await stack.as('admin1');
    expect((await admin('POST', '/ledger/exports', { from: today, to: today })).status).toBe(403);
    const finance = await stack.as('finance1');
    expect((await finance('POST', '/ledger/exports', { from: today, to: '2020-01-01' })).status).toBe(400);
    expect((await finance('POST', '/ledger/exports', { from: today, to: today, format: 'pdf' })).status).toBe(
      400,
    );
    const made = await finance('POST', '/ledger/exports', { from: today, to: today, format: 'xlsx' });
    expect(made.status).toBe(202);
    expect((await admin('GET', `/ledger/exports/${made.body.jobId}`)).status).toBe(403);
    expect((await finance('GET', '/ledger/exports/not-a-job')).status).toBe(404);
    // An import job's id is no export.
    const imported = await admin('POST', '/imports', { kind: 'roster' });
    expect((await finance('GET', `/ledger/exports/${imported.body.job.jobId}`)).status).toBe(404);
    // And an export job is no import: nobody can upload a file for it.
    expect((await admin('POST', '/imports', { kind: 'ledger-export' })).status).toBe(400);
    // (Finance reads its own bank result jobs there; of an export job it learns nothing.)
    expect((await finance('GET', `/imports/${made.body.jobId}`)).status).toBe(404);
  }, 60_000);
});
