// Presigned POSTs pinned to one key, one content type and a size range: a phone can upload
// exactly the receipt it announced and nothing else.
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Clock, UploadGrant, UploadSigner } from '#shared/ports.ts';

export class S3UploadSigner implements UploadSigner {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly clock: Clock,
  ) {}

  async grant(
    key: string,
    contentType: string,
    maxBytes: number,
    expiresSeconds: number,
  ): Promise<UploadGrant> {
    const post = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: key,
      Conditions: [
        ['content-length-range', 1, maxBytes],
        ['eq', '$Content-Type', contentType],
        ['eq', '$key', key],
      ],
      Fields: { 'Content-Type': contentType },
      Expires: expiresSeconds,
    });
    return {
      key,
      url: post.url,
      fields: post.fields,
      maxBytes,
      contentType,
      expiresAt: new Date(this.clock.now().getTime() + expiresSeconds * 1000).toISOString(),
    };
  }

  async viewUrl(key: string, expiresSeconds: number, versionId?: string): Promise<string> {
    const pinned = versionId ? { VersionId: versionId } : {};
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key, ...pinned }), {
      expiresIn: expiresSeconds,
    });
  }
}
