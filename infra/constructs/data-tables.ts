import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { claimsTableSpec, type KeySpec, type TableSpec } from '#infra/tables.ts';

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
const attribute = (key: KeySpec) => ({ name: key.name, type: attributeTypes[key.type] });

const readActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
// No DeleteItem on the claims table: claims, history and the ledger are only ever added to or updated.
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];

export interface DataTablesProps {
  readonly key: IKey;
}

/**
 * The claims single table, built from the shared spec in infra/tables.ts. Retries and replays
 * need no idempotency store: every write is conditional on the claim's version or on a key
 * not existing yet.
 */
export class DataTables extends Construct {
  readonly claims: Table;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    this.key = props.key;
    this.claims = this.tableFromSpec('Claims', claimsTableSpec);
  }

  private tableFromSpec(id: string, spec: TableSpec): Table {
    const table = new Table(this, id, {
      partitionKey: attribute(spec.partitionKey),
      ...(spec.sortKey ? { sortKey: attribute(spec.sortKey) } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of spec.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
        projectionType: ProjectionType[index.projection],
        ...(index.nonKeyAttributes ? { nonKeyAttributes: [...index.nonKeyAttributes] } : {}),
      });
    }
    return table;
  }

  /** Item access to the claims table and its named indexes (no DeleteItem). */
  grantClaims(grantee: IGrantable, mode: 'read' | 'readWrite'): void {
    const table = this.claims.tableArn;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: mode === 'read' ? readActions : [...readActions, ...writeActions],
        resources: [table],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:Scan'],
        resources: claimsTableSpec.globalSecondaryIndexes.map((index) => `${table}/index/${index.indexName}`),
      }),
    );
    this.grantKey(grantee, mode);
  }

  private grantKey(grantee: IGrantable, mode: 'read' | 'readWrite'): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions:
          mode === 'read'
            ? ['kms:Decrypt', 'kms:DescribeKey']
            : ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        // Only through DynamoDB: the key can't be used directly with these grants.
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
