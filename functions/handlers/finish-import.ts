import * as z from 'zod';
import { finishImport, type FinishDeps } from '#shared/workflow/bulk-import.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

export const finishImportInputSchema = z.object({
  jobId: z.string(),
  /** Set when the map gave up: the Step Functions error name only, never a cause with data. */
  error: z.string().max(200).optional(),
});

export function makeHandler(deps: () => FinishDeps) {
  return workflowStep(makeLogger(), finishImportInputSchema, (input) => finishImport(deps(), input));
}

// A data feed's job opens its claims here and starts their assessment.
export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({
      jobs: dynamoJobs,
      files: s3JobFiles,
      roster: dynamoRoster,
      claims: dynamoClaims,
      feeds: dynamoFeeds,
      workflows: sfnWorkflows,
    }),
  ),
);
