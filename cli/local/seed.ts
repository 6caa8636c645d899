// `claims seed`: a synthetic county into the LOCAL tables only. Either the running local stack's
// DynamoDB (`--dynamodb`, loopback addresses only, signed with the local key) or a data dir the
// stack is not running on (`--data-dir`: DynamoDB Local is started on it for the load). Nothing
// here can reach AWS: the client never reads the environment's credentials or region.
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs } from '#cli/args.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { CLAIMS_TABLE, LOCAL_REGION } from '#cli/local/world.ts';
import { ensureClaimsTable } from '#cli/local/claims-table.ts';
import { startDynamoDbLocal } from '#cli/local/dynamodb-local.ts';
import { findFreePort } from '#cli/local/net.ts';
import { seedCounty } from '#cli/local/synthetic-county.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';

function count(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000)
    throw new CliError(`--${name} must be a whole number from 1 to 10000000`, 2);
  return n;
}

/** The endpoint, only if it is this machine (the local stack listens on loopback only). */
export function localEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError('--dynamodb must be a URL such as http://127.0.0.1:8000', 2);
  }
  if (parsed.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
    throw new CliError('seed writes only to the local stack: --dynamodb must be http://127.0.0.1:<port>', 2);
  return parsed.origin;
}

export async function seedVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    households: { type: 'string' },
    claims: { type: 'string' },
    seed: { type: 'string' },
    dynamodb: { type: 'string' },
    'data-dir': { type: 'string' },
    region: { type: 'string' },
    members: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const households = count(values.households, 'households');
  const claims = count(values.claims, 'claims');
  const seed = count(values.seed, 'seed', 1);
  if (values.dynamodb && values['data-dir'])
    throw new CliError('give --dynamodb (a running local stack) or --data-dir, not both', 2);
  const local = values['data-dir']
    ? await startDynamoDbLocal({ port: await findFreePort(), dataDir: resolve(values['data-dir']) })
    : undefined;
  const endpoint = local?.endpoint ?? localEndpoint(values.dynamodb ?? 'http://127.0.0.1:8000');
  const db = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: s3LocalCredentials });
  try {
    await ensureClaimsTable(db, CLAIMS_TABLE);
    const store = new DynamoClaimStore(db, CLAIMS_TABLE);
    const county = {
      households,
      claims,
      seed,
      members: values.members,
      ...(values.region ? { region: values.region } : {}),
    };
    const result = await seedCounty(store, county, (done) => {
      if (!values.json) io.err(`${done} claims…`);
    });
    io.out(
      values.json
        ? JSON.stringify(result)
        : `seeded ${result.households} households and ${result.claims} claims in ${result.seconds} s`,
    );
  } finally {
    db.destroy();
    await local?.stop();
  }
}
