// Plumbing between Node's http server and the Lambda handlers: the same API Gateway HTTP API
// (payload format 2.0) events in, the same result rules out, so handlers cannot tell local from AWS.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
} from 'aws-lambda';
import type { ApiRoute } from '#functions/catalog.ts';

export interface RouteMatch<R extends ApiRoute = ApiRoute> {
  readonly route: R;
  /** Decoded values, keyed by the `{name}` in the route path. */
  readonly pathParameters: Record<string, string>;
}

type Segment =
  { kind: 'static'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

function parseRoutePath(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
      if (!param) return { kind: 'static', value: part };
      return param[2] ? { kind: 'greedy', name: param[1] ?? '' } : { kind: 'param', name: param[1] ?? '' };
    });
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment) return undefined;
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      const decoded = decodeSegment(rest.join('/'));
      if (decoded === undefined) return undefined;
      params[segment.name] = decoded;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    const decoded = decodeSegment(part);
    if (decoded === undefined) return undefined;
    if (segment.kind === 'static') {
      if (decoded !== segment.value) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.name] = decoded;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

/** How specific a route is: API Gateway prefers static segments over `{param}`, and `{proxy+}` last. */
function specificity(segments: readonly Segment[]): number[] {
  return segments.map((s) => (s.kind === 'static' ? 2 : s.kind === 'param' ? 1 : 0));
}

function moreSpecific(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if (x !== y) return x > y;
  }
  return false;
}

/**
 * Finds the route for a request. `rawPath` is the path as received (no query string). Returns
 * undefined when nothing matches: API Gateway HTTP APIs then answer 404 (also for a wrong method).
 */
export function matchRoute<R extends ApiRoute>(
  routes: readonly R[],
  method: string,
  rawPath: string,
): RouteMatch<R> | undefined {
  const parts = rawPath.split('/').slice(1);
  let best: { match: RouteMatch<R>; rank: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const segments = parseRoutePath(route.path);
    const params = matchSegments(segments, parts);
    if (!params) continue;
    const rank = specificity(segments);
    if (!best || moreSpecific(rank, best.rank)) best = { match: { route, pathParameters: params }, rank };
  }
  return best?.match;
}

/** Splits a request target into API Gateway's rawPath and rawQueryString. */
export function splitUrl(url: string): { rawPath: string; rawQueryString: string } {
  const queryAt = url.indexOf('?');
  return queryAt === -1
    ? { rawPath: url, rawQueryString: '' }
    : { rawPath: url.slice(0, queryAt), rawQueryString: url.slice(queryAt + 1) };
}

/** `GET /claims/{claimId}`, the form API Gateway uses for routeKey. */
export const routeKey = (route: ApiRoute): string => `${route.method} ${route.path}`;

const textTypes = [
  /^text\//,
  /^application\/(?:[\w.+-]+\+)?json\b/,
  /^application\/(?:[\w.+-]+\+)?xml\b/,
  /^application\/javascript\b/,
  /^application\/x-www-form-urlencoded\b/,
];

/** Whether API Gateway would hand the body over as text (else base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.trim().toLowerCase();
  return textTypes.some((pattern) => pattern.test(type));
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's requestContext.time format: `12/Mar/2020:19:03:58 +0000`. */
export function apiGatewayTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Lower-cased headers, repeated ones joined with commas (format 2.0 has no multi-value headers). */
function collectHeaders(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (name === 'cookie') {
      // Cookies move to event.cookies; API Gateway drops the header itself.
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c.length > 0),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return params;
}

export interface HttpEventInput<R extends ApiRoute = ApiRoute> {
  readonly req: IncomingMessage;
  /** The whole request body (empty Buffer when there is none). */
  readonly body: Buffer;
  readonly match: RouteMatch<R>;
  /** Present on JWT routes: the verified token's authorizer context (see auth.ts jwtAuthorizerContext). */
  readonly authorizer?: APIGatewayEventRequestContextJWTAuthorizer;
  readonly now?: Date;
  readonly requestId?: string;
  readonly accountId?: string;
  readonly apiId?: string;
}

