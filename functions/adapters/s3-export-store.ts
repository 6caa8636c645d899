// Finance exports written to S3 as they are produced: a small file is one PutObject, a large one a
// multipart upload of 8 MiB parts, so the Lambda holds one part at a time whatever the ledger's
// size. The caller gets a presigned GET that downloads the object under its file name.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { exportsPrefix } from '#functions/catalog.ts';
import type { Clock, ExportFile, ExportStore, IdSource, SavedExport } from '#shared/ports.ts';

/** S3's parts must be at least 5 MiB (but the last); 8 MiB keeps a 1M-row export under 30 parts. */
export const EXPORT_PART_BYTES = 8 * 1024 * 1024;

export class S3ExportStore implements ExportStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly partBytes = EXPORT_PART_BYTES,
  ) {}

  async save(file: ExportFile, linkSeconds: number, at?: string): Promise<SavedExport> {
    const now = this.clock.now();
    // Only ever under exports/: the role may write nowhere else, and neither may a key from data.
    if (at !== undefined && (!at.startsWith(exportsPrefix) || at.includes('..')))
      throw new Error('an export is stored under exports/ only');
    const key = at ?? `${exportsPrefix}${now.toISOString().slice(0, 10)}/${this.ids.next()}/${file.name}`;
    const target = { Bucket: this.bucket, Key: key };
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let bytes = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const take = () => {
      const body = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      return body;
    };
    const uploadPart = async (body: Buffer) => {
      uploadId ??= (
        await this.s3.send(new CreateMultipartUploadCommand({ ...target, ContentType: file.contentType }))
      ).UploadId;
      const PartNumber = parts.length + 1;
      const out = await this.s3.send(
        new UploadPartCommand({
          ...target,
          UploadId: uploadId,
          PartNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      parts.push({ ETag: out.ETag, PartNumber });
    };
    try {
      for await (const chunk of file.body) {
        const piece = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        pending.push(piece);
        pendingBytes += piece.length;
        bytes += piece.length;
        if (pendingBytes >= this.partBytes) await uploadPart(take());
      }
      if (uploadId === undefined) {
        const body = take();
        await this.s3.send(
          new PutObjectCommand({
            ...target,
            Body: body,
            ContentLength: body.length,
            ContentType: file.contentType,
          }),
        );
      } else {
        if (pendingBytes > 0) await uploadPart(take());
        await this.s3.send(
          new CompleteMultipartUploadCommand({
            ...target,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      }
    } catch (error) {
      // Leave no half upload behind (the bucket's lifecycle rule would also clear it in a day).
      if (uploadId !== undefined) {
        await this.s3
          .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw error;
    }
    return { key, bytes, ...(await this.link(key, file, linkSeconds)) };
  }

  async link(
    key: string,
    file: Pick<ExportFile, 'name' | 'contentType'>,
    linkSeconds: number,
  ): Promise<{ url: string; expiresAt: string }> {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: `attachment; filename="${file.name}"`,
        ResponseContentType: file.contentType,
      }),
      { expiresIn: linkSeconds },
    );
    return { url, expiresAt: new Date(this.clock.now().getTime() + linkSeconds * 1000).toISOString() };
  }
}
