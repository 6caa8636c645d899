// verify/checks/12-bulk-kill.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/12-bulk-kill.ts';

it('Bulk file kill -9: a roster job survives kill -9 of the stack and counts every row once', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 240_000);
