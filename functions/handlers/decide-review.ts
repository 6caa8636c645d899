import { decideReview } from '#shared/api/claims-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'roster' | 'reviews' | 'clock'>) {
  return apiRoute(makeLogger(), 'decide-review', async (req: ApiRequest) => ({
    body: await decideReview(deps(), req.principal!, req.params.claimId ?? '', req.json()),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, reviews: sfnReviews })),
);
