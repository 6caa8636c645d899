// The local S3 store as Distributed Map reads and writes it (ItemReader's s3:getObject,
// ResultWriter's s3:putObject), through the S3 API of the local emulator (s3-local.ts), signed
// with the local key like any other client. Left out: VersionId, ExpectedBucketOwner.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '#cli/local/step-functions/distributed-map.ts';

export function s3ObjectStore(client: S3Client): ObjectStore {
  return {
    async get(bucket, key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) return '';
      return response.Body.transformToString('utf8');
    },
    async put(bucket, key, body) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
    },
  };
}