/** Builds the payload format 2.0 event API Gateway would send for this request. */
export function toApiGatewayEvent(
  input: HttpEventInput & { authorizer: APIGatewayEventRequestContextJWTAuthorizer },
): APIGatewayProxyEventV2WithJWTAuthorizer;
export function toApiGatewayEvent(input: HttpEventInput): APIGatewayProxyEventV2;
export function toApiGatewayEvent(
  input: HttpEventInput,
): APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer {
  const { req, body, match } = input;
  const now = input.now ?? new Date();
  const { rawPath, rawQueryString } = splitUrl(req.url ?? '/');
  const { headers, cookies } = collectHeaders(req);
  const sourceIp = sourceIpOf(req);
  const requestId = input.requestId ?? randomBytes(10).toString('base64');
  // API Gateway adds these on the way in; handlers that log the caller see the same fields.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  const host = headers.host ?? 'localhost';
  const domainName = host.replace(/:\d+$/, '');
  const key = routeKey(match.route);
  const hasBody = body.length > 0;
  const asText = isTextContentType(headers['content-type']);

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString !== '' ? { queryStringParameters: queryParameters(rawQueryString) } : {}),
    requestContext: {
      accountId: input.accountId ?? '000000000000',
      apiId: input.apiId ?? 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: { ...match.pathParameters } } : {}),
    ...(hasBody ? { body: asText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !asText,
  };
  if (!input.authorizer) return event;
  return { ...event, requestContext: { ...event.requestContext, authorizer: input.authorizer } };
}

export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError';
}

/** API Gateway's payload limit for HTTP APIs. */
export const maxRequestBytes = 10 * 1024 * 1024;

/** Reads the whole body, refusing more than `limit` bytes (API Gateway answers 413 then). */
export async function readRequestBody(req: IncomingMessage, limit = maxRequestBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw new RequestTooLargeError(`body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestTooLargeError(`body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

export class InvalidLambdaResponseError extends Error {
  override readonly name = 'InvalidLambdaResponseError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies API Gateway's payload format 2.0 response rules: an object with `statusCode` is taken
 * as the response; anything else (string, object without statusCode, ...) becomes a 200 JSON body.
 */
export function fromLambdaResult(result: unknown): HttpResponse {
  if (isRecord(result) && 'statusCode' in result) {
    const { statusCode, headers = {}, body, isBase64Encoded = false, cookies = [] } = result;
    if (
      typeof statusCode !== 'number' ||
      !Number.isInteger(statusCode) ||
      statusCode < 100 ||
      statusCode > 599
    ) {
      throw new InvalidLambdaResponseError('statusCode must be an integer HTTP status');
    }
    if (!isRecord(headers)) throw new InvalidLambdaResponseError('headers must be an object');
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new InvalidLambdaResponseError('body must be a string');
    }
    if (typeof isBase64Encoded !== 'boolean')
      throw new InvalidLambdaResponseError('isBase64Encoded must be boolean');
    if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) {
      throw new InvalidLambdaResponseError('cookies must be an array of strings');
    }
    const outHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new InvalidLambdaResponseError(`header ${name} must be a string, number or boolean`);
      }
      outHeaders[name.toLowerCase()] = String(value);
    }
    const text = body ?? '';
    return {
      statusCode,
      headers: outHeaders,
      cookies,
      body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
    };
  }
  const text = typeof result === 'string' ? result : (JSON.stringify(result ?? null) ?? 'null');
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(text, 'utf8'),
  };
}

/** API Gateway's answer when the integration fails or returns something it cannot use. */
export const internalServerError: HttpResponse = {
  statusCode: 500,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from('{"message":"Internal Server Error"}'),
};

export const notFound: HttpResponse = {
  statusCode: 404,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from('{"message":"Not Found"}'),
};

export const unauthorized: HttpResponse = {
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
  cookies: [],
  body: Buffer.from('{"message":"Unauthorized"}'),
};

export const payloadTooLarge: HttpResponse = {
  statusCode: 413,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from('{"message":"Request Entity Too Large"}'),
};

export function writeHttpResponse(res: ServerResponse, response: HttpResponse, requestId?: string): void {
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.cookies.length > 0) res.setHeader('set-cookie', [...response.cookies]);
  if (requestId) res.setHeader('apigw-requestid', requestId);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
}

/**
 * Writes a handler's return value as API Gateway would. An unusable result is answered with 500,
 * as API Gateway does; the error is returned so the caller can log why.
 */
export function writeLambdaResult(
  res: ServerResponse,
  result: unknown,
  requestId?: string,
): InvalidLambdaResponseError | undefined {
  try {
    writeHttpResponse(res, fromLambdaResult(result), requestId);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidLambdaResponseError)) throw error;
    writeHttpResponse(res, internalServerError, requestId);
    return error;
  }
}
