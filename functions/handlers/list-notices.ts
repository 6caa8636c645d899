import { listNotices, type NoticeDeps } from '#shared/api/notice-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => NoticeDeps) {
  return apiRoute(makeLogger(), 'list-notices', async (req: ApiRequest) => ({
    body: await listNotices(deps(), req.query),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, roster: dynamoRoster })),
);
