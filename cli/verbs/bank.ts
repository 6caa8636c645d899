// Finance's verbs after the bank transfer: the bank's result file as a bulk job, a failed
// transfer sent again, and the reconciliation of a period.
import { readFile } from 'node:fs/promises';
import { CliError, type CliIo } from '#cli/claims.ts';
import { cliLang, parseVerbArgs, requireOption } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { bankMismatchCodes } from '#shared/bank-result.ts';
import type { Reconciliation, ReissueAnswer } from '#shared/api/bank-api.ts';
import { formatFen } from '#shared/money.ts';
import { renderMessage } from '#shared/messages/render.ts';

const common = {
  as: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
  lang: { type: 'string' },
} as const;

/** What `claims bank import --json` prints: counts applied by this run, refused rows in words. */
export interface BankImportResult {
  readonly disbursed: number;
  readonly failed: number;
  readonly mismatched: { row: number; error: string; code: string }[];
  readonly unknown: { row: number; error: string; code: string }[];
  /** The same bytes were imported before by this job: nothing happened this time. */
  readonly duplicateOf?: string;
}

/** `claims bank import FILE.csv`: the bank's result file, as a job like the roster's. */
export async function bankVerb(args: string[], io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'import') throw new CliError('usage: claims bank import FILE.csv', 2);
  const { values, positionals } = parseVerbArgs(rest, common, true);
  const file = positionals[0];
  if (!file) throw new CliError('usage: claims bank import FILE.csv [--lang zh-CN|en]', 2);
  const lang = cliLang(values.lang);
  const bytes = await readFile(file).catch(() => {
    throw new CliError(`cannot read ${file}`);
  });
  const api = await connect(values.api, values.as ?? 'finance1');
  const { job, rejected } = await runImportJob(api, 'bank-result', bytes, io, {
    progress: !values.json && process.stderr.isTTY === true,
    lang,
  });
  const outcomes = (job as { outcomes?: Record<string, number> }).outcomes ?? {};
  const rows = rejected.map((r) => ({ row: r.row, error: lang === 'en' ? r.en : r.zh, code: r.code }));
  const isMismatch = (code: string) => code.split(' ').some((c) => bankMismatchCodes.includes(c));
  const result: BankImportResult = {
    disbursed: outcomes.disbursed ?? 0,
    failed: outcomes.failed ?? 0,
    mismatched: rows.filter((r) => isMismatch(r.code)),
    unknown: rows.filter((r) => !isMismatch(r.code)),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
  if (values.json) {
    io.out(JSON.stringify(result));
    return;
  }
  if (job.duplicateOf) {
    io.out(
      lang === 'en'
        ? `this file was imported before (job ${job.duplicateOf}); nothing changed`
        : `这个文件已导入过（任务 ${job.duplicateOf}），没有任何改动`,
    );
    return;
  }
  io.out(
    lang === 'en'
      ? `transferred ${result.disbursed}; failed ${result.failed}; mismatched ${result.mismatched.length}; unknown ${result.unknown.length}`
      : `已到账 ${result.disbursed} 笔；拨付失败 ${result.failed} 笔；不一致 ${result.mismatched.length} 行；无法对应 ${result.unknown.length} 行`,
  );
  for (const r of [...result.mismatched, ...result.unknown].sort((a, b) => a.row - b.row))
    io.out(lang === 'en' ? `  row ${r.row}: ${r.error}` : `  第 ${r.row} 行：${r.error}`);
}

/** `claims reissue CLAIM_ID`: a failed transfer back to PAID, once the account is corrected. */
export async function reissueVerb(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseVerbArgs(args, common, true);
  const claimId = positionals[0];
  if (!claimId) throw new CliError('usage: claims reissue CLAIM_ID [--as USER] [--json]', 2);
  cliLang(values.lang);
  const api = await connect(values.api, values.as ?? 'finance1');
  const out = (await api.request('POST', `/claims/${encodeURIComponent(claimId)}/reissue`)) as ReissueAnswer;
  io.out(values.json ? JSON.stringify(out) : `${out.claimId}  ${out.state}  reissues ${out.reissues}`);
}

/** `claims reconcile --from D --to D [--region R]`: paid = disbursed + failed + outstanding. */
export async function reconcileVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    ...common,
    from: { type: 'string' },
    to: { type: 'string' },
    region: { type: 'string' },
  });
  const lang = cliLang(values.lang);
  const query = new URLSearchParams({
    from: requireOption(values.from, 'from'),
    to: requireOption(values.to, 'to'),
    ...(values.region ? { region: values.region } : {}),
  });
  const api = await connect(values.api, values.as ?? 'finance1');
  const r = (await api.request('GET', `/ledger/reconciliation?${query.toString()}`)) as Reconciliation;
  if (values.json) {
    io.out(JSON.stringify(r));
    return;
  }
  const word = (code: string) => renderMessage({ code: `reconciliation.${code}`, params: {} }, lang);
  const lines: [string, number, number][] = [
    [word('paid'), r.counts.paid, r.paidFen],
    [word('disbursed'), r.counts.disbursed, r.disbursedFen],
    [word('failed'), r.counts.failed, r.failedFen],
    [word('outstanding'), r.counts.outstanding, r.outstandingFen],
  ];
  io.out(`${r.from} – ${r.to}  ${r.region ?? word('allRegions')}`);
  for (const [label, count, fen] of lines) io.out(`  ${label}\t${count}\t${formatFen(fen)}`);
}
