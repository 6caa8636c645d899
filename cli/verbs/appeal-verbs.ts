// `claims object` and `claims appeal`: send a claim back to review, through the HTTP API as the
// web app does. The API checks who may, when, and the text (1 to 500 characters).
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs, requireOption } from '#cli/args.ts';
import { connect } from '#cli/api-client.ts';

const options = {
  as: { type: 'string' },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
  text: { type: 'string' },
} as const;

interface RoundAnswer {
  readonly claim: { readonly claimId: string; readonly state: string; readonly nextGate: string | null };
  readonly reviewStarted: boolean;
}

async function sendBack(verb: 'object' | 'appeal', args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseVerbArgs(args, options, true);
  const claimId = positionals[0];
  if (!claimId) throw new CliError(`usage: claims ${verb} CLAIM_ID --text TEXT --as USER`, 2);
  const text = requireOption(values.text, 'text');
  const api = await connect(values.api, requireOption(values.as, 'as'));
  const path = `/claims/${encodeURIComponent(claimId)}/${verb === 'object' ? 'objections' : 'appeal'}`;
  const answer = (await api.request('POST', path, { text })) as RoundAnswer;
  const out = {
    claimId: answer.claim.claimId,
    state: answer.claim.state,
    nextGate: answer.claim.nextGate,
    reviewStarted: answer.reviewStarted,
  };
  io.out(
    values.json
      ? JSON.stringify(out)
      : `${out.claimId}  ${out.state}${out.nextGate ? `  next gate: ${out.nextGate}` : ''}`,
  );
}

/** An objection to a claim on public notice: `claims object CLAIM_ID --text TEXT --as village1`. */
export const objectVerb = (args: string[], io: CliIo) => sendBack('object', args, io);

/** The household's appeal of a review rejection: `claims appeal CLAIM_ID --text TEXT --as worker1`. */
export const appealVerb = (args: string[], io: CliIo) => sendBack('appeal', args, io);
