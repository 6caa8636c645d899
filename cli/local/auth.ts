// Local sign-in: HS256 tokens shaped like Cognito ID tokens, signed and checked with jose, so
// handlers see the same claims locally as behind API Gateway's JWT authorizer on AWS. Left out:
// Cognito's RS256 keys and JWKS endpoint (one shared secret signs instead), refresh tokens.
import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayEventRequestContextJWTAuthorizer } from 'aws-lambda';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '#shared/vocabulary.ts';

export type { Role };

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
  // A second person per reviewer role: four-eyes needs one when a policy asks a role twice.
  demoUser('village2', 'villageVerifier'),
  demoUser('insurer2', 'insurer'),
  demoUser('auditor2', 'auditor'),
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

function secretBytes(secret: string | Buffer): Uint8Array {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length === 0) throw new Error('token secret must not be empty');
  return bytes;
}

const epochSeconds = (now: Date): number => Math.floor(now.getTime() / 1000);

/** Issues an 8-hour ID token for a demo user. */
export async function issueToken(
  username: string,
  secret: string | Buffer,
  now: Date = new Date(),
  options: TokenOptions = {},
): Promise<string> {
  const user = findDemoUser(username);
  if (!user) {
    throw new Error(
      `unknown local user "${username}" (known: ${demoUsers.map((u) => u.username).join(', ')})`,
    );
  }
  const key = secretBytes(secret);
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
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

/** Which check a jose error stands for. */
function reasonFor(error: unknown): TokenVerificationError {
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new TokenVerificationError('unsupported_algorithm', 'token algorithm is not HS256');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenVerificationError('bad_signature', 'token signature does not match');
  }
  if (error instanceof joseErrors.JWTExpired)
    return new TokenVerificationError('expired', 'token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.reason === 'check_failed') {
    if (error.claim === 'iss')
      return new TokenVerificationError('wrong_issuer', 'token issuer is not accepted');
    if (error.claim === 'aud') {
      return new TokenVerificationError('wrong_audience', 'token audience is not accepted');
    }
    if (error.claim === 'nbf') return new TokenVerificationError('not_yet_valid', 'token is not valid yet');
  }
  if (error instanceof joseErrors.JOSEError) {
    // Not three parts, not base64url, not JSON, a missing or non-numeric exp...
    return new TokenVerificationError('malformed', `token is malformed (${error.code})`);
  }
  return new TokenVerificationError('malformed', 'token is malformed');
}

/**
 * Verifies as API Gateway's JWT authorizer does: signature (HS256 only), exp, nbf, issuer and
 * audience; throws TokenVerificationError saying which failed.
 */
export async function verifyToken(
  token: string,
  secret: string | Buffer,
  now: Date = new Date(),
  options: TokenOptions = {},
): Promise<IdTokenClaims> {
  const key = secretBytes(secret);
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, key, {
      // Only HS256: accepting the header's alg ("none", RS256 with the secret as key...) is the
      // classic JWT hole. jose refuses other algorithms before it looks at the signature.
      algorithms: ['HS256'],
      issuer: options.issuer ?? localIssuer,
      audience: options.audience ?? localClientId,
      requiredClaims: ['exp'],
      currentDate: now,
    }));
  } catch (error) {
    throw reasonFor(error);
  }
  // jose takes any iat; a token from more than a minute in the future is refused, as before.
  if (typeof claims.iat === 'number' && claims.iat > epochSeconds(now) + 60) {
    throw new TokenVerificationError('not_yet_valid', 'token was issued in the future');
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
