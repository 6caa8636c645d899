// Data-feed claims (found in the departments' data, no receipt) through the claim workflow:
// routed to the village gate, compared with receipt claims for the same bill both ways, and
// shown with their records to whoever may see the claim.
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { claimOf, claimRecord, makeWorld, upload, type World } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { makeHandler as makeGetClaim } from '#functions/handlers/get-claim.ts';
import { getClaim } from '#shared/api/claims-api.ts';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import { feedRecordKey, type FeedRecord } from '#shared/feed-record.ts';
import { policyInForce } from '#shared/policy.ts';
import { routeForPayout, routeForReview, routeForRound } from '#shared/review-routing.ts';
import type { ClaimRecord } from '#shared/claim.ts';

const HOUSEHOLD = 'HH-F001';
const fundPolicy = policyInForce('demo-fund', '2026-08-20');
if (!fundPolicy) throw new Error('demo-fund policy missing');
const policy = fundPolicy;
const all = ['village', 'department', 'audit'];

function record(recordId: string, over: Partial<FeedRecord> = {}): FeedRecord {
  return {
    kind: 'medical',
    recordId,
    householdId: HOUSEHOLD,
    relation: 'spouse',
    capYear: 2026,
    expenseDate: '2026-08-20',
    totalCostFen: 1_500_000,
    reimbursedFen: 300_000,
    selfPaidFen: 1_200_000,
    place: '县人民医院',
    admissionDate: '2026-08-10',
    dischargeDate: '2026-08-18',
    state: 'pending',
    firstJobId: 'JOB-1',
    jobId: 'JOB-1',
    corrections: 0,
    updatedAt: '2026-09-01T02:00:00.000Z',
    version: 1,
    ...over,
  };
}

async function storeRecords(world: World, records: readonly FeedRecord[]) {
  expect(await world.store.writeRecords(records.map((r) => ({ record: r, expectedVersion: null })))).toBe(
    true,
  );
}

/** A data-feed claim as the feed job opens it: RECEIVED, facts filled, no receipts. */
async function openFeedClaim(world: World, records: readonly FeedRecord[], over: Partial<ClaimRecord> = {}) {
  const last = [...records].sort((a, b) => (a.expenseDate < b.expenseDate ? 1 : -1))[0]!;
  const claim = claimRecord({
    householdId: HOUSEHOLD,
    category: 'medical',
    expenseDate: last.expenseDate,
    totalCostFen: records.reduce((s, r) => s + r.totalCostFen, 0),
    reimbursedFen: records.reduce((s, r) => s + r.reimbursedFen, 0),
    submittedBy: 'insurer1',
    gridWorker: 'worker1',
    region: 'demo-fund',
    village: '东山村',
    source: 'data-feed',
    feedRecords: records.map((r) => feedRecordKey(r.kind, r.recordId)),
    filedAt: world.clock.now().toISOString(),
    version: 0,
    ...over,
  });
  await storeRecords(
    world,
    records.map((r) => ({ ...r, state: 'claimed', claimId: claim.claimId })),
  );
  expect(
    await world.store.create(claim, [{ at: claim.filedAt, from: null, to: 'RECEIVED', actor: 'insurer1' }]),
  ).toBe(true);
  return { claimId: claim.claimId, key: `claims/${claim.claimId}/manifest.json` };
}

describe('routing by source', () => {
  const claim = {
    category: 'medical' as const,
    expenseDate: '2026-08-20',
    totalCostFen: 1_500_000,
    reimbursedFen: 300_000,
  };
  const route = (source: 'receipt' | 'data-feed' | undefined, payoutFen: number, over = {}) =>
    routeForReview({
      policy,
      claim: { ...claim, ...over, ...(source ? { source } : {}) },
      period: { statusFrom: '2024-01-01' },
      payoutFen,
    });

  it('a data-feed claim goes to the village gate, for the DATA_FEED reason', () => {
    const routing = route('data-feed', 100_000);
    expect(routing.requiredGates).toEqual(['village']);
    expect(routing.reasons.map((r) => r.code)).toEqual(['DATA_FEED']);
  });

  it('the same claim from a receipt (or a record with no source) is approved automatically', () => {
    expect(route('receipt', 100_000).requiredGates).toEqual([]);
    expect(route(undefined, 100_000).requiredGates).toEqual([]);
  });

  it('a data-feed claim also takes the gates it needs anyway', () => {
    const big = route('data-feed', 500_001);
    expect(big.requiredGates).toEqual(all);
    expect(big.reasons.map((r) => r.code)).toEqual(['PAYOUT_ABOVE', 'DATA_FEED']);
    const odd = route('data-feed', 100_000, { reimbursedFen: 0 });
    expect(odd.requiredGates).toEqual(all);
    expect(odd.reasons.map((r) => r.code)).toEqual(['NOT_REIMBURSED', 'DATA_FEED']);
  });

  it('a payout that grew, and later rounds, see the source too', () => {
    expect(routeForPayout(policy, 'medical', 100_000, 'data-feed').requiredGates).toEqual(['village']);
    expect(routeForPayout(policy, 'medical', 100_000).requiredGates).toEqual([]);
    const appeal = routeForRound({
      policy,
      round: 'appeal',
      category: 'medical',
      payoutFen: 1,
      source: 'data-feed',
    });
    expect(appeal.reasons.map((r) => r.code)).toEqual(['APPEAL']);
  });
});

