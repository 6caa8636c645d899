// verify/checks/15-objection-race.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/15-objection-race.ts';

it('An objection racing the notice end: the objection or the payout wins, never both', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 60_000);
