// What each catalog handler may touch. The rule comes from the catalog (GET routes read, the
// rest write); the few exceptions are named here with the reason, so grants stay least-privilege
// without a second list of handlers.
import {
  apiRoutes,
  type ApiHandlerName,
  type EventHandlerName,
  type ScheduledHandlerName,
  type WorkflowHandlerName,
} from '#functions/catalog.ts';

export type HandlerName = WorkflowHandlerName | ApiHandlerName | ScheduledHandlerName | EventHandlerName;

export interface HandlerAccess {
  readonly claimsTable: 'read' | 'readWrite';
  /**
   * `read`: GetObject and ListBucket (a missing receipt must read as 404); `view`: GetObject
   * only, to sign short-lived download links; `upload`: PutObject, to sign presigned POSTs.
   * All limited to claims/, never delete.
   */
  readonly receipts: 'none' | 'read' | 'view' | 'upload';
  /** SendTaskSuccess / SendTaskFailure on the review workflow's waiting gates. */
  readonly reviewTaskResponse: boolean;
  /** Write and read ledger exports under exports/ (never claims/). */
  readonly exports: boolean;
  /** StartExecution on assess-claim and review-claim (an operator's retry). */
  readonly startWorkflows: boolean;
  /** StartExecution on review-claim only: a review round after an objection or an appeal. */
  readonly startReview: boolean;
  /** StartExecution on assess-claim only: the claims a data feed opens. */
  readonly startAssess: boolean;
  /** StartExecution on export-ledger (a finance user's export job). */
  readonly startExport: boolean;
  /**
   * Bulk files: `upload` signs the job's upload form (PutObject on imports/); `view` signs the
   * error report link (GetObject on imports/); `work` reads the file and writes the job's chunks
   * and report (imports/ and import-work/).
   */
  readonly imports: 'none' | 'upload' | 'view' | 'work';
}

const reader: HandlerAccess = {
  claimsTable: 'read',
  receipts: 'none',
  reviewTaskResponse: false,
  exports: false,
  startWorkflows: false,
  startReview: false,
  startAssess: false,
  startExport: false,
  imports: 'none',
};
const writer: HandlerAccess = {
  claimsTable: 'readWrite',
  receipts: 'none',
  reviewTaskResponse: false,
  exports: false,
  startWorkflows: false,
  startReview: false,
  startAssess: false,
  startExport: false,
  imports: 'none',
};

const exceptions: { readonly [name in HandlerName]?: Partial<HandlerAccess> } = {
  // Reads the manifest and hashes every receipt.
  'validate-claim': { receipts: 'read' },
  // Reads each receipt to fingerprint its image.
  'check-duplicates': { receipts: 'read' },
  // Hashes a late upload to tell it from the judged file, and appends a history line.
  'note-upload': { receipts: 'read' },
  // Resumes a replayed wait at once when the gate was already decided.
  'request-review': { reviewTaskResponse: true },
  // Signs the presigned POST the client uploads receipts and the manifest with.
  'create-claim': { receipts: 'upload' },
  // Signs a five-minute download link for one receipt.
  'get-receipt': { receipts: 'view' },
  // Resumes the gate the decision is for.
  'decide-review': { reviewTaskResponse: true },
  // Finds claims whose run was lost and starts assess-claim (or a review round's run) for them, and pays claims waiting for
  // a fund that has money again (the payout step's own writes, as record-payout makes them).
  'sweep-claims': { startWorkflows: true },
  // Moves a claim out of ERROR and starts its workflow again.
  'retry-claim': { startWorkflows: true },
  // Send a claim back to review (an objection, an appeal) and start the round's review run.
  'object-claim': { startReview: true },
  'appeal-claim': { startReview: true },
  // Writes the export file and signs its download link; a GET that stores a file, nothing more.
  'export-ledger': { exports: true },
  // Records the export job and starts the workflow that writes its file.
  'create-export': { startExport: true },
  // Signs the finished export's download link.
  'get-export': { exports: true },
  // The export-ledger workflow's step: reads the ledger and roster, writes the file and the job.
  'write-export': { exports: true },
  // Signs the upload form of a bulk file (the only writer of imports/*/file.csv).
  'create-import': { imports: 'upload' },
  // Signs the error report's download link; reads a feed job's list of opened claims (imports/).
  'get-import': { imports: 'view' },
  'list-imports': { imports: 'view' },
  // The import-file workflow's steps: read the file and the chunks, write chunks and the report.
  'start-import': { imports: 'work' },
  // A data feed's batch opens the claims of its households and starts their assessment.
  'import-chunks': { imports: 'work', startAssess: true },
  // Also opens a data feed's claims and starts their assessment.
  'finish-import': { imports: 'work', startAssess: true },
  // A POST only because the quote input is a body: it reads the household's cap, stores nothing.
  'quote-claim': { claimsTable: 'read' },
};

export function handlerAccess(name: HandlerName): HandlerAccess {
  const route = apiRoutes.find((r) => r.handler === name);
  const base = route?.method === 'GET' ? reader : writer;
  return { ...base, ...exceptions[name] };
}
