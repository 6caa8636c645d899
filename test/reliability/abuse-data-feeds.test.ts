// A hostile or careless user against the departments' data feeds (医保/学费): who may start a feed
// job, what a file's cells may smuggle into stored records, claims and reports, people on no
// household, the same records twice (one file, two files at once, reordered), corrections racing
// a payout, amounts and dates out of range, manifests posing as feed claims, and a receipt claim
// and a department record for the same stay. Each attack is a test that fails if it gets through.
import { describe, expect, it } from 'vitest';
import { memoryWorld, upload, type MemoryWorld } from '#cli/local/world.ts';
import { MemoryJobFiles, MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { chunkRefSchema, feedJobKind, newJob, type BulkJob } from '#shared/bulk-job.ts';
import { finishImport, importChunks, startImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { createImport } from '#shared/api/import-api.ts';
import type { Principal } from '#shared/access.ts';
import type { Role } from '#shared/vocabulary.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { recentDate, startLocalStack } from '#cli/local/scratch-stack.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { toMembersCsv } from '#shared/members.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import {
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';

const NOW = new Date('2026-03-01T02:00:00Z');
const clock = { now: () => NOW };
const HOUSEHOLD = 'HH-FA00001';
const OTHER = 'HH-FA00002';
/** A demo household of the local stack's region that takes medical feeds. */
const STACK_HOUSEHOLD = 'HH-F003';

function idNumber(n: number): string {
  const body = `430381${String(19700101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}
const HEAD_ID = idNumber(11);
const CHILD_ID = idNumber(12);
const OTHER_HEAD_ID = idNumber(13);
const STRANGER_ID = idNumber(14);
const THIRD = 'HH-FA00003';
const THIRD_HEAD_ID = idNumber(15);
const FOURTH = 'HH-FA00004';
const FOURTH_HEAD_ID = idNumber(16);
const CHILD_NAME = '张小明';
const STRANGER_NAME = '陌生人甲';

function period(householdId: string, id: string, overrides: Partial<RosterPeriod> = {}): RosterPeriod {
  return {
    householdId,
    region: 'demo-fund',
    village: '红星村',
    headName: '张大山',
    idNumber: id,
    members: 3,
    status: 'out_of_poverty',
    statusFrom: '2025-06-01',
    gridWorker: 'worker1',
    bankAccount: '6230900000000000077',
    annualIncomeFen: 3_000_000,
    ...overrides,
  };
}

let ulids = 0;
const ulid = (prefix: string) => `${prefix}${String(++ulids).padStart(26 - prefix.length, '0')}`;

type World = Omit<MemoryWorld, 'claims'> & ImportDeps & { jobs: MemoryJobs; files: MemoryJobFiles };

async function world(): Promise<World> {
  const base = await memoryWorld({ clock, ids: { next: () => ulid('01JF') } });
  const { store } = base;
  await store.storeHouseholds([
    { householdId: HOUSEHOLD, idNumber: HEAD_ID, periods: [period(HOUSEHOLD, HEAD_ID)] },
    // Another region: its policy takes no feeds.
    {
      householdId: OTHER,
      idNumber: OTHER_HEAD_ID,
      periods: [period(OTHER, OTHER_HEAD_ID, { region: 'demo' })],
    },
  ]);
  await store.storeMembers([
    { householdId: HOUSEHOLD, idNumber: HEAD_ID, name: '张大山', relation: 'head' },
    { householdId: HOUSEHOLD, idNumber: CHILD_ID, name: CHILD_NAME, relation: 'child' },
  ]);
  return {
    ...base,
    claims: store,
    jobs: new MemoryJobs(),
    files: new MemoryJobFiles(),
    warnings: store,
  };
}

const stepDeps = (w: World): StepDeps => ({ ...w, claims: w.store }) as unknown as StepDeps;

const HEADER =
  'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed';

interface Stay {
  id: string;
  person?: string;
  name?: string;
  hospital?: string;
  total: string;
  basic: string;
  date?: string;
}

const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function medicalCsv(stays: readonly Stay[]): string {
  const rows = stays.map((s) => {
    const date = s.date ?? '2026-02-10';
    return [
      s.id,
      s.person ?? CHILD_ID,
      s.name ?? CHILD_NAME,
      s.hospital ?? '县人民医院',
      date,
      date,
      date,
      s.total,
      s.basic,
      '0',
      '0',
      '0',
    ]
      .map(cell)
      .join(',');
  });
  return [HEADER, ...rows].join('\r\n') + '\r\n';
}

async function newFeedJob(w: World, by = 'insurer1'): Promise<BulkJob> {
  const job = newJob(feedJobKind('medical'), ulid('01JJ'), by, clock.now().toISOString());
  await w.jobs.create(job);
  return job;
}

/** A whole feed job, as the workflow runs it. */
async function runFile(w: World, csv: string): Promise<BulkJob> {
  const job = await newFeedJob(w);
  await w.files.write(job.fileKey, csv, 'text/csv');
  await runJob(w, job);
  return done(w, job.jobId);
}

async function runJob(w: World, job: BulkJob): Promise<void> {
  const started = await startImport(w, { key: job.fileKey });
  if (started.outcome === 'run' && started.chunksKey) {
    const chunks = (w.files.text(started.chunksKey) ?? '')
      .split('\n')
      .map((l) => chunkRefSchema.parse(JSON.parse(l)));
    await importChunks(w, { Items: chunks, BatchInput: { jobId: job.jobId } });
    await finishImport(w, { jobId: job.jobId });
  }
}

async function done(w: World, jobId: string): Promise<BulkJob> {
  const job = await w.jobs.get(jobId);
  if (!job) throw new Error('job lost');
  return job;
}

const feedClaims = (w: World): ClaimRecord[] =>
  [...w.store.claimsById.values()].filter((c) => c.source === 'data-feed');

async function rejectedRows(w: World, jobId: string) {
  return (await w.jobs.batches(jobId)).flatMap((b) => b.rejected).sort((a, b) => a.row - b.row);
}

async function outcomes(w: World, jobId: string) {
  const sum: Record<string, number> = {};
  for (const b of await w.jobs.batches(jobId))
    for (const [k, n] of Object.entries(b.outcomes ?? {})) sum[k] = (sum[k] ?? 0) + n;
  return sum;
}

/**
 * Everything kept after a job, but the roster's own tables (which hold its people by design)
 * and the job's uploaded file and work chunks (which expire): records, claims, history,
 * evidence, burdens, counters, ledger, jobs, batches, error reports, opened lists, workflow runs.
 */
function keptText(w: World): string {
  const s = w.store;
  const files = [...w.files.objects.entries()]
    // The upload and the checked rows' work files expire (they hold ID numbers by design).
    .filter(([key]) => !key.endsWith('/file.csv') && !key.includes('/chunks'))
    .map(([key, f]) => `${key}\n${new TextDecoder().decode(f.body)}`);
  return JSON.stringify([
    [...s.feedRecords.entries()],
    [...s.householdFeedKeys.entries()].map(([k, v]) => [k, [...v]]),
    [...s.claimsById.entries()],
    [...s.events.entries()],
    [...s.evidence.entries()].map(([k, v]) => [k, [...v.entries()]]),
    [...s.householdBurdens.entries()].map(([k, v]) => [k, [...v.entries()]]),
    [...s.counted.entries()],
    [...s.caps.entries()],
    [...s.ledger.entries()],
    [...w.jobs.jobs.entries()],
    [...w.jobs.batchResults.entries()],
    [...w.jobs.files.entries()],
    w.workflowsLog.started,
    w.reviewsLog.started,
    files,
  ]);
}

describe('who may start a feed job', () => {
  const principal = (username: string, ...roles: Role[]): Principal => ({ username, roles });
  it.each([
    ['worker1', 'gridWorker'],
    ['village1', 'villageVerifier'],
    ['finance1', 'finance'],
    ['auditor1', 'auditor'],
  ] as const)('%s (%s) is refused, and no job is created', async (username, role) => {
    const w = await world();
    for (const kind of ['medical-feed', 'education-feed']) {
      await expect(
        createImport({ ...w, uploads: w.uploads } as never, principal(username, role), { kind }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(w.jobs.jobs.size).toBe(0);
  });

  it.each([
    ['admin1', 'admin'],
    ['insurer1', 'insurer'],
  ] as const)('%s (%s) may', async (username, role) => {
    const w = await world();
    const { job } = await createImport({ ...w, uploads: w.uploads } as never, principal(username, role), {
      kind: 'medical-feed',
    });
    expect(job).toMatchObject({ kind: 'medical-feed' });
  });
});

describe('cells that smuggle things in', () => {
  const hostile: { label: string; stay: Partial<Stay> }[] = [
    { label: 'a formula recordId', stay: { id: '=HYPERLINK("http://x","y")' } },
    { label: 'a formula hospital', stay: { hospital: '=cmd|" /C calc"!A0' } },
    { label: 'a formula hospital after a plus', stay: { hospital: '+1+1' } },
    { label: 'a formula name', stay: { name: '@SUM(A1)' } },
    { label: 'a bidi override in the recordId', stay: { id: 'YB\u202E1001' } },
    { label: 'a zero-width space in the recordId', stay: { id: 'YB\u200B1002' } },
    { label: 'a bidi override in the hospital', stay: { hospital: '县人民医院\u202E院医' } },
    { label: 'a zero-width joiner in the hospital', stay: { hospital: '县人民\u200D医院' } },
    { label: 'a line separator in the hospital', stay: { hospital: '县人民医院\u2028第二行' } },
    { label: 'a 10,000-character recordId', stay: { id: 'Y'.repeat(10_000) } },
    { label: 'a 10,000-character hospital', stay: { hospital: '医'.repeat(10_000) } },
    { label: 'a 10,000-character name', stay: { name: '名'.repeat(10_000) } },
    { label: 'an ID number as the recordId', stay: { id: CHILD_ID } },
    { label: 'an ID number inside the recordId', stay: { id: `YB-${CHILD_ID}` } },
    { label: "another person's ID number inside the recordId", stay: { id: `YB${STRANGER_ID}` } },
    { label: 'an ID number as the hospital', stay: { hospital: CHILD_ID } },
    { label: 'an ID number inside the hospital', stay: { hospital: `县人民医院${HEAD_ID}号` } },
  ];

  it.each(hostile)('$label: the row is refused and the cell is kept nowhere', async ({ stay }) => {
    const w = await world();
    const row: Stay = { id: 'YB-OK-1', total: '3000.00', basic: '1000.00', ...stay };
    const job = await runFile(w, medicalCsv([row, { id: 'YB-OK-2', total: '100.00', basic: '0' }]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 1, imported: 1 });
    const [rejection, ...more] = await rejectedRows(w, job.jobId);
    expect(more).toEqual([]);
    expect(rejection?.row).toBe(2);
    expect(w.store.feedRecords.size).toBe(1);
    const kept = keptText(w);
    expect(kept).toContain('errors.csv');
    for (const secret of [stay.id, stay.hospital, stay.name].filter((v): v is string => !!v))
      expect(kept.includes(secret)).toBe(false);
    for (const secret of [CHILD_ID, HEAD_ID, STRANGER_ID, CHILD_NAME]) expect(kept).not.toContain(secret);
    // The error report names the column and the reason, never the cell.
    const report = w.files.text(job.errorReportKey ?? '') ?? '';
    expect(report).not.toBe('');
    for (const secret of [stay.id, stay.hospital, stay.name].filter((v): v is string => !!v))
      expect(report.includes(secret)).toBe(false);
  });

  it('a long numeric recordId that holds no ID number is taken', async () => {
    const w = await world();
    const job = await runFile(
      w,
      medicalCsv([{ id: '20260210000000012345678', total: '100.00', basic: '0' }]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 0, imported: 1 });
  });
});

describe('a tuition file', () => {
  const header = 'recordId,idNumber,name,school,term,paymentDate,tuition,aid';
  it.each([
    ['an ID number in the term', { term: `2025秋${CHILD_ID}` }],
    ['an ID number as the school', { school: CHILD_ID }],
    ['a bidi override in the school', { school: '县一中\u202E中一县' }],
    ['a zero-width space in the term', { term: '2025\u200B秋' }],
    ['a formula term', { term: '=1+1' }],
    ['a payment date in the future', { date: '2026-09-01' }],
  ] as const)('%s: the row is refused and kept nowhere', async (_label, over) => {
    const w = await world();
    const row = { school: '县一中', term: '2025秋', date: '2026-02-01', ...over };
    const csv =
      [
        header,
        ['XF-1', CHILD_ID, CHILD_NAME, row.school, row.term, row.date, '6000.00', '1000.00']
          .map(cell)
          .join(','),
      ].join('\r\n') + '\r\n';
    const job = newJob(feedJobKind('education'), ulid('01JJ'), 'insurer1', clock.now().toISOString());
    await w.jobs.create(job);
    await w.files.write(job.fileKey, csv, 'text/csv');
    await runJob(w, job);
    expect(await done(w, job.jobId)).toMatchObject({ status: 'SUCCEEDED', rejected: 1, imported: 0 });
    expect(w.store.feedRecords.size).toBe(0);
    const kept = keptText(w);
    for (const secret of [CHILD_ID, CHILD_NAME, ...Object.values(over)])
      expect(kept.includes(secret)).toBe(false);
  });
});

describe('people on no household', () => {
  it('leave nothing about them anywhere once the job is done', async () => {
    const w = await world();
    const job = await runFile(
      w,
      medicalCsv([
        {
          id: 'YB-S-1',
          person: STRANGER_ID,
          name: STRANGER_NAME,
          hospital: '省肿瘤医院',
          total: '90000.00',
          basic: '1000.00',
        },
        { id: 'YB-S-2', person: STRANGER_ID, name: STRANGER_NAME, total: '5.00', basic: '0' },
        // A household of a region whose policy takes no feeds: matched, not stored.
        { id: 'YB-O-1', person: OTHER_HEAD_ID, total: '90000.00', basic: '0' },
      ]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 0, claimsOpened: 0 });
    expect(await outcomes(w, job.jobId)).toMatchObject({
      records: 3,
      unmatched: 2,
      matched: 1,
      notCovered: 1,
    });
    expect(w.store.feedRecords.size).toBe(0);
    expect(feedClaims(w)).toEqual([]);
    const kept = keptText(w);
    for (const secret of [
      STRANGER_ID,
      STRANGER_NAME,
      'YB-S-1',
      'YB-S-2',
      '省肿瘤医院',
      'YB-O-1',
      OTHER_HEAD_ID,
    ])
      expect(kept).not.toContain(secret);
    expect(w.store.householdBurdens.get('demo')?.get(OTHER)).toBeUndefined();
  });
});

describe('the same records again', () => {
  const stays: Stay[] = [
    { id: 'YB-D-1', total: '20000.00', basic: '11000.00', date: '2026-02-03' },
    { id: 'YB-D-2', total: '10000.00', basic: '3000.00', date: '2026-02-17' },
    { id: 'YB-D-3', person: HEAD_ID, total: '500.00', basic: '100.00', date: '2026-02-18' },
  ];

  it('the same record id twice in one file counts once', async () => {
    const w = await world();
    const job = await runFile(
      w,
      medicalCsv([stays[0]!, { ...stays[0]!, total: '90000.00' }, stays[1]!, { ...stays[1]! }]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 2, claimsOpened: 1 });
    const [claim, ...more] = feedClaims(w);
    expect(more).toEqual([]);
    expect(claim).toMatchObject({
      feedRecords: ['medical:YB-D-1', 'medical:YB-D-2'],
      totalCostFen: 3_000_000,
    });
  });

  it('the same bytes twice are refused, the same rows reordered add nothing', async () => {
    const w = await world();
    const first = await runFile(w, medicalCsv(stays));
    expect(first).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 1 });
    const again = await runFile(w, medicalCsv(stays));
    expect(again).toMatchObject({ status: 'DUPLICATE_FILE', duplicateOf: first.jobId });
    const before = JSON.stringify([...w.store.feedRecords.entries()]);
    const reordered = await runFile(w, medicalCsv([...stays].reverse()));
    expect(reordered).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 0, rejected: 0 });
    expect(await outcomes(w, reordered.jobId)).toMatchObject({
      repeated: 3,
      corrected: 0,
      pending: 0,
      counted: 0,
    });
    expect(JSON.stringify([...w.store.feedRecords.entries()])).toBe(before);
    expect(feedClaims(w)).toHaveLength(1);
  });

  it('two files with the same records imported at the same time count them once, one claim at most', async () => {
    for (let round = 0; round < 4; round++) {
      const w = await world();
      const a = await newFeedJob(w);
      const b = await newFeedJob(w, 'admin1');
      await w.files.write(a.fileKey, medicalCsv(stays), 'text/csv');
      // Another file: the same records (reordered) and one more.
      await w.files.write(
        b.fileKey,
        medicalCsv([stays[2]!, stays[1]!, stays[0]!, { id: 'YB-D-4', total: '10.00', basic: '0' }]),
        'text/csv',
      );
      const racers = [runJob(w, a), runJob(w, b)];
      if (round % 2 === 1) racers.reverse();
      await Promise.all(racers);
      const claims = feedClaims(w);
      const keys = claims.flatMap((c) => c.feedRecords ?? []);
      expect(new Set(keys).size).toBe(keys.length);
      // The records both files hold are on one claim, opened once.
      expect(claims.filter((c) => c.feedRecords?.includes('medical:YB-D-1'))).toHaveLength(1);
      const records = await w.store.householdRecords(HOUSEHOLD);
      expect(records.map((r) => r.recordId).sort()).toEqual(['YB-D-1', 'YB-D-2', 'YB-D-3', 'YB-D-4']);
      expect(records.filter((r) => r.state === 'pending')).toEqual([]);
      // The counted total holds each counted record once.
      const countedFen = records.filter((r) => r.state === 'counted').reduce((s, r) => s + r.selfPaidFen, 0);
      expect((await w.store.capCounter(HOUSEHOLD, 2026, 'medical')).countedFen).toBe(countedFen);
    }
  });
});

describe('amounts and dates out of range', () => {
  it.each([
    ['a negative total', { total: '-100.00', basic: '0' }],
    ['a negative reimbursement', { total: '100.00', basic: '-1.00' }],
    ['a total past the largest amount', { total: '10000000.01', basic: '0' }],
    ['a total past the safe integers', { total: '99999999999999999999', basic: '0' }],
    ['a total in exponent form', { total: '1e20', basic: '0' }],
    ['a reimbursement above the total', { total: '100.00', basic: '100.01' }],
    ['three decimals', { total: '100.001', basic: '0' }],
    ['a settlement date in the future', { total: '3000.00', basic: '0', date: '2026-12-31' }],
    ['a settlement date far in the future', { total: '3000.00', basic: '0', date: '2099-01-01' }],
  ] as const)('%s is refused and changes no total', async (_label, stay) => {
    const w = await world();
    const job = await runFile(w, medicalCsv([{ id: 'YB-R-1', ...stay }]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 1, imported: 0, claimsOpened: 0 });
    expect(w.store.feedRecords.size).toBe(0);
    expect([...w.store.counted.values()].every((v) => v === 0)).toBe(true);
  });

  it('the largest amounts on many records add up exactly, with no overflow', async () => {
    const w = await world();
    const many = Array.from({ length: 120 }, (_, i) => ({
      id: `YB-BIG-${i}`,
      total: '10000000.00',
      basic: '0',
      date: '2026-02-10',
    }));
    const job = await runFile(w, medicalCsv(many));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rejected: 0, claimsOpened: 1 });
    const [claim] = feedClaims(w);
    expect(claim?.totalCostFen).toBe(120 * 1_000_000_000);
    expect(Number.isSafeInteger(claim?.totalCostFen)).toBe(true);
  });

  it('zero amounts are kept as nothing self-paid, and open no claim', async () => {
    const w = await world();
    const job = await runFile(w, medicalCsv([{ id: 'YB-Z-1', total: '0', basic: '0' }]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 0 });
    expect((await w.store.capCounter(HOUSEHOLD, 2026, 'medical')).countedFen).toBe(0);
  });

  it('a bill of a day the household was off the roster, or not yet on it, counts nowhere', async () => {
    const w = await world();
    await w.store.storeHouseholds([
      {
        householdId: THIRD,
        idNumber: THIRD_HEAD_ID,
        periods: [
          period(THIRD, THIRD_HEAD_ID),
          period(THIRD, THIRD_HEAD_ID, { status: 'removed', statusFrom: '2026-02-01' }),
        ],
      },
      {
        householdId: FOURTH,
        idNumber: FOURTH_HEAD_ID,
        periods: [period(FOURTH, FOURTH_HEAD_ID, { statusFrom: '2026-02-20' })],
      },
    ]);
    const job = await runFile(
      w,
      medicalCsv([
        { id: 'YB-OFF-1', person: THIRD_HEAD_ID, total: '3000.00', basic: '0', date: '2026-02-10' },
        { id: 'YB-OFF-2', person: FOURTH_HEAD_ID, total: '3000.00', basic: '0', date: '2026-02-10' },
      ]),
    );
    expect(await outcomes(w, job.jobId)).toMatchObject({ matched: 2, notCovered: 2, counted: 0 });
    expect(w.store.feedRecords.size).toBe(0);
    expect((await w.store.capCounter(THIRD, 2026, 'medical')).countedFen).toBe(0);
    expect((await w.store.capCounter(FOURTH, 2026, 'medical')).countedFen).toBe(0);
  });

  it('a date before the policy period opens nothing and counts nowhere', async () => {
    const w = await world();
    const job = await runFile(
      w,
      medicalCsv([{ id: 'YB-OLD-1', total: '90000.00', basic: '0', date: '1999-05-01' }]),
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', claimsOpened: 0 });
    expect(w.store.feedRecords.size).toBe(0);
    expect(feedClaims(w)).toEqual([]);
  });
});

describe('manifests posing as data-feed claims', () => {
  it("a grid worker's manifest under a data-feed claim's id changes nothing", async () => {
    const w = await world();
    await runFile(
      w,
      medicalCsv([
        { id: 'YB-M-1', total: '20000.00', basic: '11000.00' },
        { id: 'YB-M-2', total: '10000.00', basic: '3000.00' },
      ]),
    );
    const [claim] = feedClaims(w);
    expect(claim).toBeDefined();
    const before = JSON.stringify([claim, await w.store.history(claim!.claimId)]);
    const { key } = upload(w, {
      claimId: claim!.claimId,
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-02-10',
      totalCost: '900000',
      reimbursed: '0',
      submittedBy: 'worker1',
    });
    await validateClaim(stepDeps(w), { bucket: 'receipts', key });
    const after = await w.store.get(claim!.claimId);
    expect(JSON.stringify([after, await w.store.history(claim!.claimId)])).toBe(before);
    expect(after?.receipts).toEqual([]);
  });

  it('a receipt manifest naming source or feedRecords is refused and becomes no data-feed claim', async () => {
    const w = await world();
    await runFile(w, medicalCsv([{ id: 'YB-H-1', total: '3000.00', basic: '1000.00' }]));
    for (const extra of [
      { source: 'data-feed' },
      { feedRecords: ['medical:YB-H-1'] },
      { source: 'data-feed', feedRecords: ['medical:YB-H-1'] },
    ]) {
      const { claimId, key } = upload(w, {
        householdId: HOUSEHOLD,
        category: 'medical',
        expenseDate: '2026-02-10',
      });
      const manifest = JSON.parse(new TextDecoder().decode(w.bucket.objects.get(key))) as object;
      w.bucket.put(key, JSON.stringify({ ...manifest, ...extra }));
      await runAssessSteps(stepDeps(w), key);
      const stored = await w.store.get(claimId);
      expect(stored).toMatchObject({ state: 'REJECTED', reason: 'INVALID_MANIFEST' });
      expect(stored?.source).not.toBe('data-feed');
      expect(stored?.feedRecords).toBeUndefined();
    }
    // The record is still the feed's own, counted, on no claim.
    expect(w.store.feedRecords.get('medical:YB-H-1')).toMatchObject({ state: 'counted' });
    expect(w.store.feedRecords.get('medical:YB-H-1')?.claimId).toBeUndefined();
  });
});

/** worker1's receipt for the household's stay on 2026-02-10. */
const receipt = (w: World, total: string, reimbursed: string) =>
  upload(w, {
    householdId: HOUSEHOLD,
    category: 'medical',
    expenseDate: '2026-02-10',
    totalCost: total,
    reimbursed,
    submittedBy: 'worker1',
  });

describe('a receipt claim and a department record for the same stay', () => {
  async function assessFeedClaim(w: World, claimId: string) {
    const deps = stepDeps(w);
    const checked = await checkDuplicates(deps, { claimId });
    return checked.outcome === 'continue'
      ? (await assessClaimStep(deps, { claimId })).outcome
      : checked.outcome;
  }

  it('record first (counted below the threshold), receipt after: the receipt is not paid automatically', async () => {
    const w = await world();
    await runFile(w, medicalCsv([{ id: 'YB-SAME-1', total: '8000.00', basic: '2000.00' }]));
    expect(w.store.feedRecords.get('medical:YB-SAME-1')).toMatchObject({ state: 'counted' });
    const { claimId, key } = receipt(w, '8000', '2000');
    const outcome = await runAssessSteps(stepDeps(w), key);
    expect(outcome).not.toBe('approved');
    const claim = await w.store.get(claimId);
    expect(claim?.state).not.toBe('PAID');
    expect(claim?.possibleDuplicates?.length ?? 0).toBeGreaterThan(0);
    expect(await w.store.ledgerEntry(claimId)).toBeUndefined();
  });

  it('receipt first (paid), record after: the feed claim is marked as a possible duplicate', async () => {
    const w = await world();
    const { claimId } = receipt(w, '30000', '14000');
    const first = await runAssessSteps(stepDeps(w), `claims/${claimId}/manifest.json`);
    // Approved automatically (posted first, then paid).
    expect(['approved', 'notice']).toContain(first);
    await runFile(w, medicalCsv([{ id: 'YB-SAME-2', total: '30000.00', basic: '14000.00' }]));
    const [feed] = feedClaims(w);
    expect(feed).toBeDefined();
    await assessFeedClaim(w, feed!.claimId);
    const after = await w.store.get(feed!.claimId);
    expect(after?.state).not.toBe('PAID');
    expect(after?.possibleDuplicates).toEqual([expect.objectContaining({ claimId, by: 'feed' })]);
  });

  it('receipt first (below the threshold, counted), record after: the feed claim is marked too', async () => {
    const w = await world();
    const { claimId } = receipt(w, '20000', '11000');
    const first = await runAssessSteps(stepDeps(w), `claims/${claimId}/manifest.json`);
    expect(first).toBe('rejected');
    expect(await w.store.get(claimId)).toMatchObject({ state: 'REJECTED', reason: 'BELOW_THRESHOLD' });
    // The same stay again from the department: 9,000 + 9,000 would pass the threshold.
    await runFile(w, medicalCsv([{ id: 'YB-SAME-3', total: '20000.00', basic: '11000.00' }]));
    const [feed] = feedClaims(w);
    expect(feed).toBeDefined();
    await assessFeedClaim(w, feed!.claimId);
    const after = await w.store.get(feed!.claimId);
    expect(after?.possibleDuplicates).toEqual([expect.objectContaining({ claimId, by: 'feed' })]);
  });
});

describe('a receipt claim counted below the threshold and the same stay from a department', () => {
  it('the record is not silently counted a second time', async () => {
    const w = await world();
    const { claimId, key } = receipt(w, '5000', '2000');
    expect(await runAssessSteps(stepDeps(w), key)).toBe('rejected');
    expect(await w.store.get(claimId)).toMatchObject({ state: 'REJECTED', reason: 'BELOW_THRESHOLD' });
    expect((await w.store.capCounter(HOUSEHOLD, 2026, 'medical')).countedFen).toBe(300_000);
    await runFile(w, medicalCsv([{ id: 'YB-TWICE-1', total: '5000.00', basic: '2000.00' }]));
    // Either not counted again, or counted only through a claim people look at as a duplicate.
    expect((await w.store.capCounter(HOUSEHOLD, 2026, 'medical')).countedFen).toBe(300_000);
    const [feed] = feedClaims(w);
    expect(feed).toBeDefined();
    const deps = stepDeps(w);
    expect(await checkDuplicates(deps, { claimId: feed!.claimId })).toMatchObject({ outcome: 'continue' });
    expect((await w.store.get(feed!.claimId))?.possibleDuplicates).toEqual([
      expect.objectContaining({ claimId, by: 'feed' }),
    ]);
  });
});

describe('a receipt claim checked while the same stay arrives from a department', () => {
  it('the record waits for a claim marked as a possible duplicate, not counted beside the receipt', async () => {
    const w = await world();
    const { claimId, key } = receipt(w, '5000', '2000');
    const deps = stepDeps(w);
    // The receipt is validated and checked for duplicates (nothing from the department yet)...
    expect(await validateClaim(deps, { bucket: 'receipts', key })).toMatchObject({ outcome: 'continue' });
    expect(await checkDuplicates(deps, { claimId })).toMatchObject({ outcome: 'continue' });
    // ...then the department's file lands before the receipt is assessed.
    await runFile(w, medicalCsv([{ id: 'YB-RACE-1', total: '5000.00', basic: '2000.00' }]));
    expect(w.store.feedRecords.get('medical:YB-RACE-1')?.state).not.toBe('counted');
    expect((await w.store.capCounter(HOUSEHOLD, 2026, 'medical')).countedFen).toBe(0);
    await assessClaimStep(deps, { claimId });
    const [feed] = feedClaims(w);
    expect(feed).toBeDefined();
    expect(await checkDuplicates(deps, { claimId: feed!.claimId })).toMatchObject({ outcome: 'continue' });
    expect((await w.store.get(feed!.claimId))?.possibleDuplicates).toEqual([
      expect.objectContaining({ claimId, by: 'feed' }),
    ]);
  });
});

describe('a record id sent again for a person of another household', () => {
  it('does not move the record, its claim or its total to the other household', async () => {
    const w = await world();
    await w.store.storeHouseholds([
      { householdId: THIRD, idNumber: THIRD_HEAD_ID, periods: [period(THIRD, THIRD_HEAD_ID)] },
    ]);
    await runFile(
      w,
      medicalCsv([
        { id: 'YB-X-1', total: '20000.00', basic: '11000.00' },
        { id: 'YB-X-2', total: '10000.00', basic: '3000.00' },
        { id: 'YB-X-3', person: HEAD_ID, total: '1000.00', basic: '0', date: '2026-01-05' },
      ]),
    );
    const [claim] = feedClaims(w);
    expect(claim).toMatchObject({ householdId: HOUSEHOLD, state: 'RECEIVED' });
    const job = await runFile(
      w,
      medicalCsv([{ id: 'YB-X-2', person: THIRD_HEAD_ID, total: '10000.00', basic: '2000.00' }]),
    );
    expect(await rejectedRows(w, job.jobId)).toEqual([
      expect.objectContaining({
        row: 2,
        reasons: [expect.objectContaining({ code: 'FEED_RECORD_MOVED' })],
      }),
    ]);
    expect(await w.store.get(claim!.claimId)).toMatchObject({ state: 'RECEIVED' });
    for (const id of ['YB-X-1', 'YB-X-2'])
      expect(w.store.feedRecords.get(`medical:${id}`)).toMatchObject({
        householdId: HOUSEHOLD,
        claimId: claim!.claimId,
      });
    expect(await w.store.householdRecords(THIRD)).toEqual([]);
    expect((await w.store.capCounter(THIRD, 2026, 'medical')).countedFen).toBe(0);
    expect(feedClaims(w)).toHaveLength(1);
  });
});

describe('a correction racing the payout', () => {
  it('never pays a claim on the old figures and also opens one on the new', async () => {
    const outcomesSeen = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const w = await world();
      await runFile(
        w,
        medicalCsv([
          { id: 'YB-C-1', total: '20000.00', basic: '11000.00' },
          { id: 'YB-C-2', total: '10000.00', basic: '3000.00' },
        ]),
      );
      const [claim] = feedClaims(w);
      const deps = stepDeps(w);
      expect(await checkDuplicates(deps, { claimId: claim!.claimId })).toMatchObject({ outcome: 'continue' });
      await assessClaimStep(deps, { claimId: claim!.claimId });
      // Approved by the village and posted; the notice is over: the payout is due now.
      const assessed = (await w.store.get(claim!.claimId))!;
      expect(assessed.assessment).toBeDefined();
      w.store.claimsById.set(claim!.claimId, {
        ...assessed,
        state: 'NOTICE',
        noticeEndsAt: '2026-02-28T00:00:00.000Z',
        version: assessed.version,
      });
      // The payout starts at the correction's `at`-th read of the claim (0: before it starts),
      // so every step of the correction meets a payout in flight.
      const at = round;
      let reads = 0;
      let payout: Promise<unknown> | undefined;
      const startPayout = () => (payout ??= recordPayout(deps, { claimId: claim!.claimId }));
      const get = w.store.get.bind(w.store);
      w.store.get = async (id: string) => {
        if (id === claim!.claimId && ++reads === at) startPayout();
        return get(id);
      };
      if (at === 0) startPayout();
      const correction = runFile(w, medicalCsv([{ id: 'YB-C-2', total: '12000.00', basic: '3000.00' }]));
      const job = await correction;
      await startPayout();
      w.store.get = get;
      outcomesSeen.add((await get(claim!.claimId))?.state ?? 'none');
      const old = await w.store.get(claim!.claimId);
      const others = feedClaims(w).filter((c) => c.claimId !== claim!.claimId);
      if (old?.state === 'PAID') {
        // Paid on the old figures: the correction is reported, nothing reopened.
        expect(others).toEqual([]);
        expect(await rejectedRows(w, job.jobId)).toEqual([
          expect.objectContaining({
            reasons: [expect.objectContaining({ code: 'FEED_RECORD_CORRECTED_LATE' })],
          }),
        ]);
        expect(w.store.feedRecords.get('medical:YB-C-2')).toMatchObject({
          state: 'claimed',
          claimId: claim!.claimId,
          selfPaidFen: 700_000,
        });
      } else {
        expect(old).toMatchObject({ state: 'REJECTED', reason: 'RECORD_CORRECTED' });
        expect(await w.store.ledgerEntry(claim!.claimId)).toBeUndefined();
        expect(others).toHaveLength(1);
        expect(w.store.feedRecords.get('medical:YB-C-2')).toMatchObject({
          claimId: others[0]!.claimId,
          selfPaidFen: 900_000,
        });
      }
      // One payout at most for the stays, whichever won.
      const paid = [...w.store.ledger.values()].filter((e) => e.householdId === HOUSEHOLD);
      expect(paid.length).toBeLessThanOrEqual(1);
    }
    // Both ends of the race were met: the payout first, and the correction first.
    expect([...outcomesSeen].sort()).toEqual(['PAID', 'REJECTED']);
  });
});

describe('on the local stack: the API, the stored items, the files and the logs', () => {
  it('refuses feed jobs to other roles and keeps nothing personal of a hostile file', async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    const logged: string[] = [];
    const capture =
      (write: typeof process.stdout.write) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = capture(out) as typeof process.stdout.write;
    process.stderr.write = capture(err) as typeof process.stderr.write;
    const stack = await startLocalStack();
    try {
      for (const user of ['worker1', 'village1', 'finance1']) {
        const call = await stack.as(user);
        for (const kind of ['medical-feed', 'education-feed']) {
          const refused = await call('POST', '/imports', { kind });
          expect(refused.status).toBe(403);
        }
      }

      const [head] = await stack.deps.roster.periods(STACK_HOUSEHOLD);
      expect(head).toBeDefined();
      const admin = await connect(stack.apiUrl, 'admin1');
      const members = toMembersCsv([
        { householdId: STACK_HOUSEHOLD, idNumber: head!.idNumber, name: head!.headName, relation: 'head' },
        { householdId: STACK_HOUSEHOLD, idNumber: CHILD_ID, name: CHILD_NAME, relation: 'child' },
      ]);
      const quiet = { out: () => undefined, err: () => undefined };
      const options = { progress: false, pollMs: 100 };
      const imported = await runImportJob(
        admin,
        'members',
        new TextEncoder().encode(members),
        quiet,
        options,
      );
      expect(imported.job).toMatchObject({ status: 'SUCCEEDED' });

      const date = recentDate(10);
      const csv = medicalCsv([
        { id: 'YB-L-1', total: '20000.00', basic: '4000.00', date },
        {
          id: 'YB-L-2',
          person: STRANGER_ID,
          name: STRANGER_NAME,
          hospital: '省肿瘤医院',
          total: '50000.00',
          basic: '0',
          date,
        },
        { id: `YB-${CHILD_ID}`, total: '100.00', basic: '0', date },
        { id: 'YB-L-4', hospital: `县医院${CHILD_ID}`, total: '100.00', basic: '0', date },
        { id: 'YB-L-5', hospital: '县人民医院\u202E院医', total: '100.00', basic: '0', date },
      ]);
      const insurer = await connect(stack.apiUrl, 'insurer1');
      const feed = await runImportJob(insurer, 'medical-feed', new TextEncoder().encode(csv), quiet, options);
      expect(feed.job).toMatchObject({ status: 'SUCCEEDED', rows: 5, imported: 1, rejected: 3 });
      const job = await stack.deps.jobs.get(feed.job.jobId);
      expect(job).toMatchObject({ claimsOpened: 1 });
      await stack.idle();

      const secrets = [STRANGER_ID, STRANGER_NAME, '省肿瘤医院', 'YB-L-2', CHILD_ID, CHILD_NAME, '\u202E'];
      // Every item of every table (the roster's own items hold the child: they are the roster).
      const db = new DynamoDBClient({
        endpoint: stack.dynamodbUrl,
        region: 'us-east-1',
        credentials: { ...s3LocalCredentials },
      });
      const items: string[] = [];
      for (const table of (await db.send(new ListTablesCommand({}))).TableNames ?? []) {
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          for (const item of page.Items ?? []) items.push(JSON.stringify(item));
          start = page.LastEvaluatedKey;
        } while (start);
      }
      expect(items.length).toBeGreaterThan(0);
      const rosterItem = (text: string) =>
        text.includes(head!.headName) || (text.includes('"relation"') && !text.includes('recordId'));
      for (const text of items) {
        for (const secret of [STRANGER_ID, STRANGER_NAME, '省肿瘤医院', 'YB-L-2', '\u202E'])
          expect(text.includes(secret)).toBe(false);
        if (!rosterItem(text))
          for (const secret of [CHILD_ID, CHILD_NAME]) expect(text.includes(secret)).toBe(false);
      }
      expect(items.filter((t) => t.includes('YB-L-1')).length).toBeGreaterThan(0);

      // The files that stay: the error report, the opened list (the upload and chunks expire).
      const buckets = (await stack.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
      const kept: string[] = [];
      for (const { Name } of buckets) {
        const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: Name!, Prefix: 'imports/' }));
        for (const { Key } of listed.Contents ?? []) {
          if (!Key || Key.endsWith('/file.csv') || Key.includes('/chunks/') || !Key.includes(feed.job.jobId))
            continue;
          const body = await stack.s3.send(new GetObjectCommand({ Bucket: Name!, Key }));
          kept.push(`${Key}\n${await body.Body!.transformToString()}`);
        }
      }
      expect(kept.some((k) => k.includes('errors'))).toBe(true);
      for (const text of kept) for (const secret of secrets) expect(text.includes(secret)).toBe(false);

      // The claim, its history, the job's view as the API gives it, and every log line.
      const claimId = (await stack.deps.feeds.householdRecords(STACK_HOUSEHOLD))[0]?.claimId;
      expect(claimId).toBeDefined();
      const views = JSON.stringify([
        await stack.deps.claims.get(claimId!),
        await stack.deps.claims.history(claimId!),
        await (await stack.as('insurer1'))('GET', `/imports/${feed.job.jobId}`),
      ]);
      for (const secret of secrets) expect(views.includes(secret)).toBe(false);
      const log = logged.join('');
      expect(log).toContain('import');
      for (const secret of secrets) expect(log.includes(secret)).toBe(false);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      await stack.stop();
    }
  }, 180_000);
});
