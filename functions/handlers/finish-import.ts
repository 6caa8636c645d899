import * as z from 'zod';
import { finishImport, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const finishImportInputSchema = z.object({
  jobId: z.string(),
  /** Set when the map gave up: the Step Functions error name only, never a cause with data. */
  error: z.string().max(200).optional(),
});

export function makeHandler(deps: () => Pick<ImportDeps, 'jobs' | 'files' | 'clock'>) {
  return workflowStep(makeLogger(), finishImportInputSchema, (input) => finishImport(deps(), input));
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ jobs: dynamoJobs, files: s3JobFiles })));
