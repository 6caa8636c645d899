// Step Functions implementation of the export port: one export-ledger run per job, named by the
// job, so a request repeated (a retried POST) starts nothing more.
import { envNames } from '#functions/catalog.ts';
import { requireEnv, type AdapterContext } from '#functions/adapters/handler-deps.ts';
import { sfnClient, startNamedOnce } from '#functions/adapters/sfn-review-tasks.ts';
import type { ExportWorkflows } from '#shared/api/export-jobs-api.ts';

export function sfnExportWorkflows(context: AdapterContext): ExportWorkflows {
  const sfn = sfnClient(context);
  const stateMachineArn = requireEnv(context.env, envNames.exportStateMachineArn);
  return {
    startExport: (jobId) =>
      startNamedOnce(sfn, { stateMachineArn, name: jobId, input: JSON.stringify({ jobId }) }),
  };
}
