import { readFileSync } from 'node:fs';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { CLAIM_GRANT_SECONDS, type ClaimGrant } from '#shared/claim-grant.ts';
import {
  MemoryExports,
  MemoryReceipts,
  MemoryStore,
  RecordingReviews,
  RecordingWorkflows,
  fakeJpeg,
  sha256,
} from '#test/support/memory-store.ts';

export const demoRosterCsv = readFileSync(
  new URL('../../shared/data/demo-roster.csv', import.meta.url),
  'utf8',
);

export class FakeClock {
  constructor(public current = new Date('2026-09-05T02:00:00.000Z')) {}
  now = () => new Date(this.current);
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

let counter = 0;
/** Valid ULIDs, unique within a test run. */
export function nextUlid(): string {
  counter += 1;
  return `01JC${String(counter).padStart(22, '0')}`;
}

export interface World extends StepDeps, ApiDeps {
  readonly store: MemoryStore;
  readonly exportFiles: MemoryExports;
  readonly workflowsLog: RecordingWorkflows;
  readonly bucket: MemoryReceipts;
  readonly reviewsLog: RecordingReviews;
  readonly clockControl: FakeClock;
}

export async function makeWorld(): Promise<World> {
  const store = new MemoryStore();
  await store.put(parseRosterCsv(demoRosterCsv).periods);
  const bucket = new MemoryReceipts();
  const reviewsLog = new RecordingReviews();
  const clockControl = new FakeClock();
  const exportFiles = new MemoryExports(clockControl.now);
  const workflowsLog = new RecordingWorkflows();
  return {
    workflowsLog,
    workflows: workflowsLog,
    exportFiles,
    exports: exportFiles,
    store,
    bucket,
    reviewsLog,
    clockControl,
    claims: store,
    roster: store,
    ledger: store,
    receipts: bucket,
    reviews: reviewsLog,
    clock: { now: clockControl.now },
    fingerprints: sharpFingerprinter(),
    ids: { next: nextUlid },
    uploads: {
      viewUrl: async (key) => `memory://${key}`,
      grant: async (key, contentType, maxBytes) => ({
        key,
        url: 'memory://',
        fields: { key },
        maxBytes,
        contentType,
        expiresAt: '',
      }),
    },
  };
}

export interface ClaimSpec {
  householdId?: string;
  category?: string;
  expenseDate?: string;
  totalCost?: string;
  reimbursed?: string;
  receipt?: Uint8Array;
  /** The receipt's type (default image/jpeg). */
  contentType?: 'image/jpeg' | 'image/png' | 'application/pdf';
  submittedBy?: string;
  claimId?: string;
  /** The grant on record: by default the manifest's household and filer; `null` for none. */
  grant?: { householdId: string; filer: string } | null;
}

/** A grant as the API stores it, valid for ten minutes from `at`. */
export function claimGrant(claimId: string, householdId: string, filer: string, at: Date): ClaimGrant {
  return {
    claimId,
    householdId,
    filer,
    grantedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + CLAIM_GRANT_SECONDS * 1000).toISOString(),
  };
}

/** Uploads a receipt and a manifest the way a phone would; returns the manifest key. */
export function upload(world: World, spec: ClaimSpec = {}): { claimId: string; key: string } {
  const claimId = spec.claimId ?? nextUlid();
  const receipt = spec.receipt ?? fakeJpeg(claimId);
  const contentType = spec.contentType ?? 'image/jpeg';
  const receiptKey = `claims/${claimId}/receipt-1.${{ 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[contentType]}`;
  world.bucket.put(receiptKey, receipt);
  const manifest = {
    schemaVersion: 1,
    claimId,
    householdId: spec.householdId ?? 'HH-0001',
    category: spec.category ?? 'education',
    expenseDate: spec.expenseDate ?? '2026-09-01',
    totalCost: spec.totalCost ?? '15000',
    reimbursed: spec.reimbursed ?? '0',
    receipts: [{ key: receiptKey, sha256: sha256(receipt), contentType }],
    submittedBy: spec.submittedBy ?? 'worker1',
  };
  const granted =
    spec.grant === undefined
      ? { householdId: manifest.householdId, filer: manifest.submittedBy }
      : spec.grant;
  if (granted)
    world.store.grants.set(
      claimId,
      claimGrant(claimId, granted.householdId, granted.filer, world.clockControl.now()),
    );
  const key = `claims/${claimId}/manifest.json`;
  world.bucket.put(key, JSON.stringify(manifest));
  return { claimId, key };
}

/** A stored claim with every field set (an education claim of HH-0001 filed by worker1), for adapter tests. */
export function claimRecord(over: Partial<ClaimRecord> = {}): ClaimRecord {
  const at = over.createdAt ?? '2026-09-05T02:00:00.000Z';
  return {
    claimId: nextUlid(),
    householdId: 'HH-0001',
    category: 'education',
    expenseDate: '2026-09-01',
    totalCostFen: 1_500_000,
    reimbursedFen: 0,
    receipts: [],
    submittedBy: 'worker1',
    gridWorker: 'worker1',
    region: 'demo',
    village: '红星村',
    state: 'RECEIVED',
    gates: {},
    gateTokens: {},
    manifestSha256: null,
    filedAt: at,
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...over,
  };
}

/** The stored claim, or a failed test when it is missing. */
export async function claimOf(world: Pick<World, 'store'>, claimId: string): Promise<ClaimRecord> {
  const c = await world.store.get(claimId);
  if (!c) throw new Error('claim missing');
  return c;
}
