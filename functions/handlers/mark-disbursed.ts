import { markDisbursed } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'clock'>) {
  return apiRoute(makeLogger(), 'mark-disbursed', async (req: ApiRequest) => ({
    body: await markDisbursed(deps(), req.principal!, req.json()),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims })));
