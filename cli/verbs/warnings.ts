// `claims warnings [--region R] [--level red|orange|blue]`: the households at a return-to-poverty
// warning level (返贫预警), red first. --json: `{ households: [{ householdId, level, burdenBp,
// selfPaidFen, annualIncomeFen }] }` and nothing else; without it a table in Chinese.
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { formatFen } from '#shared/money.ts';
import { bpToPercent, type WarningsList } from '#shared/api/warnings-api.ts';
import { renderMessage } from '#shared/messages/render.ts';
import { isOneOf } from '#shared/vocabulary.ts';
import { warningLevels } from '#shared/warnings.ts';

/** The JSON each household is written as: exactly these keys. */
export function warningsJson(list: Pick<WarningsList, 'households'>) {
  return {
    households: list.households.map((h) => ({
      householdId: h.householdId,
      level: h.level,
      burdenBp: h.burdenBp,
      selfPaidFen: h.selfPaidFen,
      annualIncomeFen: h.annualIncomeFen,
    })),
  };
}

/** The list as a table in Chinese: one household per line, tab-separated. */
export function warningsLines(list: Pick<WarningsList, 'households'>): string[] {
  const word = (code: string) => renderMessage({ code, params: {} }, 'zh');
  if (list.households.length === 0) return [word('warnings.none')];
  const header = ['householdId', 'village', 'level', 'burdenPercent', 'selfPaidYuan', 'annualIncomeYuan'].map(
    (c) => word(`warnings.csv.${c}`),
  );
  return [
    header.join('\t'),
    ...list.households.map((h) =>
      [
        h.householdId,
        h.village,
        word(`warnings.level.${h.level}`),
        `${bpToPercent(h.burdenBp)}%`,
        formatFen(h.selfPaidFen),
        formatFen(h.annualIncomeFen),
      ].join('\t'),
    ),
  ];
}

export async function warningsVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    region: { type: 'string' },
    level: { type: 'string' },
    as: { type: 'string' },
    api: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.level !== undefined && !isOneOf(warningLevels, values.level))
    throw new CliError('--level must be red, orange or blue', 2);
  const query = new URLSearchParams({
    ...(values.region ? { region: values.region } : {}),
    ...(values.level ? { level: values.level } : {}),
  }).toString();
  // Admins see every region's households; a grid worker (--as) only their own.
  const api = await connect(values.api, values.as ?? 'admin1');
  const list = (await api.request('GET', `/warnings${query ? `?${query}` : ''}`)) as WarningsList;
  io.out(values.json ? JSON.stringify(warningsJson(list)) : warningsLines(list).join('\n'));
}
