import { getFund, type FundApiDeps } from '#shared/api/fund-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoFunds } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => FundApiDeps) {
  return apiRoute(makeLogger(), 'get-fund', async (req: ApiRequest) => ({
    body: await getFund(deps(), req.params.region),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims, funds: dynamoFunds })));
