// CLI verbs that work through the HTTP API, exactly as the web app does.
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { CliError, type CliIo } from '#cli/claims.ts';
import { cliLang, parseVerbArgs, requireOption, yuanOption } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { runExportJob } from '#cli/verbs/export-job.ts';
import { categorySchema, gateIdSchema } from '#shared/policy.ts';
import {
  categoryLabels,
  claimStateLabels,
  claimStates,
  isOneOf,
  rejectionReasonLabels,
  rejectionReasons,
  reviewReasonLabels,
  reviewReasonCodes,
  categories,
  type ClaimState,
} from '#shared/vocabulary.ts';
import { chinaDateTime, isIsoDate } from '#shared/dates.ts';
import { stateGroup } from '#shared/claim-groups.ts';
import { sniffContentType } from '#shared/receipt-check.ts';
import { formatFen, fenToYuan } from '#shared/money.ts';
import type { UploadGrant } from '#shared/ports.ts';
import type { ImportKind } from '#shared/bulk-job.ts';
import { actorName, renderMessage, type Note } from '#shared/messages/render.ts';
import type { Lang } from '#shared/vocabulary.ts';
import type { RetryAnswer } from '#shared/api/retry-api.ts';

const common = {
  as: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

interface StatusBody {
  claimId: string;
  householdId: string | null;
  category: string | null;
  state: string;
  reason?: string;
  detail?: Note;
  payoutFen?: number;
  noticeEndsAt?: string;
  source?: 'receipt' | 'data-feed';
  reviewReasons?: { code: string; params: Record<string, string | number> }[];
  history: { at: string; from: string | null; to: string; actor: string; reason?: string; detail?: Note }[];
}

/** States the workflow leaves by itself within seconds: `submit --wait` waits them out. */
const moving: readonly ClaimState[] = ['RECEIVED', 'APPROVED'];

/** A code with its Chinese label, as the CLI prints them: `PAID 已赔付，等待拨付`. */
function withLabel<C extends string>(
  list: readonly C[],
  labels: Readonly<Record<C, { zh: string }>>,
  code: string,
): string {
  return isOneOf(list, code) ? `${code} ${labels[code].zh}` : code;
}

/** A review reason in Chinese, its parameters written for people. */
export function reviewReasonZh(reason: { code: string; params: Record<string, string | number> }): string {
  if (!isOneOf(reviewReasonCodes, reason.code)) return reason.code;
  return reviewReasonLabels[reason.code].zh.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = reason.params[name];
    if (value === undefined) return whole;
    if (name.endsWith('Fen') && typeof value === 'number') return formatFen(value);
    if (name === 'category' && isOneOf(categories, value)) return categoryLabels[value].zh;
    return String(value);
  });
}

