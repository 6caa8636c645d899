// S3's error responses: the XML body (Code, Message, extra fields, RequestId, HostId), the status
// and x-amz-request-id, with the CORS header a browser needs to read them. Left out: x-amz-id-2.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { S3Failure } from '#cli/local/s3-store.ts';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

export function sendS3Error(res: ServerResponse, failure: S3Failure, allowOrigin: string | undefined): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const extra = Object.entries(failure.extra)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId><HostId>${randomBytes(16).toString('base64')}</HostId></Error>`;
  res.statusCode = failure.status;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-amz-request-id', requestId);
  if (allowOrigin) {
    res.setHeader('access-control-allow-origin', allowOrigin);
    res.setHeader('vary', 'Origin');
  }
  res.end(body);
}

export const invalidBucket = (): S3Failure =>
  new S3Failure(400, 'InvalidBucketName', 'The specified bucket is not valid.');

/** An error's code or class, never its message (which may carry a key or a file path). */
export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return typeof error;
}
