// A department's record (a 医保 settlement, a term's tuition) once matched to a household: what
// the system keeps of it. Nothing personal: neither the person's ID number nor name is kept, only
// the household it was matched to, the person's place in it (head, child...), the institution,
// the dates and the amounts. Records of people on no household are counted by the job and dropped.
import * as z from 'zod';
import { isIsoDate } from '#shared/dates.ts';
import { memberRelations } from '#shared/vocabulary.ts';

/** The feeds a policy may list in `dataFeeds`; each is also the category its records count in. */
export const feedKinds = ['medical', 'education'] as const;
export const feedKindSchema = z.enum(feedKinds);
export type FeedKind = z.infer<typeof feedKindSchema>;

const fen = z.number().int().nonnegative();

/**
 * - `counted`: in the household's counted total for its category and year directly (its marginal
 *   price was nothing when it was counted: the total stayed below the threshold).
 * - `pending`: matched by a job whose claims are not opened yet: not counted.
 * - `claimed`: evidence of the data-feed claim `claimId`; counted when that claim counts (paid, or
 *   rejected below the threshold), never if it is rejected otherwise.
 */
export const feedRecordStates = ['counted', 'pending', 'claimed'] as const;
export type FeedRecordState = (typeof feedRecordStates)[number];

export const feedRecordSchema = z.object({
  kind: feedKindSchema,
  /** The department's own id of the record: the same id twice counts once. */
  recordId: z.string().min(1).max(64),
  householdId: z.string(),
  /** The person's place in the household (the head, a child...), never who they are. */
  relation: z.enum(memberRelations),
  /** The year whose counted total the record adds to (the expense date's calendar year). */
  capYear: z.number().int(),
  /** medical: the settlement date; education: the payment date (ISO, China time). */
  expenseDate: z.string().refine(isIsoDate),
  totalCostFen: fen,
  /** What insurance, aid and other schemes paid: totalCost - selfPaid. */
  reimbursedFen: fen,
  selfPaidFen: fen,
  /** The hospital or the school. */
  place: z.string().max(100),
  /** medical only: the stay. */
  admissionDate: z.string().optional(),
  dischargeDate: z.string().optional(),
  /** education only: the term as the file names it. */
  term: z.string().max(40).optional(),
  state: z.enum(feedRecordStates),
  claimId: z.string().optional(),
  /** The job that first stored the record, and the latest job that changed it. */
  firstJobId: z.string(),
  jobId: z.string(),
  /** How many times a later file corrected its amounts. */
  corrections: z.number().int().nonnegative().default(0),
  updatedAt: z.string(),
  version: z.number().int().nonnegative(),
});
export type FeedRecord = z.infer<typeof feedRecordSchema>;

/** A feed record's identity: ids are the department's, unique within one kind of feed. */
export const feedRecordKey = (kind: FeedKind, recordId: string): string => `${kind}:${recordId}`;

/**
 * The facts a receipt claim for the same bill would carry (`category|date|totalCostFen`, as the
 * duplicate check compares them): a settlement may be filed under its settlement or discharge date.
 */
export function feedRecordFacts(
  record: Pick<FeedRecord, 'kind' | 'expenseDate' | 'dischargeDate' | 'totalCostFen'>,
): string[] {
  const dates = new Set([record.expenseDate, ...(record.dischargeDate ? [record.dischargeDate] : [])]);
  return [...dates].map((date) => `${record.kind}|${date}|${record.totalCostFen}`);
}