export async function submitVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    ...common,
    household: { type: 'string' },
    category: { type: 'string' },
    cost: { type: 'string' },
    reimbursed: { type: 'string' },
    'expense-date': { type: 'string' },
    receipt: { type: 'string', multiple: true },
    wait: { type: 'string', default: '30' },
  });
  const householdId = requireOption(values.household, 'household');
  const category = categorySchema.safeParse(requireOption(values.category, 'category'));
  if (!category.success)
    throw new CliError(`--category must be one of ${categorySchema.options.join(', ')}`, 2);
  const totalFen = yuanOption(values.cost, 'cost');
  const reimbursedFen = yuanOption(values.reimbursed, 'reimbursed', '0');
  const expenseDate = requireOption(values['expense-date'], 'expense-date');
  if (!isIsoDate(expenseDate)) throw new CliError('--expense-date must be a real date written YYYY-MM-DD', 2);
  const files = values.receipt ?? [];
  if (files.length === 0) throw new CliError('--receipt FILE is required', 2);
  const receipts = await Promise.all(
    files.map(async (path) => {
      const bytes = await readFile(path).catch(() => {
        throw new CliError(`cannot read receipt ${path}`);
      });
      const contentType = sniffContentType(bytes.subarray(0, 16));
      if (!contentType) throw new CliError(`${basename(path)} is not a JPEG, PNG or PDF file`);
      return { path, bytes, contentType, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
  const api = await connect(values.api, values.as ?? 'worker1');
  const created = (await api.request('POST', '/claims', {
    householdId,
    category: category.data,
    expenseDate,
    totalCost: fenToYuan(totalFen),
    reimbursed: fenToYuan(reimbursedFen),
    receipts: receipts.map((r) => ({ contentType: r.contentType })),
  })) as {
    claimId: string;
    receipts: UploadGrant[];
    manifest: UploadGrant;
    manifestTemplate: Record<string, unknown>;
  };
  for (const [i, r] of receipts.entries()) {
    const grant = created.receipts[i];
    if (!grant) throw new CliError('the API granted fewer uploads than receipts');
    await upload(grant, r.bytes, r.contentType, extname(r.path));
  }
  const manifest = {
    ...created.manifestTemplate,
    receipts: receipts.map((r, i) => ({
      key: created.receipts[i]?.key,
      sha256: r.sha256,
      contentType: r.contentType,
    })),
  };
  await upload(created.manifest, Buffer.from(JSON.stringify(manifest)), 'application/json', '.json');
  // The workflow runs on its own; wait a little so the caller usually sees the outcome.
  const deadline = Date.now() + Number(values.wait) * 1000;
  let state = 'RECEIVED';
  while (Date.now() < deadline) {
    const claim = await api.raw('GET', `/claims/${created.claimId}`);
    if (claim.ok) {
      state = ((await claim.json()) as StatusBody).state;
      if (!isOneOf(moving, state)) break;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  io.out(values.json ? JSON.stringify({ claimId: created.claimId, state }) : `${created.claimId}  ${state}`);
}

async function upload(
  grant: UploadGrant,
  bytes: Uint8Array,
  contentType: string,
  ext: string,
): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries(grant.fields)) form.append(k, v);
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: contentType }), `upload${ext}`);
  let response: Response;
  try {
    response = await fetch(grant.url, { method: 'POST', body: form });
  } catch {
    throw new CliError(`cannot reach the receipts store at ${grant.url}`);
  }
  if (!response.ok)
    throw new CliError(`upload of ${grant.key.split('/').pop()} failed: HTTP ${response.status}`);
}

/**
 * A claim grant for uploading with any S3 client: the claimId and prefix to upload under, until
 * when, and for whom. The manifest must name this household and `submittedBy` = this user.
 */
export async function grantVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    ...common,
    household: { type: 'string' },
    'claim-id': { type: 'string' },
  });
  const householdId = requireOption(values.household, 'household');
  const user = values.as ?? 'worker1';
  const api = await connect(values.api, user);
  const granted = (await api.request('POST', '/claims', {
    householdId,
    ...(values['claim-id'] ? { claimId: values['claim-id'] } : {}),
  })) as { claimId: string; prefix: string; expiresAt: string; manifestTemplate: { submittedBy: string } };
  const out = { claimId: granted.claimId, prefix: granted.prefix, expiresAt: granted.expiresAt };
  io.out(
    values.json
      ? JSON.stringify(out)
      : `${out.claimId}  upload under ${out.prefix} before ${out.expiresAt} (submittedBy: ${granted.manifestTemplate.submittedBy})`,
  );
}

/** A note in the CLI's language (plain text on records from before notes were codes, as it is). */
function noteWords(note: Note, lang: Lang): string {
  return typeof note === 'string' ? note : renderMessage(note, lang);
}

