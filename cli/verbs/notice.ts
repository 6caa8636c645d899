// `claims notice --region R --village V`: the village's public notice board (公示), as the web
// page shows it: the fund's and the village's names, the period, one line per claim on notice
// (head of household masked), and how to object. Chinese unless `--lang en`; --json is the API's.
import type { CliIo } from '#cli/claims.ts';
import { cliLang, parseVerbArgs, requireOption } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { chinaDateTime } from '#shared/dates.ts';
import type { NoticeBoard } from '#shared/api/notice-api.ts';
import { fillTemplate } from '#shared/messages/render.ts';
import { formatFen } from '#shared/money.ts';
import { noticePeriod } from '#shared/notice-board.ts';
import type { Policy } from '#shared/policy.ts';
import {
  categoryLabels,
  isOneOf,
  categories,
  noticeColumnLabels,
  noticeColumns,
  noticeLabels,
  type Lang,
} from '#shared/vocabulary.ts';

/** China wall-clock time to the minute: 2026-12-13 09:00. */
const chinaMinute = (iso: string) => chinaDateTime(iso).slice(0, 16);

/** The board as lines of text, in `lang`. */
export function noticeLines(
  board: NoticeBoard,
  place: { region: string; village: string },
  policy: Pick<Policy, 'regionName' | 'noticeDays'> | undefined,
  lang: Lang,
): string[] {
  const regionName = policy?.regionName?.[lang] ?? place.region;
  const lines = [fillTemplate(noticeLabels.title[lang], { region: regionName, village: place.village })];
  const period = noticePeriod(board.entries, policy?.noticeDays ?? 0);
  if (period)
    lines.push(
      fillTemplate(noticeLabels.period[lang], { from: chinaMinute(period.from), to: chinaMinute(period.to) }),
    );
  if (board.entries.length === 0) {
    lines.push(noticeLabels.empty[lang]);
    return lines;
  }
  lines.push(noticeColumns.map((c) => noticeColumnLabels[c][lang]).join('\t'));
  for (const e of board.entries) {
    const category = isOneOf(categories, e.category) ? categoryLabels[e.category][lang] : e.category;
    lines.push(
      [e.headName, e.householdId, category, formatFen(e.payoutFen), chinaMinute(e.noticeEndsAt)].join('\t'),
    );
  }
  lines.push(noticeLabels.objection[lang]);
  return lines;
}

export async function noticeVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    as: { type: 'string' },
    api: { type: 'string' },
    json: { type: 'boolean', default: false },
    lang: { type: 'string' },
    region: { type: 'string' },
    village: { type: 'string' },
  });
  const region = requireOption(values.region, 'region');
  const village = requireOption(values.village, 'village');
  const lang = cliLang(values.lang);
  // The board is public in the village: any signed-in role reads it.
  const api = await connect(values.api, values.as ?? 'village1');
  const query = new URLSearchParams({ region, village }).toString();
  const board = (await api.request('GET', `/notices?${query}`)) as NoticeBoard;
  if (values.json) {
    io.out(JSON.stringify(board));
    return;
  }
  const { items } = (await api.request('GET', '/policies')) as { items: Policy[] };
  const policy = items
    .filter((p) => p.region === region)
    .sort((a, b) => b.version - a.version || (a.effectiveFrom < b.effectiveFrom ? 1 : -1))[0];
  for (const line of noticeLines(board, { region, village }, policy, lang)) io.out(line);
}
