import { listImports, type ImportApiDeps } from '#shared/api/import-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs } from '#functions/adapters/job-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/** The latest jobs of a kind (`?kind=roster`), newest first. */
export function makeHandler(deps: () => ImportApiDeps) {
  return apiRoute(makeLogger(), 'list-imports', async (req: ApiRequest) => ({
    body: await listImports(deps(), req.principal!, req.query.kind),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ jobs: dynamoJobs, uploads: s3Uploads })));
