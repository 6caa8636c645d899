import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(_deps?: () => unknown) {
  return apiRoute(makeLogger(), 'get-me', async (req) => ({ body: req.principal }));
}

export const handler = makeHandler();
