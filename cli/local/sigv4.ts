// AWS Signature Version 4 verification for the local stand-ins (S3 emulator, DynamoDB Local's
// proxy). The canonical request and string to sign come from @smithy/signature-v4, the signer the
// AWS SDK itself uses: a request is accepted when signing it again with the configured secret gives
// the signature it carries (compared in constant time). Header-signed requests
// (`Authorization: AWS4-HMAC-SHA256 ...`) and presigned URLs (X-Amz-* query parameters) are both
// verified; the body is the caller's business (see `payloadHash` in the result).
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import type { HeaderBag, HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';
import type { LocalCredentials } from '#cli/local/credentials.ts';

export const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const unsignedPayload = 'UNSIGNED-PAYLOAD';
const algorithm = 'AWS4-HMAC-SHA256';
/** How far a header-signed request's x-amz-date may be from our clock, as on AWS. */
export const maxClockSkewMs = 15 * 60_000;
const maxPresignedSeconds = 7 * 24 * 3600;

export type SigV4FailureKind =
  /** No Authorization header and no X-Amz-Signature: an anonymous request. */
  | 'missing'
  /** Another scheme: SigV2, SigV4a, a bearer token. */
  | 'unsupported'
  /** The Authorization header or the X-Amz-* parameters cannot be parsed, or lack a part. */
  | 'malformed'
  | 'unknown-key'
  | 'mismatch'
  /** A presigned URL used after X-Amz-Date + X-Amz-Expires. */
  | 'expired'
  /** A presigned URL dated more than the allowed skew in the future. */
  | 'not-yet-valid'
  /** A header-signed request whose x-amz-date is more than 15 minutes from our clock. */
  | 'skewed'
  /** An x-amz-* header the signature does not cover. */
  | 'unsigned-header';

export class SigV4Failure extends Error {
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
    readonly detail: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'SigV4Failure';
  }
}

export interface SigV4Request {
  readonly method: string;
  /** The path exactly as it came on the request line (still percent-encoded). */
  readonly rawPath: string;
  /** The query string as it came, without the `?`. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
}

export interface SigV4Verified {
  readonly accessKeyId: string;
  readonly presigned: boolean;
  /** `yyyyMMddTHHmmssZ`, from x-amz-date or X-Amz-Date. */
  readonly longDate: string;
  /** `<date>/<region>/<service>/aws4_request`. */
  readonly scope: string;
  readonly signature: string;
  /** The derived key, for chunk and trailer signatures of streamed (aws-chunked) bodies. */
  readonly signingKey: Uint8Array;
  /**
   * The payload hash the signature covers: a hex SHA-256 the body must match, UNSIGNED-PAYLOAD, or
   * a STREAMING-* value (aws-chunked body).
   */
  readonly payloadHash: string;
}

/** The hash constructor @smithy/signature-v4 expects, on node:crypto (also for tests that sign). */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** Exposes the signer's canonical request and string to sign, which it keeps protected. */
class Resigner extends SignatureV4 {
  constructor(service: string, uriEscapePath: boolean) {
    super({
      service,
      region: 'us-east-1',
      credentials: { accessKeyId: '', secretAccessKey: '' },
      sha256: NodeSha256,
      uriEscapePath,
      applyChecksum: false,
    });
  }
  canonicalRequest(request: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, algorithm);
  }
}

const longDatePattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch of a `yyyyMMddTHHmmssZ` date, or NaN. */
export function parseLongDate(text: string): number {
  const m = longDatePattern.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SigV4Failure('malformed', 'The query string is not properly percent-encoded.');
  }
}

/** Query parameters as the signer sees them: decoded, repeated names as arrays. */
export function parseQuery(rawQuery: string): QueryParameterBag {
  const query: Record<string, string | string[]> = {};
  if (rawQuery === '') return query;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeComponent(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? '' : decodeComponent(pair.slice(at + 1));
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[name] = [existing, value];
  }
  return query;
}

