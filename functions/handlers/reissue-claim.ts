import { reissueClaim, type ReissueDeps } from '#shared/api/bank-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => ReissueDeps) {
  return apiRoute(makeLogger(), 'reissue-claim', async (req) => ({
    body: await reissueClaim(deps(), req.principal!, req.params.claimId ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster })),
);
