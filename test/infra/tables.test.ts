import { describe, expect, it } from 'vitest';
import { claimListingAttributes, claimsIndexes, claimsTableSpec, toCreateTableInput } from '#infra/tables.ts';

describe('table specs (shared by CDK and the local runtime)', () => {
  it('renders the claims single table with gsi1..gsi8 as a CreateTable input', () => {
    const n = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(toCreateTableInput(claimsTableSpec, 'claims')).toEqual({
      TableName: 'claims',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: ['pk', 'sk', ...n.flatMap((i) => [`gsi${i}pk`, `gsi${i}sk`])].map(
        (AttributeName) => ({ AttributeName, AttributeType: 'S' }),
      ),
      GlobalSecondaryIndexes: n.map((i) => ({
        IndexName: `gsi${i}`,
        KeySchema: [
          { AttributeName: `gsi${i}pk`, KeyType: 'HASH' },
          { AttributeName: `gsi${i}sk`, KeyType: 'RANGE' },
        ],
        // Claim items are rewritten at every step: the old claim indexes carry keys only, the
        // listing indexes keys and the few fields a listing filters on; the ledger index all.
        Projection:
          i <= 3
            ? { ProjectionType: 'KEYS_ONLY' }
            : i === 4
              ? { ProjectionType: 'ALL' }
              : {
                  ProjectionType: 'INCLUDE',
                  NonKeyAttributes: ['state', 'category', 'village', 'gridWorker', 'householdId'],
                },
      })),
    });
  });

  it('names the indexes by purpose', () => {
    expect(claimsIndexes).toEqual({
      byState: 'gsi1',
      byHousehold: 'gsi2',
      byGridWorker: 'gsi3',
      payoutsByDate: 'gsi4',
      claimsByTime: 'gsi5',
      byStateByTime: 'gsi6',
      byVillage: 'gsi7',
      byVillageState: 'gsi8',
    });
  });

  it('listing indexes project no field that changes at every write', () => {
    // updatedAt and version change with every write of a claim: projecting them would rewrite
    // four index entries per write. state changes a few times in a claim's life.
    expect(claimListingAttributes).not.toContain('updatedAt');
    expect(claimListingAttributes).not.toContain('version');
    expect(claimListingAttributes).not.toContain('gates');
  });
});
