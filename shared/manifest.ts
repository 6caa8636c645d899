// The claim manifest a phone (or any S3 client) uploads as claims/<claimId>/manifest.json.
import * as z from 'zod';
import { parseYuan, type Fen } from '#shared/money.ts';
import { categorySchema, type Category } from '#shared/policy.ts';
import { isIsoDate } from '#shared/dates.ts';
import { isValidResidentId } from '#shared/resident-id.ts';
import type { Message } from '#shared/messages/render.ts';

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
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error, params: { code: parsed.code } });
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
          params: { code: 'MANIFEST_RECEIPT_KEY_OUTSIDE' },
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
          params: { code: 'MANIFEST_RECEIPT_KEY_TOO_LONG' },
        });
      } else if (rest === 'manifest.json') {
        ctx.addIssue({
          code: 'custom',
          path: ['receipts', i, 'key'],
          message: 'the manifest cannot be its own receipt',
          params: { code: 'MANIFEST_RECEIPT_IS_MANIFEST' },
        });
      }
      if (seen.has(r.key))
        ctx.addIssue({
          code: 'custom',
          path: ['receipts', i, 'key'],
          message: 'receipt listed twice',
          params: { code: 'MANIFEST_RECEIPT_TWICE' },
        });
      seen.add(r.key);
    });
    const total = parseYuan(m.totalCost);
    const reimbursed = parseYuan(m.reimbursed);
    if (total.ok && reimbursed.ok && reimbursed.fen > total.fen) {
      ctx.addIssue({
        code: 'custom',
        path: ['reimbursed'],
        message: 'reimbursed is more than the total cost',
        params: { code: 'MANIFEST_REIMBURSED_OVER_TOTAL' },
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
  { ok: true; manifest: Manifest; facts: ClaimFacts } | { ok: false; detail: Message };

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
 * The detail is a message code naming the first problem; its parameters name schema fields and
 * receipt numbers only, never a value or a key the uploader wrote (they may hold personal data).
 */
export function parseManifest(bytes: Uint8Array, key: string): ManifestResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, detail: note('MANIFEST_NOT_UTF8') };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, detail: note(bytes.length === 0 ? 'MANIFEST_EMPTY' : 'MANIFEST_NOT_JSON') };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    return {
      ok: false,
      detail: first ? issueMessage(first, json) : note('MANIFEST_INVALID', { fields: '' }),
    };
  }
  const manifest = parsed.data;
  if (claimIdFromManifestKey(key) !== manifest.claimId) {
    return { ok: false, detail: note('MANIFEST_CLAIM_ID_MISMATCH') };
  }
  const total = parseYuan(manifest.totalCost);
  const reimbursed = parseYuan(manifest.reimbursed);
  if (!total.ok || !reimbursed.ok)
    return { ok: false, detail: note('MANIFEST_INVALID', { fields: 'totalCost,reimbursed' }) };
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

const note = (code: string, params: Message['params'] = {}): Message => ({ code, params });

/** The value at `path` in what was uploaded, to tell a missing field from a wrong one. */
function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let at = json;
  for (const part of path) {
    if (typeof at !== 'object' || at === null || typeof part === 'symbol') return undefined;
    at = (at as Record<string | number, unknown>)[part];
  }
  return at;
}

/** A schema issue as a message: which field, which receipt (numbered from 1), what is wrong. */
function issueMessage(issue: z.core.$ZodIssue, json: unknown): Message {
  const path = issue.path;
  if (issue.code === 'custom' && typeof issue.params?.code === 'string') {
    const field = String(path[0] ?? '');
    // Amount codes (AMOUNT_*) name their field; the receipt codes their receipt's number.
    return typeof path[1] === 'number'
      ? note(issue.params.code, { n: path[1] + 1 })
      : note(issue.params.code, issue.params.code.startsWith('AMOUNT_') ? { field } : {});
  }
  if (path.length === 0)
    return issue.code === 'unrecognized_keys'
      ? note('MANIFEST_UNKNOWN_FIELDS', { count: issue.keys.length })
      : note('MANIFEST_NOT_OBJECT');
  const field = String(path[0]);
  // An entry of receipts: its number, and the entry's own field.
  if (field === 'receipts' && typeof path[1] === 'number') {
    const n = path[1] + 1;
    const inner = path[2] === undefined ? undefined : String(path[2]);
    if (issue.code === 'unrecognized_keys')
      return note('MANIFEST_UNKNOWN_FIELDS_IN', { n, count: issue.keys.length });
    if (inner === undefined) return note('MANIFEST_RECEIPT_FIELD_TYPE', { n, field: 'receipts' });
    if (valueAt(json, path) === undefined) return note('MANIFEST_RECEIPT_FIELD_MISSING', { n, field: inner });
    if (inner === 'sha256') return note('MANIFEST_BAD_SHA256', { n });
    if (inner === 'contentType') return note('MANIFEST_BAD_CONTENT_TYPE', { n });
    if (inner === 'key' && issue.code === 'too_big') return note('MANIFEST_RECEIPT_KEY_TOO_LONG', { n });
    if (inner === 'key' && issue.code === 'too_small') return note('MANIFEST_RECEIPT_KEY_OUTSIDE', { n });
    return note('MANIFEST_RECEIPT_FIELD_TYPE', { n, field: inner });
  }
  if (valueAt(json, path.slice(0, 1)) === undefined) return note('MANIFEST_FIELD_MISSING', { field });
  switch (field) {
    case 'schemaVersion':
      return note('MANIFEST_BAD_SCHEMA_VERSION');
    case 'claimId':
      return note('MANIFEST_BAD_CLAIM_ID');
    case 'householdId':
      if (issue.code === 'invalid_type') break;
      return note(issue.code === 'custom' ? 'MANIFEST_HOUSEHOLD_IS_ID_NUMBER' : 'MANIFEST_BAD_HOUSEHOLD_ID');
    case 'submittedBy':
      return note('MANIFEST_BAD_USERNAME');
    case 'category':
      return note('MANIFEST_BAD_CATEGORY');
    case 'expenseDate':
      return note('MANIFEST_BAD_DATE', { field });
    case 'totalCost':
    case 'reimbursed':
      // A number, null or object where a string of yuan belongs.
      return note('AMOUNT_NOT_STRING', { field });
    case 'receipts':
      if (issue.code === 'too_small' || issue.code === 'too_big')
        return note('MANIFEST_RECEIPT_COUNT', { max: MAX_RECEIPTS });
      break;
  }
  return note('MANIFEST_FIELD_TYPE', { field });
}
