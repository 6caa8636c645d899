import { writeExport, writeExportInputSchema, type WriteExportDeps } from '#shared/workflow/write-export.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Exports } from '#functions/adapters/s3-ports.ts';
import { dynamoJobs } from '#functions/adapters/job-ports.ts';
import { dynamoLedger, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { xlsxStream } from '#functions/handlers/export-ledger.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export function makeHandler(deps: () => WriteExportDeps) {
  return workflowStep(makeLogger(), writeExportInputSchema, (input) =>
    writeExport(deps(), input, xlsxStream),
  );
}

export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({ jobs: dynamoJobs, ledger: dynamoLedger, roster: dynamoRoster, exports: s3Exports }),
  ),
);
