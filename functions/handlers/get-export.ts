import { getLedgerExport, type ExportJobDeps } from '#shared/api/export-jobs-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Exports } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs } from '#functions/adapters/job-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/** One export job: its progress, and once done the control total and a fresh link to the file. */
export function makeHandler(deps: () => Pick<ExportJobDeps, 'jobs' | 'exports'>) {
  return apiRoute(makeLogger(), 'get-export', async (req: ApiRequest) => ({
    body: await getLedgerExport(deps(), req.principal!, req.params.jobId ?? ''),
  }));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ jobs: dynamoJobs, exports: s3Exports })));
