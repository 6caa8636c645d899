import { listLedger } from '#shared/api/ledger-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoLedger } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'ledger'>) {
  return apiRoute(makeLogger(), 'list-ledger', async (req: ApiRequest) => ({
    body: await listLedger(deps().ledger, req.query),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ ledger: dynamoLedger })));
