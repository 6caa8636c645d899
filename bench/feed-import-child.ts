// Seeds the feed benchmark's county into the stack's DynamoDB Local and writes its medical feed
// file, in a process of its own so the county's objects never count in the stack's RSS:
// `feed-import-child.ts <dynamodbUrl> <households> <records> <file>`; prints a FeedSeed as JSON.
import { seedFeedCounty, writeMedicalFeed, type FeedSeed } from '#bench/feed-import.ts';

const [dynamodbUrl, households, records, path] = process.argv.slice(2);
if (!dynamodbUrl || !path || !Number(households) || !Number(records))
  throw new Error('usage: feed-import-child.ts <dynamodbUrl> <households> <records> <file>');
const log = (line: string) => process.stderr.write(`${line}\n`);
const started = performance.now();
const seeded = await seedFeedCounty(dynamodbUrl, Number(households), log);
const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
const file = await writeMedicalFeed(path, { records: Number(records), households: Number(households) });
const seed: FeedSeed = {
  households: seeded.households,
  people: seeded.people,
  seedSeconds,
  fileBytes: file.bytes,
  rows: Number(records),
  unmatchedRows: file.unmatched,
  repeatedRows: file.repeated,
  largeStays: file.large,
};
process.stdout.write(`${JSON.stringify(seed)}\n`);
process.exit(0);
