import { createImport, type ImportApiDeps } from '#shared/api/import-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs } from '#functions/adapters/job-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

export function makeHandler(deps: () => ImportApiDeps) {
  return apiRoute(makeLogger(), 'create-import', async (req: ApiRequest) => ({
    status: 201,
    body: await createImport(deps(), req.principal!, req.json()),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ jobs: dynamoJobs, uploads: s3Uploads })));
