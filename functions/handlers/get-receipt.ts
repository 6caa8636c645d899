import { receiptLink } from '#shared/api/claims-api.ts';
import { awsDeps, lazyDeps } from '#functions/adapters/aws-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => ApiDeps) {
  return apiRoute(makeLogger(), 'get-receipt', async (req) => ({
    body: await receiptLink(deps(), req.principal!, req.params.claimId ?? '', req.params.n ?? ''),
  }));
}

export const handler = makeHandler(lazyDeps(() => awsDeps()));
