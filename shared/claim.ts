// The stored claim: one schema for the DynamoDB item, the API body and the CLI's --json.
import * as z from 'zod';
import { categorySchema, claimSources, gateIdSchema } from '#shared/policy.ts';
import { claimStateSchema, rejectionReasonSchema } from '#shared/claim-state.ts';
import { receiptRefSchema } from '#shared/manifest.ts';
import { reviewReasonCodes } from '#shared/vocabulary.ts';
import { messageSchema } from '#shared/messages/schema.ts';

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
});
export type AssessmentRecord = z.infer<typeof assessmentSchema>;

/**
 * A note on a claim or a history line, for people: a code with its parameters (plain text only on
 * records from before notes were codes).
 */
export const noteSchema = z.union([z.string(), messageSchema]);

/** Why a claim is reviewed: a code and what a message needs to explain it, never a sentence. */
export const reviewReasonSchema = z.object({
  code: z.enum(reviewReasonCodes),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type ReviewReason = z.infer<typeof reviewReasonSchema>;

export const gateDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string(),
  at: z.string(),
  comment: z.string().optional(),
});
export type GateDecision = z.infer<typeof gateDecisionSchema>;

/** A person's act on a claim with their words: an objection or an appeal. */
export const claimActSchema = z.object({ by: z.string(), at: z.string(), text: z.string() });
export type ClaimAct = z.infer<typeof claimActSchema>;

/** A receipt as judged: the manifest's entry, plus the object version that was hashed. */
export const storedReceiptSchema = z.object({
  ...receiptRefSchema.shape,
  /** The bucket's version of the object validation read (absent where the store keeps no versions). */
  versionId: z.string().optional(),
});
export type StoredReceipt = z.infer<typeof storedReceiptSchema>;

/**
 * Another live claim, or a department's record, this one may repeat: found by the receipt image,
 * by the claim's facts, or by a feed record with the same facts as a receipt claim.
 */
export const possibleDuplicateSchema = z
  .object({
    /** The other claim; absent for a feed record no claim holds (counted below the threshold, say). */
    claimId: z.string().optional(),
    /**
     * `image`: a receipt looks like one of the other claim's; `facts`: same category, date and
     * cost; `feed`: a department's record and a receipt claim have the same category, date and cost.
     */
    by: z.enum(['image', 'facts', 'feed']),
    /** by `feed`: the record (`<kind>:<recordId>`) that describes the same bill, when known. */
    recordKey: z.string().optional(),
  })
  .refine((d) => d.claimId !== undefined || d.recordKey !== undefined, {
    message: 'a possible duplicate names a claim or a record',
  });
export type PossibleDuplicate = z.infer<typeof possibleDuplicateSchema>;

export const claimRecordSchema = z.object({
  claimId: z.string(),
  /** null only when the manifest could not be read at all, or arrived with no grant. */
  householdId: z.string().nullable(),
  category: categorySchema.nullable(),
  expenseDate: z.string().nullable(),
  totalCostFen: fen.nullable(),
  reimbursedFen: fen.nullable(),
  receipts: z.array(storedReceiptSchema),
  submittedBy: z.string().nullable(),
  gridWorker: z.string().nullable(),
  region: z.string().nullable(),
  village: z.string().nullable(),
  state: claimStateSchema,
  reason: rejectionReasonSchema.optional(),
  detail: noteSchema.optional(),
  /** Live claims of the same household this one may repeat: it goes to review, shown beside them. */
  possibleDuplicates: z.array(possibleDuplicateSchema).optional(),
  /** Where an ERROR interrupted the claim, so a retry resumes there. */
  errorFrom: claimStateSchema.optional(),
  assessment: assessmentSchema.optional(),
  payoutFen: fen.optional(),
  /**
   * The gates the claim needs, in order, as its policy's routes said when it went to review (a
   * later policy change leaves it alone). Absent on records from before gates were routed: those
   * need every gate of their policy.
   */
  requiredGates: z.array(gateIdSchema).optional(),
  /** Why the claim went to review: codes with their parameters. */
  reviewReasons: z.array(reviewReasonSchema).optional(),
  gates: z.partialRecord(gateIdSchema, gateDecisionSchema).default({}),
  /** Task tokens of waiting review gates; never leave the server. */
  gateTokens: z.partialRecord(gateIdSchema, z.string()).default({}),
  disbursement: z.object({ batchRef: z.string(), at: z.string(), by: z.string() }).optional(),
  /** Where the claim came from: a grid worker's receipt (absent on older records) or a data feed. */
  source: z.enum(claimSources).optional(),
  /** A data-feed claim's evidence: its records, as `<kind>:<recordId>` (no photo). */
  feedRecords: z.array(z.string()).optional(),
  /** While the claim is posted in the village (NOTICE): when the notice ends and it is paid. */
  noticeEndsAt: z.string().optional(),
  /** Objections raised during notices; each sent the claim back to review. */
  objections: z.array(claimActSchema).optional(),
  /** The household's one appeal against a review rejection. */
  appeal: claimActSchema.optional(),
  /**
   * Gate decisions of earlier review rounds (before an objection or an appeal): their deciders
   * may not decide the new round.
   */
  earlierGates: z.array(z.partialRecord(gateIdSchema, gateDecisionSchema)).optional(),
  /** Under annual accumulation: the household's counted self-paid total before and after this claim. */
  accumulated: z.object({ beforeFen: fen, afterFen: fen }).optional(),
  /** When the claim started waiting for the fund (AWAITING_FUNDS): the queue's order. */
  awaitingFundsSince: z.string().optional(),
  /** The bank's refusal of the transfer (DISBURSEMENT_FAILED), in the bank's own words. */
  bankFailure: z
    .object({
      reason: z.string(),
      at: z.string(),
      row: z.number().int().optional(),
      /**
       * sha256 of the claim id and the account the transfer went to: a reissue needs another
       * account, and the account itself is never stored on the claim.
       */
      accountSha256: z.string().optional(),
      bankRef: z.string().optional(),
      /** The bank result job that recorded it (a retried batch finds its own rows applied). */
      jobId: z.string().optional(),
    })
    .optional(),
  /** The bank's confirmation of the transfer (DISBURSED by its result file). */
  bankTransfer: z
    .object({
      bankRef: z.string(),
      at: z.string(),
      row: z.number().int().optional(),
      jobId: z.string().optional(),
    })
    .optional(),
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
  detail: noteSchema.optional(),
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
  /** The bank's reference of the transfer, from its result file. */
  bankRef: z.string().optional(),
  /** The bank refused the transfer (the claim is DISBURSEMENT_FAILED until reissued). */
  failedAt: z.string().optional(),
  /** Times the payout was sent again after a failed transfer. */
  reissues: z.number().int().nonnegative().optional(),
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

/**
 * A record mark-error wrote for a claim whose manifest was never read (in ERROR, or put back to
 * RECEIVED for a retry): nothing about it has been judged yet.
 */
export function isUnjudgedPlaceholder(claim: ClaimRecord): boolean {
  return (
    (claim.state === 'RECEIVED' || claim.state === 'ERROR') &&
    claim.manifestSha256 === null &&
    claim.householdId === null
  );
}
