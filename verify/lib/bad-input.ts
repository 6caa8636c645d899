// Generated bad uploads: manifests and receipts that are wrong in every way a careless or hostile
// client can make them, each tagged with the rejection it must produce (reason code and the
// message code of its detail).
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { jpeg } from '#cli/local/scratch-stack.ts';

export interface BadObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
}

export interface BadUpload {
  readonly kind: string;
  readonly reason: 'INVALID_MANIFEST' | 'INVALID_RECEIPT';
  /** The message codes the claim's detail may have: the specific problem, not just "invalid". */
  readonly codes: readonly string[];
  /** The field the detail must name, when its code names one. */
  readonly field?: string;
  /** Receipts first, then the manifest last (its creation starts the workflow). */
  readonly objects: readonly BadObject[];
}

type Build = (claimId: string) => BadUpload;

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const png = (seed: string) =>
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...utf8(`png ${seed}`)]);

interface Parts {
  manifest: Record<string, unknown>;
  receipts: BadObject[];
}

/** A manifest that would pass, with its receipt: each case breaks one thing in it. */
function good(claimId: string): Parts {
  const body = jpeg(`bad-input ${claimId}`);
  const key = `claims/${claimId}/receipt-1.jpg`;
  return {
    manifest: {
      schemaVersion: 1,
      claimId,
      householdId: 'HH-0001',
      category: 'education',
      expenseDate: '2026-09-01',
      totalCost: '15000.00',
      reimbursed: '0',
      receipts: [{ key, sha256: sha(body), contentType: 'image/jpeg' }],
      submittedBy: 'worker1',
    },
    receipts: [{ key, body, contentType: 'image/jpeg' }],
  };
}

function upload(claimId: string, parts: Parts, manifestBytes?: Uint8Array): BadObject[] {
  return [
    ...parts.receipts,
    {
      key: `claims/${claimId}/manifest.json`,
      body: manifestBytes ?? utf8(JSON.stringify(parts.manifest)),
      contentType: 'application/json',
    },
  ];
}

const manifestCase =
  (
    kind: string,
    expected: { codes: readonly string[]; field?: string },
    edit: (m: Record<string, unknown>, claimId: string) => void,
  ): Build =>
  (claimId) => {
    const parts = good(claimId);
    edit(parts.manifest, claimId);
    return { kind, reason: 'INVALID_MANIFEST', ...expected, objects: upload(claimId, parts) };
  };

const amountCodes = [
  'AMOUNT_INVALID',
  'AMOUNT_EMPTY',
  'AMOUNT_TOO_LONG',
  'AMOUNT_NEGATIVE',
  'AMOUNT_EXPONENT',
  'AMOUNT_DECIMALS',
  'AMOUNT_TOO_LARGE',
];

// Amounts: the money rules' refusals, plus what JSON lets a client send instead of a string.
const badAmountString = fc.oneof(
  fc.integer({ min: 1, max: 10_000_000 }).map((n) => `-${n}`),
  fc.integer({ min: 10_000_001, max: 2_000_000_000 }).map(String),
  fc.bigInt({ min: 10n ** 12n, max: 10n ** 19n }).map(String),
  fc
    .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 999 }))
    .map(([w, d]) => `${w}.${String(d).padStart(3, '0')}`),
  fc
    .tuple(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom('e', 'E', 'e+', 'e-'),
    )
    .map(([m, e, x]) => `${m}${x}${e}`),
  fc.constantFrom(
    '',
    ' ',
    '15,000',
    '+15000',
    '15000.',
    '.5',
    '0x3A98',
    'NaN',
    'Infinity',
    '１５０００',
    '15000 ',
    '１.5',
    '00015000',
  ),
);
const nonString = fc.oneof(
  fc.integer({ min: -1e6, max: 1e8 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({ yuan: '15000' }),
);

const badDates = fc.constantFrom(
  '2026-02-30',
  '2026-02-29',
  '2025-02-29',
  '2026-04-31',
  '2026-13-01',
  '2026-00-10',
  '2026-9-1',
  '20260901',
  '2026/09/01',
  '2026-09-01T00:00:00Z',
  '',
  '二〇二六年九月一日',
);

const unknownField = fc.oneof(
  // An ID number with a wrong check digit, or a bank account: personal data has no place here.
  fc.constantFrom(
    ['idNumber', '430381196007101078'],
    ['idNumber', '43038119600710107X'],
    ['bankAccount', '6230900000000000001'],
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z][A-Za-z]{2,12}$/), fc.jsonValue())
    .filter(
      ([k]) =>
        ![
          'schemaVersion',
          'claimId',
          'householdId',
          'category',
          'expenseDate',
          'totalCost',
          'reimbursed',
          'receipts',
          'submittedBy',
        ].includes(k),
    ),
);