export async function statusVerb(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseVerbArgs(args, { ...common, lang: { type: 'string' } }, true);
  const lang = cliLang(values.lang);
  const claimId = positionals[0];
  if (!claimId) throw new CliError('usage: claims status CLAIM_ID', 2);
  const api = await connect(values.api, values.as ?? 'admin1');
  const c = (await api.request('GET', `/claims/${encodeURIComponent(claimId)}`)) as StatusBody;
  const status = {
    claimId: c.claimId,
    householdId: c.householdId,
    category: c.category,
    state: c.state,
    ...(c.reason ? { reason: c.reason } : {}),
    // Words in the CLI's language: `detail` stays a string in the JSON, as scripts expect.
    ...(c.detail ? { detail: noteWords(c.detail, lang) } : {}),
    ...(c.payoutFen !== undefined ? { payoutFen: c.payoutFen } : {}),
    // A claim without a recorded source came from a grid worker's receipt.
    source: c.source ?? 'receipt',
    ...(c.state === 'NOTICE' && c.noticeEndsAt ? { noticeEndsAt: c.noticeEndsAt } : {}),
    history: c.history.map((h) => ({
      at: h.at,
      from: h.from,
      to: h.to,
      actor: h.actor,
      ...(h.reason ? { reason: h.reason } : {}),
    })),
  };
  if (values.json) {
    io.out(JSON.stringify(status));
    return;
  }
  const category = c.category === null ? '-' : withLabel(categories, categoryLabels, c.category);
  const state = withLabel(claimStates, claimStateLabels, c.state);
  const reason = c.reason ? ` (${withLabel(rejectionReasons, rejectionReasonLabels, c.reason)})` : '';
  io.out(`${c.claimId}  ${c.householdId ?? '-'}  ${category}  ${state}${reason}`);
  if (c.source === 'data-feed')
    io.out(
      'source 来源: data-feed 部门数据比对发现 (no receipt; the village checks it at the door 村级入户核实)',
    );
  // Only a paid claim has a payout; an open one an estimate; a rejected one nothing.
  const group = isOneOf(claimStates, c.state) ? stateGroup(c.state) : 'open';
  if (c.payoutFen !== undefined && group === 'paid') io.out(`payout 赔付: ${formatFen(c.payoutFen)}`);
  else if (c.payoutFen !== undefined && group === 'open')
    io.out(`estimate 预计赔付: ${formatFen(c.payoutFen)} (review and the cap left at payment decide)`);
  if (c.state === 'NOTICE' && c.noticeEndsAt)
    io.out(`notice ends 公示截止: ${chinaDateTime(c.noticeEndsAt).slice(0, 16)} (China time)`);
  for (const r of c.reviewReasons ?? []) io.out(`review 审核原因: ${r.code} ${reviewReasonZh(r)}`);
  if (c.detail) io.out(noteWords(c.detail, lang));
  for (const h of c.history)
    io.out(
      `  ${h.at}  ${h.from ?? '-'} -> ${h.to}  by ${actorName(h.actor, lang)}${h.reason ? `  ${h.reason}` : ''}${h.detail ? `  ${noteWords(h.detail, lang)}` : ''}`,
    );
}

export async function reviewVerb(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseVerbArgs(
    args,
    { ...common, gate: { type: 'string' }, decision: { type: 'string' }, comment: { type: 'string' } },
    true,
  );
  const claimId = positionals[0];
  if (!claimId)
    throw new CliError('usage: claims review CLAIM_ID --gate G --decision approve|reject --as USER', 2);
  // Which gates exist is the claim's policy's business: the API refuses one the claim lacks.
  const gate = gateIdSchema.safeParse(requireOption(values.gate, 'gate'));
  if (!gate.success) throw new CliError('--gate must be a gate id of the policy, e.g. village', 2);
  const decision = requireOption(values.decision, 'decision');
  if (decision !== 'approve' && decision !== 'reject')
    throw new CliError('--decision must be approve or reject', 2);
  const user = requireOption(values.as, 'as');
  const api = await connect(values.api, user);
  const result = (await api.request('POST', `/claims/${encodeURIComponent(claimId)}/reviews`, {
    gate: gate.data,
    decision,
    ...(values.comment ? { comment: values.comment } : {}),
  })) as { claim: { claimId: string; state: string; nextGate: string | null } };
  const out = { claimId: result.claim.claimId, state: result.claim.state, nextGate: result.claim.nextGate };
  io.out(
    values.json
      ? JSON.stringify(out)
      : `${out.claimId}  ${out.state}${out.nextGate ? `  next gate: ${out.nextGate}` : ''}`,
  );
}

