// The claim manifest a phone (or any S3 client) uploads as claims/<claimId>/manifest.json.
import * as z from 'zod';
import { parseYuan, type Fen } from '#shared/money.ts';
import { categorySchema, type Category } from '#shared/policy.ts';
import { isIsoDate } from '#shared/dates.ts';
import { isValidResidentId } from '#shared/resident-id.ts';

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const claimIdSchema = z
  .string()
  .regex(ULID_PATTERN, 'claimId must be a ULID (26 characters, Crockford base32)');
export const householdIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,40}$/, 'householdId is malformed')
  // A head's resident ID typed where the roster id belongs would be stored on the claim and shown
  // to every reviewer: refuse it here, without repeating it.
  .refine(
    (id) => !isValidResidentId(id),
    'householdId is a resident ID number; use the roster id (e.g. HH-0001)',
  );
export const usernameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'username is malformed');
export const isoDateSchema = z.string().refine(isIsoDate, 'must be a real date written YYYY-MM-DD');

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

export const receiptContentTypes = ['image/jpeg', 'image/png', 'application/pdf'] as const;
export const MAX_RECEIPT_BYTES = 10 * 1024 * 1024;
export const MAX_RECEIPTS = 10;

const yuanString = z.string().superRefine((value, ctx) => {
  const parsed = parseYuan(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const receiptRefSchema = z
  .object({
    key: z.string().min(1).max(1024),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters'),
    contentType: z.enum(receiptContentTypes),
  })
  .strict();
export type ReceiptRef = z.infer<typeof receiptRefSchema>;

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    claimId: claimIdSchema,
    householdId: householdIdSchema,
    category: categorySchema,
    expenseDate: isoDateSchema,
    totalCost: yuanString,
    reimbursed: yuanString,
    receipts: z.array(receiptRefSchema).min(1).max(MAX_RECEIPTS),
    submittedBy: usernameSchema,
  })
  .strict()
  .superRefine((m, ctx) => {
    const prefix = `claims/${m.claimId}/`;
    const seen = new Set<string>();
    m.receipts.forEach((r, i) => {
      const rest = r.key.startsWith(prefix) ? r.key.slice(prefix.length) : undefined;
      if (
        rest === undefined ||
        rest.length === 0 ||
        rest.split('/').some((part) => part === '..' || part === '.' || part === '')
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['receipts', i, 'key'],
          message: `receipt key must be a file under ${prefix}`,
        });
      } else if (
        // What S3 (and a file system under the local emulator) can store: keys up to 1,024 bytes,
        // names up to 255. A key no store can hold is a bad manifest, not a fault to retry.
        utf8Length(r.key) > 1024 ||
        rest.split('/').some((part) => utf8Length(part) > 255)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['receipts', i, 'key'],
          message: 'receipt key is too long (S3 keys hold at most 1,024 bytes, names 255)',
        });
      } else if (rest === 'manifest.json') {
        ctx.addIssue({
          code: 'custom',
          path: ['receipts', i, 'key'],
          message: 'the manifest cannot be its own receipt',
        });
      }
      if (seen.has(r.key))
        ctx.addIssue({ code: 'custom', path: ['receipts', i, 'key'], message: 'receipt listed twice' });
      seen.add(r.key);
    });
    const total = parseYuan(m.totalCost);
    const reimbursed = parseYuan(m.reimbursed);
    if (total.ok && reimbursed.ok && reimbursed.fen > total.fen) {
      ctx.addIssue({
        code: 'custom',
        path: ['reimbursed'],
        message: 'reimbursed is more than the total cost',
      });
    }
  });
export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest's facts with amounts in fen: what the system stores and reasons about. */
export interface ClaimFacts {
  readonly claimId: string;
  readonly householdId: string;
  readonly category: Category;
  readonly expenseDate: string;
  readonly totalCostFen: Fen;
  readonly reimbursedFen: Fen;
  readonly receipts: readonly ReceiptRef[];
  readonly submittedBy: string;
}

export type ManifestResult =
  { ok: true; manifest: Manifest; facts: ClaimFacts } | { ok: false; detail: string };

/**
 * Where a manifest's key says the claim is: `claims/<claimId>/manifest.json`. Any safe id is
 * accepted here so even a malformed one gets a claim record (rejected INVALID_MANIFEST later).
 */
export function claimIdFromManifestKey(key: string): string | undefined {
  const match = /^claims\/([A-Za-z0-9_-]{1,64})\/manifest\.json$/.exec(key);
  return match?.[1];
}

/**
 * Decodes manifest bytes: strict UTF-8, JSON, the manifest schema, and the claimId of its key.
 * The detail is for people and never quotes field values (they may hold personal data).
 */
export function parseManifest(bytes: Uint8Array, key: string): ManifestResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, detail: 'manifest is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      detail: bytes.length === 0 ? 'manifest is empty' : 'manifest is not valid JSON (truncated?)',
    };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'manifest';
      return issue.code === 'unrecognized_keys'
        ? `${where}: unknown field(s) ${issue.keys.join(', ')}`
        : `${where}: ${issue.message}`;
    });
    // Field names come from the uploader too: a run of digits in them (an ID number or an account
    // used as a key) is not repeated to the reviewers who read this.
    return {
      ok: false,
      detail: issues
        .join('; ')
        .replace(/\d{6,}/g, '…')
        .slice(0, 500),
    };
  }
  const manifest = parsed.data;
  if (claimIdFromManifestKey(key) !== manifest.claimId) {
    return { ok: false, detail: 'manifest claimId differs from the claimId in its key' };
  }
  const total = parseYuan(manifest.totalCost);
  const reimbursed = parseYuan(manifest.reimbursed);
  if (!total.ok || !reimbursed.ok) return { ok: false, detail: 'amounts are malformed' };
  return {
    ok: true,
    manifest,
    facts: {
      claimId: manifest.claimId,
      householdId: manifest.householdId,
      category: manifest.category,
      expenseDate: manifest.expenseDate,
      totalCostFen: total.fen,
      reimbursedFen: reimbursed.fen,
      receipts: manifest.receipts,
      submittedBy: manifest.submittedBy,
    },
  };
}
