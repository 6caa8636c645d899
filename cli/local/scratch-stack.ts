// Starts the real local stack (DynamoDB Local, S3 emulator, local Step Functions, HTTP API) on
// free ports with a fresh data dir, and talks to it as a phone or a signed-in user would: one per
// test file or verification check.
import { fakeJpeg } from '#cli/local/demo-data.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { startLocalStack as start, type LocalStack } from '#cli/local/runtime.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { claimGrant } from '#cli/local/world.ts';
import { claimGrantSchema } from '#shared/claim-grant.ts';
import type { Policy } from '#shared/policy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers inspect API bodies ad hoc
type Loose = any;
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: Loose }>;

export interface TestStack extends LocalStack {
  readonly dataDir: string;
  readonly s3: S3Client;
  /** Signs in a demo user and calls the API as them. */
  as(username: string): Promise<ApiCall>;
}

/** A port lost to another process between finding it free and binding it (DynamoDB Local's JVM binds seconds later). */
const LOST_PORT = /EADDRINUSE|address already in use|Failed to bind/i;

/**
 * Starts on ports free a moment ago, and on others when one was taken meanwhile: test files run
 * side by side, and every outgoing connection takes a port from the same range.
 */
async function startOnFreePorts<T>(
  startOn: (ports: { port: number; s3Port: number; dynamodbPort: number }) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = {
      port: await findFreePort(),
      s3Port: await findFreePort(),
      dynamodbPort: await findFreePort(),
    };
    try {
      return await startOn(ports);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !LOST_PORT.test(error.message)) throw error;
    }
  }
}

export async function startLocalStack(
  opts: {
    demo?: boolean;
    dataDir?: string;
    /** Policies to run with instead of the built-in ones (a test region, a changed route). */
    policies?: readonly Policy[];
  } = {},
): Promise<TestStack & { stop(): Promise<void> }> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'claims-e2e-')));
  const stack = await startOnFreePorts((ports) =>
    start({
      ...ports,
      dataDir,
      demo: opts.demo ?? true,
      retryIntervalScale: 0.01,
      ...(opts.policies ? { policies: opts.policies } : {}),
    }),
  );
  const s3 = new S3Client({
    endpoint: stack.s3Url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...s3LocalCredentials },
  });
  return {
    ...stack,
    dataDir,
    s3,
    async as(username) {
      const signIn = await fetch(`${stack.apiUrl}/local/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username }),
      });
      const { token } = (await signIn.json()) as { token: string };
      return async (method, path, body) => {
        const response = await fetch(`${stack.apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        return { status: response.status, body: parsed };
      };
    },
    async stop() {
      s3.destroy();
      await stack.stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small real JPEG (1x1), made unique by a comment segment. */
export const jpeg = fakeJpeg;

export interface ManifestSpec {
  householdId?: string;
  category?: string;
  expenseDate?: string;
  totalCost?: string;
  reimbursed?: string;
  receipt?: Uint8Array;
  submittedBy?: string;
  /** Replace the manifest bytes entirely. */
  rawManifest?: Uint8Array | string;
  /** Use this claimId (default: a new ULID). */
  claimId?: string;
  /** The grant on record: by default the manifest's household and filer; `null` for none. */
  grant?: { householdId: string; filer: string } | null;
}

export const recentDate = (daysAgo = 3): string => {
  const d = new Date(Date.now() + 8 * 3_600_000 - daysAgo * 86_400_000);
  return d.toISOString().slice(0, 10);
};

/** Uploads a receipt then its manifest straight to S3, as any S3 client (a phone, the AWS CLI) may. */
export async function uploadClaim(
  stack: TestStack,
  spec: ManifestSpec = {},
): Promise<{ claimId: string; key: string }> {
  const claimId = spec.claimId ?? ulid();
  const receipt = spec.receipt ?? jpeg(claimId);
  const receiptKey = `claims/${claimId}/receipt-1.jpg`;
  await stack.s3.send(
    new PutObjectCommand({ Bucket: 'receipts', Key: receiptKey, Body: receipt, ContentType: 'image/jpeg' }),
  );
  const manifest =
    spec.rawManifest ??
    JSON.stringify({
      schemaVersion: 1,
      claimId,
      householdId: spec.householdId ?? 'HH-0001',
      category: spec.category ?? 'education',
      expenseDate: spec.expenseDate ?? recentDate(),
      totalCost: spec.totalCost ?? '15000',
      reimbursed: spec.reimbursed ?? '0',
      receipts: [
        {
          key: receiptKey,
          sha256: createHash('sha256').update(receipt).digest('hex'),
          contentType: 'image/jpeg',
        },
      ],
      submittedBy: spec.submittedBy ?? 'worker1',
    });
  const granted =
    spec.grant === undefined
      ? { householdId: spec.householdId ?? 'HH-0001', filer: spec.submittedBy ?? 'worker1' }
      : spec.grant;
  // Straight into the store, as POST /claims would (on the stack's clock, which may be moved
  // ahead): tests also file for households no worker has.
  // Only a grant the API could have made: never one for an ID number typed as the household.
  const grant = granted
    ? claimGrantSchema.safeParse(claimGrant(claimId, granted.householdId, granted.filer, stack.clock.now()))
    : undefined;
  if (grant?.success) await stack.deps.claims.putGrant(grant.data);
  const key = `claims/${claimId}/manifest.json`;
  await stack.s3.send(
    new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: manifest, ContentType: 'application/json' }),
  );
  return { claimId, key };
}

/**
 * Stores, for a manifest about to be uploaded, the grant POST /claims would have made for the
 * household and filer it names, when those are well-formed; otherwise none.
 */
export async function grantAsManifestSays(stack: TestStack, key: string, body: Uint8Array | string) {
  let manifest: unknown;
  try {
    manifest = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
  } catch {
    return;
  }
  if (typeof manifest !== 'object' || manifest === null) return;
  const { householdId, submittedBy } = manifest as Record<string, unknown>;
  const claimId = /^claims\/([^/]+)\/manifest\.json$/.exec(key)?.[1];
  const grant = claimGrantSchema.safeParse({
    ...claimGrant(claimId ?? '', String(householdId), String(submittedBy), stack.clock.now()),
  });
  if (grant.success) await stack.deps.claims.putGrant(grant.data);
}

/** Polls until the claim leaves RECEIVED/APPROVED (or the deadline passes). */
export async function settled(stack: TestStack, claimId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(claimId);
    if (claim && !['RECEIVED', 'APPROVED'].includes(claim.state)) return claim;
    if (Date.now() > deadline) throw new Error(`claim ${claimId} still ${claim?.state ?? 'missing'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
