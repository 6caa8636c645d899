// 5. Bad input. Thousands of generated bad manifests and receipts (fast-check, seeded) uploaded
// to the S3 emulator as any client could, through the deployed workflow: each ends REJECTED with
// its specific reason (a message code the catalog words in both languages), every object it
// uploaded is still there, nothing ends in ERROR, no exception goes unhandled, and the runtime
// still serves and pays a good claim afterwards. Bad roster rows (ID check digits, impossible
// dates) and bad API bodies ride along.
import {
  isMessageCode,
  renderMessage,
  renderMessages,
  type Message,
  type Note,
} from '#shared/messages/render.ts';
import fc from 'fast-check';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { grantAsManifestSays, settled, uploadClaim } from '#cli/local/scratch-stack.ts';
import { oversizedReceipt, sampleBadUploads, type BadUpload } from '#verify/lib/bad-input.ts';
import { pool, secondsSince, withStack, type VerifyStack } from '#verify/lib/stack.ts';
import { rosterHeader } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

/** Roster rows wrong in one way each, with the error the import must give for that row. */
function badRosterRows(count: number, seed: number): { row: string; error: RegExp }[] {
  const base = (over: Partial<Record<string, string>>) => {
    const first17 = over.first17 ?? '43038119800101123';
    const id = over.idNumber ?? first17 + residentIdCheckDigit(first17);
    return `HH-BAD${over.n ?? '0'},demo,红星村,测试户,${id},3,${over.status ?? 'unstable'},${over.statusFrom ?? '2024-01-01'},worker1,${over.bank ?? '6230900000000000099'},${over.income ?? '8000.00'}`;
  };
  const kinds = fc.oneof(
    // A check digit that does not verify: every wrong digit (and X) for random first-17s.
    fc
      .tuple(
        fc.stringMatching(/^[1-6]\d{5}(19[5-9]\d|200\d)(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}$/),
        fc.integer({ min: 1, max: 10 }),
      )
      .map(([first17, shift]) => {
        const right = residentIdCheckDigit(first17);
        const digits = '0123456789X';
        const wrong = digits.charAt((digits.indexOf(right) + shift) % 11);
        return {
          over: { idNumber: first17 + wrong },
          error: /ID number check digit does not match/,
        };
      }),
    fc
      .constantFrom('2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01', '2026-9-1')
      .map((d) => ({ over: { statusFrom: d }, error: /statusFrom: must be a real date/ })),
    fc
      .constantFrom('8000.001', '-1', '1e4', '"8,000"')
      .map((v) => ({ over: { income: v }, error: /annualIncome/ })),
    fc.constantFrom('poor', 'REMOVED', '').map((v) => ({ over: { status: v }, error: /status/ })),
    fc
      .constantFrom('12345', '6230900000000000A', '')
      .map((v) => ({ over: { bank: v }, error: /bankAccount/ })),
  );
  return fc
    .sample(kinds, { numRuns: count, seed })
    .map((k, i) => ({ row: base({ ...k.over, n: String(i) }), error: k.error }));
}

/**
 * Whether a rejection's note is the specific problem planted: one of `codes` (naming `field` when
 * given), a code the catalog puts into words in both languages, not a sentence.
 */
function saysWhy(detail: Note | undefined, codes: readonly string[], field?: string): boolean {
  if (!detail || typeof detail === 'string' || !codes.includes(detail.code)) return false;
  if (field !== undefined && detail.params.field !== field) return false;
  return (
    isMessageCode(detail.code) &&
    !/\{\w+\}/.test(renderMessage(detail, 'zh')) &&
    !/\{\w+\}/.test(renderMessage(detail, 'en'))
  );
}

async function putObjects(stack: VerifyStack, upload: BadUpload) {
  for (const o of upload.objects) {
    if (o.key.endsWith('/manifest.json')) await grantAsManifestSays(stack, o.key, o.body);
    await stack.s3.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: o.key, Body: o.body, ContentType: o.contentType }),
    );
  }
}

