import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(clock: () => Date = () => new Date()) {
  return apiRoute(makeLogger(), 'get-health', async () => ({
    body: { ok: true, time: clock().toISOString() },
  }));
}

export const handler = makeHandler();
