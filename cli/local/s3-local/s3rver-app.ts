// s3rver as the object store behind the emulator: loaded once, its bucket created with the web
// app's CORS rule (GET, PUT, POST, HEAD from the given origins, ETag exposed), and its bucket
// lookups and configurations cached in memory. Left out: every bucket feature s3rver lacks
// (versioning, lifecycle, policies, encryption); the emulator serves one private bucket.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { S3rverStore } from '#cli/local/s3-store.ts';
import { escapeXml } from '#cli/local/s3-local/responses.ts';

export interface S3rverInstance extends EventEmitter {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  readonly store: S3rverStore;
  readonly logger?: { close(): void };
  middleware: ((...args: never[]) => unknown)[];
}

/**
 * Keeps bucket lookups and bucket configurations (CORS, website) in memory. s3rver reads them
 * from disk on every request (a stat, two file reads and an XML parse for each GET or PUT);
 * this process is the only writer of its directory, and every write path goes through the
 * wrapped store methods, which drop the cached entry.
 */
export function cacheBucketConfig(store: S3rverStore): void {
  const buckets = new Map<string, Promise<unknown>>();
  const configs = new Map<string, Promise<unknown>>();
  const configKey = (bucket: string, key: string | undefined, type: string) =>
    `${bucket}\0${key ?? ''}\0${type}`;
  const remember = <K>(cache: Map<K, Promise<unknown>>, key: K, load: () => Promise<unknown>) => {
    let value = cache.get(key);
    if (!value) {
      value = load();
      cache.set(key, value);
      // A failed read is not remembered; the next request tries again.
      value.catch(() => cache.delete(key));
    }
    return value;
  };
  const forgetAfter = async <T>(work: Promise<T>, forget: () => void): Promise<T> => {
    forget();
    try {
      return await work;
    } finally {
      forget();
    }
  };
  const original = {
    getBucket: store.getBucket.bind(store),
    putBucket: store.putBucket.bind(store),
    deleteBucket: store.deleteBucket.bind(store),
    getSubresource: store.getSubresource.bind(store),
    putSubresource: store.putSubresource.bind(store),
    deleteSubresource: store.deleteSubresource.bind(store),
    reset: store.reset.bind(store),
  };
  const forgetBucket = (bucket: string) => {
    buckets.delete(bucket);
    for (const key of configs.keys()) if (key.startsWith(`${bucket}\0`)) configs.delete(key);
  };
  // Only found buckets are kept: a miss may be created by the next request.
  store.getBucket = (bucket) =>
    remember(buckets, bucket, () => original.getBucket(bucket)).then((found) => {
      if (!found) buckets.delete(bucket);
      return found;
    });
  store.putBucket = (bucket) => forgetAfter(original.putBucket(bucket), () => forgetBucket(bucket));
  store.deleteBucket = (bucket) => forgetAfter(original.deleteBucket(bucket), () => forgetBucket(bucket));
  store.getSubresource = (bucket, key, type) =>
    remember(configs, configKey(bucket, key, type), () => original.getSubresource(bucket, key, type));
  store.putSubresource = (bucket, key, resource) =>
    forgetAfter(original.putSubresource(bucket, key, resource), () =>
      configs.delete(configKey(bucket, key, resource.type)),
    );
  store.deleteSubresource = (bucket, key, type) =>
    forgetAfter(original.deleteSubresource(bucket, key, type), () =>
      configs.delete(configKey(bucket, key, type)),
    );
  store.reset = () => {
    buckets.clear();
    configs.clear();
    original.reset();
  };
}
export interface S3rverRecord {
  eventName: string;
  requestParameters?: { sourceIPAddress?: string };
  responseElements?: { 'x-amz-request-id'?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}

export const loadS3rver = (): new (options: Record<string, unknown>) => S3rverInstance =>
  createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export function corsXml(origins: readonly string[]): string {
  return (
    '<CORSConfiguration><CORSRule>' +
    origins.map((o) => `<AllowedOrigin>${escapeXml(o)}</AllowedOrigin>`).join('') +
    ['GET', 'PUT', 'POST', 'HEAD'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}
