// The stored claim: one schema for the DynamoDB item, the API body and the CLI's --json.
import * as z from 'zod';
import { categorySchema, reviewGateSchema } from '#shared/policy.ts';
import { claimStateSchema, rejectionReasonSchema } from '#shared/claim-state.ts';
import { receiptRefSchema } from '#shared/manifest.ts';

const fen = z.number().int().nonnegative();

export const bandSchema = z.object({
  fromFen: fen,
  toFen: fen.nullable(),
  rateBp: z.number().int().nullable(),
  baseFen: fen,
  payoutFen: fen,
});

export const assessmentSchema = z.object({
  policyId: z.string(),
  policyVersion: z.number().int(),
  region: z.string(),
  capYear: z.number().int(),
  selfPaidFen: fen,
  grossFen: fen,
  capFen: fen,
  capRemainingFen: fen,
  payoutFen: fen,
  bands: z.array(bandSchema),
  rosterStatus: z.string(),
  reviewReasons: z.array(z.string()),
});
export type AssessmentRecord = z.infer<typeof assessmentSchema>;

export const gateDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string(),
  at: z.string(),
  comment: z.string().optional(),
});
export type GateDecision = z.infer<typeof gateDecisionSchema>;

export const claimRecordSchema = z.object({
  claimId: z.string(),
  /** null only when the manifest could not be read at all, or arrived with no grant. */
  householdId: z.string().nullable(),
  category: categorySchema.nullable(),
  expenseDate: z.string().nullable(),
  totalCostFen: fen.nullable(),
  reimbursedFen: fen.nullable(),
  receipts: z.array(receiptRefSchema),
  submittedBy: z.string().nullable(),
  gridWorker: z.string().nullable(),
  region: z.string().nullable(),
  village: z.string().nullable(),
  state: claimStateSchema,
  reason: rejectionReasonSchema.optional(),
  detail: z.string().optional(),
  /** Where an ERROR interrupted the claim, so a retry resumes there. */
  errorFrom: claimStateSchema.optional(),
  assessment: assessmentSchema.optional(),
  payoutFen: fen.optional(),
  gates: z.partialRecord(reviewGateSchema, gateDecisionSchema).default({}),
  /** Task tokens of waiting review gates; never leave the server. */
  gateTokens: z.partialRecord(reviewGateSchema, z.string()).default({}),
  disbursement: z.object({ batchRef: z.string(), at: z.string(), by: z.string() }).optional(),
  manifestSha256: z.string().nullable(),
  filedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Optimistic-lock counter: every write is conditional on the version it read. */
  version: z.number().int().nonnegative(),
});
export type ClaimRecord = z.infer<typeof claimRecordSchema>;

export const historyEventSchema = z.object({
  at: z.string(),
  from: claimStateSchema.nullable(),
  to: claimStateSchema,
  actor: z.string(),
  reason: rejectionReasonSchema.optional(),
  detail: z.string().optional(),
});

export const ledgerEntrySchema = z.object({
  claimId: z.string(),
  householdId: z.string(),
  region: z.string(),
  village: z.string(),
  category: categorySchema,
  gridWorker: z.string(),
  payoutFen: fen.positive(),
  capYear: z.number().int(),
  policyId: z.string(),
  policyVersion: z.number().int(),
  paidAt: z.string(),
  paidDate: z.string(),
  disbursedAt: z.string().optional(),
  batchRef: z.string().optional(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** A claim known only by its id: before (or without) a readable manifest. */
export function blankClaim(claimId: string, filedAt: string): ClaimRecord {
  return {
    claimId,
    householdId: null,
    category: null,
    expenseDate: null,
    totalCostFen: null,
    reimbursedFen: null,
    receipts: [],
    submittedBy: null,
    gridWorker: null,
    region: null,
    village: null,
    state: 'RECEIVED',
    gates: {},
    gateTokens: {},
    manifestSha256: null,
    filedAt,
    createdAt: filedAt,
    updatedAt: filedAt,
    version: 0,
  };
}
