// verify/checks/16-bank-twice.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/16-bank-twice.ts';

it('The same bank result file twice: the second application changes nothing', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 60_000);
