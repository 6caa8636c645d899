import { getClaim } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'roster' | 'feeds'>) {
  return apiRoute(makeLogger(), 'get-claim', async (req: ApiRequest) => ({
    body: await getClaim(deps(), req.principal!, req.params.claimId ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, feeds: dynamoFeeds })),
);
