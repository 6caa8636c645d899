import { getStats, type StatsDeps } from '#shared/api/stats-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoLedger } from '#functions/adapters/dynamo-ports.ts';
import { dynamoStats } from '#functions/adapters/dynamo-stats-store.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => StatsDeps) {
  return apiRoute(makeLogger(), 'get-stats', async (req: ApiRequest) => ({
    body: await getStats(deps(), req.query),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, ledger: dynamoLedger, stats: dynamoStats })),
);
