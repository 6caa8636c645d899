// The one list of Lambda handlers and HTTP routes. CDK builds a function per entry and the
// local runtime serves the same entries, so the two can never drift apart.
import { EXPORTS_PREFIX } from '#shared/api/export-jobs-api.ts';

export const workflowHandlers = [
  'validate-claim',
  'check-duplicates',
  'assess-claim',
  'record-payout',
  // Posts an approved claim in its village (公示) before the payout, where the policy says so.
  'start-notice',
  'mark-error',
  'request-review',
  'escalate-review',
  // The bulk-file job (import-file): check the file, store its rows in batches, close the job.
  'start-import',
  'import-chunks',
  'finish-import',
  // The ledger export job (export-ledger): write the file, close the job.
  'write-export',
] as const;
export type WorkflowHandlerName = (typeof workflowHandlers)[number];

/** Lambdas run on a schedule (EventBridge), with the minutes between runs. */
export const scheduledHandlers = [{ handler: 'sweep-claims', everyMinutes: 15 }] as const;
export type ScheduledHandlerName = (typeof scheduledHandlers)[number]['handler'];

/**
 * Lambdas EventBridge invokes for S3 "Object Created" events, with the key pattern they match.
 * note-upload hears every upload under claims/, to leave a history line for any that comes after
 * its claim was judged (the manifest's own event also starts assess-claim, see the intake).
 */
export const eventHandlers = [{ handler: 'note-upload', keyPattern: 'claims/*' }] as const;
export type EventHandlerName = (typeof eventHandlers)[number]['handler'];

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** API Gateway v2 route path, `{name}` for path parameters. */
  readonly path: string;
  readonly handler: string;
  /** Health is the only route without a JWT. */
  readonly auth: boolean;
  /** Streams or returns a large body (export): longer timeout, more memory. */
  readonly heavy?: boolean;
}

export const apiRoutes = [
  { method: 'GET', path: '/health', handler: 'get-health', auth: false },
  { method: 'GET', path: '/me', handler: 'get-me', auth: true },
  { method: 'GET', path: '/households', handler: 'list-households', auth: true },
  { method: 'POST', path: '/claims', handler: 'create-claim', auth: true },
  { method: 'GET', path: '/claims', handler: 'list-claims', auth: true },
  { method: 'GET', path: '/claims/{claimId}', handler: 'get-claim', auth: true },
  { method: 'GET', path: '/claims/{claimId}/receipts/{n}', handler: 'get-receipt', auth: true },
  { method: 'GET', path: '/claims/{claimId}/review-context', handler: 'get-review-context', auth: true },
  { method: 'POST', path: '/claims/{claimId}/reviews', handler: 'decide-review', auth: true },
  { method: 'POST', path: '/claims/{claimId}/retry', handler: 'retry-claim', auth: true },
  { method: 'POST', path: '/claims/{claimId}/objections', handler: 'object-claim', auth: true },
  { method: 'POST', path: '/claims/{claimId}/appeal', handler: 'appeal-claim', auth: true },
  { method: 'POST', path: '/claims/{claimId}/reissue', handler: 'reissue-claim', auth: true },
  { method: 'POST', path: '/roster/imports', handler: 'import-roster', auth: true },
  { method: 'POST', path: '/imports', handler: 'create-import', auth: true },
  { method: 'GET', path: '/imports', handler: 'list-imports', auth: true },
  { method: 'GET', path: '/imports/{jobId}', handler: 'get-import', auth: true },
  { method: 'GET', path: '/policies', handler: 'list-policies', auth: true },
  { method: 'GET', path: '/ledger', handler: 'list-ledger', auth: true },
  { method: 'GET', path: '/ledger/export', handler: 'export-ledger', auth: true, heavy: true },
  { method: 'POST', path: '/ledger/exports', handler: 'create-export', auth: true },
  { method: 'GET', path: '/ledger/exports/{jobId}', handler: 'get-export', auth: true },
  { method: 'POST', path: '/ledger/disbursements', handler: 'mark-disbursed', auth: true },
  { method: 'GET', path: '/ledger/reconciliation', handler: 'get-reconciliation', auth: true },
  { method: 'POST', path: '/quotes', handler: 'quote-claim', auth: true },
  { method: 'GET', path: '/stats', handler: 'get-stats', auth: true },
  { method: 'GET', path: '/funds/{region}', handler: 'get-fund', auth: true },
  { method: 'POST', path: '/funds/{region}/topups', handler: 'top-up-fund', auth: true },
  // Reads the region's ledger for the year, as an export does.
  { method: 'GET', path: '/funds/{region}/history', handler: 'get-fund-history', auth: true, heavy: true },
  { method: 'GET', path: '/notices', handler: 'list-notices', auth: true },
  // Households at a return-to-poverty warning level, with counts per village (JSON or CSV).
  { method: 'GET', path: '/warnings', handler: 'list-warnings', auth: true },
] as const satisfies readonly ApiRoute[];
export type ApiHandlerName = (typeof apiRoutes)[number]['handler'];

