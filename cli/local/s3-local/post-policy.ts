// Browser POST uploads (presigned POST, as @aws-sdk/s3-presigned-post makes them): the multipart
// form, then the checks S3 makes and s3rver skips: the policy's signature (SigV4, or SigV2),
// expiry, every condition (exact/eq, starts-with, content-length-range, bucket) and that no form
// field goes unchecked, with S3's error codes. Left out: success_action_redirect/status, ACL and
// tagging fields. The form streams to a file beside the store as it arrives (up to maxPostBytes),
// so an upload of any size costs no memory.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { S3Failure } from '#cli/local/s3-store.ts';

/** A part of a multipart form: its headers, and where its data lies in the body. */
export interface FormPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  /** Offsets into the body: data is bytes [start, end). */
  readonly start: number;
  readonly end: number;
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const malformed = (): S3Failure =>
  new S3Failure(
    400,
    'MalformedPOSTRequest',
    'The body of your POST request is not well-formed multipart/form-data.',
  );

/**
 * Finds every `--boundary` that starts a line (the body's first line counts) in a body fed chunk
 * by chunk, so a form of any size is parsed without holding it: the body goes to disk as it comes
 * and only these offsets stay in memory. A match may straddle two chunks.
 */
export class BoundaryScanner {
  /** Offsets of each `--boundary` found, in order. */
  readonly found: number[] = [];
  private readonly needle: Buffer;
  // The body's start reads as if a line break preceded it; `offset` is where `tail` starts.
  private tail = Buffer.from('\r\n');
  private offset = -2;

  constructor(
    boundary: string,
    // More delimiters than any real form has: beyond this the body is refused, not indexed.
    private readonly maxParts = 1000,
  ) {
    this.needle = Buffer.from(`\r\n--${boundary}`);
  }

  feed(chunk: Buffer): void {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const at = data.indexOf(this.needle, from);
      if (at === -1) break;
      this.found.push(this.offset + at + 2);
      if (this.found.length > this.maxParts) throw malformed();
      from = at + this.needle.length;
    }
    // Keep what could begin a match that the next chunk completes (a copy: the chunk is let go).
    const keep = Math.max(from, data.length - (this.needle.length - 1));
    this.offset += keep;
    this.tail = Buffer.from(data.subarray(keep));
  }
}

/**
 * Where each part of a form lies, from the delimiters a BoundaryScanner found over its `size`
 * bytes; `read` returns body bytes [start, start + length) (fewer at the end). Headers of a part
 * beyond 16 KiB, a missing name, a missing closing delimiter: not well-formed.
 */
export async function locateFormParts(
  found: readonly number[],
  size: number,
  boundary: string,
  read: (start: number, length: number) => Promise<Buffer>,
): Promise<FormPart[]> {
  const delimiter = `--${boundary}`.length;
  const parts: FormPart[] = [];
  let i = 0;
  if (found.length === 0) throw malformed();
  for (;;) {
    let at = (found[i] as number) + delimiter;
    const after = (await read(at, 2)).toString('latin1');
    if (after === '--') return parts;
    if (after !== '\r\n') throw malformed();
    at += 2;
    const head = await read(at, Math.max(0, Math.min(16 * 1024, size - at)));
    const headerLength = head.indexOf('\r\n\r\n');
    if (headerLength === -1) throw malformed();
    const dataStart = at + headerLength + 4;
    // The part ends at the first delimiter line after its headers.
    let next = i + 1;
    while (next < found.length && (found[next] as number) - 2 < dataStart) next += 1;
    if (next >= found.length) throw malformed();
    const headers = head.subarray(0, headerLength).toString('utf8').split('\r\n');
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = headers.find((h) => /^content-type:/i.test(h))?.replace(/^content-type:\s*/i, '');
    if (name === undefined) throw malformed();
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      start: dataStart,
      end: (found[next] as number) - 2,
    });
    i = next;
  }
}

const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const policyFailure = (message: string): S3Failure =>
  new S3Failure(403, 'AccessDenied', `Invalid according to Policy: ${message}`);

/**
 * Checks a POST upload the way S3 does: signature (V4, or V2), expiry, every condition
 * (exact/eq, starts-with, content-length-range, bucket) and that no form field goes unchecked.
 * Throws S3Failure with S3's error code.
 */
