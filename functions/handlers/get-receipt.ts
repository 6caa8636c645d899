import { receiptLink } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'roster' | 'uploads'>) {
  return apiRoute(makeLogger(), 'get-receipt', async (req) => ({
    body: await receiptLink(deps(), req.principal!, req.params.claimId ?? '', req.params.n ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, uploads: s3Uploads })),
);
