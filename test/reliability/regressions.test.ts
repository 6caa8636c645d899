// Regression tests for the bugs the reliability checks (verify/) found, one block per bug.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ledgerQuerySchema } from '#shared/api/ledger-api.ts';
import { getClaim, receiptLink } from '#shared/api/claims-api.ts';
import { NotFoundError } from '#shared/errors.ts';
import { httpErrorOf } from '#functions/http-errors.ts';
import { householdIdSchema, parseManifest } from '#shared/manifest.ts';
import { parseYuan } from '#shared/money.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { retryClaim } from '#shared/workflow/retry-claim.ts';
import { markError } from '#shared/workflow/mark-error.ts';
import { makeWorld, upload } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';

const idNumber = (first17: string) => first17 + residentIdCheckDigit(first17);

describe('ledger queries with impossible dates are a 400, not a 500 (check 5)', () => {
  it.each([
    ['', ''],
    ['2026-02-30', '2026-03-01'],
    ['x', '2026-01-01'],
    ['2026-01-01', 'not a date'],
  ])('from %j to %j', (from, to) => {
    const parsed = ledgerQuerySchema.safeParse({ from, to });
    expect(parsed.success).toBe(false);
  });
});

describe('personal data typed into the wrong field is never echoed (check 8)', () => {
  it('amount errors never quote the amount', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z.,+-]{6,30}$/), (text) => {
        const parsed = parseYuan(text);
        if (!parsed.ok) expect(parsed.error).not.toContain(text);
      }),
    );
    // An ID number typed into a numeric field arrives as a (rounded) JSON number.
    const asNumber = parseYuan(JSON.parse('430381196007101077'));
    expect(asNumber.ok).toBe(false);
    if (!asNumber.ok) expect(asNumber.error).not.toMatch(/\d{10}/);
  });

  it('a manifest with an ID number or bank account as an amount is refused without quoting it', () => {
    const id = idNumber('43038119600710107');
    const key = 'claims/01JC0000000000000000000001/manifest.json';
    const manifest = {
      schemaVersion: 1,
      claimId: '01JC0000000000000000000001',
      householdId: 'HH-0001',
      category: 'education',
      expenseDate: '2026-09-01',
      totalCost: id,
      reimbursed: '6230900000000000001',
      receipts: [
        { key: 'claims/01JC0000000000000000000001/r.jpg', sha256: '0'.repeat(64), contentType: 'image/jpeg' },
      ],
      submittedBy: 'worker1',
    };
    const parsed = parseManifest(new TextEncoder().encode(JSON.stringify(manifest)), key);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.detail.params).toMatchObject({ field: 'totalCost' });
      expect(JSON.stringify(parsed.detail)).not.toContain(id);
      expect(JSON.stringify(parsed.detail)).not.toContain('6230900000000000001');
    }
  });

  it('a resident ID number is not accepted as a household id', () => {
    const id = idNumber('43038119600710107');
    const parsed = householdIdSchema.safeParse(id);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).not.toContain(id);
    expect(householdIdSchema.safeParse('HH-0001').success).toBe(true);
  });

  it('404s do not echo the id that was asked for', async () => {
    const world = await makeWorld();
    const id = idNumber('43038119600710107');
    const admin = { username: 'admin1', roles: ['admin'] as const };
    const error = await getClaim(world, admin, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).not.toContain(id);
    const { claimId, key } = upload(world);
    await runAssessSteps(world, key);
    const receipt = await receiptLink(world, admin, claimId, id).catch((e: unknown) => e);
    expect(httpErrorOf(receipt)?.status).toBe(404);
    expect(httpErrorOf(receipt)?.message).not.toContain(id);
  });
});

describe('a claim in ERROR can be retried to its end (check 2)', () => {
  it('ERROR goes back to where it stopped, and a repeated retry changes nothing', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    await runAssessSteps(world, key);
    // validate-claim died before writing a record: mark-error writes a blank one in ERROR.
    const second = upload(world, { householdId: 'HH-0002', totalCost: '15000' });
    await markError(world, { key: second.key, error: { Error: 'Runtime.ExitError' } });
    expect((await world.store.get(second.claimId))?.state).toBe('ERROR');
    const retried = await retryClaim(world, second.claimId, 'operator');
    expect(retried).toEqual({ claimId: second.claimId, state: 'RECEIVED', retried: true });
    expect(await retryClaim(world, second.claimId, 'operator')).toMatchObject({ retried: false });
    // The blank record mark-error wrote is validated on the next delivery, and the claim is paid.
    expect(await runAssessSteps(world, second.key)).toBe('paid');
    expect(await world.store.get(second.claimId)).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
    const history = (await world.store.history(second.claimId)).map((h) => `${h.from ?? '-'}>${h.to}`);
    expect(history).toEqual([
      '->RECEIVED',
      'RECEIVED>ERROR',
      'ERROR>RECEIVED',
      'RECEIVED>APPROVED',
      'APPROVED>PAID',
    ]);
    expect((await world.store.get(claimId))?.state).toBe('PAID');
  });
});
