import { getFundHistory, type FundHistoryDeps } from '#shared/api/fund-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoFunds, dynamoLedger } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => FundHistoryDeps) {
  return apiRoute(makeLogger(), 'get-fund-history', async (req: ApiRequest) => ({
    body: await getFundHistory(deps(), req.params.region),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ funds: dynamoFunds, ledger: dynamoLedger })));
