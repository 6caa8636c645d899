import { createLedgerExport, type ExportJobDeps } from '#shared/api/export-jobs-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Exports } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs } from '#functions/adapters/job-ports.ts';
import { sfnExportWorkflows } from '#functions/adapters/sfn-export-workflows.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/** A ledger export job: recorded and started at once, the file written by the export-ledger workflow. */
export function makeHandler(deps: () => ExportJobDeps) {
  return apiRoute(makeLogger(), 'create-export', async (req: ApiRequest) => ({
    status: 202,
    body: await createLedgerExport(deps(), req.principal!, req.json()),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ jobs: dynamoJobs, exports: s3Exports, exportRuns: sfnExportWorkflows })),
);
