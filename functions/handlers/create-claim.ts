import { createClaim } from '#shared/api/claims-api.ts';
import { awsDeps, lazyDeps, type AppDeps } from '#functions/adapters/aws-deps.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => AppDeps) {
  return apiRoute(makeLogger(), 'create-claim', async (req: ApiRequest) => ({
    status: 201,
    body: await createClaim(deps(), req.principal!, req.json()),
  }));
}

export const handler = makeHandler(lazyDeps(() => awsDeps()));
