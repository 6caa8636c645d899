// The local clock through the whole local stack: POST /local/clock/advance moves what handlers
// read and what the workflows wait on (a review gate left 15 days escalates), bad input is a 400
// with a code, and `claims clock` shows and moves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settled, startLocalStack, uploadClaim, type TestStack } from '#cli/local/scratch-stack.ts';
import { DAY_MS } from '#cli/local/local-clock.ts';
import { clockVerb } from '#cli/verbs/clock.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function post(path: string, body: string) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** GET /health: the time its handler reads from its clock, and the real time around the call. */
async function serverTime(): Promise<{ time: number; before: number; after: number }> {
  const before = Date.now();
  const body = (await (await fetch(`${stack.apiUrl}/health`)).json()) as { time: string };
  return { time: Date.parse(body.time), before, after: Date.now() };
}

async function clockCli(args: string[]): Promise<string> {
  const out: string[] = [];
  await clockVerb([...args, '--api', stack.apiUrl], { out: (line) => out.push(line), err: () => undefined });
  return out.join('\n');
}

describe('the local clock', () => {
  it('escalates a review gate left past its 14 days once the clock moves 15 days ahead', async () => {
    const { claimId } = await uploadClaim(stack, { totalCost: '22700', householdId: 'HH-0004' });
    expect((await settled(stack, claimId, 30_000)).state).toBe('PENDING_REVIEW');
    // The first gate is open (its task token recorded) before the clock moves.
    for (let i = 0; i < 400; i += 1) {
      const claim = await stack.deps.claims.get(claimId);
      if (claim && Object.keys(claim.gateTokens).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = Date.now();
    const moved = await post('/local/clock/advance', JSON.stringify({ days: 15 }));
    expect(moved.status).toBe(200);
    expect(moved.body.offsetDays).toBe(15);
    expect(Date.parse(String(moved.body.now))).toBeGreaterThanOrEqual(before + 15 * DAY_MS);

    let overdue;
    for (let i = 0; i < 400 && !overdue; i += 1) {
      overdue = (await stack.deps.claims.history(claimId)).find((h) => {
        const detail = h.detail as { code?: string } | undefined;
        return typeof detail === 'object' && detail?.code === 'GATE_OVERDUE';
      });
      if (!overdue) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(overdue, 'the escalation note').toBeDefined();
    // Written by the escalation handler on the moved clock.
    expect(Date.parse(overdue?.at ?? '')).toBeGreaterThanOrEqual(before + 15 * DAY_MS);
    expect((await stack.deps.claims.get(claimId))?.state).toBe('PENDING_REVIEW');
  }, 60_000);

  it('moves what handlers read, and says where it stands', async () => {
    const start = stack.clock.offsetDays;
    const moved = await post('/local/clock/advance', JSON.stringify({ days: 2 }));
    expect(moved).toMatchObject({ status: 200, body: { offsetDays: start + 2 } });
    const { time, before, after } = await serverTime();
    expect(time).toBeGreaterThanOrEqual(before + (start + 2) * DAY_MS);
    expect(time).toBeLessThanOrEqual(after + (start + 2) * DAY_MS);
    const shown = (await (await fetch(`${stack.apiUrl}/local/clock`)).json()) as Record<string, unknown>;
    expect(shown.offsetDays).toBe(start + 2);
    expect(Object.keys(shown).sort()).toEqual(['now', 'offsetDays']);
  });

  it.each([
    ['{"days":0}', 'BAD_DAYS'],
    ['{"days":3651}', 'BAD_DAYS'],
    ['{"days":1.5}', 'BAD_DAYS'],
    ['{"days":"3"}', 'BAD_DAYS'],
    ['{}', 'BAD_DAYS'],
    ['not json', 'BAD_JSON'],
  ])('refuses %s with a 400 and code %s, leaving the clock where it was', async (body, code) => {
    const offset = stack.clock.offsetDays;
    const refused = await post('/local/clock/advance', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code });
    expect(stack.clock.offsetDays).toBe(offset);
  });

  it('`claims clock advance --days N --json` moves it and `claims clock` shows it in Chinese', async () => {
    const start = stack.clock.offsetDays;
    const json = JSON.parse(await clockCli(['advance', '--days', '1', '--json']));
    expect(json.offsetDays).toBe(start + 1);
    expect(Object.keys(json).sort()).toEqual(['now', 'offsetDays']);
    expect(JSON.parse(await clockCli(['--json']))).toMatchObject({ offsetDays: start + 1 });
    expect(await clockCli([])).toContain(`比真实时间快 ${start + 1} 天`);
    await expect(clockCli(['advance', '--days', '0'])).rejects.toThrow(
      /--days: 天数须为 1 到 3650 之间的整数/,
    );
    await expect(clockCli(['advance', '--days', '3651'])).rejects.toThrow(/--days/);
    await expect(clockCli(['advance'])).rejects.toThrow(/--days is required/);
    expect(stack.clock.offsetDays).toBe(start + 1);
  });
});
