// `claims fund`: a region's relief fund as it stands, and `claims fund topup`: money in, after
// which the claims waiting for it are paid oldest first (by the API, as the web page does it).
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs, requireOption, yuanOption } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';
import { fenToYuan, formatFen } from '#shared/money.ts';
import type { FundView, TopUpAnswer } from '#shared/api/fund-api.ts';
import { chinaDateTime } from '#shared/api/ledger-api.ts';

const common = {
  region: { type: 'string' },
  as: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

const path = (region: string) => `/funds/${encodeURIComponent(region)}`;

/** The fund's figures, one per line, in Chinese with the amounts in yuan. */
function fundLines(f: FundView): string[] {
  return [
    `${f.region}  余额 ${formatFen(f.balanceFen)}`,
    `  初始资金 ${formatFen(f.initialFen)}  追加 ${formatFen(f.toppedUpFen)}  已赔付 ${formatFen(f.paidFen)}`,
    `  已批准待赔付 ${formatFen(f.committedFen)}  等待资金 ${f.waiting} 件`,
  ];
}

export async function fundVerb(args: string[], io: CliIo): Promise<void> {
  if (args[0] === 'topup') return topUpVerb(args.slice(1), io);
  const { values } = parseVerbArgs(args, common);
  const region = requireOption(values.region, 'region');
  const api = await connect(values.api, values.as ?? 'finance1');
  const fund = (await api.request('GET', path(region))) as FundView;
  io.out(values.json ? JSON.stringify(fund) : fundLines(fund).join('\n'));
}

async function topUpVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, { ...common, amount: { type: 'string' }, ref: { type: 'string' } });
  const region = requireOption(values.region, 'region');
  const amountFen = yuanOption(values.amount, 'amount');
  if (amountFen === 0) throw new CliError('--amount must be above 0', 2);
  const ref = requireOption(values.ref, 'ref');
  if (ref.length > 64) throw new CliError('--ref: at most 64 characters', 2);
  const api = await connect(values.api, values.as ?? 'finance1');
  const out = (await api.request('POST', `${path(region)}/topups`, {
    amount: fenToYuan(amountFen),
    ref,
  })) as TopUpAnswer;
  if (values.json) return io.out(JSON.stringify(out));
  const head = out.applied
    ? `追加 ${formatFen(out.topUp.amountFen)}（${out.topUp.ref}）`
    : `${out.topUp.ref} 已于 ${chinaDateTime(out.topUp.at)} 追加过 ${formatFen(out.topUp.amountFen)}，这次没有再加`;
  const paid = `本次从等待队列赔付 ${out.paidNow.count} 件，共 ${formatFen(out.paidNow.fen)}${out.more ? '；其余的 15 分钟内赔付' : ''}`;
  io.out([head, paid, ...fundLines(out)].join('\n'));
}
