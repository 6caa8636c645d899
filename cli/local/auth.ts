// Local sign-in: HS256 tokens shaped like Cognito ID tokens, so handlers see the same claims
// locally as behind API Gateway's JWT authorizer on AWS.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { APIGatewayEventRequestContextJWTAuthorizer } from 'aws-lambda';

export type Role = 'gridWorker' | 'villageVerifier' | 'insurer' | 'auditor' | 'finance' | 'admin';

export interface DemoUser {
  readonly username: string;
  readonly role: Role;
  /** Stable per username, so a token issued before a restart still names the same person. */
  readonly sub: string;
}

/** Cognito ID token claims as issued locally (and as Cognito would issue them). */
export interface IdTokenClaims {
  sub: string;
  'cognito:username': string;
  'cognito:groups': string[];
  iss: string;
  aud: string;
  token_use: 'id';
  auth_time: number;
  iat: number;
  exp: number;
  jti: string;
  [claim: string]: unknown;
}

export interface TokenOptions {
  issuer?: string;
  audience?: string;
}

export const localIssuer = 'https://cognito-idp.local.amazonaws.com/local_claims';
export const localClientId = 'claims-local-web';
export const tokenLifetimeSeconds = 8 * 60 * 60;

function stableSub(username: string): string {
  // UUID-shaped (version 5 style) so code that validates `sub` as a UUID keeps working locally.
  const hex = createHash('sha256').update(`claims-local-user:${username}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function demoUser(username: string, role: Role): DemoUser {
  return { username, role, sub: stableSub(username) };
}

export const demoUsers: readonly DemoUser[] = [
  demoUser('worker1', 'gridWorker'),
  demoUser('worker2', 'gridWorker'),
  demoUser('village1', 'villageVerifier'),
  demoUser('insurer1', 'insurer'),
  demoUser('auditor1', 'auditor'),
  demoUser('finance1', 'finance'),
  demoUser('admin1', 'admin'),
];

export function findDemoUser(username: string): DemoUser | undefined {
  return demoUsers.find((user) => user.username === username);
}

export type TokenErrorReason =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience';

export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  constructor(
    readonly reason: TokenErrorReason,
    message: string,
  ) {
    super(message);
  }
}

function secretBytes(secret: string | Buffer): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length === 0) throw new Error('token secret must not be empty');
  return bytes;
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function sign(signingInput: string, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(signingInput, 'ascii').digest();
}

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

function decodeSegment(segment: string, what: string): Buffer {
  // Buffer.from(..., 'base64url') silently skips junk; reject it so tampering is "malformed", not odd.
  if (!base64UrlPattern.test(segment) || segment.length % 4 === 1) {
    throw new TokenVerificationError('malformed', `token ${what} is not base64url`);
  }
  return Buffer.from(segment, 'base64url');
}

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new TokenVerificationError('malformed', `token ${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TokenVerificationError('malformed', `token ${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

const epochSeconds = (now: Date): number => Math.floor(now.getTime() / 1000);

/** Issues an 8-hour ID token for a demo user. */
export function issueToken(
  username: string,
  secret: string | Buffer,
  now: Date = new Date(),
  options: TokenOptions = {},
): string {
  const user = findDemoUser(username);
  if (!user) {
    throw new Error(
      `unknown local user "${username}" (known: ${demoUsers.map((u) => u.username).join(', ')})`,
    );
  }
  const iat = epochSeconds(now);
  const claims: IdTokenClaims = {
    sub: user.sub,
    'cognito:username': user.username,
    'cognito:groups': [user.role],
    iss: options.issuer ?? localIssuer,
    aud: options.audience ?? localClientId,
    token_use: 'id',
    auth_time: iat,
    iat,
    exp: iat + tokenLifetimeSeconds,
    jti: randomUUID(),
  };
  const signingInput = `${base64UrlJson({ alg: 'HS256', typ: 'JWT' })}.${base64UrlJson(claims)}`;
  return `${signingInput}.${sign(signingInput, secretBytes(secret)).toString('base64url')}`;
}

/** Verifies signature, expiry, issuer and audience; throws TokenVerificationError saying which failed. */
export function verifyToken(
  token: string,
  secret: string | Buffer,
  now: Date = new Date(),
  options: TokenOptions = {},
): IdTokenClaims {
  const key = secretBytes(secret);
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenVerificationError('malformed', 'token must have three parts');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = parseJsonObject(decodeSegment(headerPart, 'header'), 'header');
  // Only HS256: accepting the header's alg ("none", RS256 with the secret as key...) is the classic JWT hole.
  if (header.alg !== 'HS256') {
    throw new TokenVerificationError(
      'unsupported_algorithm',
      `token algorithm ${String(header.alg)} is not HS256`,
    );
  }
  const provided = decodeSegment(signaturePart, 'signature');
  const expected = sign(`${headerPart}.${payloadPart}`, key);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw new TokenVerificationError('bad_signature', 'token signature does not match');
  }
  const claims = parseJsonObject(decodeSegment(payloadPart, 'payload'), 'payload');
  const nowSeconds = epochSeconds(now);
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new TokenVerificationError('malformed', 'token has no numeric exp');
  }
  if (nowSeconds >= claims.exp) throw new TokenVerificationError('expired', 'token has expired');
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) {
    throw new TokenVerificationError('not_yet_valid', 'token is not valid yet');
  }
  if (typeof claims.iat === 'number' && claims.iat > nowSeconds + 60) {
    throw new TokenVerificationError('not_yet_valid', 'token was issued in the future');
  }
  if (claims.iss !== (options.issuer ?? localIssuer)) {
    throw new TokenVerificationError('wrong_issuer', 'token issuer is not accepted');
  }
  if (claims.aud !== (options.audience ?? localClientId)) {
    throw new TokenVerificationError('wrong_audience', 'token audience is not accepted');
  }
  const groups = claims['cognito:groups'];
  if (
    typeof claims.sub !== 'string' ||
    typeof claims['cognito:username'] !== 'string' ||
    !Array.isArray(groups) ||
    !groups.every((group) => typeof group === 'string')
  ) {
    throw new TokenVerificationError('malformed', 'token lacks sub, cognito:username or cognito:groups');
  }
  return claims as IdTokenClaims;
}

/** The token from an Authorization header; API Gateway accepts it with or without "Bearer ". */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

function apiGatewayClaimValue(value: unknown): string {
  // API Gateway's JWT authorizer is written in Go and hands every claim over as a string, printing
  // arrays as "[a b]" and objects as "map[k:v]" (Go's %v). Handlers must parse cognito:groups from that.
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(apiGatewayClaimValue).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([k, v]) => `${k}:${apiGatewayClaimValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Claims exactly as API Gateway v2 puts them in `requestContext.authorizer.jwt.claims`. */
export function claimsForApiGateway(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value !== undefined) out[name] = apiGatewayClaimValue(value);
  }
  return out;
}

/** The whole `requestContext.authorizer` object for a verified token. */
export function jwtAuthorizerContext(
  claims: Record<string, unknown>,
): APIGatewayEventRequestContextJWTAuthorizer {
  // Scopes come from an access token's `scope` claim; ID tokens have none, and API Gateway sends null.
  const scope = claims.scope;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter((s) => s.length > 0) : null;
  return { jwt: { claims: claimsForApiGateway(claims), scopes } };
}
