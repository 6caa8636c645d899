import { createClaim } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'roster' | 'uploads' | 'ids' | 'clock'>) {
  return apiRoute(makeLogger(), 'create-claim', async (req: ApiRequest) => ({
    status: 201,
    body: await createClaim(deps(), req.principal!, req.json()),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, uploads: s3Uploads })),
);
