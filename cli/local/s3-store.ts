// What the S3 emulator puts on disk, made safe: the key rules that keep every key a valid file path
// under the bucket directory, and replacements for the parts of s3rver's FilesystemStore that could
// crash the process, leave a half-written object behind, or stop a listing (and with it the stack's
// start-up) at the first file they cannot read.
//
// s3rver keeps object <key> of bucket <b> as <dir>/<b>/<key>._S3rver_object, with
// <key>._S3rver_object.md5 and <key>._S3rver_metadata.json beside it; every `/` in a key is a
// directory. So a key segment is a file name: the file system limits it to 255 bytes, less the
// longest suffix (22 bytes) for the last one; `.`, `..` and empty segments would name another
// key's file (or one outside the bucket).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const maxKeyBytes = 1024;
export const maxSegmentBytes = 255;
const objectSuffix = '._S3rver_object';
const longestSuffix = '._S3rver_metadata.json';
/** The last segment also carries s3rver's longest suffix in the same file name. */
export const maxLastSegmentBytes = maxSegmentBytes - longestSuffix.length;
const uploadsDirectory = '._S3rver_uploads';

/** An S3 error answer: status, S3 code, message and extra XML elements. */
export class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

/** Why `key` cannot be stored (a 400 to answer), or undefined if it can. */
export function keyProblem(key: string): S3Failure | undefined {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0)
    return new S3Failure(400, 'InvalidArgument', 'User key must have a length greater than 0.', {
      ArgumentName: 'key',
    });
  if (bytes > maxKeyBytes) {
    return new S3Failure(
      400,
      'KeyTooLongError',
      `Your key is too long: ${bytes} bytes (UTF-8); at most ${maxKeyBytes} are allowed.`,
      { Size: bytes, MaxSizeAllowed: maxKeyBytes },
    );
  }
  if (key.includes('\0') || key.includes('\uFFFD')) {
    return invalidKey(
      'The key contains a character this emulator cannot store (NUL or an invalid UTF-8 byte).',
    );
  }
  const segments = key.split('/');
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (segment === '') {
      // Only a trailing slash ("folder/" keys) is allowed: "a//b" and "/a" would name "a/b" and "a".
      if (last && i > 0) continue;
      return invalidKey(
        'The key has an empty path segment (a leading "/" or "//"); this emulator cannot store it.',
      );
    }
    if (segment === '.' || segment === '..') {
      return invalidKey('The key has a "." or ".." path segment; this emulator cannot store it.');
    }
    if (segment.includes('._S3rver_')) {
      return invalidKey('The key contains "._S3rver_", which this emulator reserves for its own files.');
    }
    const limit = last ? maxLastSegmentBytes : maxSegmentBytes;
    const length = Buffer.byteLength(segment, 'utf8');
    if (length > limit) {
      return invalidKey(
        `A key segment (between "/") is ${length} bytes long; this emulator stores each segment as a file name ` +
          `and accepts at most ${maxSegmentBytes} bytes (${maxLastSegmentBytes} for the last segment).`,
      );
    }
  }
  return undefined;
}

const invalidKey = (message: string): S3Failure =>
  new S3Failure(400, 'InvalidArgument', message, { ArgumentName: 'key' });

const bucketNamePattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3's bucket naming rules (which also keep a bucket name a plain directory name). */
export const isValidBucketName = (name: string): boolean =>
  bucketNamePattern.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);

// ---------------------------------------------------------------------------------------------
// s3rver's store, as far as we use or replace it.

export interface S3rverObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Readable | Buffer | null;
  readonly metadata: Record<string, unknown>;
}
type S3ObjectConstructor = new (
  bucket: string,
  key: string,
  content: Readable | Buffer | null,
  metadata: Record<string, unknown>,
) => S3rverObject;
type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

export interface S3rverStore {
  readonly rootDirectory: string;
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  existsObject(bucket: string, key: string): Promise<boolean>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<Record<string, unknown>>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number | string,
    content: Readable,
  ): Promise<{ size: number; md5: string }>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: readonly { number: number; etag: string }[],
  ): Promise<{ size: number; md5: string }>;
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  getBucket(bucket: string): Promise<unknown>;
  putBucket(bucket: string): Promise<unknown>;
  deleteBucket(bucket: string): Promise<unknown>;
  getSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  putSubresource(bucket: string, key: string | undefined, resource: { type: string }): Promise<unknown>;
  deleteSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  reset(): void;
}

