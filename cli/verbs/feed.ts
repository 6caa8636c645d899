// `claims feed import --kind medical|education FILE.csv`: a department's file (数据比对) as a bulk
// job like the roster's and the bank's: uploaded with the job's form, followed with a progress bar
// on a terminal, then what it did: records read, matched to a household, dropped (no household),
// the claims opened on the households the file took over the threshold, and every refused row.
import { openAsBlob } from 'node:fs';
import { CliError, type CliIo } from '#cli/claims.ts';
import { cliLang, parseVerbArgs } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob, type JobView } from '#cli/verbs/import-job.ts';
import { feedKinds, type FeedKind } from '#shared/feed-record.ts';
import type { OpenedClaim } from '#shared/api/import-api.ts';
import { feedJobKind } from '#shared/bulk-job.ts';
import type { ReportRow } from '#shared/error-report.ts';
import { renderApiError } from '#shared/messages/render.ts';
import { categoryLabels, isOneOf, type Lang } from '#shared/vocabulary.ts';

export const feedUsage =
  'usage: claims feed import --kind medical|education FILE.csv [--as USER] [--api URL] [--json] [--lang zh-CN|en]';

const options = {
  kind: { type: 'string' },
  as: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
  lang: { type: 'string' },
} as const;

/** What the command line asked for, checked before anything is read or sent. */
export interface FeedImportArgs {
  readonly kind: FeedKind;
  readonly file: string;
  /** The demo user the local stack signs in as: an administrator unless told. */
  readonly as: string;
  readonly api?: string;
  readonly json: boolean;
  readonly lang: Lang;
}

export function parseFeedArgs(args: readonly string[]): FeedImportArgs {
  const [sub, ...rest] = args;
  if (sub !== 'import') throw new CliError(feedUsage, 2);
  const { values, positionals } = parseVerbArgs(rest, options, true);
  const lang = cliLang(values.lang);
  if (!isOneOf(feedKinds, values.kind)) throw new CliError(renderApiError('FEED_KIND', {}, lang), 2);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new CliError(feedUsage, 2);
  return {
    kind: values.kind,
    file,
    as: values.as ?? 'admin1',
    ...(values.api !== undefined ? { api: values.api } : {}),
    json: values.json,
    lang,
  };
}

/** What `claims feed import --json` prints. */
export interface FeedImportResult {
  readonly jobId: string;
  /** Data rows in the file (refused rows included). */
  readonly records: number;
  /** Records whose person is on a household (as its head or a member). */
  readonly matched: number;
  /** Records whose person is on no household: counted, then dropped, nothing of them kept. */
  readonly unmatched: number;
  /** Matched records of households whose policy takes no such feed: not stored. */
  readonly notCovered: number;
  /** Records stored before with the same id and amounts: counted once. */
  readonly repeated: number;
  /** Records stored before with the same id and new amounts: the new amounts replaced the old. */
  readonly corrected: number;
  readonly claimsOpened: readonly OpenedClaim[];
  /** Refused rows: `error` in the CLI's language, `code` for programs (all codes of the row). */
  readonly rejected: readonly { row: number; error: string; code: string }[];
  /** The same bytes were imported before by this job: nothing happened this time. */
  readonly duplicateOf?: string;
}

/** The job view of a finished feed job: the bulk job's, with its outcomes and opened claims. */
type FeedJobView = JobView & {
  readonly outcomes?: Readonly<Record<string, number>>;
  readonly claimsOpened?: readonly OpenedClaim[];
};

export function feedImportResult(
  job: FeedJobView,
  rejected: readonly ReportRow[],
  lang: Lang,
): FeedImportResult {
  const n = (name: string) => job.outcomes?.[name] ?? 0;
  return {
    jobId: job.jobId,
    records: job.rows ?? job.processed,
    matched: n('matched'),
    unmatched: n('unmatched'),
    notCovered: n('notCovered'),
    repeated: n('repeated'),
    corrected: n('corrected'),
    claimsOpened: (job.claimsOpened ?? []).map(({ claimId, householdId, category }) => ({
      claimId,
      householdId,
      category,
    })),
    rejected: rejected.map((r) => ({ row: r.row, error: lang === 'en' ? r.en : r.zh, code: r.code })),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
}

/** The result for a person: the counts, each claim opened, each refused row. */
export function feedImportLines(result: FeedImportResult, lang: Lang): string[] {
  if (result.duplicateOf)
    return [
      lang === 'en'
        ? `this file was imported before (job ${result.duplicateOf}); nothing changed`
        : `这个文件已导入过（任务 ${result.duplicateOf}），没有任何改动`,
    ];
  const r = result;
  const lines = [
    lang === 'en'
      ? `${r.records} records: matched ${r.matched}, on no household ${r.unmatched} (dropped), not covered ${r.notCovered}, repeated ${r.repeated}, corrected ${r.corrected}; claims opened ${r.claimsOpened.length}; rows refused ${r.rejected.length}`
      : `共 ${r.records} 条记录：匹配到农户 ${r.matched} 条，未匹配 ${r.unmatched} 条（已丢弃），政策不采集 ${r.notCovered} 条，重复 ${r.repeated} 条，更正 ${r.corrected} 条；新开申请 ${r.claimsOpened.length} 个；有误 ${r.rejected.length} 行`,
  ];
  for (const c of r.claimsOpened)
    lines.push(`  ${c.claimId}  ${c.householdId}  ${categoryLabels[c.category][lang]}`);
  for (const row of r.rejected)
    lines.push(lang === 'en' ? `  row ${row.row}: ${row.error}` : `  第 ${row.row} 行：${row.error}`);
  return lines;
}

export async function feedVerb(args: string[], io: CliIo): Promise<void> {
  const parsed = parseFeedArgs(args);
  // A county's file is read from disk as it is sent, never held whole.
  let file: Blob;
  try {
    file = await openAsBlob(parsed.file);
  } catch {
    throw new CliError(`cannot read ${parsed.file}`);
  }
  const api = await connect(parsed.api, parsed.as);
  const { job, rejected } = await runImportJob(api, feedJobKind(parsed.kind), file, io, {
    progress: !parsed.json && process.stderr.isTTY === true,
    lang: parsed.lang,
  });
  const result = feedImportResult(job, rejected, parsed.lang);
  if (parsed.json) {
    io.out(JSON.stringify(result));
    return;
  }
  for (const line of feedImportLines(result, parsed.lang)) io.out(line);
}
