import { receiptLink } from '#shared/api/claims-api.ts';
import { awsDeps, lazyDeps, type AppDeps } from '#functions/adapters/aws-deps.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => AppDeps) {
  return apiRoute(makeLogger(), 'get-receipt', async (req) => ({
    body: await receiptLink(deps(), req.principal!, req.params.claimId ?? '', req.params.n ?? ''),
  }));
}

export const handler = makeHandler(lazyDeps(() => awsDeps()));