const outsideKeys = (claimId: string) => [
  `claims/01ARZ3NDEKTSV4RRFFQ69G5FAV/receipt-1.jpg`,
  `claims/${claimId}/../01ARZ3NDEKTSV4RRFFQ69G5FAV/receipt-1.jpg`,
  `claims/${claimId}/./receipt-1.jpg`,
  `claims/${claimId}//receipt-1.jpg`,
  `claims/${claimId}/`,
  `claims/${claimId}/manifest.json`,
  `../claims/${claimId}/receipt-1.jpg`,
  `/claims/${claimId}/receipt-1.jpg`,
  `receipts/${claimId}/receipt-1.jpg`,
  `claims/${claimId.toLowerCase()}/receipt-1.jpg`,
  `claims/${claimId}/sub/../../x/receipt-1.jpg`,
];

function badCases(): fc.Arbitrary<Build>[] {
  return [
    badAmountString.chain((v) =>
      fc
        .constantFrom('totalCost', 'reimbursed')
        .map((field): Build =>
          manifestCase(`amount:${field}`, { codes: amountCodes, field }, (m) => void (m[field] = v)),
        ),
    ),
    nonString.chain((v) =>
      fc
        .constantFrom('totalCost', 'reimbursed')
        .map((field): Build =>
          manifestCase(
            `amount-type:${field}`,
            { codes: ['AMOUNT_NOT_STRING'], field },
            (m) => void (m[field] = v),
          ),
        ),
    ),
    fc
      .constantFrom<[string, unknown, string, string?]>(
        ['householdId', 12, 'MANIFEST_FIELD_TYPE', 'householdId'],
        ['householdId', 'HH 0001', 'MANIFEST_BAD_HOUSEHOLD_ID'],
        ['householdId', '', 'MANIFEST_BAD_HOUSEHOLD_ID'],
        ['category', 'tuition', 'MANIFEST_BAD_CATEGORY'],
        ['category', 'EDUCATION', 'MANIFEST_BAD_CATEGORY'],
        ['category', null, 'MANIFEST_BAD_CATEGORY'],
        ['schemaVersion', 2, 'MANIFEST_BAD_SCHEMA_VERSION'],
        ['schemaVersion', '1', 'MANIFEST_BAD_SCHEMA_VERSION'],
        ['receipts', {}, 'MANIFEST_FIELD_TYPE', 'receipts'],
        ['receipts', [], 'MANIFEST_RECEIPT_COUNT'],
        ['receipts', 'claims/x.jpg', 'MANIFEST_FIELD_TYPE', 'receipts'],
        ['submittedBy', 'worker 1', 'MANIFEST_BAD_USERNAME'],
        ['submittedBy', 7, 'MANIFEST_BAD_USERNAME'],
        ['claimId', 42, 'MANIFEST_BAD_CLAIM_ID'],
      )
      .map(([field, value, code, named]): Build =>
        manifestCase(
          `type:${field}`,
          { codes: [code], ...(named ? { field: named } : {}) },
          (m) => void (m[field] = value),
        ),
      ),
    fc
      .constantFrom(
        'householdId',
        'category',
        'expenseDate',
        'totalCost',
        'receipts',
        'submittedBy',
        'schemaVersion',
      )
      .map((field): Build =>
        manifestCase(
          `missing:${field}`,
          { codes: ['MANIFEST_FIELD_MISSING'], field },
          (m) => void delete m[field],
        ),
      ),
    unknownField.map(([k, v]): Build =>
      manifestCase('unknown-field', { codes: ['MANIFEST_UNKNOWN_FIELDS'] }, (m) => void (m[k as string] = v)),
    ),
    badDates.map((d): Build =>
      manifestCase(
        'date',
        { codes: ['MANIFEST_BAD_DATE'], field: 'expenseDate' },
        (m) => void (m.expenseDate = d),
      ),
    ),
    fc
      .integer({ min: 1, max: 9 })
      .map((n): Build =>
        manifestCase(
          'reimbursed>total',
          { codes: ['MANIFEST_REIMBURSED_OVER_TOTAL'] },
          (m) => void (m.reimbursed = `${15000 + n}`),
        ),
      ),
    fc.constant<Build>((claimId) => {
      const parts = good(claimId);
      parts.manifest.claimId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
      return {
        kind: 'claimId-mismatch',
        reason: 'INVALID_MANIFEST',
        // Its receipt is then outside the claimId the manifest names: either is the reason.
        codes: ['MANIFEST_CLAIM_ID_MISMATCH', 'MANIFEST_RECEIPT_KEY_OUTSIDE'],
        objects: upload(claimId, parts),
      };
    }),
    fc.integer({ min: 0, max: 10 }).map((pick): Build => (claimId) => {
      const parts = good(claimId);
      const [receipt] = parts.manifest.receipts as { key: string }[];
      if (receipt) receipt.key = outsideKeys(claimId)[pick] ?? `../${claimId}`;
      return {
        kind: 'outside-prefix',
        reason: 'INVALID_MANIFEST',
        codes: ['MANIFEST_RECEIPT_KEY_OUTSIDE', 'MANIFEST_RECEIPT_IS_MANIFEST'],
        objects: upload(claimId, parts),
      };
    }),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((junk): Build => (claimId) => {
      // Lone continuation bytes and overlongs: never valid UTF-8, whatever surrounds them.
      const bytes = new Uint8Array([
        ...utf8('{"schemaVersion":1,"claimId":"'),
        0xc0,
        0xaf,
        ...junk,
        0xff,
        ...utf8('"}'),
      ]);
      return {
        kind: 'invalid-utf8',
        reason: 'INVALID_MANIFEST',
        codes: ['MANIFEST_NOT_UTF8'],
        objects: upload(claimId, good(claimId), bytes),
      };
    }),
    fc.double({ min: 0.05, max: 0.97, noNaN: true }).map((cut): Build => (claimId) => {
      const parts = good(claimId);
      const text = JSON.stringify(parts.manifest);
      return {
        kind: 'truncated',
        reason: 'INVALID_MANIFEST',
        codes: ['MANIFEST_NOT_JSON'],
        objects: upload(claimId, parts, utf8(text.slice(0, Math.floor(text.length * cut)))),
      };
    }),
    fc
      .constantFrom('[]', '"manifest"', '42', 'null', 'true', '{}', '[{"schemaVersion":1}]')
      .map((text): Build => (claimId) => ({
        kind: 'not-an-object',
        reason: 'INVALID_MANIFEST',
        codes: ['MANIFEST_NOT_OBJECT', 'MANIFEST_FIELD_MISSING'],
        objects: upload(claimId, good(claimId), utf8(text)),
      })),
    fc.constant<Build>((claimId) => ({
      kind: 'zero-byte-manifest',
      reason: 'INVALID_MANIFEST',
      codes: ['MANIFEST_EMPTY'],
      objects: upload(claimId, good(claimId), new Uint8Array()),
    })),
    fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((size): Build => (claimId) => {
      const parts = good(claimId);
      const text = JSON.stringify(parts.manifest);
      // Valid JSON padded past 64 KB with whitespace: too big to be a manifest, whatever it says.
      const padded = `${text.slice(0, -1)}${' '.repeat(Math.max(0, size - text.length))}}`;
      return {
        kind: 'oversized-manifest',
        reason: 'INVALID_MANIFEST',
        codes: ['MANIFEST_TOO_LARGE'],
        objects: upload(claimId, parts, utf8(padded)),
      };
    }),
    // Receipts: the manifest is fine, the bytes are not.
    fc
      .oneof(
        fc.constant(utf8('GIF89a not a receipt')),
        fc
          .uint8Array({ minLength: 1, maxLength: 64 })
          .filter((b) => b[0] !== 0xff && b[0] !== 0x89 && b[0] !== 0x25),
      )
      .map((body): Build => (claimId) => {
        const parts = good(claimId);
        const key = `claims/${claimId}/receipt-1.jpg`;
        parts.receipts = [{ key, body, contentType: 'image/jpeg' }];
        parts.manifest.receipts = [{ key, sha256: sha(body), contentType: 'image/jpeg' }];
        return {
          kind: 'magic-bytes',
          reason: 'INVALID_RECEIPT',
          codes: ['RECEIPT_UNKNOWN_TYPE'],
          objects: upload(claimId, parts),
        };
      }),
    fc.constant<Build>((claimId) => {
      const parts = good(claimId);
      const body = png(claimId);
      const key = `claims/${claimId}/receipt-1.jpg`;
      parts.receipts = [{ key, body, contentType: 'image/jpeg' }];
      parts.manifest.receipts = [{ key, sha256: sha(body), contentType: 'image/jpeg' }];
      return {
        kind: 'declared-type',
        reason: 'INVALID_RECEIPT',
        codes: ['RECEIPT_TYPE_DIFFERS'],
        objects: upload(claimId, parts),
      };
    }),
    fc.stringMatching(/^[0-9a-f]{64}$/).map((hash): Build => (claimId) => {
      const parts = good(claimId);
      const [r] = parts.manifest.receipts as { sha256: string }[];
      if (r) r.sha256 = hash;
      return {
        kind: 'sha256',
        reason: 'INVALID_RECEIPT',
        codes: ['RECEIPT_SHA256_DIFFERS'],
        objects: upload(claimId, parts),
      };
    }),
    fc.constant<Build>((claimId) => {
      const parts = good(claimId);
      parts.receipts = [];
      return {
        kind: 'missing-receipt',
        reason: 'INVALID_RECEIPT',
        codes: ['RECEIPT_NOT_UPLOADED'],
        objects: upload(claimId, parts),
      };
    }),
    fc.constant<Build>((claimId) => {
      const parts = good(claimId);
      const key = `claims/${claimId}/receipt-1.jpg`;
      const body = new Uint8Array();
      parts.receipts = [{ key, body, contentType: 'image/jpeg' }];
      parts.manifest.receipts = [{ key, sha256: sha(body), contentType: 'image/jpeg' }];
      return {
        kind: 'zero-byte-receipt',
        reason: 'INVALID_RECEIPT',
        codes: ['RECEIPT_EMPTY'],
        objects: upload(claimId, parts),
      };
    }),
    fc.constant<Build>((claimId) => {
      const parts = good(claimId);
      const first = parts.receipts[0] as BadObject;
      const second = { ...first, key: `claims/${claimId}/receipt-2.jpg` };
      parts.receipts.push(second);
      parts.manifest.receipts = [
        ...(parts.manifest.receipts as object[]),
        { key: second.key, sha256: sha(second.body), contentType: 'image/jpeg' },
      ];
      return {
        kind: 'same-file-twice',
        reason: 'INVALID_RECEIPT',
        codes: ['RECEIPT_SAME_FILE'],
        objects: upload(claimId, parts),
      };
    }),
  ];
}

/** `count` bad uploads, a fixed mix for a seed (fast-check's sampler, seeded). */
export function sampleBadUploads(count: number, seed: number): Build[] {
  return fc.sample(fc.oneof(...badCases()), { numRuns: count, seed });
}

/** A receipt over 10 MB: costly to upload, so the checks make only a few. */
export const oversizedReceipt: Build = (claimId) => {
  const parts = good(claimId);
  const key = `claims/${claimId}/receipt-1.jpg`;
  const body = new Uint8Array(10 * 1024 * 1024 + 1024);
  body.set(jpeg(claimId));
  parts.receipts = [{ key, body, contentType: 'image/jpeg' }];
  parts.manifest.receipts = [{ key, sha256: sha(body), contentType: 'image/jpeg' }];
  return {
    kind: 'oversized-receipt',
    reason: 'INVALID_RECEIPT',
    codes: ['RECEIPT_TOO_LARGE'],
    objects: upload(claimId, parts),
  };
};