interface ListOptions {
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly prefix?: string;
  readonly maxKeys?: number;
}
interface ListResult {
  objects: S3rverObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

const requireS3rver = createRequire(import.meta.url);
const S3Object = requireS3rver('s3rver/lib/models/object') as S3ObjectConstructor & {
  readonly ALLOWED_METADATA: readonly string[];
};
/** s3rver's error class: thrown from the store, it becomes that S3 error answer (not a 500). */
export const S3rverError = requireS3rver('s3rver/lib/models/error') as S3ErrorConstructor;

/** An s3rver error with a status of our choosing (its table lacks a few codes). */
export function s3rverError(failure: S3Failure): Error {
  const error = new S3rverError(failure.code, failure.message, { ...failure.extra }) as Error & {
    status: number;
    expose: boolean;
  };
  error.status = failure.status;
  error.expose = failure.status < 500;
  return error;
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/** The error s3rver's callers read as "no such object" (they test `code === 'ENOENT'`). */
const absent = (): Error => Object.assign(new Error('object is unreadable'), { code: 'ENOENT' });

function storedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) kept[name] = value;
  }
  return kept;
}

class Md5Counter extends Transform {
  private readonly hash = createHash('md5');
  size = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* concatenateFiles(paths: readonly string[]): AsyncGenerator<Buffer> {
  for (const path of paths) for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}

export interface HardenedStore {
  /** Keys whose files could not be read: listings skip them and reads answer NoSuchKey. */
  readonly unreadable: ReadonlySet<string>;
  /** Reads the bucket directory once: what cannot be read is remembered as unreadable and counted. */
  scan(bucket: string): Promise<ScanReport>;
}

export interface ScanReport {
  readonly skipped: number;
  /** Problem description -> how many entries have it. */
  readonly problems: ReadonlyMap<string, number>;
  /** Path (relative to the bucket directory) of the first skipped entry. */
  readonly first?: string;
}

/**
 * Replaces s3rver's object writes (put, copy, parts, multipart completion), metadata reads and
 * listing with versions that write to a staging directory and rename into place (a failed or
 * refused upload leaves the stored object as it was), report every stream error to the request
 * (s3rver leaves some write-stream errors unhandled, which kills the process), and treat an object
 * whose files cannot be read as absent instead of failing the whole listing.
 */
export function hardenStore(
  store: S3rverStore,
  options: { readonly stagingDirectory: string; readonly onUnreadable?: (problem: string) => void },
): HardenedStore {
  const { stagingDirectory } = options;
  const unreadable = new Set<string>();
  /** Why each unreadable key could not be read. */
  const reasons = new Map<string, string>();
  let scanning = false;
  const unreadableId = (bucket: string, key: string) => `${bucket}/${key}`;
  const markUnreadable = (bucket: string, key: string, problem: string): Error => {
    const id = unreadableId(bucket, key);
    if (!unreadable.has(id)) {
      unreadable.add(id);
      reasons.set(id, problem);
      // The start-up scan reports what it finds as one line; later finds get a line each.
      if (!scanning) options.onUnreadable?.(problem);
    }
    return absent();
  };
  const markReadable = (bucket: string, key: string) => {
    unreadable.delete(unreadableId(bucket, key));
    reasons.delete(unreadableId(bucket, key));
  };

  const staged = (): string => join(stagingDirectory, randomBytes(12).toString('hex'));

  /** Writes content to a staged file; resolves with its path, size and MD5. */
  const stage = async (content: Readable | Buffer): Promise<{ path: string; size: number; md5: string }> => {
    const path = staged();
    try {
      if (Buffer.isBuffer(content)) {
        await writeFile(path, content);
        return { path, size: content.length, md5: createHash('md5').update(content).digest('hex') };
      }
      const counter = new Md5Counter();
      await pipeline(content, counter, createWriteStream(path));
      return { path, size: counter.size, md5: counter.digest() };
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  };

  /** Moves staged files into place, the object file last; removes what is left on failure. */
  const commit = async (moves: readonly (readonly [string, string])[]): Promise<void> => {
    try {
      for (const [from, to] of moves) await rename(from, to);
    } finally {
      await Promise.all(moves.map(([from]) => rm(from, { force: true })));
    }
  };

  const writeStaged = async (text: string): Promise<string> => {
    const path = staged();
    await writeFile(path, text);
    return path;
  };

  store.putObject = async (object) => {
    if (object.content === null) throw new Error('putObject needs content');
    const target = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(target), { recursive: true });
    const body = await stage(object.content);
    const moves: [string, string][] = [];
    try {
      moves.push([
        await writeStaged(body.md5),
        store.getResourcePath(object.bucket, object.key, 'object.md5'),
      ]);
      moves.push([
        await writeStaged(JSON.stringify(storedMetadata(object.metadata), null, 2)),
        store.getResourcePath(object.bucket, object.key, 'metadata.json'),
      ]);
      moves.push([body.path, target]);
    } catch (error) {
      await Promise.all([body.path, ...moves.map(([from]) => from)].map((p) => rm(p, { force: true })));
      throw error;
    }
    await commit(moves);
    markReadable(object.bucket, object.key);
    return { size: body.size, md5: body.md5 };
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    let metadata = replacementMetadata;
    if (!metadata) {
      try {
        metadata = JSON.parse(
          await readFile(store.getResourcePath(srcBucket, srcKey, 'metadata.json'), 'utf8'),
        ) as Record<string, unknown>;
      } catch (error) {
        if (!isMissing(error)) throw error;
        metadata = {};
      }
    }
    const content = createReadStream(store.getResourcePath(srcBucket, srcKey, 'object'));
    await store.putObject(new S3Object(destBucket, destKey, content, metadata));
    return store.getMetadata(destBucket, destKey);
  };

  const uploadDirectory = (bucket: string, uploadId: string): string => {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw noSuchUpload();
    return join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  };
  const noSuchUpload = () =>
    s3rverError(
      new S3Failure(
        404,
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      ),
    );

  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const directory = uploadDirectory(bucket, uploadId);
    const number = Number(partNumber);
    if (!Number.isInteger(number) || number < 1 || number > 10_000) {
      throw s3rverError(
        new S3Failure(
          400,
          'InvalidArgument',
          'Part number must be an integer between 1 and 10000, inclusive',
          {
            ArgumentName: 'partNumber',
          },
        ),
      );
    }
    const exists = await stat(directory).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) throw noSuchUpload();
    const body = await stage(content);
    const partPath = join(directory, String(number));
    let md5File: string;
    try {
      md5File = await writeStaged(body.md5);
    } catch (error) {
      await rm(body.path, { force: true });
      throw error;
    }
    await commit([
      [md5File, `${partPath}.md5`],
      [body.path, partPath],
    ]);
    return { size: body.size, md5: body.md5 };
  };

  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const directory = uploadDirectory(bucket, uploadId);
    let key: string;
    let metadata: Record<string, unknown>;
    try {
      [key, metadata] = await Promise.all([
        readFile(join(directory, 'key'), 'utf8'),
        readFile(join(directory, 'metadata'), 'utf8').then(
          (text) => JSON.parse(text) as Record<string, unknown>,
        ),
      ]);
    } catch {
      throw noSuchUpload();
    }
    const paths: string[] = [];
    let previous = 0;
    for (const part of parts) {
      if (!Number.isInteger(part.number) || part.number <= previous || part.number > 10_000) {
        throw s3rverError(
          new S3Failure(
            400,
            'InvalidPartOrder',
            'The list of parts was not in ascending order. Parts must be ordered by part number.',
          ),
        );
      }
      previous = part.number;
      const partPath = join(directory, String(part.number));
      const md5 = await readFile(`${partPath}.md5`, 'utf8').catch(() => undefined);
      if (md5 === undefined || md5.trim() !== part.etag.replace(/"/g, '').trim()) {
        throw s3rverError(
          new S3Failure(
            400,
            'InvalidPart',
            "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          ),
        );
      }
      paths.push(partPath);
    }
    const result = await store.putObject(
      new S3Object(bucket, key, Readable.from(concatenateFiles(paths)), metadata),
    );
    await rm(directory, { recursive: true, force: true });
    return result;
  };

  store.getMetadata = async (bucket, key) => {
    const objectPath = store.getResourcePath(bucket, key, 'object');
    const info = await stat(objectPath); // ENOENT: no such object
    if (!info.isFile()) throw markUnreadable(bucket, key, 'the object is not a regular file');
    let stored: unknown;
    try {
      stored = JSON.parse(await readFile(store.getResourcePath(bucket, key, 'metadata.json'), 'utf8'));
    } catch (error) {
      if (!isMissing(error)) throw markUnreadable(bucket, key, 'metadata file is truncated or not JSON');
    }
    if (stored !== undefined && (typeof stored !== 'object' || stored === null || Array.isArray(stored))) {
      throw markUnreadable(bucket, key, 'metadata file is not a JSON object');
    }
    const md5Path = store.getResourcePath(bucket, key, 'object.md5');
    let md5 = await readFile(md5Path, 'utf8').then(
      (text) => text.trim(),
      () => '',
    );
    if (!/^[0-9a-f]{32}$/.test(md5)) {
      try {
        md5 = await md5OfFile(objectPath);
      } catch (error) {
        if (isMissing(error)) throw error;
        throw markUnreadable(bucket, key, 'the object file cannot be read');
      }
      // Best effort: an object whose name leaves no room for the .md5 file is still served.
      await writeFile(md5Path, md5).catch(() => undefined);
    }
    return {
      ...(stored as Record<string, unknown> | undefined),
      etag: JSON.stringify(md5),
      'last-modified': info.mtime.toUTCString(),
      'content-length': info.size,
    };
  };

  /** Every key under `directory` that starts with `prefix`, skipping what cannot be a key. */
  const collectKeys = async (directory: string, relative: string, prefix: string, out: string[]) => {
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = entry.name.toString('utf8');
      if (!Buffer.from(name, 'utf8').equals(entry.name)) continue;
      if (entry.isDirectory()) {
        if (relative === '' && name === uploadsDirectory) continue;
        const next = `${relative}${name}/`;
        if (next.startsWith(prefix) || prefix.startsWith(next))
          await collectKeys(join(directory, name), next, prefix, out);
      } else if (entry.isFile() && name.endsWith(objectSuffix)) {
        const key = relative + name.slice(0, -objectSuffix.length);
        if (key.startsWith(prefix)) out.push(key);
      }
    }
  };

  store.listObjects = async (bucket, listOptions) => {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = listOptions;
    const found: string[] = [];
    await collectKeys(store.getBucketPath(bucket), '', prefix, found);
    const keys = found
      .filter((key) => key > startAfter && !unreadable.has(unreadableId(bucket, key)) && !keyProblem(key))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const objects: S3rverObject[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    let next = 0;
    fill: while (next < keys.length) {
      const batch: string[] = [];
      // One more than fits, to learn whether the listing is truncated.
      while (next < keys.length && batch.length <= maxKeys - objects.length) {
        const key = keys[next++] as string;
        const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        if (at !== -1) commonPrefixes.add(key.slice(0, at + delimiter.length));
        else batch.push(key);
      }
      const metadata = await Promise.all(
        batch.map((key) => store.getMetadata(bucket, key).catch(() => undefined)),
      );
      for (let i = 0; i < batch.length; i += 1) {
        const found = metadata[i];
        if (found === undefined) continue;
        if (objects.length >= maxKeys) {
          isTruncated = true;
          break fill;
        }
        objects.push(new S3Object(bucket, batch[i] as string, null, found));
      }
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };

  return {
    unreadable,
    async scan(bucket) {
      const problems = new Map<string, number>();
      let first: string | undefined;
      const report = (relative: string, problem: string) => {
        problems.set(problem, (problems.get(problem) ?? 0) + 1);
        first ??= relative;
      };
      const visit = async (directory: string, relative: string): Promise<void> => {
        let entries: Dirent<Buffer>[];
        try {
          entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
        } catch {
          report(relative || '.', 'directory cannot be read');
          return;
        }
        for (const entry of entries) {
          const name = entry.name.toString('utf8');
          const path = `${relative}${name}`;
          if (!Buffer.from(name, 'utf8').equals(entry.name)) {
            report(path, 'file name is not valid UTF-8');
          } else if (entry.isDirectory()) {
            if (!(relative === '' && name === uploadsDirectory))
              await visit(join(directory, name), `${path}/`);
          } else if (!entry.isFile()) {
            if (name.endsWith(objectSuffix)) report(path, 'object is not a regular file');
          } else if (name.endsWith(objectSuffix)) {
            const key = path.slice(0, -objectSuffix.length);
            if (keyProblem(key)) {
              markUnreadable(
                bucket,
                key,
                'key this emulator cannot store (too long, or an unusable segment)',
              );
            } else {
              // getMetadata marks what it cannot read.
              await store.getMetadata(bucket, key).catch(() => undefined);
            }
            const problem = reasons.get(unreadableId(bucket, key));
            if (problem !== undefined) report(path, problem);
          }
        }
      };
      scanning = true;
      try {
        await visit(store.getBucketPath(bucket), '');
      } finally {
        scanning = false;
      }
      let skipped = 0;
      for (const count of problems.values()) skipped += count;
      return { skipped, problems, ...(first !== undefined ? { first } : {}) };
    },
  };
}
