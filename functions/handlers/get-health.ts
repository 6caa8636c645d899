import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps?: () => { clock: { now(): Date } }) {
  const now = () => deps?.().clock.now() ?? new Date();
  return apiRoute(makeLogger(), 'get-health', async () => ({
    body: { ok: true, time: now().toISOString() },
  }));
}

export const handler = makeHandler();