export function verifyPostPolicy(input: {
  readonly fields: ReadonlyMap<string, string>;
  readonly fileSize: number;
  readonly bucket: string;
  readonly now: Date;
  readonly secrets: Readonly<Record<string, string>>;
}): void {
  const { fields, bucket, fileSize } = input;
  const policyText = fields.get('policy');
  if (policyText === undefined) {
    throw new S3Failure(
      403,
      'AccessDenied',
      'Anonymous access is forbidden for this operation: the form has no policy.',
    );
  }
  const v4 = fields.get('x-amz-signature');
  if (v4 !== undefined) {
    if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3Failure(400, 'InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
    }
    const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = (
      fields.get('x-amz-credential') ?? ''
    ).split('/');
    if (!date || !region || service !== 's3' || terminator !== 'aws4_request') {
      throw new S3Failure(400, 'InvalidArgument', 'x-amz-credential is malformed');
    }
    const secret = secretFor(input.secrets, accessKeyId);
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (
      !sameText(createHmac('sha256', signingKey).update(policyText, 'utf8').digest('hex'), v4.toLowerCase())
    ) {
      throw new S3Failure(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
  } else {
    const accessKeyId = fields.get('awsaccesskeyid');
    const signature = fields.get('signature');
    if (accessKeyId === undefined || signature === undefined) {
      throw new S3Failure(403, 'AccessDenied', 'The form has a policy but no signature.');
    }
    const secret = secretFor(input.secrets, accessKeyId);
    if (!sameText(createHmac('sha1', secret).update(policyText, 'utf8').digest('base64'), signature)) {
      throw new S3Failure(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
  }

  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  if (typeof policy !== 'object' || policy === null)
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires))
    throw new S3Failure(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'expiration' value.");
  if (input.now.getTime() > expires) throw policyFailure('Policy expired.');
  if (!Array.isArray(conditions))
    throw new S3Failure(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'conditions' value.");

  const valueOf = (field: string): string | undefined => (field === 'bucket' ? bucket : fields.get(field));
  const covered = new Set<string>();
  for (const condition of conditions) {
    if (Array.isArray(condition)) {
      const [op, target, expected] = condition as unknown[];
      if (op === 'content-length-range') {
        const [, min, max] = condition as unknown[];
        if (typeof min !== 'number' || typeof max !== 'number') {
          throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid content-length-range.');
        }
        if (fileSize > max) {
          throw new S3Failure(
            400,
            'EntityTooLarge',
            'Your proposed upload exceeds the maximum allowed size',
            {
              ProposedSize: fileSize,
              MaxSizeAllowed: max,
            },
          );
        }
        if (fileSize < min) {
          throw new S3Failure(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
            {
              ProposedSize: fileSize,
              MinSizeAllowed: min,
            },
          );
        }
        continue;
      }
      if (
        (op !== 'eq' && op !== 'starts-with') ||
        typeof target !== 'string' ||
        !target.startsWith('$') ||
        typeof expected !== 'string'
      ) {
        throw new S3Failure(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid condition ${JSON.stringify(condition)}.`,
        );
      }
      const field = target.slice(1).toLowerCase();
      covered.add(field);
      const actual = valueOf(field) ?? '';
      // A Content-Type may list several types; S3 checks starts-with against each.
      const values =
        op === 'starts-with' && field === 'content-type' ? actual.split(',').map((v) => v.trim()) : [actual];
      const ok = op === 'eq' ? actual === expected : values.every((v) => v.startsWith(expected));
      if (!ok) throw policyFailure(`Policy Condition failed: ${JSON.stringify(condition)}`);
      continue;
    }
    if (typeof condition === 'object' && condition !== null) {
      for (const [name, expected] of Object.entries(condition as Record<string, unknown>)) {
        const field = name.toLowerCase();
        covered.add(field);
        if (valueOf(field) !== expected)
          throw policyFailure(`Policy Condition failed: ["eq", "$${name}", ${JSON.stringify(expected)}]`);
      }
      continue;
    }
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid condition.');
  }
  const exempt = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);
  const extra = [...fields.keys()].filter(
    (f) => !exempt.has(f) && !f.startsWith('x-ignore-') && !covered.has(f),
  );
  if (extra.length > 0) throw policyFailure(`Extra input fields: ${extra.join(', ')}`);
}

/** The secret of a form's access key, or S3's answer for a key it does not know. */
function secretFor(secrets: Readonly<Record<string, string>>, accessKeyId: string): string {
  const secret = secrets[accessKeyId];
  if (secret === undefined)
    throw new S3Failure(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  return secret;
}
