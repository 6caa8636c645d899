// `claims clock [advance --days N]`: the local stack's clock, which only the local runtime has. It
// shows the time every handler and workflow wait runs on, or moves it N days ahead so notice
// periods, deadlines and review escalations fall due now. The deployed API has no such route.
import { CliError, type CliIo } from '#cli/claims.ts';
import { cliLang, parseVerbArgs, requireOption } from '#cli/args.ts';
import { DEFAULT_API, readJson } from '#cli/api-client.ts';
import {
  clockAdvanceSchema,
  clockViewSchema,
  MAX_ADVANCE_DAYS,
  type ClockView,
} from '#cli/local/local-clock.ts';
import { chinaDate } from '#shared/dates.ts';
import { renderApiError, renderMessage } from '#shared/messages/render.ts';
import type { Lang } from '#shared/vocabulary.ts';

const usage = 'usage: claims clock [advance --days N] [--api URL] [--json] [--lang zh-CN|en]';

const options = {
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
  lang: { type: 'string' },
} as const;

export async function clockVerb(args: string[], io: CliIo): Promise<void> {
  const advancing = args[0] === 'advance';
  const rest = advancing ? args.slice(1) : args;
  const { values, positionals } = parseVerbArgs(
    rest,
    advancing ? { ...options, days: { type: 'string' } } : options,
    true,
  );
  if (positionals.length > 0) throw new CliError(usage, 2);
  const lang = cliLang(values.lang);
  const base = (values.api ?? DEFAULT_API).replace(/\/$/, '');
  let view: ClockView;
  if (advancing) {
    const days = daysOption((values as { days?: string }).days, lang);
    view = await call(base, 'POST', '/local/clock/advance', { days });
  } else {
    view = await call(base, 'GET', '/local/clock');
  }
  io.out(values.json ? JSON.stringify(view) : clockLine(view, lang));
}

/** `--days`: digits only, 1 to 3650 (the same rule the API applies). */
function daysOption(value: string | undefined, lang: Lang): number {
  const text = requireOption(value, 'days');
  const days = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!clockAdvanceSchema.safeParse({ days }).success)
    throw new CliError(`--days: ${renderApiError('BAD_DAYS', { max: MAX_ADVANCE_DAYS }, lang)}`, 2);
  return days;
}

export function clockLine(view: ClockView, lang: Lang): string {
  const date = chinaDate(new Date(view.now));
  return renderMessage(
    { code: 'clock.now', params: { date, now: view.now, offsetDays: view.offsetDays } },
    lang,
  );
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<ClockView> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : {}),
    });
  } catch {
    throw new CliError(`cannot reach the API at ${base} (is \`claims start\` running?)`);
  }
  if (response.status === 404)
    throw new CliError('this API has no local clock: only the local stack (`claims start`) has one');
  const parsed = clockViewSchema.safeParse(await readJson(response));
  if (!parsed.success) throw new CliError('the API answered with something that is not a clock');
  return parsed.data;
}
