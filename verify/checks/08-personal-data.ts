// 8. Personal data. An end-to-end run on the local stack with synthetic ID numbers, bank accounts
// and names (the demo roster plus generated households): claims of every kind, reviews, bad
// uploads and bad requests that carry personal data where it does not belong, finance's export
// and disbursement. Then every byte the system produced is searched for every raw ID number,
// bank account and head name: handler logs at DEBUG, every API response (error bodies included),
// every claim record and history event in the table, and the workflows' execution inputs,
// outputs and errors. Allowed places, exactly: finance's ledger export, the household list and
// roster import answers for admin (the role keeps the roster), the roster's own items, and in a
// grid worker's household list the head names of their own households (nothing else of them).
// Then a department's medical file (demo-fund): a household's head and child (on the members
// file) past the threshold, so a claim opens; people on no household; a bad row. Feed records,
// claims, jobs, batch results, burdens, warnings and the job's files in the bucket may hold none
// of the household's data, and the people on no household may appear nowhere at all: not in any
// table item, bucket object, response, log line or file the stack left on disk.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { parseRosterCsv } from '#shared/roster.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';
import { bankVerb } from '#cli/verbs/bank.ts';
import { latestPeriod } from '#shared/bank-result.ts';
import { fenToYuan } from '#shared/money.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { addDays } from '#shared/dates.ts';
import { medicalColumns } from '#shared/feed.ts';
import { toMembersCsv } from '#shared/members.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import {
  grantAsManifestSays,
  settled,
  startLocalStack,
  uploadClaim,
  recentDate,
  type ApiCall,
} from '#cli/local/scratch-stack.ts';
import { sampleBadUploads } from '#verify/lib/bad-input.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { secondsSince, sleep } from '#verify/lib/stack.ts';
import { rosterCsv, syntheticHouseholds, todayInChina } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

interface Source {
  readonly place: string;
  readonly text: string;
  /** A place the role needs the raw data in. */
  readonly allowed: boolean;
  /** Terms this place may show although it is not allowed the rest (a worker's own heads' names). */
  readonly allowedTerms?: ReadonlySet<string>;
  /** Searched for the people on no household only (raw files on disk, where the roster lives too). */
  readonly strangersOnly?: boolean;
}

const validId = (first17: string) => first17 + residentIdCheckDigit(first17);

