// Test fixtures over the in-memory local world (cli/local/world.ts): the demo roster loaded,
// a fake clock, and helpers that upload claims the way a phone would.
import { demoRosterCsv as readDemoRoster } from '#cli/local/demo-data.ts';
import { FakeClock, memoryWorld, type MemoryWorld } from '#cli/local/world.ts';
import type { ClaimRecord } from '#shared/claim.ts';

export { FakeClock, claimGrant, claimRecord, nextUlid, upload, type ClaimSpec } from '#cli/local/world.ts';

export const demoRosterCsv = readDemoRoster();

export interface World extends MemoryWorld {
  readonly clockControl: FakeClock;
}

export async function makeWorld(): Promise<World> {
  const clockControl = new FakeClock();
  const world = await memoryWorld({ clock: { now: clockControl.now }, rosterCsv: demoRosterCsv });
  return { ...world, clockControl };
}

/** The stored claim, or a failed test when it is missing. */
export async function claimOf(world: Pick<World, 'store'>, claimId: string): Promise<ClaimRecord> {
  const c = await world.store.get(claimId);
  if (!c) throw new Error('claim missing');
  return c;
}