/** An admin's retry of a claim in ERROR (or one whose run was lost): `claims retry CLAIM_ID`. */
export async function retryVerb(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseVerbArgs(args, common, true);
  const claimId = positionals[0];
  if (!claimId) throw new CliError('usage: claims retry CLAIM_ID [--as USER]', 2);
  const api = await connect(values.api, values.as ?? 'admin1');
  const out = (await api.request('POST', `/claims/${encodeURIComponent(claimId)}/retry`)) as RetryAnswer;
  io.out(
    values.json
      ? JSON.stringify(out)
      : `${out.claimId}  ${out.state}  ${out.retried ? 'retried' : 'was not in ERROR'}${out.resumed ? `; ${out.resumed} started again` : ''}`,
  );
}

/**
 * A roster file of any size, as a bulk job: uploaded with the job's form, followed with a
 * progress bar on a terminal, the refused rows read from the job's error report.
 */
export async function rosterVerb(args: string[], io: CliIo): Promise<void> {
  await importFileVerb('roster', args, io);
}

/** `claims members import FILE.csv`: a household members file, as a job like the roster's. */
export async function membersVerb(args: string[], io: CliIo): Promise<void> {
  await importFileVerb('members', args, io);
}

async function importFileVerb(kind: ImportKind, args: string[], io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'import') throw new CliError(`usage: claims ${kind} import FILE.csv`, 2);
  const { values, positionals } = parseVerbArgs(rest, { ...common, lang: { type: 'string' } }, true);
  const file = positionals[0];
  if (!file) throw new CliError(`usage: claims ${kind} import FILE.csv [--lang zh-CN|en]`, 2);
  const lang = cliLang(values.lang);
  const bytes = await readFile(file).catch(() => {
    throw new CliError(`cannot read ${file}`);
  });
  const api = await connect(values.api, values.as ?? 'admin1');
  const { job, rejected } = await runImportJob(api, kind, bytes, io, {
    progress: !values.json && process.stderr.isTTY === true,
    lang,
  });
  const result = {
    imported: job.imported,
    // `error` in the CLI's language, `code` for programs (a row with several problems: all codes).
    rejected: rejected.map((r) => ({ row: r.row, error: lang === 'en' ? r.en : r.zh, code: r.code })),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
  if (values.json) {
    io.out(JSON.stringify(result));
    return;
  }
  if (job.duplicateOf) {
    io.out(`this file was imported before (job ${job.duplicateOf}); nothing changed`);
    return;
  }
  io.out(`imported ${result.imported} rows; rejected ${result.rejected.length}`);
  for (const r of result.rejected) io.out(`  row ${r.row}: ${r.error}`);
}

export async function exportVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    as: { type: 'string' },
    api: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    region: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    lang: { type: 'string', default: 'zh' },
    out: { type: 'string' },
  });
  const from = requireOption(values.from, 'from');
  const to = requireOption(values.to, 'to');
  const out = requireOption(values.out, 'out');
  if (values.format !== 'csv' && values.format !== 'xlsx')
    throw new CliError('--format must be csv or xlsx', 2);
  if (values.lang !== 'zh' && values.lang !== 'en') throw new CliError('--lang must be zh or en', 2);
  const api = await connect(values.api, values.as ?? 'finance1');
  // The API writes the file in a workflow (any size) and the job ends with a link to it.
  const { job, bytes } = await runExportJob(
    api,
    {
      from,
      to,
      format: values.format ?? 'csv',
      lang: values.lang,
      ...(values.region ? { region: values.region } : {}),
    },
    io,
    { progress: process.stderr.isTTY === true },
  );
  const saved = { count: job.count ?? 0, totalFen: job.totalFen ?? 0 };
  await writeFile(out, bytes);
  io.out(
    `wrote ${values.format} ledger (${bytes.length} bytes) to ${out}: ` +
      `${saved.count} payouts, total ${formatFen(saved.totalFen)}`,
  );
}