/** Generated bad request bodies for the API: each must get a 4xx with an error code, never a 5xx. */
async function badApiRequests(stack: VerifyStack, count: number, seed: number) {
  const worker = await stack.as('worker1');
  const village = await stack.as('village1');
  const finance = await stack.as('finance1');
  const junk = fc.oneof(
    fc.jsonValue(),
    fc.string(),
    fc.constant('{"truncated": '),
    fc.constant('\u0000\uFFFF'),
  );
  const requests = fc.sample(
    fc.oneof(
      junk.map((b) => ['worker', 'POST', '/claims', b] as const),
      fc
        .record(
          {
            householdId: fc.oneof(fc.constant('HH-0001'), fc.string()),
            category: fc.string(),
            expenseDate: fc.string(),
            totalCost: fc.oneof(fc.string(), fc.double()),
            receipts: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((b) => ['worker', 'POST', '/claims', b] as const),
      fc
        .record(
          {
            category: fc.constantFrom('education', 'medical', 'x'),
            totalCost: fc.oneof(fc.string(), fc.integer()),
            reimbursed: fc.string(),
          },
          { requiredKeys: [] },
        )
        .map((b) => ['worker', 'POST', '/quotes', b] as const),
      junk.map((b) => ['village', 'POST', `/claims/${ulid()}/reviews`, b] as const),
      fc
        .tuple(fc.string(), fc.string())
        .map(
          ([from, to]) =>
            [
              'finance',
              'GET',
              `/ledger?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
              undefined,
            ] as const,
        ),
      fc
        .string()
        .map(
          (cursor) =>
            [
              'worker',
              'GET',
              `/claims?cursor=${encodeURIComponent(cursor)}&limit=${encodeURIComponent(cursor.slice(0, 3))}`,
              undefined,
            ] as const,
        ),
      fc
        .string()
        .map(
          (id) =>
            [
              'worker',
              'GET',
              `/claims/${encodeURIComponent(id)}/receipts/${encodeURIComponent(id)}`,
              undefined,
            ] as const,
        ),
    ),
    { numRuns: count, seed },
  );
  const as = { worker, village, finance };
  let fiveHundreds = 0;
  const failures: string[] = [];
  for (const [who, method, path, body] of requests) {
    const r = await as[who](
      method,
      path,
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    );
    if (r.status >= 500) {
      fiveHundreds += 1;
      failures.push(`${method} ${path} -> ${r.status}`);
    } else if (r.status >= 400 && typeof r.body?.error?.code !== 'string') {
      // A refusal must say why, in the API's error shape.
      failures.push(
        `${method} ${path} -> ${r.status} without an error code: ${JSON.stringify(r.body).slice(0, 120)}`,
      );
    }
  }
  return { requests: requests.length, fiveHundreds, failures };
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const count = full ? 2000 : 60;
  let unhandled = 0;
  const onUnhandled = () => void (unhandled += 1);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtExceptionMonitor', onUnhandled);
  try {
    return await withStack({ demo: true }, async (stack) => {
      const builds = [
        ...sampleBadUploads(count, seed),
        ...Array.from({ length: full ? 3 : 1 }, () => oversizedReceipt),
      ];
      const cases = await pool(builds, 6, async (build, i) => {
        const claimId = ulid();
        const upload = build(claimId);
        await putObjects(stack, upload);
        if ((i + 1) % 250 === 0) log(`  uploaded ${i + 1}/${builds.length}`);
        return { claimId, upload };
      });
      await stack.idle();
      const kinds = new Map<string, number>();
      let rejectedRight = 0;
      let wrongReason = 0;
      let vagueDetail = 0;
      let errors = 0;
      let missingObjects = 0;
      const failures: string[] = [];
      await pool(cases, 8, async ({ claimId, upload }) => {
        kinds.set(upload.kind, (kinds.get(upload.kind) ?? 0) + 1);
        let claim = await stack.deps.claims.get(claimId);
        if (!claim || claim.state === 'RECEIVED')
          claim = await settled(stack, claimId, 30_000).catch(() => claim);
        if (claim?.state === 'ERROR') errors += 1;
        if (claim?.state !== 'REJECTED' || claim.reason !== upload.reason) {
          wrongReason += 1;
          failures.push(
            `${upload.kind}: ${claim?.state ?? 'no record'} ${claim?.reason ?? ''} ${JSON.stringify(claim?.detail ?? '')}`.slice(
              0,
              200,
            ),
          );
        } else if (!saysWhy(claim.detail, upload.codes, upload.field)) {
          vagueDetail += 1;
          failures.push(
            `${upload.kind}: detail ${JSON.stringify(claim.detail)} is not ${upload.codes.join(' or ')}${upload.field ? ` naming ${upload.field}` : ''}`,
          );
        } else rejectedRight += 1;
        for (const o of upload.objects) {
          try {
            await stack.s3.send(new HeadObjectCommand({ Bucket: 'receipts', Key: o.key }));
          } catch {
            missingObjects += 1;
            failures.push(`${upload.kind}: ${o.key} is gone`);
          }
        }
      });
      // Bad roster rows through the admin API.
      const rows = badRosterRows(full ? 300 : 20, seed);
      const admin = await stack.as('admin1');
      const imported = await admin('POST', '/roster/imports', {
        csv: [rosterHeader, ...rows.map((r) => r.row)].join('\n'),
      });
      let rosterRight = 0;
      // Each row's reasons are codes; the catalog's English is matched against what was planted.
      const rejectedRows = new Map<number, string>(
        (imported.body?.rejected ?? []).map((r: { row: number; reasons: Message[] }) => [
          r.row,
          renderMessages(r.reasons, 'en'),
        ]),
      );
      rows.forEach((r, i) => {
        const error = rejectedRows.get(i + 2);
        if (error && r.error.test(error)) rosterRight += 1;
        else failures.push(`roster row ${i + 2} (${r.row}): ${error ?? 'accepted'}`);
      });
      const api = await badApiRequests(stack, full ? 500 : 40, seed);
      failures.push(...api.failures);
      // Still up, and still paying: a good claim after the flood.
      const health = await fetch(`${stack.apiUrl}/health`);
      const good = await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '15000' });
      const goodClaim = await settled(stack, good.claimId, 30_000);
      const alive = health.status === 200 && goodClaim.state === 'PAID';
      const figures = {
        uploads: cases.length,
        kinds: kinds.size,
        rejectedRight,
        wrongReason,
        vagueDetail,
        objectsMissing: missingObjects,
        errors,
        rosterRows: rows.length,
        rosterRejectedRight: rosterRight,
        apiRequests: api.requests,
        api5xx: api.fiveHundreds,
        unhandled,
        runtimeUp: alive ? 'yes' : 'no',
        seconds: secondsSince(started),
      };
      return {
        label: 'bad input',
        figures,
        ok:
          rejectedRight === cases.length &&
          missingObjects === 0 &&
          errors === 0 &&
          rosterRight === rows.length &&
          api.fiveHundreds === 0 &&
          api.failures.length === 0 &&
          unhandled === 0 &&
          alive,
        failures: failures.slice(0, 12),
      };
    });
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtExceptionMonitor', onUnhandled);
  }
}
