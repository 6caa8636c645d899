import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs, requireOption, yuanOption } from '#cli/args.ts';
import { categorySchema, policyInForce } from '#shared/policy.ts';
import { quote, type Quote } from '#shared/compensation.ts';
import { formatFen } from '#shared/money.ts';
import { chinaDate, isIsoDate } from '#shared/dates.ts';
import { categoryLabels } from '#shared/vocabulary.ts';

export async function quoteVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    region: { type: 'string' },
    category: { type: 'string' },
    cost: { type: 'string' },
    reimbursed: { type: 'string' },
    date: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const region = requireOption(values.region, 'region');
  const category = categorySchema.safeParse(requireOption(values.category, 'category'));
  if (!category.success)
    throw new CliError(`--category must be one of ${categorySchema.options.join(', ')}`, 2);
  const costFen = yuanOption(values.cost, 'cost');
  const reimbursedFen = yuanOption(values.reimbursed, 'reimbursed', '0');
  const date = values.date ?? chinaDate(new Date());
  if (!isIsoDate(date)) throw new CliError('--date must be a real date written YYYY-MM-DD', 2);
  const policy = policyInForce(region, date);
  if (!policy) throw new CliError(`no policy for region "${region}" is in force on ${date}`);
  const result = quote(policy, category.data, costFen, reimbursedFen);
  if (!result.ok) throw new CliError(result.error);
  io.out(values.json ? JSON.stringify(quoteJson(result.quote)) : quoteTable(result.quote));
}

export function quoteJson(q: Quote) {
  return {
    payoutFen: q.payoutFen,
    selfPaidFen: q.selfPaidFen,
    capFen: q.capFen,
    bands: q.bands.map(({ fromFen, toFen, rateBp, baseFen, payoutFen }) => ({
      fromFen,
      toFen,
      rateBp,
      baseFen,
      payoutFen,
    })),
    policyId: q.policyId,
    policyVersion: q.policyVersion,
  };
}

function quoteTable(q: Quote): string {
  const rows = q.bands.map((b) => {
    const range = `${formatFen(b.fromFen)} – ${b.toFen === null ? '' : formatFen(b.toFen)}`;
    const rate = b.rateBp === null ? 'fixed grant' : `${b.rateBp / 100}%`;
    return [range, rate, formatFen(b.baseFen), formatFen(b.payoutFen)];
  });
  const table = [['band 分段', 'rate 比例', 'base 计算基数', 'payout 赔付'], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => width(r[i] ?? ''))));
  const lines = table.map((r) =>
    r
      .map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - width(cell)))
      .join('  ')
      .trimEnd(),
  );
  return [
    `policy 政策: ${q.policyId} v${q.policyVersion}   category 类别: ${q.category} ${categoryLabels[q.category].zh}`,
    `self-paid 自付费用: ${formatFen(q.selfPaidFen)}   threshold 起付线: ${formatFen(q.thresholdFen)}`,
    ...(q.bands.length > 0 ? lines : ['below the threshold: nothing is paid 未达起付线']),
    `payout 赔付: ${formatFen(q.payoutFen)}   annual cap 年度封顶: ${formatFen(q.capFen)}${q.capLimited ? ' (limited by the cap)' : ''}`,
  ].join('\n');
}

/** Display width: CJK characters take two columns in a terminal. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1;
  return w;
}
