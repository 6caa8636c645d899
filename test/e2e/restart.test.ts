// Nothing lost: kill -9 the local runtime while claims are mid-flight, start it again on the
// same data dir, and every claim still reaches its proper end exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isPortFree } from '#cli/local/net.ts';
import { startChild, type RunningChild } from '../../verify/lib/child-stack.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';

let dataDir = '';
let restarted: (TestStack & { stop(): Promise<void> }) | undefined;
let child: RunningChild | undefined;

afterAll(async () => {
  child?.process.kill('SIGKILL');
  await restarted?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function waitForFreePort(port: number) {
  const deadline = Date.now() + 20_000;
  while (!(await isPortFree(port, '0.0.0.0'))) {
    if (Date.now() > deadline) throw new Error(`port ${port} stayed busy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kill -9 and restart', () => {
  it('resumes every mid-flight claim to its end, paying each once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'claims-restart-'));
    const ports = { api: await findFreePort(), s3: await findFreePort(), db: await findFreePort() };
    child = await startChild(dataDir, ports);
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${ports.s3}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...s3LocalCredentials },
    });
    const db = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${ports.db}`,
      region: 'us-east-1',
      credentials: s3LocalCredentials,
    });
    // Just enough of TestStack for uploadClaim (the grants go straight into the child's table).
    const uploader = {
      s3,
      deps: { claims: new DynamoClaimStore(db, 'claims') },
      clock: { now: () => new Date() },
    } as unknown as TestStack;
    const households = ['HH-0014', 'HH-0015', 'HH-0016', 'HH-0017', 'HH-0018'];
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        uploadClaim(uploader, {
          householdId: households[i % households.length] ?? 'HH-0014',
          // Every fourth goes to review; the rest are paid automatically (3,500 each, cap 20,000).
          totalCost: i % 4 === 0 ? '22700' : '15000',
        }),
      ),
    );
    child.process.kill('SIGKILL');
    s3.destroy();
    db.destroy();
    await child.exited;
    await Promise.all([waitForFreePort(ports.db), waitForFreePort(ports.s3), waitForFreePort(ports.api)]);

    restarted = await startLocalStack({ dataDir, demo: true });
    // Claims were caught mid-flight (and reviews waiting): the restart had work to pick up.
    expect(restarted.resumedAtStart).toBeGreaterThan(0);
    for (const { claimId } of claims) {
      const claim = await settled(restarted, claimId, 30_000);
      expect(['PAID', 'PENDING_REVIEW']).toContain(claim.state);
    }
    await restarted.idle();
    for (const hh of households) {
      let ledgerTotal = 0;
      for (const { claimId } of claims) {
        const claim = await restarted.deps.claims.get(claimId);
        const entry = await restarted.deps.claims.ledgerEntry(claimId);
        if (claim?.householdId !== hh) continue;
        expect(claim.state === 'PAID').toBe(entry !== undefined);
        const paidEvents = (await restarted.deps.claims.history(claimId)).filter((h) => h.to === 'PAID');
        expect(paidEvents.length).toBe(claim.state === 'PAID' ? 1 : 0);
        ledgerTotal += entry?.payoutFen ?? 0;
      }
      const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
      expect(await restarted.deps.claims.capUsed(hh, year, 'education')).toBe(ledgerTotal);
    }
  }, 120_000);
});
