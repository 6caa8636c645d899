// `claims <verb>`: one entry point, one small module per verb. Every failure is one line on
// stderr and a non-zero exit code; --json puts exactly one JSON object on stdout.
import { quoteVerb } from '#cli/verbs/quote.ts';
import { appealVerb, objectVerb } from '#cli/verbs/appeal-verbs.ts';
import { fundVerb } from '#cli/verbs/fund.ts';
import { bankVerb, reconcileVerb, reissueVerb } from '#cli/verbs/bank.ts';
import { clockVerb } from '#cli/verbs/clock.ts';
import { noticeVerb } from '#cli/verbs/notice.ts';
import { feedVerb } from '#cli/verbs/feed.ts';
import { warningsVerb } from '#cli/verbs/warnings.ts';
import {
  exportVerb,
  grantVerb,
  membersVerb,
  retryVerb,
  reviewVerb,
  rosterVerb,
  statusVerb,
  submitVerb,
} from '#cli/verbs/api-verbs.ts';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export type Verb = (args: string[], io: CliIo) => Promise<void>;

const verbs: Record<string, Verb> = {
  quote: quoteVerb,
  submit: submitVerb,
  grant: grantVerb,
  status: statusVerb,
  review: reviewVerb,
  object: objectVerb,
  appeal: appealVerb,
  retry: retryVerb,
  roster: rosterVerb,
  members: membersVerb,
  export: exportVerb,
  fund: fundVerb,
  bank: bankVerb,
  feed: feedVerb,
  reissue: reissueVerb,
  reconcile: reconcileVerb,
  notice: noticeVerb,
  warnings: warningsVerb,
  clock: clockVerb,
  start: async (args, io) => (await import('#cli/local/start.ts')).startVerb(args, io),
  seed: async (args, io) => (await import('#cli/local/seed.ts')).seedVerb(args, io),
};

const usage = `usage: claims <verb> [options]
  start [--port 8787] [--s3-port 4569] [--dynamodb-port 8000] [--data-dir DIR] [--no-demo]
  quote --region R --category C --cost YUAN [--reimbursed YUAN] [--json]
  roster import FILE.csv [--as USER] [--api URL] [--json]
  members import FILE.csv [--as USER] [--api URL] [--json]
  submit --household H --category C --cost YUAN [--reimbursed YUAN] --expense-date D --receipt FILE [--as USER] [--api URL] [--json]
  grant --household H [--claim-id ULID] [--as USER] [--api URL] [--json]
  status CLAIM_ID [--as USER] [--api URL] [--json]
  review CLAIM_ID --gate G --decision approve|reject --as USER [--comment TEXT] [--api URL] [--json]
  object CLAIM_ID --text TEXT --as USER [--api URL] [--json]
  appeal CLAIM_ID --text TEXT --as USER [--api URL] [--json]
  retry CLAIM_ID [--as USER] [--api URL] [--json]
  bank import FILE.csv [--as USER] [--api URL] [--lang zh-CN|en] [--json]
  feed import --kind medical|education FILE.csv [--as USER] [--api URL] [--lang zh-CN|en] [--json]
  reissue CLAIM_ID [--as USER] [--api URL] [--json]
  reconcile --from D --to D [--region R] [--as USER] [--api URL] [--json]
  seed --households N --claims M [--seed S] [--region R] [--members] [--dynamodb http://127.0.0.1:8000 | --data-dir DIR] [--json]
  export --from D --to D [--region R] [--format csv|xlsx] [--lang zh|en] --out FILE [--as USER] [--api URL]
  fund --region R [--as USER] [--api URL] [--json]
  fund topup --region R --amount YUAN --ref TEXT [--as USER] [--api URL] [--json]
  notice --region R --village V [--lang zh|en] [--as USER] [--api URL] [--json]
  warnings [--region R] [--level red|orange|blue] [--as USER] [--api URL] [--json]
  clock [advance --days N] [--api URL] [--json]   (local stack only)`;

const stdio: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage);
    return name === undefined ? 2 : 0;
  }
  const verb = verbs[name];
  if (!verb) {
    io.err(`claims: unknown verb "${name}" (try: ${Object.keys(verbs).join(', ')})`);
    return 2;
  }
  try {
    await verb(rest, io);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`claims ${name}: ${message.split('\n')[0]}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
