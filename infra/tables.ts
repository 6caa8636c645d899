// DynamoDB tables as plain data. CDK builds the deployed tables from these specs and the local
// runtime creates DynamoDB Local tables from the same specs, so keys and indexes cannot drift.
// No CDK or AWS SDK imports here: the local runtime imports this module directly.

export type AttributeType = 'S' | 'N' | 'B';

export interface KeySpec {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  /** With `INCLUDE`: the attributes copied into the index besides the keys. */
  readonly nonKeyAttributes?: readonly string[];
}

export interface TableSpec {
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  readonly globalSecondaryIndexes: readonly IndexSpec[];
}

const s = (name: string): KeySpec => ({ name, type: 'S' });

/** Number of write shards for the payouts-by-date index (`PAID#<yyyy-mm>#<shard>`). */
export const payoutDateShards = 10;

/** Index names by purpose, so callers don't hard-code `gsi3` and guess what it holds. */
export const claimsIndexes = {
  /** `STATE#<state>` / `<updatedAt>#<id>`: claims by state. */
  byState: 'gsi1',
  /** `HH#<householdId>` / `<createdAt>#<id>`: claims by household. */
  byHousehold: 'gsi2',
  /** `GW#<gridWorker>` / `<createdAt>#<id>` (claims) and `GWHH#<gridWorker>` / `<householdId>#<statusFrom>` (roster). */
  byGridWorker: 'gsi3',
  /** `PAID#<yyyy-mm>#<shard>` / `<paidAt>#<claimId>`: ledger entries by payout month, write-sharded; a date range is a sort-key range. */
  payoutsByDate: 'gsi4',
  /** `CLAIMS` / `<createdAt>#<id>`: every claim, newest first; a filing-date range is a sort-key range. */
  claimsByTime: 'gsi5',
  /** `STATE#<state>` / `<createdAt>#<id>`: claims in a state, newest filed first. */
  byStateByTime: 'gsi6',
  /** `VILLAGE#<village>` / `<createdAt>#<id>`: a village's claims. */
  byVillage: 'gsi7',
  /** `VILLAGE#<village>#STATE#<state>` / `<createdAt>#<id>`: a village's queue (e.g. claims waiting for review). */
  byVillageState: 'gsi8',
} as const;

/**
 * What the listing indexes (gsi5..gsi8) carry besides keys: the fields a listing filters on that
 * never or rarely change (state changes a few times per claim; updatedAt, which changes at every
 * write, stays out). A combined filter is then a FilterExpression on the index, and only the
 * claims that match are read from the table.
 */
export const claimListingAttributes = ['state', 'category', 'village', 'gridWorker', 'householdId'] as const;

const gsi = (
  indexName: string,
  projection: IndexSpec['projection'],
  nonKeyAttributes?: readonly string[],
): IndexSpec => ({
  indexName,
  partitionKey: s(`${indexName}pk`),
  sortKey: s(`${indexName}sk`),
  projection,
  ...(nonKeyAttributes ? { nonKeyAttributes } : {}),
});

/** The single table: claims, history events, review gates, receipt hashes, ledger, caps, roster. */
export const claimsTableSpec: TableSpec = {
  partitionKey: s('pk'),
  sortKey: s('sk'),
  globalSecondaryIndexes: [
    // A claim item is rewritten at every step. Projecting it whole into three indexes cost 38 of
    // an automatic claim's 57 write units; with keys only, gsi2/gsi3 are written once per claim
    // and gsi1 once per state change, and a listing reads the page's claims from the table.
    gsi(claimsIndexes.byState, 'KEYS_ONLY'),
    gsi(claimsIndexes.byHousehold, 'KEYS_ONLY'),
    gsi(claimsIndexes.byGridWorker, 'KEYS_ONLY'),
    // Ledger entries are written once (and once more when disbursed) and exported by the
    // million: the export reads whole entries straight from the index.
    gsi(claimsIndexes.payoutsByDate, 'ALL'),
    // Claim listings, all in filing-time order. Their keys (and projected fields) are written
    // once per claim, and once more per state change for gsi6 and the projected `state`.
    gsi(claimsIndexes.claimsByTime, 'INCLUDE', claimListingAttributes),
    gsi(claimsIndexes.byStateByTime, 'INCLUDE', claimListingAttributes),
    gsi(claimsIndexes.byVillage, 'INCLUDE', claimListingAttributes),
    // A village's claims in one state: filtering a village on a rare state read its whole year.
    gsi(claimsIndexes.byVillageState, 'INCLUDE', claimListingAttributes),
    // No category index: there are four categories, so a category is a filter on gsi5 that
    // reads about four index entries per claim shown, cheaper than a fourth index write per claim.
  ],
};

/** Plain-object shape of the DynamoDB CreateTable input (structurally what the SDK accepts). */
export interface CreateTableInputShape {
  TableName: string;
  BillingMode: 'PAY_PER_REQUEST';
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: AttributeType }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
}

const keySchema = (pk: KeySpec, sk?: KeySpec) => [
  { AttributeName: pk.name, KeyType: 'HASH' as const },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
];

export function toCreateTableInput(spec: TableSpec, tableName: string): CreateTableInputShape {
  // Every key attribute of the table and its indexes, declared once.
  const attributes = new Map<string, AttributeType>();
  for (const key of [
    spec.partitionKey,
    spec.sortKey,
    ...spec.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]) {
    if (key) attributes.set(key.name, key.type);
  }
  const input: CreateTableInputShape = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
  };
  if (spec.globalSecondaryIndexes.length > 0) {
    input.GlobalSecondaryIndexes = spec.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: {
        ProjectionType: index.projection,
        ...(index.nonKeyAttributes ? { NonKeyAttributes: [...index.nonKeyAttributes] } : {}),
      },
    }));
  }
  return input;
}
