// Check 11: abuse. Replays, against the whole local stack, every way a hostile or careless user
// once got a claim, a payout or personal data they should not have, and counts per item the
// attempts made and the attempts that got through (goal: 0). Plus the near-duplicate figures:
// transformed copies of generated receipt images flagged, and distinct receipts flagged falsely.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ulid } from 'ulid';
import type { ClaimRecord } from '#shared/claim.ts';
import { decideReview } from '#shared/api/claims-api.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { recentDate, settled, type ApiCall } from '#cli/local/scratch-stack.ts';
import {
  measureNearDuplicates,
  renderReceipt,
  receiptSpec,
  transformReceipt,
} from '#verify/lib/receipt-images.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { importHouseholds, secondsSince, sleep, withStack } from '#verify/lib/stack.ts';
import { rosterCsv, syntheticHouseholds, type SyntheticHousehold } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

interface Item {
  readonly n: number;
  readonly name: string;
  attempts: number;
  through: number;
  readonly examples: string[];
}

interface UploadForm {
  key: string;
  url: string;
  fields: Record<string, string>;
}
interface Granted {
  claimId: string;
  receipts: UploadForm[];
  manifest: UploadForm;
  manifestTemplate: Record<string, unknown>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function postForm(form: UploadForm, bytes: Uint8Array, contentType: string): Promise<number> {
  const body = new FormData();
  for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
  body.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: contentType }), 'upload');
  return (await fetch(form.url, { method: 'POST', body })).status;
}

/** A 1x1 grey PNG: small, real, and not a photo (not fingerprinted, never a near duplicate). */
function tinyPng(seed: string): Uint8Array {
  // A valid PNG with a tEXt chunk that makes its bytes unique.
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  const idat = Buffer.from('789c636000000002000178', 'hex').subarray(0, 11);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`seed\0${seed}`, 'latin1')),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c;
}

