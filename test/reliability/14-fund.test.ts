// verify/checks/14-fund.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/14-fund.ts';

it('Relief fund under races: never below 0, waiting claims paid once, oldest first', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 60_000);