/** The feed's household (demo-fund, worker1's) and its child, known through the members file. */
const FEED_HOUSEHOLD = 'HH-F004';
const FEED_CHILD = { idNumber: validId('43038120120611732'), name: '孙禾苗' };
/** People on no household, in the feed file only: after the job, nothing of them may exist. */
const STRANGERS = [
  { idNumber: validId('52010219790309461'), name: '欧阳青禾' },
  { idNumber: validId('52011219880723358'), name: '上官晓岚' },
];
/** The bad row: a stranger's ID number with a wrong check digit, and a name. */
const badBody = '52030219920115246';
const BAD_ROW = {
  idNumber: `${badBody}${residentIdCheckDigit(badBody) === '1' ? '2' : '1'}`,
  name: '司马秋桐',
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Captures everything written to stdout and stderr (Powertools Logger writes there). */
function captureOutput() {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    restore() {
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}

export async function run({ scale, seed = DEFAULT_SEED }: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const random = seededRandom(seed);
  const households = syntheticHouseholds('PD', full ? 40 : 8, random.fork('hh'));
  const roster = [
    ...parseRosterCsv(demoRosterCsv()).periods,
    ...parseRosterCsv(rosterCsv(households)).periods,
  ];
  const terms = new Map<string, string>();
  for (const p of roster) {
    terms.set(p.idNumber, `idNumber of ${p.householdId}`);
    terms.set(p.bankAccount, `bankAccount of ${p.householdId}`);
    terms.set(p.headName, `headName of ${p.householdId}`);
  }
  terms.set(FEED_CHILD.idNumber, `idNumber of a member of ${FEED_HOUSEHOLD}`);
  terms.set(FEED_CHILD.name, `name of a member of ${FEED_HOUSEHOLD}`);
  const strangers = new Map<string, string>();
  for (const [i, p] of [...STRANGERS, BAD_ROW].entries()) {
    strangers.set(p.idNumber, `idNumber of person ${i + 1} on no household`);
    strangers.set(p.name, `name of person ${i + 1} on no household`);
  }
  // A grid worker's household list names the heads of the households assigned to them (the
  // latest period's worker), and nothing else in full.
  const latest = new Map<string, (typeof roster)[number]>();
  for (const p of roster) {
    const seen = latest.get(p.householdId);
    if (!seen || seen.statusFrom <= p.statusFrom) latest.set(p.householdId, p);
  }
  const ownHeads = (user: string) =>
    new Set([...latest.values()].filter((p) => p.gridWorker === user).map((p) => p.headName));
  const sources: Source[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'verify-pii-'));
  const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
  // Loggers read the level when handlers are built: set it before the stack starts.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  const output = captureOutput();
  let claims = 0;
  const feed = { rows: 0, unmatched: 0, rejected: 0, claimsOpened: 0, evidence: 0, warnings: 0 };
  let s3Objects = 0;
  let filesOnDisk = 0;
  const problems: string[] = [];
  /** The relief fund's claims the roles read back. */
  const fundIds: string[] = [];
  try {
    const stack = await startLocalStack({ demo: true, dataDir });
    try {
      const as = async (user: string) => {
        const call = await stack.as(user);
        const recorded: ApiCall = async (method, path, body) => {
          const r = await call(method, path, body);
          const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
          const allowed =
            (user === 'finance1' && path.startsWith('/ledger/export')) ||
            (user === 'admin1' && (path.startsWith('/households') || path.startsWith('/roster/imports')));
          sources.push({
            place: `api ${user} ${method} ${path.split('?')[0]} -> ${r.status}`,
            text,
            allowed,
            ...(user.startsWith('worker') && path.startsWith('/households')
              ? { allowedTerms: ownHeads(user) }
              : {}),
          });
          return r;
        };
        return recorded;
      };
      const admin = await as('admin1');
      await admin('POST', '/roster/imports', { csv: rosterCsv(households) });
      // Bad rows carrying real people's data: a wrong check digit on a real ID, a changed ID.
      const [first, second] = households;
      if (first && second) {
        const wrongDigit = `${first.idNumber.slice(0, 17)}${first.idNumber.endsWith('1') ? '2' : '1'}`;
        await admin('POST', '/roster/imports', {
          csv: `${rosterCsv([]).trim()}\n${first.householdId},demo,红星村,${first.headName},${wrongDigit},3,unstable,2024-01-01,worker1,${first.bankAccount},8000.00\n${first.householdId},demo,红星村,${first.headName},${second.idNumber},3,unstable,2025-01-01,worker1,${first.bankAccount},8000.00\n`,
        });
      }
      // Claims of every kind over the synthetic households (and the demo ones).
      const ids: string[] = [];
      for (const [i, h] of households.entries()) {
        const totalCost = ['15000', '22700', '8000', '40000'][i % 4] ?? '15000';
        const { claimId } = await uploadClaim(stack, {
          householdId: h.householdId,
          totalCost,
          submittedBy: h.gridWorker,
        });
        ids.push(claimId);
      }
      // Bad uploads, some with personal data stuffed into the manifest.
      for (const build of sampleBadUploads(full ? 60 : 12, seed)) {
        const claimId = ulid();
        for (const o of build(claimId).objects) {
          if (o.key.endsWith('/manifest.json')) await grantAsManifestSays(stack, o.key, o.body);
          await stack.s3.send(
            new PutObjectCommand({
              Bucket: 'receipts',
              Key: o.key,
              Body: o.body,
              ContentType: o.contentType,
            }),
          );
        }
        ids.push(claimId);
      }
      // A head's ID number typed as the household id, everything else right.
      for (const h of households.slice(0, 2)) {
        const { claimId } = await uploadClaim(stack, { householdId: h.idNumber, totalCost: '15000' });
        ids.push(claimId);
      }
      for (const h of households.slice(0, 4)) {
        const claimId = ulid();
        const key = `claims/${claimId}/manifest.json`;
        const manifest = {
          schemaVersion: 1,
          claimId,
          householdId: h.idNumber,
          category: 'education',
          expenseDate: recentDate(),
          totalCost: h.bankAccount,
          reimbursed: '0',
          receipts: [
            { key: `claims/${claimId}/${h.headName}.jpg`, sha256: '0'.repeat(64), contentType: 'image/jpeg' },
          ],
          submittedBy: h.headName,
          idNumber: h.idNumber,
          bankAccount: h.bankAccount,
          headName: h.headName,
        };
        await stack.s3.send(
          new PutObjectCommand({
            Bucket: 'receipts',
            Key: key,
            Body: JSON.stringify(manifest),
            ContentType: 'application/json',
          }),
        );
        ids.push(claimId);
      }
      await stack.idle();
      for (const id of ids) await settled(stack, id, 30_000).catch(() => undefined);
      claims = ids.length;
      // Reviews: approve the first waiting claims through three gates, reject one.
      const village = await as('village1');
      const insurer = await as('insurer1');
      const auditor = await as('auditor1');
      let reviewed = 0;
      for (const id of ids) {
        const c = await stack.deps.claims.get(id);
        if (c?.state !== 'PENDING_REVIEW') continue;
        if (reviewed++ % 3 === 2) {
          await village('POST', `/claims/${id}/reviews`, {
            gate: 'village',
            decision: 'reject',
            comment: '材料不全',
          });
          continue;
        }
        await village('POST', `/claims/${id}/reviews`, { gate: 'village', decision: 'approve' });
        await insurer('POST', `/claims/${id}/reviews`, { gate: 'department', decision: 'approve' });
        await auditor('POST', `/claims/${id}/reviews`, { gate: 'audit', decision: 'approve' });
      }
      await stack.idle();
      await sleep(300);
      // Every role reads what it may (and tries what it may not), with personal data in bad requests.
      const today = todayInChina();
      const range = `from=${addDays(today, -2)}&to=${addDays(today, 1)}`;
      const h0 = households[0];
      for (const user of ['worker1', 'worker2', 'village1', 'insurer1', 'auditor1', 'finance1', 'admin1']) {
        const call = await as(user);
        await call('GET', '/me');
        await call('GET', '/claims?limit=200');
        await call('GET', user.startsWith('worker') ? '/households' : '/households?gridWorker=worker1');
        await call('GET', `/ledger?${range}`);
        await call('GET', '/policies');
        for (const id of ids) {
          await call('GET', `/claims/${id}`);
          await call('GET', `/claims/${id}/receipts/1`);
        }
        if (h0) {
          await call('POST', '/claims', {
            householdId: h0.idNumber,
            category: 'education',
            expenseDate: recentDate(),
            totalCost: h0.bankAccount,
            receipts: [{ contentType: 'image/jpeg' }],
          });
          await call('POST', '/claims', {
            householdId: h0.householdId,
            category: h0.headName,
            expenseDate: h0.idNumber,
            totalCost: '15000',
            receipts: [{ contentType: 'image/jpeg' }],
            note: h0.bankAccount,
          });
          await call('POST', '/quotes', {
            category: 'education',
            totalCost: h0.idNumber,
            reimbursed: h0.bankAccount,
          });
          await call('GET', `/claims/${h0.idNumber}`);
          await call('GET', `/claims/${ids[0]}/receipts/${h0.idNumber}`);
          await call('POST', '/claims', {
            householdId: h0.idNumber,
            category: 'education',
            expenseDate: recentDate(),
            totalCost: '15000',
            receipts: [{ contentType: 'image/jpeg' }],
          });
          await call(
            'GET',
            `/claims?householdId=${h0.idNumber}&gridWorker=${encodeURIComponent(h0.headName)}`,
          );
          await call('POST', `/claims/${ids[0]}/reviews`, {
            gate: 'village',
            decision: h0.headName,
            comment: 'x',
          });
          await call('GET', `/ledger?from=${h0.idNumber}&to=${h0.bankAccount}`);
        }
      }
      const finance = await as('finance1');
      await finance('GET', `/ledger/export?${range}`);
      const paid = (await stack.deps.claims.list({ state: 'PAID', limit: 200 })).items.map((c) => c.claimId);
      if (paid.length > 0)
        await finance('POST', '/ledger/disbursements', {
          claimIds: paid.slice(0, 3),
          batchRef: 'PII-CHECK-1',
        });
      await finance('GET', `/ledger/export?${range}&format=csv`);
      // The relief fund's routes: a claim on notice and an objection to it, a review rejection and
      // its appeal, the fund and a top-up, the bank's result file (one row with another household's
      // account) and a reissue; then every role reads notices, funds, imports and the
      // reconciliation. Bad requests carry personal data where it does not belong.
      const fundClaim = async (
        householdId: string,
        category: string,
        totalCost: string,
        reimbursed: string,
      ) => {
        const { claimId } = await uploadClaim(stack, {
          householdId,
          category,
          totalCost,
          reimbursed,
          expenseDate: recentDate(10),
        });
        const deadline = Date.now() + 30_000;
        for (;;) {
          const c = await stack.deps.claims.get(claimId);
          if ((c && !['RECEIVED', 'APPROVED'].includes(c.state)) || Date.now() > deadline) return claimId;
          await sleep(50);
        }
      };
      const onNotice = await fundClaim('HH-F001', 'medical', '19000', '3000');
      const objected = await fundClaim('HH-F002', 'medical', '19000', '3000');
      const toAppeal = await fundClaim('HH-F003', 'education', '22700', '0');
      fundIds.push(onNotice, objected, toAppeal);
      const village1 = await as('village1');
      await village1('POST', `/claims/${objected}/objections`, { text: '群众反映该户情况有出入' });
      if (h0) {
        await village1('POST', `/claims/${onNotice}/objections`, {
          text: `${h0.idNumber}${'长'.repeat(600)}`,
        });
        await village1('POST', `/claims/${onNotice}/objections`, { text: '有出入', idNumber: h0.idNumber });
      }
      await village1('POST', `/claims/${toAppeal}/reviews`, {
        gate: 'village',
        decision: 'reject',
        comment: '材料不全',
      });
      const worker1 = await as('worker1');
      await worker1('POST', `/claims/${toAppeal}/appeal`, { text: '家庭确有困难，请求复核' });
      if (h0) {
        await worker1('POST', `/claims/${toAppeal}/appeal`, { text: '复核', bankAccount: h0.bankAccount });
        await finance('POST', '/funds/demo-fund/topups', { amount: h0.headName, ref: 'PII-TOPUP-0' });
      }
      await finance('POST', '/funds/demo-fund/topups', { amount: '1000', ref: 'PII-TOPUP-1' });
      // The bank's answer for paid claims not yet marked disbursed: arrived, refused, wrong account.
      const unsent = (await stack.deps.claims.list({ state: 'PAID', limit: 200 })).items.slice(0, 3);
      const accountOf = async (householdId: string | null) =>
        householdId ? (latestPeriod(await stack.deps.roster.periods(householdId))?.bankAccount ?? '') : '';
      if (unsent.length === 3) {
        const [a, b, c] = unsent as [
          (typeof unsent)[number],
          (typeof unsent)[number],
          (typeof unsent)[number],
        ];
        const other =
          households.find((h) => h.householdId !== c.householdId)?.bankAccount ?? '6230900000000000009';
        const csv = [
          'claimId,bankAccount,amount,status,bankRef,reason',
          `${a.claimId},${await accountOf(a.householdId)},${fenToYuan(a.payoutFen ?? 0)},success,PII-BK-1,`,
          `${b.claimId},${await accountOf(b.householdId)},${fenToYuan(b.payoutFen ?? 0)},失败,,账号 ${await accountOf(b.householdId)} 已冻结`,
          `${c.claimId},${other},${fenToYuan(c.payoutFen ?? 0)},success,PII-BK-3,`,
        ].join('\r\n');
        const file = join(dataDir, 'bank-result.csv');
        await writeFile(file, `${csv}\r\n`);
        const printed: string[] = [];
        await bankVerb(['import', file, '--as', 'finance1', '--json', '--api', stack.apiUrl], {
          out: (t) => printed.push(t),
          err: (t) => printed.push(t),
        }).catch((error: unknown) => printed.push(String(error)));
        sources.push({ place: 'cli bank import', text: printed.join('\n'), allowed: false });
        await finance('POST', `/claims/${b.claimId}/reissue`);
        fundIds.push(a.claimId, b.claimId, c.claimId);
      }
      // The departments' feed: a bulk job as the CLI and web page run it (POST /imports, upload
      // with the job's form, poll), members first so the child is found.
      const importFile = async (call: ApiCall, kind: string, csv: string) => {
        const created = await call('POST', '/imports', { kind });
        const upload = created.body?.upload as
          { url: string; fields: Record<string, string>; contentType: string } | undefined;
        const jobId = created.body?.job?.jobId as string | undefined;
        if (!upload || !jobId) {
          problems.push(`POST /imports ${kind} -> ${created.status}`);
          return undefined;
        }
        const form = new FormData();
        for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
        form.append('file', new Blob([csv], { type: upload.contentType }), 'file.csv');
        const sent = await fetch(upload.url, { method: 'POST', body: form });
        if (!sent.ok) problems.push(`upload of the ${kind} file -> ${sent.status}`);
        const deadline = Date.now() + 60_000;
        for (;;) {
          await sleep(200);
          const view = await call('GET', `/imports/${jobId}`);
          if (
            ['SUCCEEDED', 'FAILED', 'DUPLICATE_FILE'].includes(view.body?.status) ||
            Date.now() > deadline
          ) {
            if (view.body?.status !== 'SUCCEEDED') problems.push(`${kind} job ${String(view.body?.status)}`);
            return view.body as Record<string, unknown> & { jobId: string };
          }
        }
      };
      const [feedHead] = await stack.deps.roster.periods(FEED_HOUSEHOLD);
      const [counted] = await stack.deps.roster.periods('HH-F005');
      if (feedHead && counted) {
        await importFile(
          admin,
          'members',
          toMembersCsv([
            {
              householdId: FEED_HOUSEHOLD,
              idNumber: feedHead.idNumber,
              name: feedHead.headName,
              relation: 'head',
            },
            { householdId: FEED_HOUSEHOLD, ...FEED_CHILD, relation: 'child' },
          ]),
        );
        const row = (
          id: string,
          person: string,
          name: string,
          daysAgo: number,
          total: string,
          basic: string,
        ) => {
          const date = recentDate(daysAgo);
          return `${id},${person},${name},县人民医院,${date},${date},${date},${total},${basic},0,0,0`;
        };
        const [s1, s2] = STRANGERS as [(typeof STRANGERS)[number], (typeof STRANGERS)[number]];
        const rows = [
          // Self-paid 6,000 + 5,000: the household passes 10,000 and a claim opens.
          row('YB-PD-1', feedHead.idNumber, feedHead.headName, 25, '10000.00', '4000.00'),
          row('YB-PD-2', FEED_CHILD.idNumber, FEED_CHILD.name, 18, '8000.00', '3000.00'),
          // Self-paid 4,000, below the threshold: counted at once, a fifth of HH-F005's income, so
          // the household is listed among the warnings with a feed record as its expense.
          row('YB-PD-3', counted.idNumber, counted.headName, 16, '5000.00', '1000.00'),
          row('YB-PD-4', s1.idNumber, s1.name, 14, '30000.00', '0'),
          row('YB-PD-5', s2.idNumber, s2.name, 12, '5000.00', '0'),
          row('YB-PD-6', BAD_ROW.idNumber, BAD_ROW.name, 10, '5000.00', '0'),
        ];
        feed.rows = rows.length;
        const insurer1 = await as('insurer1');
        const job = await importFile(
          insurer1,
          'medical-feed',
          [medicalColumns.join(','), ...rows].join('\r\n'),
        );
        if (job) {
          const outcomes = (job.outcomes ?? {}) as Record<string, number>;
          feed.unmatched = outcomes.unmatched ?? 0;
          feed.rejected = Number(job.rejected ?? 0);
          const opened = (job.claimsOpened ?? []) as { claimId: string; householdId: string }[];
          feed.claimsOpened = opened.length;
          if (typeof job.errorReportUrl === 'string') {
            const report = await fetch(job.errorReportUrl);
            sources.push({ place: 'feed error report', text: await report.text(), allowed: false });
          } else problems.push('the feed job links no error report');
          await insurer1('GET', '/imports?kind=medical-feed');
          for (const o of opened) {
            await settled(stack, o.claimId, 30_000).catch(() => undefined);
            fundIds.push(o.claimId);
            const view = await insurer1('GET', `/claims/${o.claimId}`);
            feed.evidence += (view.body?.feedEvidence ?? []).length;
          }
        }
        for (const user of ['admin1', 'insurer1', 'worker1']) {
          const call = await as(user);
          const list = await call('GET', '/warnings?region=demo-fund');
          if (user === 'admin1') feed.warnings = (list.body?.households ?? []).length;
          await call('GET', '/warnings?region=demo-fund&format=csv');
        }
        await worker1('GET', '/households');
        await (
          await as('worker2')
        )('GET', '/households');
      } else problems.push(`${FEED_HOUSEHOLD} or HH-F005 is not on the demo roster`);
      if (feed.claimsOpened !== 1) problems.push(`the feed opened ${feed.claimsOpened} claims, not 1`);
      if (feed.unmatched !== STRANGERS.length)
        problems.push(`the feed matched people on no household (unmatched ${feed.unmatched})`);
      if (feed.rejected !== 1) problems.push(`the feed refused ${feed.rejected} rows, not 1`);
      if (feed.evidence !== 2) problems.push(`the opened claim shows ${feed.evidence} feed records, not 2`);
      if (feed.warnings === 0) problems.push('no demo-fund household is listed among the warnings');
      for (const user of ['worker1', 'worker2', 'village1', 'insurer1', 'auditor1', 'finance1', 'admin1']) {
        const call = await as(user);
        await call('GET', `/notices?region=demo-fund&village=${encodeURIComponent('东山村')}`);
        await call('GET', '/funds/demo-fund');
        await call('GET', '/funds/demo-fund/history');
        await call('GET', `/ledger/reconciliation?${range}`);
        await call('GET', '/imports?kind=bank-result');
        for (const id of fundIds) await call('GET', `/claims/${id}`);
      }
      // The table: every claim, history event, receipt hash, ledger entry and cap counter.
      const db = new DynamoDBClient({
        endpoint: stack.dynamodbUrl,
        region: 'us-east-1',
        credentials: s3LocalCredentials,
      });
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({ TableName: 'claims', ...(start ? { ExclusiveStartKey: start as never } : {}) }),
        );
        for (const item of page.Items ?? []) {
          const pk = item.pk?.S ?? '';
          sources.push({
            place: `table ${pk.split('#')[0]}`,
            text: JSON.stringify(item),
            allowed: pk.startsWith('HH#'),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      db.destroy();
      // The bucket: a feed job's own files (the file itself, the checked copies, the error report,
      // the opened list) may hold no one's data; every object is searched for the strangers.
      let token: string | undefined;
      do {
        const page = await stack.s3.send(
          new ListObjectsV2Command({ Bucket: 'receipts', ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          const object = await stack.s3.send(new GetObjectCommand({ Bucket: 'receipts', Key: o.Key }));
          // The workflows' map results are batch results: nobody's data, whatever the job.
          const nobodys = /^(imports|import-work)\/[a-z]+-feed\/|^import-work\/map-runs\//.test(o.Key);
          sources.push({
            place: `s3 ${o.Key.split('/')
              .slice(0, nobodys ? 3 : 2)
              .join('/')}`,
            text: (await object.Body?.transformToString('utf8')) ?? '',
            allowed: !nobodys,
          });
          s3Objects += 1;
        }
        token = page.NextContinuationToken;
      } while (token);
    } finally {
      await stack.stop();
    }
    // Executions: inputs, outputs, errors and causes, as the Step Functions console would show.
    const executions = await readFile(join(dataDir, 'stepfunctions', 'executions.json'), 'utf8').catch(
      () => '',
    );
    sources.push({ place: 'workflow executions', text: executions, allowed: false });
    // Whatever the stack left on disk (the table's database, the bucket's files, the workflows).
    for (const file of await filesUnder(dataDir)) {
      sources.push({
        place: `file ${file.slice(dataDir.length + 1)}`,
        text: (await readFile(file)).toString('utf8'),
        allowed: false,
        strangersOnly: true,
      });
      filesOnDisk += 1;
    }
  } finally {
    output.restore();
    if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
    sources.push({ place: 'logs', text: output.text(), allowed: false });
    await rm(dataDir, { recursive: true, force: true });
  }
  let leaks = 0;
  let allowedHits = 0;
  let scanned = 0;
  const failures: string[] = [];
  for (const source of sources) {
    scanned += Buffer.byteLength(source.text);
    // No place is allowed anything of people on no household.
    for (const [term, what] of strangers) {
      if (!source.text.includes(term)) continue;
      leaks += 1;
      failures.push(`${what} in ${source.place}`);
    }
    if (source.strangersOnly) continue;
    for (const [term, what] of terms) {
      if (!source.text.includes(term)) continue;
      if (source.allowed || source.allowedTerms?.has(term)) allowedHits += 1;
      else {
        leaks += 1;
        failures.push(`${what} in ${source.place}`);
      }
    }
  }
  const logText = sources.find((s) => s.place === 'logs')?.text ?? '';
  const logBytes = Buffer.byteLength(logText);
  const logLines = logText.split('\n').filter((l) => l.startsWith('{')).length;
  return {
    label: 'personal data',
    figures: {
      identifiers: terms.size,
      strangerTerms: strangers.size,
      claims,
      feedRows: feed.rows,
      feedUnmatched: feed.unmatched,
      feedRejected: feed.rejected,
      feedClaimsOpened: feed.claimsOpened,
      feedEvidence: feed.evidence,
      warningHouseholds: feed.warnings,
      apiResponses: sources.filter((s) => s.place.startsWith('api')).length,
      tableItems: sources.filter((s) => s.place.startsWith('table')).length,
      s3Objects,
      filesOnDisk,
      logLines,
      scannedKiB: Math.round(scanned / 1024),
      leaks,
      allowedHits,
      seconds: secondsSince(started),
    },
    // The scan must see the data where it is allowed, or it proves nothing.
    ok: leaks === 0 && allowedHits > 0 && logBytes > 0 && problems.length === 0,
    failures: [...problems, ...new Set(failures)].slice(0, 12),
  };
}
