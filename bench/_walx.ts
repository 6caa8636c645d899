import { mkdtemp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#cli/local/dynamodb-local.ts';
import { findFreePort } from '#cli/local/net.ts';
import { localCredentials } from '#cli/local/credentials.ts';
const dir = await mkdtemp('/tmp/walx/d-');
const d = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir, walLimitBytes: Number(process.env.LIMIT ?? 16 * 1024 * 1024), walCheckMs: 500, onLog: (l) => console.log(l) });
const db = new DynamoDBClient({ endpoint: d.endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
await db.send(new CreateTableCommand({ TableName: 'ttt', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }));
const f = join(dir, 'dynamodb', 'shared-local-instance.db');
let ok = 0; const errors = new Map<string, number>(); let maxWal = 0;
const end = Date.now() + Number(process.env.SECS ?? 25) * 1000;
const watch = setInterval(async () => { maxWal = Math.max(maxWal, (await stat(f + '-wal').catch(() => ({ size: 0 }))).size); }, 100);
await Promise.all(Array.from({ length: 16 }, async (_, w) => {
  let i = 0;
  while (Date.now() < end) {
    try {
      if (i % 3 === 2) { const got = await db.send(new GetItemCommand({ TableName: 'ttt', Key: { pk: { S: `w${w}-${i - 1}` } } })); if (!got.Item) throw new Error('lost item'); }
      else await db.send(new PutItemCommand({ TableName: 'ttt', Item: { pk: { S: `w${w}-${i}` }, v: { S: 'x'.repeat(500) } } }));
      ok++;
    } catch (e) { const n = (e as Error).name + ':' + (e as Error).message.slice(0, 80); errors.set(n, (errors.get(n) ?? 0) + 1); }
    i++;
  }
}));
clearInterval(watch);
console.log('ok', ok, 'errors', JSON.stringify([...errors]), 'maxWal', maxWal, 'wal', (await stat(f + '-wal')).size, 'db', (await stat(f)).size, 'checkpoints', d.walCheckpoints());
await d.stop();
const d2 = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir, onLog: (l) => console.log(l) });
console.log('restart: wal', (await stat(f + '-wal').catch(() => ({ size: -1 }))).size, 'db', (await stat(f)).size);
const c2 = new DynamoDBClient({ endpoint: d2.endpoint, region: 'us-east-1', credentials: localCredentials });
const got = await c2.send(new GetItemCommand({ TableName: 'ttt', Key: { pk: { S: 'w3-0' } } }));
console.log('after restart item', Boolean(got.Item));
await d2.stop();
