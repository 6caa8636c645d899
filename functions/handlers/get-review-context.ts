import { reviewContext } from '#shared/api/review-context.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'roster'>) {
  return apiRoute(makeLogger(), 'get-review-context', async (req: ApiRequest) => ({
    body: await reviewContext(deps(), req.principal!, req.params.claimId ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster })),
);
