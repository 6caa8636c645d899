// What every verify check module exports, and what it hands back to the runner.

/** `full`: the full counts (npm run verify). `quick`: small counts (npm test, --quick). */
export type Scale = 'full' | 'quick';

export interface CheckOptions {
  readonly scale: Scale;
  /** Base seed; a failing run prints it so the same run can be replayed. */
  readonly seed?: number;
  /** Progress lines (stderr in the runner, silent in tests). */
  readonly log?: (line: string) => void;
}

export interface CheckResult {
  readonly label: string;
  readonly figures: Record<string, number | string>;
  readonly ok: boolean;
  /** What went wrong, a few examples at most, for the person reading a red run. */
  readonly failures?: readonly string[];
}

export type Check = (options: CheckOptions) => Promise<CheckResult>;

export const DEFAULT_SEED = 20261122;
