import { describe, expect, it } from 'vitest';
import { claimsIndexes, claimsTableSpec, toCreateTableInput } from '#infra/tables.ts';

describe('table specs (shared by CDK and the local runtime)', () => {
  it('renders the claims single table with gsi1..gsi4 as a CreateTable input', () => {
    expect(toCreateTableInput(claimsTableSpec, 'claims')).toEqual({
      TableName: 'claims',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        'pk',
        'sk',
        'gsi1pk',
        'gsi1sk',
        'gsi2pk',
        'gsi2sk',
        'gsi3pk',
        'gsi3sk',
        'gsi4pk',
        'gsi4sk',
      ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      GlobalSecondaryIndexes: [1, 2, 3, 4].map((n) => ({
        IndexName: `gsi${n}`,
        KeySchema: [
          { AttributeName: `gsi${n}pk`, KeyType: 'HASH' },
          { AttributeName: `gsi${n}sk`, KeyType: 'RANGE' },
        ],
        // Claim items are rewritten at every step: their indexes carry keys only.
        Projection: { ProjectionType: n === 4 ? 'ALL' : 'KEYS_ONLY' },
      })),
    });
  });

  it('names the indexes by purpose', () => {
    expect(claimsIndexes).toEqual({
      byState: 'gsi1',
      byHousehold: 'gsi2',
      byGridWorker: 'gsi3',
      payoutsByDate: 'gsi4',
    });
  });
});
