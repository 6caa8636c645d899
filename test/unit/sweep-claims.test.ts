// The sweeper over in-memory ports: which claims it starts again (quiet too long in a state a
// run leaves within seconds), which it leaves alone (fresh, waiting on people, finished, ERROR),
// and that a claim it starts again is then paid once.
import { describe, expect, it } from 'vitest';
import { claimRecord, makeWorld, upload } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { STUCK_AFTER_MINUTES, sweepStuckClaims } from '#shared/workflow/sweep-claims.ts';
import { markError } from '#shared/workflow/mark-error.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';

describe('sweeping claims whose run was lost', () => {
  it('starts again only claims quiet in RECEIVED or APPROVED for longer than the limit', async () => {
    const world = await makeWorld();
    const now = world.clock.now().getTime();
    const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();
    const put = async (state: 'RECEIVED' | 'APPROVED' | 'PENDING_REVIEW' | 'PAID', quietMinutes: number) => {
      const c = claimRecord({ state, updatedAt: minutesAgo(quietMinutes) });
      await world.store.create(c, [{ at: c.updatedAt, from: null, to: state, actor: 'system' }]);
      return c.claimId;
    };
    const stuckReceived = await put('RECEIVED', STUCK_AFTER_MINUTES + 1);
    const stuckApproved = await put('APPROVED', 60);
    await put('RECEIVED', STUCK_AFTER_MINUTES - 1); // a run may still be on it
    await put('PENDING_REVIEW', 600); // waiting on people, not on a run
    await put('PAID', 600);
    const inError = upload(world, { householdId: 'HH-0002' });
    await markError(world, { key: inError.key, error: { Error: 'Runtime.ExitError' } });

    const result = await sweepStuckClaims(world);
    expect(new Set(result.resumed)).toEqual(new Set([stuckReceived, stuckApproved]));
    expect(result).toMatchObject({ more: false, inError: 1 });
    expect(world.workflowsLog.started.sort()).toEqual(
      [`assessment ${stuckReceived}`, `assessment ${stuckApproved}`].sort(),
    );
    // The claim in ERROR is counted, never started: an operator looks at it first.
    expect(world.workflowsLog.started.join()).not.toContain(inError.claimId);
  });

  it('a claim whose run was lost after validation is found, run again from its manifest and paid once', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    // The run validated the claim and was then lost.
    await validateClaim(world, { bucket: 'receipts', key });
    expect((await world.store.get(claimId))?.state).toBe('RECEIVED');
    expect((await sweepStuckClaims(world)).resumed).toEqual([]);
    world.clockControl.advance((STUCK_AFTER_MINUTES + 1) * 60_000);
    expect((await sweepStuckClaims(world)).resumed).toEqual([claimId]);
    // What resumeAssessment starts: the workflow again from the manifest's event.
    expect(world.workflowsLog.started).toEqual([`assessment ${claimId}`]);
    expect(await runAssessSteps(world, key)).toBe('paid');
    world.clockControl.advance(60 * 60_000);
    expect((await sweepStuckClaims(world)).resumed).toEqual([]);
    expect(await world.store.ledgerEntry(claimId)).toMatchObject({ payoutFen: 350_000 });
  });
});
