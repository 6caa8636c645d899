// Business metrics: the workflow step handlers over the in-memory world, whose claim port records
// every point it emits; and the Powertools implementation's output (embedded metric format).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeWorld, upload } from '#test/support/fixtures.ts';
import { makeHandler as makeValidate } from '#functions/handlers/validate-claim.ts';
import { makeHandler as makeCheckDuplicates } from '#functions/handlers/check-duplicates.ts';
import { makeHandler as makeAssess } from '#functions/handlers/assess-claim.ts';
import { makeHandler as makeRecordPayout } from '#functions/handlers/record-payout.ts';
import { makeHandler as makeSweep } from '#functions/handlers/sweep-claims.ts';
import { powertoolsMetrics } from '#functions/metrics.ts';
import { claimRecord, lambdaContext } from '#cli/local/world.ts';

const context = lambdaContext('test', 'test');

describe('business metrics from the step handlers', () => {
  it('a paid claim counts as approved then paid, with its payout in fen and its upload-to-paid time', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { householdId: 'HH-0001', totalCost: '15000' });
    world.clockControl.advance(90_000);
    const deps = () => world;
    await makeValidate(deps)({ bucket: 'receipts', key }, context);
    await makeCheckDuplicates(deps)({ claimId }, context);
    expect(await makeAssess(deps)({ claimId }, context)).toEqual({ claimId, outcome: 'approved' });
    const paid = await makeRecordPayout(deps)({ claimId }, context);
    expect(paid).toEqual({ claimId, outcome: 'paid' });

    const claim = await world.store.get(claimId);
    expect(world.metricsLog.of('Claims')).toEqual([
      { name: 'Claims', value: 1, dimensions: { outcome: 'approved' } },
      { name: 'Claims', value: 1, dimensions: { outcome: 'paid' } },
    ]);
    expect(world.metricsLog.of('PayoutFen')).toEqual([{ name: 'PayoutFen', value: 350_000 }]);
    const [toPaid] = world.metricsLog.of('UploadToPaidSeconds');
    expect(toPaid?.value).toBe(
      (Date.parse(world.clockControl.now().toISOString()) - Date.parse(claim!.filedAt)) / 1000,
    );
  });

  it('a replayed payout step writes nothing and counts nothing', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { householdId: 'HH-0001' });
    const deps = () => world;
    await makeValidate(deps)({ bucket: 'receipts', key }, context);
    await makeCheckDuplicates(deps)({ claimId }, context);
    await makeAssess(deps)({ claimId }, context);
    await makeRecordPayout(deps)({ claimId }, context);
    const before = world.metricsLog.emitted.length;
    expect(await makeRecordPayout(deps)({ claimId }, context)).toEqual({ claimId, outcome: 'paid' });
    expect(world.metricsLog.emitted).toHaveLength(before);
  });

  it('a rejection counts under its reason', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { householdId: 'HH-0001', totalCost: '8000' });
    const deps = () => world;
    await makeValidate(deps)({ bucket: 'receipts', key }, context);
    await makeCheckDuplicates(deps)({ claimId }, context);
    expect(await makeAssess(deps)({ claimId }, context)).toEqual({ claimId, outcome: 'rejected' });
    expect(world.metricsLog.of('Claims')).toEqual([
      { name: 'Claims', value: 1, dimensions: { outcome: 'rejected' } },
    ]);
    expect(world.metricsLog.of('ClaimsRejected')).toEqual([
      { name: 'ClaimsRejected', value: 1, dimensions: { reason: 'BELOW_THRESHOLD' } },
    ]);
  });

  it('a gate decision reports how long the gate waited, from the claim entering review', async () => {
    const world = await makeWorld();
    const at = '2026-09-05T02:00:00.000Z';
    const claim = claimRecord({ state: 'RECEIVED', createdAt: at });
    await world.claims.create(claim, [{ at, from: null, to: 'RECEIVED', actor: 'system' }]);
    const routedAt = '2026-09-05T03:00:00.000Z';
    await world.claims.update({ ...claim, state: 'PENDING_REVIEW', updatedAt: routedAt, version: 2 }, 1, {
      at: routedAt,
      from: 'RECEIVED',
      to: 'PENDING_REVIEW',
      actor: 'system',
    });
    const read = await world.claims.get(claim.claimId);
    const decidedAt = '2026-09-06T03:00:00.000Z';
    await world.claims.update(
      {
        ...read!,
        gates: { ...read!.gates, village: { decision: 'approve', by: 'village1', at: decidedAt } },
        updatedAt: decidedAt,
        version: 3,
      },
      2,
    );
    expect(world.metricsLog.of('ReviewWaitSeconds')).toEqual([
      { name: 'ReviewWaitSeconds', value: 86_400, dimensions: { gate: 'village' } },
    ]);
    expect(world.metricsLog.of('Claims')).toEqual([
      { name: 'Claims', value: 1, dimensions: { outcome: 'review' } },
    ]);
  });

  it('the sweeper reports how many claims it started again, zero included', async () => {
    const world = await makeWorld();
    expect(await makeSweep(() => world)({}, context)).toMatchObject({ resumed: 0 });
    expect(world.metricsLog.of('ClaimsResumed')).toEqual([{ name: 'ClaimsResumed', value: 0 }]);
  });
});

describe('the Powertools implementation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('publishes each point at once as an EMF document with the service and the point’s dimensions', () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'FangpinClaims');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'claims');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    // Powertools writes through its own Console on stdout, as Lambda's log capture expects.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    powertoolsMetrics().emit({ name: 'Claims', value: 1, dimensions: { outcome: 'paid' } });
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: unknown[] }[] };
    };
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'FangpinClaims',
      Dimensions: [expect.arrayContaining(['service', 'outcome'])],
      Metrics: [{ Name: 'Claims', Unit: 'Count' }],
    });
    expect(emf).toMatchObject({ service: 'claims', outcome: 'paid', Claims: 1 });
  });
});