const single = (value: string | string[] | null | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : (value ?? undefined);

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

function sameHex(a: string, b: string): boolean {
  if (a.length !== 64 || b.length !== 64 || !/^[0-9a-f]{64}$/.test(a)) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

interface ParsedAuth {
  readonly accessKeyId: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly longDate: string;
  readonly expiresSeconds?: number;
}

export interface SigV4VerifierOptions {
  /** The signing name in the credential scope: `s3`, `dynamodb`. */
  readonly service: string;
  readonly credentials: LocalCredentials;
  /**
   * Whether the canonical URI is the path normalised and encoded once more (every service but
   * S3), or the path as sent (S3).
   */
  readonly uriEscapePath: boolean;
  /** Default 15 minutes. */
  readonly maxSkewMs?: number;
}

export class SigV4Verifier {
  private readonly resigner: Resigner;
  private readonly keys = new Map<string, Uint8Array>();
  private readonly maxSkewMs: number;

  constructor(private readonly options: SigV4VerifierOptions) {
    this.resigner = new Resigner(options.service, options.uriEscapePath);
    this.maxSkewMs = options.maxSkewMs ?? maxClockSkewMs;
  }

  /** Whether the request carries SigV4 (or another scheme's) credentials at all. */
  static isSigned(request: Pick<SigV4Request, 'headers' | 'rawQuery'>): boolean {
    return (
      request.headers.authorization !== undefined ||
      /(?:^|&)(?:X-Amz-Signature|X-Amz-Algorithm|Signature|AWSAccessKeyId)=/i.test(request.rawQuery)
    );
  }

  /**
   * Checks the request's signature. `computedPayloadHash` is the SHA-256 of a body the caller has
   * already read (DynamoDB); it signs the request when no x-amz-content-sha256 header is present.
   * Throws SigV4Failure.
   */
  async verify(
    request: SigV4Request,
    options: { readonly now?: Date; readonly computedPayloadHash?: string } = {},
  ): Promise<SigV4Verified> {
    const now = (options.now ?? new Date()).getTime();
    const query = parseQuery(request.rawQuery);
    const presigned = 'X-Amz-Signature' in query || 'X-Amz-Algorithm' in query || 'X-Amz-Credential' in query;
    const authorization = single(request.headers.authorization);
    if (presigned && authorization !== undefined) {
      throw new SigV4Failure(
        'malformed',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
      );
    }
    let auth: ParsedAuth;
    if (presigned) auth = this.parsePresigned(query);
    else if (authorization !== undefined) auth = this.parseAuthorization(authorization, request.headers);
    else if (SigV4Verifier.isSigned(request))
      throw new SigV4Failure(
        'unsupported',
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    else throw new SigV4Failure('missing', 'The request is not signed.');

    if (auth.service !== this.options.service) {
      throw new SigV4Failure(
        'malformed',
        `The credential scope names service '${auth.service}'; expected '${this.options.service}'.`,
      );
    }
    if (auth.longDate.slice(0, 8) !== auth.shortDate) {
      throw new SigV4Failure('malformed', 'The credential scope date does not match the request date.');
    }
    if (auth.accessKeyId !== this.options.credentials.accessKeyId) {
      throw new SigV4Failure(
        'unknown-key',
        'The AWS Access Key Id you provided does not exist in our records.',
        { AWSAccessKeyId: auth.accessKeyId },
      );
    }
    const requestTime = parseLongDate(auth.longDate);
    if (Number.isNaN(requestTime)) throw new SigV4Failure('malformed', 'The request date is not valid.');
    if (auth.expiresSeconds !== undefined) {
      if (requestTime - now > this.maxSkewMs)
        throw new SigV4Failure('not-yet-valid', 'Request is not valid yet');
      if (now > requestTime + auth.expiresSeconds * 1000)
        throw new SigV4Failure('expired', 'Request has expired', {
          Expires: new Date(requestTime + auth.expiresSeconds * 1000).toISOString(),
          ServerTime: new Date(now).toISOString(),
        });
    } else if (Math.abs(requestTime - now) > this.maxSkewMs) {
      throw new SigV4Failure(
        'skewed',
        `Signature expired: ${auth.longDate} is not within 15 minutes of ${new Date(now).toISOString()}.`,
        { RequestTime: auth.longDate, ServerTime: new Date(now).toISOString() },
      );
    }

    const signed = new Set(auth.signedHeaders);
    if (!signed.has('host')) throw new SigV4Failure('malformed', 'The host header must be signed.');
    const unsigned = Object.keys(request.headers).filter(
      (name) => name.startsWith('x-amz-') && !signed.has(name),
    );
    if (unsigned.length > 0) {
      throw new SigV4Failure(
        'unsigned-header',
        'There were headers present in the request which were not signed',
        {
          HeadersNotSigned: unsigned.join(', '),
        },
      );
    }
    const picked: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value === undefined) {
        throw new SigV4Failure('mismatch', `The signed header ${name} is missing from the request.`);
      }
      picked[name] = value;
    }
    const canonicalHeaders = getCanonicalHeaders(
      { headers: picked } as unknown as HttpRequest,
      undefined,
      signed,
    );

    let payloadHash: string | undefined;
    if (presigned) {
      const fromQuery = Object.keys(query).find((name) => name.toLowerCase() === 'x-amz-content-sha256');
      payloadHash =
        (fromQuery !== undefined ? single(query[fromQuery]) : undefined) ??
        (signed.has('x-amz-content-sha256')
          ? headerValue(request.headers, 'x-amz-content-sha256')
          : undefined) ??
        unsignedPayload;
    } else {
      payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? options.computedPayloadHash;
      if (payloadHash === undefined) {
        throw new SigV4Failure('malformed', 'Missing required header for this request: x-amz-content-sha256');
      }
    }

    const canonicalRequest = this.resigner.canonicalRequest(
      {
        method: request.method,
        protocol: 'http:',
        hostname: '',
        path: request.rawPath,
        query,
        headers: {},
      } as HttpRequest,
      canonicalHeaders,
      payloadHash,
    );
    const scope = `${auth.shortDate}/${auth.region}/${auth.service}/aws4_request`;
    const signingKey = await this.signingKey(auth.shortDate, auth.region, auth.service);
    const stringToSign = await this.resigner.stringToSign(auth.longDate, scope, canonicalRequest);
    const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
    if (!sameHex(auth.signature, expected)) {
      throw new SigV4Failure(
        'mismatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        { AWSAccessKeyId: auth.accessKeyId },
      );
    }
    return {
      accessKeyId: auth.accessKeyId,
      presigned,
      longDate: auth.longDate,
      scope,
      signature: expected,
      signingKey,
      payloadHash,
    };
  }

  private async signingKey(shortDate: string, region: string, service: string): Promise<Uint8Array> {
    const id = `${shortDate}/${region}/${service}`;
    let key = this.keys.get(id);
    if (!key) {
      key = await getSigningKey(NodeSha256, this.options.credentials, shortDate, region, service);
      // A handful of dates and regions at most; a client cannot grow this past its own requests
      // because unknown access keys are refused before a key is derived.
      if (this.keys.size > 64) this.keys.clear();
      this.keys.set(id, key);
    }
    return key;
  }

  private parseCredential(
    credential: string,
    where: string,
  ): Omit<ParsedAuth, 'signedHeaders' | 'signature' | 'longDate'> {
    const parts = credential.split('/');
    const [accessKeyId = '', shortDate = '', region = '', service = '', terminator = ''] = parts;
    if (
      parts.length !== 5 ||
      !accessKeyId ||
      !/^\d{8}$/.test(shortDate) ||
      !region ||
      !service ||
      terminator !== 'aws4_request'
    ) {
      throw new SigV4Failure(
        'malformed',
        `${where} Credential is malformed: expecting "<AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request".`,
      );
    }
    return { accessKeyId, shortDate, region, service };
  }

  private parseAuthorization(authorization: string, headers: IncomingHttpHeaders): ParsedAuth {
    const space = authorization.indexOf(' ');
    const scheme = space === -1 ? authorization : authorization.slice(0, space);
    if (scheme !== algorithm) {
      throw new SigV4Failure(
        'unsupported',
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    }
    const fields = new Map<string, string>();
    for (const part of authorization.slice(space + 1).split(',')) {
      const at = part.indexOf('=');
      if (at !== -1) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (credential === undefined || signedHeaders === undefined || signature === undefined) {
      throw new SigV4Failure(
        'malformed',
        'The authorization header is malformed; it needs Credential, SignedHeaders and Signature.',
      );
    }
    const longDate = single(headers['x-amz-date']);
    if (longDate === undefined) {
      throw new SigV4Failure('malformed', 'AWS authentication requires a valid x-amz-date header.');
    }
    return {
      ...this.parseCredential(credential, 'The authorization header'),
      signedHeaders: signedHeaders.split(';'),
      signature,
      longDate,
    };
  }

  private parsePresigned(query: QueryParameterBag): ParsedAuth {
    const param = (name: string) => single(query[name]);
    if (param('X-Amz-Algorithm') !== algorithm) {
      throw new SigV4Failure('malformed', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
    }
    const credential = param('X-Amz-Credential');
    const longDate = param('X-Amz-Date');
    const expires = param('X-Amz-Expires');
    const signedHeaders = param('X-Amz-SignedHeaders');
    const signature = param('X-Amz-Signature');
    if (!credential || !longDate || !expires || !signedHeaders || !signature) {
      throw new SigV4Failure(
        'malformed',
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    const expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
    if (!(expiresSeconds >= 1 && expiresSeconds <= maxPresignedSeconds)) {
      throw new SigV4Failure('malformed', 'X-Amz-Expires must be between 1 and 604800 seconds.');
    }
    return {
      ...this.parseCredential(credential, 'X-Amz-Credential'),
      signedHeaders: signedHeaders.split(';'),
      signature,
      longDate,
      expiresSeconds,
    };
  }
}

/** The signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), hex. */
export function chunkSignature(
  verified: Pick<SigV4Verified, 'signingKey' | 'longDate' | 'scope'>,
  previousSignature: string,
  chunkSha256Hex: string,
): string {
  const stringToSign = `AWS4-HMAC-SHA256-PAYLOAD\n${verified.longDate}\n${verified.scope}\n${previousSignature}\n${emptySha256}\n${chunkSha256Hex}`;
  return createHmac('sha256', verified.signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** The signature over the trailing headers of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER body. */
export function trailerSignature(
  verified: Pick<SigV4Verified, 'signingKey' | 'longDate' | 'scope'>,
  previousSignature: string,
  canonicalTrailers: string,
): string {
  const hash = createHash('sha256').update(canonicalTrailers, 'utf8').digest('hex');
  const stringToSign = `AWS4-HMAC-SHA256-TRAILER\n${verified.longDate}\n${verified.scope}\n${previousSignature}\n${hash}`;
  return createHmac('sha256', verified.signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex signatures. */
export const sameSignature = sameHex;
