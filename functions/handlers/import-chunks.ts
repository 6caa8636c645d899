import { importBatchInputSchema, importChunks, type ImportDeps } from '#shared/workflow/bulk-import.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

/** One batch of the import map: chunk references as ItemBatcher delivers them. */
export function makeHandler(deps: () => ImportDeps) {
  return workflowStep(makeLogger(), importBatchInputSchema, (input) => importChunks(deps(), input));
}

// The claim store serves the bank result file, whose rows move claims, and the data feeds, whose
// records move the households' counters (and their warning burdens) and open claims, whose
// assessment the batch starts; a roster file's households have their warning burdens read again.
export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({
      jobs: dynamoJobs,
      files: s3JobFiles,
      roster: dynamoRoster,
      claims: dynamoClaims,
      feeds: dynamoFeeds,
      warnings: dynamoWarnings,
      workflows: sfnWorkflows,
    }),
  ),
);
