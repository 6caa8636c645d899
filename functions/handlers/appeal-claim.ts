import { appealClaim, type AppealDeps } from '#shared/api/appeals-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => AppealDeps) {
  const logger = makeLogger();
  return apiRoute(logger, 'appeal-claim', async (req: ApiRequest) => {
    const claimId = req.params.claimId ?? '';
    const answer = await appealClaim(deps(), req.principal!, claimId, req.json());
    // The appeal is recorded; the sweeper starts the round's run if this start was lost.
    if (!answer.reviewStarted) logger.warn('review round not started', { claimId: answer.claim.claimId });
    return { body: answer };
  });
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster, reviews: sfnReviews })),
);
