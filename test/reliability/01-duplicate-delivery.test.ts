// verify/checks/01-duplicate-delivery.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/01-duplicate-delivery.ts';

it('Duplicate delivery on the local stack: one payout per payable claim, ledger = reference', async () => {
  const result = await run({ scale: 'quick' });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
}, 90_000);