describe('a data-feed claim through the assess-claim steps', () => {
  it('is validated as on record, has no receipt checked, and waits at the village gate', async () => {
    const world = await makeWorld();
    const { claimId, key } = await openFeedClaim(world, [record('R-1')]);
    expect(await runAssessSteps(world, key)).toBe('review');
    const claim = await claimOf(world, claimId);
    expect(claim).toMatchObject({
      state: 'PENDING_REVIEW',
      requiredGates: ['village'],
      reviewReasons: [{ code: 'DATA_FEED', params: {} }],
      receipts: [],
    });
    expect(claim.possibleDuplicates).toBeUndefined();
    // 15,000 - 3,000 = 12,000 self-paid; 50% above the 10,000 threshold.
    expect(claim.payoutFen).toBe(100_000);
    expect(world.reviewsLog.started).toContain(claimId);
  });

  it('is judged on the roster and the filing deadline like a receipt claim', async () => {
    const world = await makeWorld();
    const late = await openFeedClaim(world, [
      record('R-OLD', { expenseDate: '2026-01-05', dischargeDate: '2026-01-04' }),
    ]);
    expect(await runAssessSteps(world, late.key)).toBe('rejected');
    expect((await claimOf(world, late.claimId)).reason).toBe('FILED_TOO_LATE');
  });
});

