// One presigned-POST upload with progress. XMLHttpRequest rather than fetch: fetch still
// cannot report upload progress, and a village connection needs a visible bar.
import { NetworkError } from './api.ts';
import type { UploadGrant } from './types.ts';

/** S3 refused the upload; `expired` means new grants will fix it, anything else will not. */
export class UploadRefused extends Error {
  override readonly name = 'UploadRefused';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly expired: boolean,
  ) {
    super(message);
  }
}

/** No byte moved for this long: the connection is dead even if the OS has not noticed. */
const STALL_MS = 60_000;

function s3Error(xhr: XMLHttpRequest): UploadRefused | NetworkError {
  const text = xhr.responseText || '';
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP_${xhr.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? (xhr.statusText || code);
  if (xhr.status >= 500 || xhr.status === 429) return new NetworkError(`${code}: ${message}`);
  const expired = /expired/i.test(message) || code === 'ExpiredToken' || code === 'RequestTimeTooSkewed';
  return new UploadRefused(xhr.status, code, message, expired);
}

export function postToS3(
  grant: UploadGrant,
  body: Blob,
  filename: string,
  onProgress: (loaded: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(grant.fields)) form.append(k, v);
    // S3 ignores every field after `file`, so it goes last.
    form.append('file', body, filename);
    const xhr = new XMLHttpRequest();
    let lastMove = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastMove > STALL_MS) xhr.abort();
    }, 5_000);
    const finish = (error?: Error) => {
      clearInterval(watchdog);
      if (error) reject(error);
      else resolve();
    };
    xhr.open('POST', grant.url);
    xhr.upload.onprogress = (e) => {
      lastMove = Date.now();
      // e.loaded counts the multipart envelope too; never report more than the file itself.
      onProgress(Math.min(body.size, e.loaded));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        finish();
      } else finish(s3Error(xhr));
    };
    xhr.onerror = () => finish(new NetworkError('the upload was interrupted'));
    xhr.onabort = () => finish(new NetworkError('the upload stalled'));
    xhr.ontimeout = () => finish(new NetworkError('the upload timed out'));
    xhr.send(form);
  });
}
