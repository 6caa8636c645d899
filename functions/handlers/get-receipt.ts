import { receiptLink } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => ApiDeps) {
  return apiRoute(makeLogger(), 'get-receipt', async (req) => ({
    body: await receiptLink(deps(), req.principal!, req.params.claimId ?? '', req.params.n ?? ''),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ uploads: s3Uploads })));
