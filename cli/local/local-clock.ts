// The local stack's clock: real time plus a whole number of days that only the local runtime can
// add (`claims clock advance --days N`), so a notice period, an appeal deadline or a review
// escalation can be shown in seconds. The offset is kept in the data dir, so a restart keeps the
// day it had reached; it never goes back. Handlers read it as their Clock, and the local Step
// Functions service runs Wait states and task-token timeouts on it through whenReached().
// Presigned URLs, SigV4 and sign-in tokens stay on real time: the emulators check them against it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import type { Clock } from '#shared/ports.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_ADVANCE_DAYS = 3650;
/** setTimeout fires at once past 2^31-1 ms, so a long wait is re-armed in steps of at most this. */
const MAX_TIMER_MS = 2 ** 31 - 1;
export const CLOCK_FILE = 'local-clock.json';

/** `POST /local/clock/advance`'s body. */
export const clockAdvanceSchema = z.object({
  days: z.number().int().min(1).max(MAX_ADVANCE_DAYS),
});

/** What `GET /local/clock` and an advance answer, and `claims clock --json` prints. */
export const clockViewSchema = z.object({
  now: z.iso.datetime(),
  offsetDays: z.number().int().min(0),
});
export type ClockView = z.infer<typeof clockViewSchema>;

const clockFileSchema = z.object({ offsetDays: z.number().int().min(0) });

/** A clock that can also say when an instant has come (on it, not on the wall). */
export interface AlarmClock extends Clock {
  /** Resolves once now() >= instant; rejects with the signal's reason if it is aborted first. */
  whenReached(instant: Date, signal?: AbortSignal): Promise<void>;
}

export class LocalClock implements AlarmClock {
  /** Each pending whenReached's check: run on every advance, and by its own timer. */
  private readonly waiters = new Set<() => void>();
  /** Advances one at a time, each saved before it takes effect. */
  private advancing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private offset: number,
  ) {}

  /** The clock kept in `dataDir` (offset 0 the first time). */
  static async open(dataDir: string): Promise<LocalClock> {
    const file = join(dataDir, CLOCK_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new LocalClock(file, 0);
      throw error;
    }
    let saved;
    try {
      saved = clockFileSchema.parse(JSON.parse(text));
    } catch {
      // Starting at offset 0 instead would move time backwards under the claims already recorded.
      throw new Error(`${file} is not a saved local clock; delete it to go back to real time`);
    }
    return new LocalClock(file, saved.offsetDays);
  }

  /** A clock kept nowhere: real time until advanced (tests, and a service given no clock). */
  static inMemory(offsetDays = 0): LocalClock {
    return new LocalClock(undefined, offsetDays);
  }

  get offsetDays(): number {
    return this.offset;
  }

  now(): Date {
    return new Date(Date.now() + this.offset * DAY_MS);
  }

  view(): ClockView {
    return { now: this.now().toISOString(), offsetDays: this.offset };
  }

  /** Moves the clock `days` ahead (saved first), then fires every wait that has come due. */
  advance(days: number): Promise<ClockView> {
    if (!clockAdvanceSchema.safeParse({ days }).success)
      return Promise.reject(new RangeError(`days must be a whole number from 1 to ${MAX_ADVANCE_DAYS}`));
    const step = this.advancing.then(async () => {
      const next = this.offset + days;
      await this.save(next);
      this.offset = next;
      for (const check of [...this.waiters]) check();
      return this.view();
    });
    this.advancing = step.catch(() => undefined);
    return step;
  }

  whenReached(instant: Date, signal?: AbortSignal): Promise<void> {
    const due = instant.getTime();
    if (Number.isNaN(due)) return Promise.reject(new RangeError('whenReached needs a valid instant'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.now().getTime() >= due) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', abort);
      };
      const check = () => {
        const remaining = due - this.now().getTime();
        if (remaining <= 0) {
          settle();
          resolve();
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(check, Math.min(remaining, MAX_TIMER_MS));
      };
      const abort = () => {
        settle();
        reject(signal?.reason);
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', abort, { once: true });
      check();
    });
  }

  /** How many whenReached promises are still pending. */
  get pendingWaits(): number {
    return this.waiters.size;
  }

  private async save(offsetDays: number): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    // Write then rename: a crash mid-write leaves the previous day, never half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ offsetDays }));
    await rename(temporary, this.file);
  }
}
