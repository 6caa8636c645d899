// Response shapes, taken from the API code itself (type-only imports: nothing of shared/api or
// zod reaches the bundle), so a change there is a compile error here.
import type {
  claimView,
  createClaim,
  decideReview,
  getClaim,
  markDisbursed,
  receiptLink,
} from '#shared/api/claims-api.ts';
import type { importRoster, listHouseholds } from '#shared/api/roster-api.ts';
import type { createImport, getImport } from '#shared/api/import-api.ts';
import type { listLedger } from '#shared/api/ledger-api.ts';
import type { LedgerExportResult } from '#shared/api/ledger-export.ts';
import type { ExportJobView } from '#shared/api/export-jobs-api.ts';
import type { RetryAnswer } from '#shared/api/retry-api.ts';
import type { objectToClaim } from '#shared/api/appeals-api.ts';
import type { Reconciliation, ReissueAnswer } from '#shared/api/bank-api.ts';
import type { Quote } from '#shared/compensation.ts';
import type { GateId, Policy } from '#shared/policy.ts';
import type { Principal } from '#shared/access.ts';
import type { ReviewReason } from '#shared/claim.ts';
import type {
  Category,
  ClaimState,
  HouseholdStatus,
  Lang,
  RejectionReason,
  Role,
} from '#shared/vocabulary.ts';

export type { ExportJobView, LedgerExportResult, Reconciliation, ReissueAnswer, RetryAnswer };
export type {
  Category,
  ClaimState,
  GateId,
  HouseholdStatus,
  Lang,
  Policy,
  Principal,
  Quote,
  RejectionReason,
  ReviewReason,
  Role,
};
/** One review gate of a policy: its id, the role that decides it and its name. */
export type PolicyGate = Policy['review']['gates'][number];

export type ClaimView = ReturnType<typeof claimView>;
export type ClaimDetail = Awaited<ReturnType<typeof getClaim>>;
export type ClaimPage = { items: ClaimView[]; cursor?: string };
export type CreatedClaim = Awaited<ReturnType<typeof createClaim>>;
export type UploadGrant = CreatedClaim['manifest'];
export type DecideResult = Awaited<ReturnType<typeof decideReview>>;
export type RoundAnswer = Awaited<ReturnType<typeof objectToClaim>>;
export type DisburseResult = Awaited<ReturnType<typeof markDisbursed>>;
export type ReceiptLink = Awaited<ReturnType<typeof receiptLink>>;
export type HouseholdList = Awaited<ReturnType<typeof listHouseholds>>;
export type Household = HouseholdList['items'][number];
export type LedgerList = Awaited<ReturnType<typeof listLedger>>;
export type LedgerItem = LedgerList['items'][number];
export type RosterImportResult = Awaited<ReturnType<typeof importRoster>>;
export type JobView = Awaited<ReturnType<typeof getImport>>;
export type CreatedJob = Awaited<ReturnType<typeof createImport>>;

// Lists of codes come from the domain vocabulary (no zod in it, so it may be bundled).
export { categories, claimStates, roles } from '#shared/vocabulary.ts';
export const rosterColumns =
  'householdId,region,village,headName,idNumber,members,status,statusFrom,gridWorker,bankAccount,annualIncome';
export const memberColumns = 'householdId,idNumber,name,relation';
