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
import type { listLedger } from '#shared/api/ledger-api.ts';
import type { LedgerExportResult } from '#shared/api/ledger-export.ts';
import type { RetryAnswer } from '#shared/api/retry-api.ts';
import type { Quote } from '#shared/compensation.ts';
import type { Category, Policy, ReviewGate } from '#shared/policy.ts';
import type { ClaimState, RejectionReason } from '#shared/claim-state.ts';
import type { Principal, Role } from '#shared/access.ts';

export type { LedgerExportResult, RetryAnswer };
export type { Category, ClaimState, Policy, Principal, Quote, RejectionReason, ReviewGate, Role };

export type ClaimView = ReturnType<typeof claimView>;
export type ClaimDetail = Awaited<ReturnType<typeof getClaim>>;
export type ClaimPage = { items: ClaimView[]; cursor?: string };
export type CreatedClaim = Awaited<ReturnType<typeof createClaim>>;
export type UploadGrant = CreatedClaim['manifest'];
export type DecideResult = Awaited<ReturnType<typeof decideReview>>;
export type DisburseResult = Awaited<ReturnType<typeof markDisbursed>>;
export type ReceiptLink = Awaited<ReturnType<typeof receiptLink>>;
export type HouseholdList = Awaited<ReturnType<typeof listHouseholds>>;
export type Household = HouseholdList['items'][number];
export type LedgerList = Awaited<ReturnType<typeof listLedger>>;
export type LedgerItem = LedgerList['items'][number];
export type RosterImportResult = Awaited<ReturnType<typeof importRoster>>;

// Listed here rather than imported as values: the shared modules that define them pull zod in.
export const categories: readonly Category[] = ['education', 'medical', 'disaster', 'industry'];
export const claimStates: readonly ClaimState[] = [
  'RECEIVED',
  'PENDING_REVIEW',
  'APPROVED',
  'PAID',
  'DISBURSED',
  'REJECTED',
  'ERROR',
];
export const reviewGates: readonly ReviewGate[] = ['village', 'department', 'audit'];
export const rosterColumns =
  'householdId,region,village,headName,idNumber,members,status,statusFrom,gridWorker,bankAccount,annualIncome';
