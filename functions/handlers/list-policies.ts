import { builtInPolicies } from '#shared/policy.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(_deps?: () => unknown) {
  return apiRoute(makeLogger(), 'list-policies', async () => ({ body: { items: builtInPolicies } }));
}

export const handler = makeHandler();