describe('a receipt and a department record for the same bill', () => {
  it('a receipt claim matching a counted record goes to review, naming the record', async () => {
    const world = await makeWorld();
    await storeRecords(world, [record('R-1', { state: 'counted' })]);
    const { claimId, key } = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    expect(await runAssessSteps(world, key)).toBe('review');
    const claim = await claimOf(world, claimId);
    expect(claim.possibleDuplicates).toEqual([{ by: 'feed', recordKey: 'medical:R-1' }]);
    expect(claim.requiredGates).toEqual(all);
    expect(claim.reviewReasons).toContainEqual({
      code: 'POSSIBLE_DUPLICATE',
      params: { by: 'feed', recordKey: 'medical:R-1' },
    });
  });

  it('a receipt filed under the discharge date matches the settlement too', async () => {
    const world = await makeWorld();
    await storeRecords(world, [record('R-2', { state: 'pending' })]);
    const { claimId, key } = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-18',
      totalCost: '15000',
      reimbursed: '3000',
    });
    expect(await runAssessSteps(world, key)).toBe('review');
    expect((await claimOf(world, claimId)).possibleDuplicates).toEqual([
      { by: 'feed', recordKey: 'medical:R-2' },
    ]);
  });

  it('a receipt claim after a data-feed claim names that claim and its record', async () => {
    const world = await makeWorld();
    const feed = await openFeedClaim(world, [record('R-3')]);
    await runAssessSteps(world, feed.key);
    const { claimId, key } = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    expect(await runAssessSteps(world, key)).toBe('review');
    expect((await claimOf(world, claimId)).possibleDuplicates).toEqual([
      { claimId: feed.claimId, by: 'feed', recordKey: 'medical:R-3' },
    ]);
  });

  it('a record held by a rejected claim, or of another bill, is no duplicate', async () => {
    const world = await makeWorld();
    const rejected = claimRecord({ householdId: HOUSEHOLD, state: 'REJECTED', reason: 'NOT_COVERED' });
    await world.store.create(rejected, []);
    await storeRecords(world, [
      record('R-4', { state: 'claimed', claimId: rejected.claimId }),
      record('R-5', { state: 'counted', totalCostFen: 1_500_001 }),
    ]);
    const { claimId, key } = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    await runAssessSteps(world, key);
    expect((await claimOf(world, claimId)).possibleDuplicates).toBeUndefined();
  });

  it('a data-feed claim matching a live receipt claim goes to review with it; never both paid', async () => {
    const world = await makeWorld();
    const receipt = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    await runAssessSteps(world, receipt.key);
    expect((await claimOf(world, receipt.claimId)).state).not.toBe('REJECTED');
    const feed = await openFeedClaim(world, [
      record('R-6'),
      record('R-7', {
        expenseDate: '2026-07-01',
        totalCostFen: 80_000,
        reimbursedFen: 0,
        selfPaidFen: 80_000,
        dischargeDate: '2026-06-30',
      }),
    ]);
    const outcome = await runAssessSteps(world, feed.key);
    const claim = await claimOf(world, feed.claimId);
    expect([outcome, claim.reason, claim.detail]).toEqual(['review', undefined, undefined]);
    expect(claim.possibleDuplicates).toEqual([
      { claimId: receipt.claimId, by: 'feed', recordKey: 'medical:R-6' },
    ]);
    expect(claim.requiredGates).toEqual(all);
    expect(claim.reviewReasons?.map((r) => r.code)).toEqual(['POSSIBLE_DUPLICATE', 'DATA_FEED']);
  });

  it('a data-feed claim is not compared with a rejected receipt claim', async () => {
    const world = await makeWorld();
    // Filed for a household not on the roster at the expense date: rejected.
    const receipt = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    await runAssessSteps(world, receipt.key);
    const stored = await claimOf(world, receipt.claimId);
    await world.store.update(
      { ...stored, state: 'REJECTED', reason: 'REVIEW_REJECTED', version: stored.version + 1 },
      stored.version,
    );
    const feed = await openFeedClaim(world, [record('R-8')]);
    await runAssessSteps(world, feed.key);
    expect((await claimOf(world, feed.claimId)).possibleDuplicates).toBeUndefined();
  });

  it('without the feed store, a data-feed claim still passes the check (nothing to hash)', async () => {
    const world = await makeWorld();
    const feed = await openFeedClaim(world, [record('R-9')]);
    const { feeds: _feeds, ...withoutFeeds } = world;
    expect(await checkDuplicates(withoutFeeds, { claimId: feed.claimId })).toEqual({
      claimId: feed.claimId,
      outcome: 'continue',
    });
  });
});

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;
function event(name: string, groups: string, claimId: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'GET /claims/{claimId}',
    rawPath: `/claims/${claimId}`,
    rawQueryString: '',
    headers: {},
    pathParameters: { claimId },
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: {
        method: 'GET',
        path: `/claims/${claimId}`,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: 'r',
      routeKey: 'GET /claims/{claimId}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: { sub: 's', 'cognito:username': name, 'cognito:groups': groups }, scopes: null },
      },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
const body = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
};

describe('the claim detail shows a data-feed claim’s records', () => {
  it('to the household’s grid worker and the reviewers; 404 to another grid worker', async () => {
    const world = await makeWorld();
    const feed = await openFeedClaim(world, [record('R-10')]);
    await runAssessSteps(world, feed.key);
    const handler = makeGetClaim(() => world);
    for (const [name, groups] of [
      ['worker1', '[gridWorker]'],
      ['village1', '[villageVerifier]'],
      ['admin1', '[admin]'],
    ] as const) {
      const got = body(await handler(event(name, groups, feed.claimId), context));
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        source: 'data-feed',
        feedRecords: ['medical:R-10'],
        feedEvidence: [
          {
            kind: 'medical',
            recordId: 'R-10',
            relation: 'spouse',
            place: '县人民医院',
            totalCostFen: 1_500_000,
            reimbursedFen: 300_000,
            selfPaidFen: 1_200_000,
            state: 'claimed',
            claimId: feed.claimId,
          },
        ],
        duplicateRecords: [],
      });
    }
    const stranger = body(await handler(event('worker2', '[gridWorker]', feed.claimId), context));
    expect(stranger.status).toBe(404);
    expect(JSON.stringify(stranger.body)).not.toContain('R-10');
  });

  it('a receipt claim: source receipt, no records of its own, the record it may repeat beside it', async () => {
    const world = await makeWorld();
    await storeRecords(world, [record('R-11', { state: 'counted' })]);
    const { claimId, key } = upload(world, {
      householdId: HOUSEHOLD,
      category: 'medical',
      expenseDate: '2026-08-20',
      totalCost: '15000',
      reimbursed: '3000',
    });
    await runAssessSteps(world, key);
    const detail = await getClaim(world, { username: 'insurer1', roles: ['insurer'] }, claimId);
    expect(detail.source).toBe('receipt');
    expect(detail.feedEvidence).toEqual([]);
    expect(detail.duplicateRecords.map((r) => r.recordId)).toEqual(['R-11']);
  });
});
