// A data feed's checked rows are written in chunks by household, not in file order. A
// department sends its file in its own order (by date, by hospital), so a household's records
// of a year would otherwise fall in as many batches as it has records, each reading and settling
// the household again: most of a feed's store requests. Here the file is cut into segments; each
// segment's people are matched to households (100 ID numbers a read) and its rows written as one
// part per bucket of households; a bucket's parts across segments are one chunk of the map, so a
// household is settled once for the whole file.
//
// Every part key is a function of the file's row count (feedChunkGrid): a start run again after
// a crash writes the same keys, and the job's end removes every key the grid names, whatever an
// interrupted run left behind (the parts name people on no household).
import {
  FEED_SEGMENT_ROWS,
  feedChunkGrid,
  feedPartKey,
  type ChunkRef,
  type FeedChunking,
  type JobFiles,
  type JobKind,
} from '#shared/bulk-job.ts';
import { inFlight } from '#shared/feed-import.ts';
import { TransientError } from '#shared/ports.ts';

/** ID numbers per holders read, and reads at once. */
const HOLDERS_PER_READ = 100;
const READS_IN_FLIGHT = 8;
/** Parts written (or removed) at once. */
const FILES_IN_FLIGHT = 8;

/** Whose each ID number is: the roster's `holders`. */
export type Holders = (idNumbers: readonly string[]) => Promise<ReadonlyMap<string, string>>;

interface Bucket {
  firstRow: number;
  rows: number;
  parts: string[];
}

export class FeedChunkWriter {
  private readonly grid: { segments: number; buckets: number };
  private readonly buckets = new Map<number, Bucket>();
  private segment = 0;
  private rows: number[] = [];
  private people: string[] = [];
  private lines: string[] = [];

  private readonly segmentRows: number;

  /** `rows`: the file's row count, as its first read found it (it sets the grid). */
  constructor(
    private readonly files: JobFiles,
    private readonly holders: Holders,
    private readonly job: { readonly kind: JobKind; readonly jobId: string },
    rows: number,
    chunking?: FeedChunking,
  ) {
    this.grid = feedChunkGrid(rows, chunking);
    this.segmentRows = chunking?.segmentRows ?? FEED_SEGMENT_ROWS;
  }

  get chunkGrid(): { segments: number; buckets: number } {
    return this.grid;
  }

  /** A checked row, its person's ID number and its line as the chunk keeps it. */
  async add(row: number, idNumber: string, line: string): Promise<void> {
    this.rows.push(row);
    this.people.push(idNumber);
    this.lines.push(line);
    if (this.rows.length >= this.segmentRows) await this.flush();
  }

  /** The chunks, one per bucket that holds rows, in bucket order. */
  async finish(): Promise<ChunkRef[]> {
    await this.flush();
    return [...this.buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, b]) => ({
        key: b.parts[0] ?? '',
        firstRow: b.firstRow,
        rows: b.rows,
        ...(b.parts.length > 1 ? { more: b.parts.slice(1) } : {}),
      }));
  }

  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    // The file's row count sets the grid; a file that grew between the reads is read again from
    // the start (as when its sha256 differs), its keys kept on the grid.
    if (this.segment >= this.grid.segments)
      throw new TransientError(`the file of job ${this.job.jobId} changed while read`);
    const found = await holdersOf(this.holders, [...new Set(this.people)]);
    const byBucket = new Map<number, { firstRow: number; lines: string[] }>();
    for (let i = 0; i < this.rows.length; i++) {
      const idNumber = this.people[i] ?? '';
      // A person on no household is spread by their own number (their rows are only counted).
      const householdId = found.get(idNumber);
      const bucket = bucketOf(householdId ?? `id:${idNumber}`, this.grid.buckets);
      let part = byBucket.get(bucket);
      if (!part) byBucket.set(bucket, (part = { firstRow: this.rows[i] ?? 0, lines: [] }));
      part.lines.push(this.lines[i] ?? '');
    }
    const segment = this.segment;
    await inFlight([...byBucket.entries()], FILES_IN_FLIGHT, async ([bucket, part]) => {
      const key = feedPartKey(this.job.kind, this.job.jobId, segment, bucket);
      await this.files.write(key, part.lines.join('\n'), 'application/x-ndjson');
    });
    for (const [bucket, part] of [...byBucket.entries()].sort(([a], [b]) => a - b)) {
      const key = feedPartKey(this.job.kind, this.job.jobId, segment, bucket);
      const stored = this.buckets.get(bucket);
      if (stored) {
        stored.rows += part.lines.length;
        stored.parts.push(key);
      } else this.buckets.set(bucket, { firstRow: part.firstRow, rows: part.lines.length, parts: [key] });
    }
    this.segment += 1;
    this.rows = [];
    this.people = [];
    this.lines = [];
  }
}

/** Removes every part a feed job's grid can name (a missing one is no error). */
export async function removeFeedParts(
  files: JobFiles,
  job: { readonly kind: JobKind; readonly jobId: string },
  grid: { segments: number; buckets: number },
): Promise<void> {
  const keys: string[] = [];
  for (let s = 0; s < grid.segments; s++)
    for (let b = 0; b < grid.buckets; b++) keys.push(feedPartKey(job.kind, job.jobId, s, b));
  await inFlight(keys, FILES_IN_FLIGHT, (key) => files.remove(key));
}

async function holdersOf(holders: Holders, idNumbers: readonly string[]): Promise<Map<string, string>> {
  const reads: string[][] = [];
  for (let i = 0; i < idNumbers.length; i += HOLDERS_PER_READ)
    reads.push(idNumbers.slice(i, i + HOLDERS_PER_READ));
  const found = new Map<string, string>();
  await inFlight(reads, READS_IN_FLIGHT, async (ids) => {
    for (const [id, householdId] of await holders(ids)) found.set(id, householdId);
  });
  return found;
}

/** FNV-1a: a stable spread of households over buckets (the same file, the same chunks). */
export function bucketOf(key: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
}
