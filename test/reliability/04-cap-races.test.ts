// verify/checks/04-cap-races.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/04-cap-races.ts';

it('Races on caps: never above the cap, losers re-priced or refused', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 150_000);
