import { getImport, type ImportApiDeps } from '#shared/api/import-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Uploads } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/**
 * One job: status, counts, progress, (when finished with refused rows) the report link, and for a
 * data feed the claims it opened (read from the job's list under imports/).
 */
export function makeHandler(deps: () => ImportApiDeps) {
  return apiRoute(makeLogger(), 'get-import', async (req: ApiRequest) => ({
    body: await getImport(deps(), req.principal!, req.params.jobId ?? ''),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ jobs: dynamoJobs, uploads: s3Uploads, files: s3JobFiles })),
);
