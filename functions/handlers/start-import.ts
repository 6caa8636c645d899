import * as z from 'zod';
import { startImport, type StartDeps } from '#shared/workflow/bulk-import.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

/** EventBridge's S3 "Object Created" for a bulk file (the fields used, nothing more). */
export const startImportInputSchema = z.object({
  detail: z.object({ object: z.object({ key: z.string().max(1024) }) }),
});

export function makeHandler(deps: () => StartDeps) {
  return workflowStep(makeLogger(), startImportInputSchema, (input) =>
    startImport(deps(), { key: input.detail.object.key }),
  );
}

// The roster tells a feed's people's households: its chunks are cut by household.
export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ jobs: dynamoJobs, files: s3JobFiles, roster: dynamoRoster })),
);
