// The local clock: real time plus whole days that only the local runtime adds, kept in the data
// dir, and waits on it that come due either by a real timer or by an advance.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOCK_FILE, DAY_MS, LocalClock } from '#cli/local/local-clock.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'local-clock-'));
  dirs.push(dir);
  return dir;
}

/** Whether a promise has settled by the time pending microtasks and one timer turn have run. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('the local clock', () => {
  it('is real time until advanced, then that many whole days ahead', async () => {
    const clock = LocalClock.inMemory();
    const before = Date.now();
    const at = clock.now().getTime();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(clock.offsetDays).toBe(0);

    const view = await clock.advance(5);
    expect(view.offsetDays).toBe(5);
    const shifted = Date.parse(view.now) - 5 * DAY_MS;
    expect(shifted).toBeGreaterThanOrEqual(before);
    expect(shifted).toBeLessThanOrEqual(Date.now());
    await clock.advance(1);
    expect(clock.view().offsetDays).toBe(6);
  });

  it('refuses anything but a whole number of days from 1 to 3650', async () => {
    const clock = LocalClock.inMemory();
    for (const days of [0, -1, 1.5, 3651, Number.NaN])
      await expect(clock.advance(days)).rejects.toThrow(RangeError);
    await expect(clock.advance(3650)).resolves.toMatchObject({ offsetDays: 3650 });
  });

  it('keeps its offset in the data dir, so a restart is on the same day', async () => {
    const dir = await dataDir();
    const first = await LocalClock.open(dir);
    expect(first.offsetDays).toBe(0);
    await first.advance(3);
    await first.advance(4);
    expect(JSON.parse(await readFile(join(dir, CLOCK_FILE), 'utf8'))).toEqual({ offsetDays: 7 });
    const again = await LocalClock.open(dir);
    expect(again.offsetDays).toBe(7);
  });

  it('will not start on a damaged clock file (time would go backwards)', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, CLOCK_FILE), '{"offsetDays":');
    await expect(LocalClock.open(dir)).rejects.toThrow(/not a saved local clock/);
  });

  it('fires a wait when an advance reaches it, and not before', async () => {
    const clock = LocalClock.inMemory();
    const due = new Date(clock.now().getTime() + 5 * DAY_MS);
    const fired = clock.whenReached(due);
    await clock.advance(4);
    expect(await settledYet(fired)).toBe(false);
    expect(clock.pendingWaits).toBe(1);
    await clock.advance(1);
    await expect(fired).resolves.toBeUndefined();
    expect(clock.pendingWaits).toBe(0);
  });

  it('fires a wait by a real timer for the real time left', async () => {
    const clock = LocalClock.inMemory(2);
    const due = new Date(clock.now().getTime() + 30);
    await clock.whenReached(due);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(due.getTime());
    // An instant already passed resolves at once.
    await expect(clock.whenReached(new Date(Date.now()))).resolves.toBeUndefined();
  });

  it('drops a wait whose signal is aborted, with the reason', async () => {
    const clock = LocalClock.inMemory();
    const cancel = new AbortController();
    const waiting = clock.whenReached(new Date(clock.now().getTime() + DAY_MS), cancel.signal);
    cancel.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(clock.pendingWaits).toBe(0);
    await clock.advance(2);
    await expect(clock.whenReached(new Date(), cancel.signal)).rejects.toThrow('stopped');
  });
});
