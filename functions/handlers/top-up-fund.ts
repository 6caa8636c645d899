import { topUpFund, type TopUpDeps } from '#shared/api/fund-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import {
  dynamoClaims,
  dynamoFeeds,
  dynamoFunds,
  dynamoRoster,
  dynamoWarnings,
} from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => TopUpDeps) {
  return apiRoute(makeLogger(), 'top-up-fund', async (req: ApiRequest) => ({
    body: await topUpFund(deps(), req.principal!, req.params.region, req.json()),
  }));
}

// Roster, feeds and warnings: the claims a top-up pays refresh their households' warning levels.
export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({
      claims: dynamoClaims,
      funds: dynamoFunds,
      roster: dynamoRoster,
      feeds: dynamoFeeds,
      warnings: dynamoWarnings,
    }),
  ),
);
