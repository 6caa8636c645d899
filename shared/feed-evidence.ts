// A data-feed claim's evidence is its records' keys (`<kind>:<recordId>`): read back here, for the
// duplicate check and for the pages that show a claim's records in place of its receipts.
import { feedKindSchema, type FeedKind, type FeedRecord } from '#shared/feed-record.ts';
import type { FeedStore } from '#shared/ports.ts';

/** A record key's kind and id; undefined for a key of no known kind. */
export function parseFeedRecordKey(key: string): { kind: FeedKind; recordId: string } | undefined {
  const at = key.indexOf(':');
  if (at < 0) return undefined;
  const kind = feedKindSchema.safeParse(key.slice(0, at));
  const recordId = key.slice(at + 1);
  return kind.success && recordId !== '' ? { kind: kind.data, recordId } : undefined;
}

/** The stored records with these keys, in the keys' order (keys stored no more: left out). */
export async function readFeedRecords(
  feeds: Pick<FeedStore, 'records'>,
  keys: readonly string[],
): Promise<FeedRecord[]> {
  const parsed = [...new Set(keys)].flatMap((key) => {
    const found = parseFeedRecordKey(key);
    return found ? [found] : [];
  });
  const byKind = new Map<FeedKind, string[]>();
  for (const { kind, recordId } of parsed) byKind.set(kind, [...(byKind.get(kind) ?? []), recordId]);
  const read = new Map<FeedKind, Map<string, FeedRecord>>();
  await Promise.all(
    [...byKind].map(async ([kind, ids]) => {
      read.set(kind, await feeds.records(kind, ids));
    }),
  );
  return parsed.flatMap(({ kind, recordId }) => {
    const record = read.get(kind)?.get(recordId);
    return record ? [record] : [];
  });
}