export async function run({ scale, seed = DEFAULT_SEED, log }: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const rounds = full ? 10 : 2;
  const random = seededRandom(seed);
  const items: Item[] = [
    'manifest naming another household or filer',
    'filer or grid worker deciding a gate',
    'parallel disbursements, different batches',
    'over-long object keys',
    'receipt replaced after judging',
    'one ID number on several households',
    'the same bill filed again, not byte for byte',
    'truncated receipt files',
    'local endpoints open or unsigned',
    'malformed ids, cursors and echoes',
  ].map((name, i) => ({ n: i + 1, name, attempts: 0, through: 0, examples: [] }));
  const tally = (n: number, ok: boolean, example: string) => {
    const item = items[n - 1];
    if (!item) throw new Error(`no item ${n}`);
    item.attempts += 1;
    if (!ok) {
      item.through += 1;
      if (item.examples.length < 3) item.examples.push(example);
    }
  };

  await withStack({ demo: true }, async (stack) => {
    const households = syntheticHouseholds('AB', 12, random.fork('hh'), ['worker1']);
    await importHouseholds(stack, households);
    const api = new Map<string, ApiCall>();
    const as = async (user: string) => {
      let call = api.get(user);
      if (!call) {
        call = await stack.as(user);
        api.set(user, call);
      }
      return call;
    };
    const claimOf = async (claimId: string) => stack.deps.claims.get(claimId);
    let household = 0;
    const nextHousehold = (): SyntheticHousehold => {
      const h = households[household++ % households.length];
      if (!h) throw new Error('no households');
      return h;
    };
    // Every claim a worker files here goes through the API's grant and upload forms, as the web app does.
    let expense = 0;
    const file = async (options: {
      householdId: string;
      totalCost?: string;
      receipt?: { bytes: Uint8Array; contentType: string };
      manifest?: Record<string, unknown>;
      category?: string;
    }): Promise<{ claimId: string; granted: Granted; receipt: Uint8Array }> => {
      const worker = await as('worker1');
      const receipt = options.receipt ?? { bytes: tinyPng(ulid()), contentType: 'image/png' };
      const r = await worker('POST', '/claims', {
        householdId: options.householdId,
        receipts: [{ contentType: receipt.contentType }],
      });
      if (r.status !== 201) throw new Error(`grant refused: ${r.status} ${JSON.stringify(r.body)}`);
      const granted = r.body as Granted;
      const form = granted.receipts[0];
      if (!form) throw new Error('no receipt form');
      if ((await postForm(form, receipt.bytes, receipt.contentType)) >= 300)
        throw new Error('receipt upload refused');
      // Distinct facts per claim unless the case says otherwise: the same facts are a duplicate.
      expense += 1;
      const manifest = {
        ...granted.manifestTemplate,
        category: options.category ?? 'education',
        expenseDate: recentDate(1 + (expense % 20)),
        totalCost: options.totalCost ?? `${15000 + expense}`,
        reimbursed: '0',
        receipts: [{ key: form.key, sha256: sha256(receipt.bytes), contentType: receipt.contentType }],
        ...options.manifest,
      };
      const status = await postForm(
        granted.manifest,
        new TextEncoder().encode(JSON.stringify(manifest)),
        'application/json',
      );
      if (status >= 300) throw new Error(`manifest upload refused: ${status}`);
      return { claimId: granted.claimId, granted, receipt: receipt.bytes };
    };
    const settle = async (claimId: string): Promise<ClaimRecord> => {
      await stack.idle();
      return settled(stack, claimId, 30_000);
    };

    // 1. A grant for one household, a manifest for another (or another filer).
    log?.('abuse 1: manifests that disagree with their grant');
    const idOfSomeone = households[0]?.idNumber ?? '110101199003074477';
    for (let round = 0; round < rounds; round++) {
      const own = nextHousehold();
      const variants: Record<string, unknown>[] = [
        { householdId: 'HH-0031', submittedBy: 'worker2' },
        { householdId: 'HH-0031' },
        { submittedBy: 'worker2' },
        { submittedBy: 'village1' },
        { submittedBy: idOfSomeone },
      ];
      for (const lie of variants) {
        const { claimId } = await file({ householdId: own.householdId, manifest: lie });
        const claim = await settle(claimId);
        const ok =
          claim.state === 'REJECTED' &&
          claim.reason === 'INVALID_MANIFEST' &&
          claim.householdId === own.householdId &&
          claim.submittedBy === 'worker1' &&
          !(await stack.deps.claims.ledgerEntry(claimId));
        tally(1, ok, `${JSON.stringify(lie)} -> ${claim.state} ${claim.reason ?? ''} ${claim.householdId}`);
      }
      // No grant at all: straight to S3 with the emulator's keys, as any S3 client can.
      const claimId = ulid();
      const receipt = tinyPng(claimId);
      await stack.s3.send(
        new PutObjectCommand({ Bucket: 'receipts', Key: `claims/${claimId}/receipt-1.png`, Body: receipt }),
      );
      await stack.s3.send(
        new PutObjectCommand({
          Bucket: 'receipts',
          Key: `claims/${claimId}/manifest.json`,
          Body: JSON.stringify({
            schemaVersion: 1,
            claimId,
            householdId: own.householdId,
            category: 'education',
            expenseDate: recentDate(),
            totalCost: '15000',
            reimbursed: '0',
            receipts: [
              { key: `claims/${claimId}/receipt-1.png`, sha256: sha256(receipt), contentType: 'image/png' },
            ],
            submittedBy: 'worker1',
          }),
        }),
      );
      const claim = await settle(claimId);
      tally(1, claim.reason === 'INVALID_MANIFEST', `no grant -> ${claim.state} ${claim.reason ?? ''}`);
    }

    // 2. The filer (holding the verifier role too) and the household's grid worker decide no gate.
    log?.('abuse 2: separation of duties');
    for (let round = 0; round < rounds; round++) {
      const { claimId } = await file({
        householdId: nextHousehold().householdId,
        totalCost: `${22700 + round}`,
      });
      const claim = await settle(claimId);
      if (claim.state !== 'PENDING_REVIEW')
        throw new Error(`a 22,700 claim should wait for review, is ${claim.state}`);
      for (const principal of [
        { username: 'worker1', roles: ['gridWorker', 'villageVerifier'] as const },
        { username: 'worker1', roles: ['villageVerifier'] as const },
      ]) {
        const refused = await decideReview(
          stack.deps,
          { ...principal, roles: [...principal.roles] },
          claimId,
          {
            gate: 'village',
            decision: 'approve',
          },
        ).then(
          () => false,
          () => true,
        );
        const after = await claimOf(claimId);
        tally(
          2,
          refused && after?.gates.village === undefined,
          `${principal.roles.join('+')} decided the village gate`,
        );
      }
    }

    // 3. 20 parallel disbursements of one claim, each with its own batch reference.
    log?.('abuse 3: parallel disbursements');
    const finance = await as('finance1');
    for (let round = 0; round < rounds; round++) {
      const { claimId } = await file({ householdId: nextHousehold().householdId });
      const claim = await settle(claimId);
      if (claim.state !== 'PAID') throw new Error(`a 15,000 claim should be paid, is ${claim.state}`);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          finance('POST', '/ledger/disbursements', { claimIds: [claimId], batchRef: `R${round}-B${i + 1}` }),
        ),
      );
      const winners = answers.filter((a) => a.status === 200);
      const after = await claimOf(claimId);
      const entry = await stack.deps.claims.ledgerEntry(claimId);
      const ok =
        winners.length === 1 &&
        answers.every((a) => a.status === 200 || a.status === 409) &&
        after?.disbursement?.batchRef !== undefined &&
        after.disbursement.batchRef === entry?.batchRef;
      tally(
        3,
        ok,
        `${winners.length} accepted; claim ${after?.disbursement?.batchRef} ledger ${entry?.batchRef}`,
      );
      // The same batch again is a no-op.
      const again = await finance('POST', '/ledger/disbursements', {
        claimIds: [claimId],
        batchRef: after?.disbursement?.batchRef,
      });
      tally(3, again.status === 200, `repeat of the recorded batch answered ${again.status}`);
    }

    // 4. Keys S3 itself refuses; the stack must answer 400 and stay up.
    log?.('abuse 4: over-long keys');
    for (const key of [
      `claims/${ulid()}/${'a'.repeat(300)}.jpg`,
      `claims/${ulid()}/${'b/'.repeat(540)}x.jpg`,
      `claims/${'c'.repeat(2000)}/manifest.json`,
    ]) {
      const status = await stack.s3
        .send(new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: 'x' }))
        .then(
          () => 200,
          (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0,
        );
      const health = await fetch(`${stack.apiUrl}/health`).then(
        (r) => r.status,
        () => 0,
      );
      const listed = await stack.s3
        .send(new GetObjectCommand({ Bucket: 'receipts', Key: 'claims/none/manifest.json' }))
        .then(
          () => 200,
          (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0,
        );
      tally(
        4,
        status === 400 && health === 200 && listed === 404,
        `${key.length}-char key: ${status}, health ${health}`,
      );
    }
    // A manifest naming a 900-character receipt key ends REJECTED, never ERROR.
    {
      const worker = await as('worker1');
      const r = await worker('POST', '/claims', { householdId: nextHousehold().householdId });
      const granted = r.body as Granted;
      const manifest = {
        ...granted.manifestTemplate,
        category: 'education',
        expenseDate: recentDate(),
        totalCost: '15000',
        receipts: [
          {
            key: `claims/${granted.claimId}/${'k'.repeat(900)}.jpg`,
            sha256: '0'.repeat(64),
            contentType: 'image/jpeg',
          },
        ],
      };
      await postForm(
        granted.manifest,
        new TextEncoder().encode(JSON.stringify(manifest)),
        'application/json',
      );
      const claim = await settle(granted.claimId);
      tally(4, claim.state === 'REJECTED', `manifest naming a 900-character key -> ${claim.state}`);
    }

    // 5. After a claim is judged, its still-valid upload form replaces nothing reviewers see.
    log?.('abuse 5: receipt replaced after judging');
    const village = await as('village1');
    for (let round = 0; round < rounds; round++) {
      const filed = await file({ householdId: nextHousehold().householdId });
      const claim = await settle(filed.claimId);
      const form = filed.granted.receipts[0];
      if (!form) throw new Error('no form');
      await postForm(form, tinyPng(`replacement ${round}`), 'image/png');
      await stack.idle();
      await sleep(200);
      const link = await village('GET', `/claims/${filed.claimId}/receipts/1`);
      const served =
        link.status === 200
          ? new Uint8Array(await (await fetch((link.body as { url: string }).url)).arrayBuffer())
          : undefined;
      const history = await stack.deps.claims.history(filed.claimId);
      const noted = history.some(
        (h) =>
          h.from === h.to &&
          typeof h.detail === 'object' &&
          h.detail.code.startsWith('RECEIPT_') &&
          h.detail.params.n === 1,
      );
      tally(
        5,
        served !== undefined && sha256(served) === claim.receipts[0]?.sha256 && noted,
        `link served ${served ? sha256(served).slice(0, 8) : 'nothing'}, judged ${claim.receipts[0]?.sha256.slice(0, 8)}, noted ${noted}`,
      );
    }

    // 6. One resident ID number as the head of several households.
    log?.('abuse 6: one ID, several households');
    const admin = await as('admin1');
    for (let round = 0; round < rounds; round++) {
      const base = syntheticHouseholds(`ID${round}`, 4, random.fork(`id ${round}`), ['worker1']);
      const shared = base[0]?.idNumber ?? '';
      const sameId = base.map((h) => ({ ...h, idNumber: shared }));
      const first = await admin('POST', '/roster/imports', { csv: rosterCsv(sameId) });
      const imported = (first.body as { imported: number }).imported;
      // The same ID again in a later file, under a household not seen before.
      const later = syntheticHouseholds(`IE${round}`, 1, random.fork(`ie ${round}`), ['worker1']).map(
        (h) => ({
          ...h,
          idNumber: shared,
        }),
      );
      const second = await admin('POST', '/roster/imports', { csv: rosterCsv(later) });
      const importedLater = (second.body as { imported: number }).imported;
      tally(6, imported === 1, `${imported} households took one ID in one file`);
      tally(6, importedLater === 0, `a later file gave the ID to ${importedLater} more`);
    }

    // 7. The same bill again: re-photographed, recompressed, resized, cropped, or the same facts.
    log?.('abuse 7: the same bill, not byte for byte');
    for (let round = 0; round < rounds; round++) {
      const h = nextHousehold();
      const original = await renderReceipt(receiptSpec(seed + round));
      const first = await file({ householdId: h.householdId, receipt: original });
      const firstClaim = await settle(first.claimId);
      if (firstClaim.state !== 'PAID')
        throw new Error(`the first bill should be paid, is ${firstClaim.state}`);
      const kinds = ['jpeg-quality', 'resize', 'crop', 'brightness', 'reencode'] as const;
      const copy = await transformReceipt(
        original,
        kinds[round % kinds.length] ?? 'resize',
        random.fork(`copy ${round}`),
      );
      const second = await file({
        householdId: h.householdId,
        receipt: copy,
        totalCost: `${15000 + 900 + round}`,
      });
      const secondClaim = await settle(second.claimId);
      tally(
        7,
        secondClaim.state === 'PENDING_REVIEW' &&
          (secondClaim.possibleDuplicates ?? []).some((d) => d.claimId === first.claimId),
        `${copy.detail} -> ${secondClaim.state}`,
      );
      // The same household, category, date and cost with another photo.
      const sameFacts = await file({
        householdId: h.householdId,
        manifest: {
          expenseDate: firstClaim.expenseDate,
          totalCost: String((firstClaim.totalCostFen ?? 0) / 100),
        },
      });
      const factsClaim = await settle(sameFacts.claimId);
      tally(
        7,
        factsClaim.state === 'PENDING_REVIEW' &&
          (factsClaim.possibleDuplicates ?? []).some((d) => d.by === 'facts'),
        `same facts -> ${factsClaim.state}`,
      );
      // The very same bytes stay an exact duplicate.
      const exact = await file({
        householdId: h.householdId,
        receipt: original,
        totalCost: `${17000 + round}`,
      });
      const exactClaim = await settle(exact.claimId);
      tally(
        7,
        exactClaim.reason === 'DUPLICATE_RECEIPT',
        `same bytes -> ${exactClaim.state} ${exactClaim.reason ?? ''}`,
      );
    }

    // 8. Receipts cut off mid-upload.
    log?.('abuse 8: truncated receipts');
    const photo = await renderReceipt(receiptSpec(seed + 99));
    const png = await renderReceipt({ ...receiptSpec(seed + 98), format: 'png' });
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n',
    );
    for (const [what, bytes, contentType] of [
      ['PNG, signature and header only', png.bytes.subarray(0, 33), 'image/png'],
      ['PNG, half', png.bytes.subarray(0, Math.floor(png.bytes.length / 2)), 'image/png'],
      ['JPEG, half', photo.bytes.subarray(0, Math.floor(photo.bytes.length / 2)), 'image/jpeg'],
      ['JPEG, last bytes missing', photo.bytes.subarray(0, photo.bytes.length - 2), 'image/jpeg'],
      ['PDF with no %%EOF', pdf, 'application/pdf'],
    ] as const) {
      const { claimId } = await file({
        householdId: nextHousehold().householdId,
        receipt: { bytes, contentType },
      });
      const claim = await settle(claimId);
      tally(8, claim.reason === 'INVALID_RECEIPT', `${what} -> ${claim.state} ${claim.reason ?? ''}`);
    }

    // 9. The local endpoints: loopback only, and only for requests signed with the local key.
    log?.('abuse 9: local endpoints');
    const ports = [new URL(stack.dynamodbUrl).port, new URL(stack.s3Url).port, new URL(stack.apiUrl).port];
    const outside = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a?.address ?? '');
    for (const address of outside) {
      for (const port of ports) {
        const open = await new Promise<boolean>((resolve) => {
          const socket = connect({ host: address, port: Number(port) });
          socket.setTimeout(1000);
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
          socket.once('timeout', () => {
            socket.destroy();
            resolve(false);
          });
        });
        tally(9, !open, `port ${port} answers on ${address}`);
      }
    }
    const wrongKey = new DynamoDBClient({
      endpoint: stack.dynamodbUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: s3LocalCredentials.accessKeyId, secretAccessKey: 'guessed' },
      maxAttempts: 1,
    });
    const stranger = new DynamoDBClient({
      endpoint: stack.dynamodbUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'anyone', secretAccessKey: 'anything' },
      maxAttempts: 1,
    });
    for (const [who, client] of [
      ['wrong secret', wrongKey],
      ['unknown key', stranger],
    ] as const) {
      const answered = await client.send(new ListTablesCommand({})).then(
        () => true,
        () => false,
      );
      tally(9, !answered, `DynamoDB Local answered a client with a ${who}`);
      client.destroy();
    }
    const someKey = `claims/${ulid()}/manifest.json`;
    await stack.s3.send(new PutObjectCommand({ Bucket: 'receipts', Key: someKey, Body: '{}' }));
    const signed = await getSignedUrl(stack.s3, new GetObjectCommand({ Bucket: 'receipts', Key: someKey }), {
      expiresIn: 60,
    });
    const forged = signed.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`);
    const forgedStatus = (await fetch(forged)).status;
    tally(9, forgedStatus === 403, `a forged presigned GET answered ${forgedStatus}`);
    const bare = (await fetch(`${stack.s3Url}/receipts/${someKey}`)).status;
    tally(9, bare === 403, `an unsigned GET answered ${bare}`);
    const otherSecret = new S3Client({
      endpoint: stack.s3Url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3LocalCredentials.accessKeyId, secretAccessKey: 'guessed' },
      maxAttempts: 1,
    });
    const otherStatus = await otherSecret
      .send(new GetObjectCommand({ Bucket: 'receipts', Key: someKey }))
      .then(
        () => 200,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode ?? 0,
      );
    otherSecret.destroy();
    tally(9, otherStatus === 403, `a request signed with a guessed secret answered ${otherStatus}`);

    // 10. Malformed ids and cursors, echoes of personal data.
    log?.('abuse 10: ids, cursors, echoes');
    for (const path of [
      `/claims/${'x'.repeat(5000)}`,
      '/claims/..%2F..%2Fetc',
      `/claims/${'y'.repeat(5000)}/receipts/1`,
    ]) {
      const r = await admin('GET', path);
      tally(10, r.status === 400 || r.status === 404, `GET ${path.slice(0, 20)}… -> ${r.status}`);
    }
    const foreign = Buffer.from(
      JSON.stringify({ pk: `LEDGER#${ulid()}`, sk: 'LEDGER', gsi4pk: 'PAID#2026-11#1', gsi4sk: 'x' }),
    ).toString('base64url');
    for (const query of [
      `?cursor=${foreign}`,
      `?state=PAID&cursor=${foreign}`,
      `?cursor=${'z'.repeat(200)}`,
    ]) {
      const r = await admin('GET', `/claims${query}`);
      tally(10, r.status === 400, `GET /claims${query.slice(0, 24)}… -> ${r.status}`);
    }
    // A manifest posted again after payout changes nothing.
    {
      const filed = await file({ householdId: nextHousehold().householdId });
      const paid = await settle(filed.claimId);
      const again = await postForm(
        filed.granted.manifest,
        new TextEncoder().encode(JSON.stringify({ ...filed.granted.manifestTemplate, totalCost: '99999' })),
        'application/json',
      );
      await stack.idle();
      const after = await settle(filed.claimId);
      tally(
        10,
        after.state === paid.state &&
          after.payoutFen === paid.payoutFen &&
          after.totalCostFen === paid.totalCostFen,
        `re-posted manifest (${again}) changed the claim`,
      );
    }
    // Personal data in the manifest's file names and filer never reaches other roles.
    {
      const h = nextHousehold();
      const worker = await as('worker1');
      const r = await worker('POST', '/claims', { householdId: h.householdId });
      const granted = r.body as Granted;
      const key = `claims/${granted.claimId}/${h.idNumber}.png`;
      const receipt = tinyPng(h.idNumber);
      await stack.s3.send(new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: receipt }));
      const manifest = {
        ...granted.manifestTemplate,
        category: 'education',
        expenseDate: recentDate(),
        totalCost: '12000',
        receipts: [{ key, sha256: sha256(receipt), contentType: 'image/png' }],
      };
      await postForm(
        granted.manifest,
        new TextEncoder().encode(JSON.stringify(manifest)),
        'application/json',
      );
      await settle(granted.claimId);
      for (const user of ['village1', 'insurer1', 'auditor1', 'worker1']) {
        const view = await (await as(user))('GET', `/claims/${granted.claimId}`);
        tally(
          10,
          !JSON.stringify(view.body).includes(h.idNumber),
          `${user} saw the ID number in a file name`,
        );
      }
    }
    // A wrong check digit is refused without telling the right one.
    {
      const h = syntheticHouseholds('CD', 1, random.fork('cd'), ['worker1'])[0];
      if (!h) throw new Error('no household');
      const right = h.idNumber.slice(17);
      const wrong = right === '1' ? '2' : '1';
      const r = await admin('POST', '/roster/imports', {
        csv: rosterCsv([{ ...h, idNumber: `${h.idNumber.slice(0, 17)}${wrong}` }]),
      });
      const errors = JSON.stringify((r.body as { rejected?: unknown }).rejected ?? []);
      tally(10, !/check digit[^"]*[0-9X]/.test(errors), `check-digit error: ${errors.slice(0, 80)}`);
    }
  });

  // The near-duplicate figures: generated receipt images under the five transformations.
  log?.('abuse 7: near-duplicate figures');
  const figures = await measureNearDuplicates({
    receipts: full ? 200 : 12,
    distinct: full ? 1000 : 60,
    seed,
    fingerprinter: sharpFingerprinter(),
  });
  const duplicateGoals = figures.flaggedShare >= 0.95 && figures.falseShare <= 0.01;

  const through = items.reduce((sum, i) => sum + i.through, 0);
  const attempts = items.reduce((sum, i) => sum + i.attempts, 0);
  return {
    label: 'abuse',
    ok: through === 0 && duplicateGoals,
    figures: {
      attempts,
      through,
      ...Object.fromEntries(items.map((i) => [`item${i.n}`, `${i.through}/${i.attempts}`])),
      nearDupFlagged: `${figures.flagged}/${figures.transformed} (${(figures.flaggedShare * 100).toFixed(1)}%)`,
      falselyFlagged: `${figures.falselyFlagged}/${figures.distinct} (${(figures.falseShare * 100).toFixed(2)}%)`,
      msPerFingerprint: Number(figures.msPerFingerprint.toFixed(1)),
      seconds: secondsSince(started),
    },
    failures: [
      ...items.flatMap((i) => i.examples.map((e) => `${i.n}. ${i.name}: ${e}`)),
      ...(duplicateGoals ? [] : [`near duplicates below goal: ${figures.examples.slice(0, 3).join('; ')}`]),
    ],
  };
}