/**
 * How long each Lambda may run, in seconds: CDK sets it, and the local runtime gives workflow
 * steps the same (a step that would time out on AWS times out locally too). API routes stop at
 * API Gateway's 29 s anyway; small ones get 10 s.
 */
export function functionTimeoutSeconds(name: string): number {
  switch (name) {
    // A whole ledger into one file: Lambda's longest run.
    case 'write-export':
      return 900;
    // A batch of 1,000 roster rows: seconds on DynamoDB, but retried throttling can stretch it.
    case 'import-chunks':
      return 180;
    // Checks a whole file (a province's roster: a million rows) and writes its chunks.
    case 'start-import':
      return 300;
    // A data feed's job opens its claims here: a county's month of settlements, thousands of them.
    case 'finish-import':
      return 300;
  }
  if ((workflowHandlers as readonly string[]).includes(name)) return 60;
  if (scheduledHandlers.some((s) => s.handler === name)) return 300;
  if (eventHandlers.some((e) => e.handler === name)) return 60;
  const route = apiRoutes.find((r) => r.handler === name);
  return route && 'heavy' in route && route.heavy ? 29 : 10;
}

/** Where ledger exports are written in the receipts bucket (kept a day, then expired by lifecycle). */
export const exportsPrefix = EXPORTS_PREFIX;

/** Environment variable names every handler reads; CDK sets them, the local runtime too. */
export const envNames = {
  claimsTable: 'CLAIMS_TABLE',
  receiptsBucket: 'RECEIPTS_BUCKET',
  reviewStateMachineArn: 'REVIEW_STATE_MACHINE_ARN',
  assessStateMachineArn: 'ASSESS_STATE_MACHINE_ARN',
  exportStateMachineArn: 'EXPORT_STATE_MACHINE_ARN',
  webOrigin: 'WEB_ORIGIN',
} as const;

/** Powertools settings CDK gives every function (the service is also every metric's dimension). */
export const powertoolsServiceName = 'claims';
export const metricsNamespace = 'FangpinClaims';

/**
 * Business metrics the handlers emit (Powertools Metrics, see functions/metrics.ts) and the
 * alarms and dashboard read, with their unit and the dimension a point carries, if any.
 */
export const businessMetrics = {
  /** A claim's course changed; outcome: approved, rejected, review, paid or error. */
  claims: { name: 'Claims', unit: 'Count', dimension: 'outcome' },
  /** A claim was rejected, by its reason code. */
  claimsRejected: { name: 'ClaimsRejected', unit: 'Count', dimension: 'reason' },
  /** Each payout, in fen (integers, as everywhere money is counted). */
  payoutFen: { name: 'PayoutFen', unit: 'None' },
  /** From the manifest's upload to the payout. */
  uploadToPaid: { name: 'UploadToPaidSeconds', unit: 'Seconds' },
  /** From a review gate being asked for to its decision, by gate. */
  reviewWait: { name: 'ReviewWaitSeconds', unit: 'Seconds', dimension: 'gate' },
  /** Claims the sweeper found without a workflow run and started again. */
  claimsResumed: { name: 'ClaimsResumed', unit: 'Count' },
} as const;
export type BusinessMetric = keyof typeof businessMetrics;
