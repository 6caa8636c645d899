// verify/checks/03-late-retries.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/03-late-retries.ts';

it('Late retries at +1 h, +24 h and +7 d still pay once', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 150_000);
