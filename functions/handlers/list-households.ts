import { listHouseholds } from '#shared/api/roster-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => ApiDeps) {
  return apiRoute(makeLogger(), 'list-households', async (req: ApiRequest) => ({
    body: await listHouseholds(deps().roster, deps().clock, req.principal!, req.query.gridWorker),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps()));
