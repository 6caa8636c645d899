import { retryClaimRun } from '#shared/api/retry-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'workflows' | 'clock'>) {
  return apiRoute(makeLogger(), 'retry-claim', async (req) => ({
    body: await retryClaimRun(deps(), req.principal!, req.params.claimId ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, workflows: sfnWorkflows })),
);
