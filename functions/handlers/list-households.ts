import { listHouseholds } from '#shared/api/roster-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'roster' | 'clock'>) {
  return apiRoute(makeLogger(), 'list-households', async (req: ApiRequest) => ({
    body: await listHouseholds(deps().roster, deps().clock, req.principal!, req.query.gridWorker),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ roster: dynamoRoster })));
