// The DynamoDB-backed ports, for the handlers that name them (see handler-deps.ts). The claim,
// roster and ledger ports share one client and one table adapter per container; the claim port
// counts what its writes did (functions/metrics.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { envNames } from '#functions/catalog.ts';
import {
  baseClientConfig,
  requireEnv,
  withoutSdkLogger,
  withRequestGate,
  type AdapterContext,
} from '#functions/adapters/handler-deps.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { DynamoFeedStore } from '#functions/adapters/dynamo-feed-store.ts';
import { DynamoWarningStore } from '#functions/adapters/dynamo-warning-store.ts';
import { MeteredClaimStore } from '#functions/metrics.ts';
import type {
  ClaimStore,
  FeedStore,
  FundStore,
  LedgerStore,
  RosterStore,
  WarningStore,
} from '#shared/ports.ts';

const clients = new WeakMap<AdapterContext, DynamoDBClient>();
const stores = new WeakMap<AdapterContext, DynamoClaimStore>();

export function dynamoClient(context: AdapterContext): DynamoDBClient {
  let client = clients.get(context);
  if (!client) {
    const endpoint = context.overrides.endpoints?.dynamodb;
    client = withoutSdkLogger(
      new DynamoDBClient({ ...baseClientConfig(context.overrides), ...(endpoint ? { endpoint } : {}) }),
    );
    const gate = context.overrides.dynamodbGate;
    if (gate) withRequestGate(client, gate);
    clients.set(context, client);
  }
  return client;
}

/** The claims table adapter of a context, built on first use. */
function dynamoStore(context: AdapterContext): DynamoClaimStore {
  let store = stores.get(context);
  if (!store) {
    store = new DynamoClaimStore(dynamoClient(context), requireEnv(context.env, envNames.claimsTable));
    stores.set(context, store);
  }
  return store;
}

export const dynamoClaims = (context: AdapterContext): ClaimStore =>
  new MeteredClaimStore(dynamoStore(context), context.metrics);

export const dynamoRoster = (context: AdapterContext): RosterStore => dynamoStore(context);

export const dynamoLedger = (context: AdapterContext): LedgerStore => dynamoStore(context);

export const dynamoFunds = (context: AdapterContext): FundStore => dynamoStore(context);

export const dynamoFeeds = (context: AdapterContext): FeedStore =>
  new DynamoFeedStore(dynamoClient(context), requireEnv(context.env, envNames.claimsTable));

export const dynamoWarnings = (context: AdapterContext): WarningStore =>
  new DynamoWarningStore(dynamoClient(context), requireEnv(context.env, envNames.claimsTable));
