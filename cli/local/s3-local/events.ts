// EventBridge "Object Created" events, as S3 sends them to the default event bus when the
// bucket has EventBridge notifications on: AWS's detail shape (key, size, etag, sequencer,
// request-id, requester, source-ip-address, reason: PutObject, POST Object, CopyObject or
// CompleteMultipartUpload), delivered after the upload has been answered. The rule's key filter
// is `matchKey`. Left out: other event types (Object Deleted, ...), retries and DLQs, at-least-
// once duplicates; a failing consumer is logged, not retried.
import { randomBytes, randomUUID } from 'node:crypto';
import type { S3ObjectCreatedNotificationEventDetail } from 'aws-lambda';
import type { S3ObjectCreatedEvent } from '#cli/local/s3-local/model.ts';
import type { S3rverInstance, S3rverRecord } from '#cli/local/s3-local/s3rver-app.ts';

type Reason = S3ObjectCreatedNotificationEventDetail['reason'];

const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Turns s3rver's notifications into EventBridge events for `onObjectCreated`. */
export function deliverObjectCreatedEvents(
  app: S3rverInstance,
  options: {
    readonly account: string;
    readonly region: string;
    readonly matchKey: (key: string) => boolean;
    readonly onObjectCreated: ((event: S3ObjectCreatedEvent) => void | Promise<void>) | undefined;
    /** Keys (`bucket/key`) whose CompleteMultipartUpload is in flight: s3rver reports those as plain POSTs. */
    readonly completing: ReadonlyMap<string, number>;
    /** Keeps a delivery in flight until it settles, so stop() can wait for it. */
    readonly track: (work: Promise<void>) => void;
    readonly log: (line: string) => void;
  },
): void {
  const { account, region, matchKey, onObjectCreated, completing, track, log } = options;
  let sequence = 0;

  const reasonOf = (record: S3rverRecord): Reason => {
    if (record.eventName === 'ObjectCreated:Put') return 'PutObject';
    if (record.eventName === 'ObjectCreated:Copy') return 'CopyObject';
    return completing.has(`${record.s3.bucket.name}/${record.s3.object.key}`)
      ? 'CompleteMultipartUpload'
      : 'POST Object';
  };

  const deliver = async (record: S3rverRecord, reason: Reason): Promise<void> => {
    const { key } = record.s3.object;
    const objectBucket = record.s3.bucket.name;
    let etag = record.s3.object.eTag;
    let size = record.s3.object.size;
    if (etag === undefined || size === undefined) {
      const metadata = await app.store.getMetadata(objectBucket, key);
      etag ??= String(metadata.etag ?? '').replace(/"/g, '');
      size ??= Number(metadata['content-length'] ?? 0);
    }
    sequence = (sequence + 1) % 0x10000;
    const event: S3ObjectCreatedEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account,
      time: eventTime(new Date()),
      region,
      resources: [`arn:aws:s3:::${objectBucket}`],
      detail: {
        version: '0',
        bucket: { name: objectBucket },
        object: {
          key,
          size,
          etag,
          sequencer: (Date.now().toString(16) + sequence.toString(16).padStart(4, '0'))
            .toUpperCase()
            .padStart(18, '0'),
        },
        'request-id':
          record.responseElements?.['x-amz-request-id'] ?? randomBytes(8).toString('hex').toUpperCase(),
        requester: account,
        'source-ip-address': (record.requestParameters?.sourceIPAddress ?? '127.0.0.1').replace(
          /^::ffff:/,
          '',
        ),
        reason,
      },
    };
    await onObjectCreated?.(event);
  };

  app.on('event', (notification: { Records?: S3rverRecord[] }) => {
    for (const record of notification.Records ?? []) {
      if (!record.eventName.startsWith('ObjectCreated:') || !matchKey(record.s3.object.key)) continue;
      const reason = reasonOf(record);
      // EventBridge delivers after the upload has been answered, never inside it.
      const delivery = new Promise<void>((ready) => setImmediate(ready))
        .then(() => deliver(record, reason))
        .catch((error: unknown) =>
          log(`s3: onObjectCreated failed for ${record.s3.object.key}: ${String(error)}`),
        );
      track(delivery);
    }
  });
}
