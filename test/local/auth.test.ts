import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  claimsForApiGateway,
  demoUsers,
  issueToken,
  jwtAuthorizerContext,
  localClientId,
  localIssuer,
  TokenVerificationError,
  verifyToken,
  type TokenErrorReason,
} from '#cli/local/auth.ts';

const secret = 'test-secret-0123456789abcdef0123456789';
const now = new Date('2026-03-01T08:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

async function reasonOf(fn: () => Promise<unknown>): Promise<TokenErrorReason | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof TokenVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

function part(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signRaw(header: unknown, payload: unknown, key = secret): string {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe('demoUsers', () => {
  it('has the demo users with their roles and stable UUID subs', () => {
    expect(demoUsers.map((u) => [u.username, u.role])).toEqual([
      ['worker1', 'gridWorker'],
      ['worker2', 'gridWorker'],
      ['village1', 'villageVerifier'],
      ['insurer1', 'insurer'],
      ['auditor1', 'auditor'],
      ['village2', 'villageVerifier'],
      ['insurer2', 'insurer'],
      ['auditor2', 'auditor'],
      ['finance1', 'finance'],
      ['admin1', 'admin'],
    ]);
    for (const user of demoUsers) {
      expect(user.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(demoUsers.map((u) => u.sub)).size).toBe(demoUsers.length);
  });
});

describe('issueToken / verifyToken', () => {
  it('round-trips Cognito ID token claims valid for 8 hours', async () => {
    const token = await issueToken('finance1', secret, now);
    const claims = await verifyToken(token, secret, now);
    expect(claims).toMatchObject({
      'cognito:username': 'finance1',
      'cognito:groups': ['finance'],
      iss: localIssuer,
      aud: localClientId,
      token_use: 'id',
      iat: nowSeconds,
      auth_time: nowSeconds,
      exp: nowSeconds + 8 * 3600,
    });
    expect(claims.sub).toBe(demoUsers.find((u) => u.username === 'finance1')?.sub);
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
  });

  it('refuses unknown users and empty secrets', async () => {
    await expect(issueToken('mallory', secret, now)).rejects.toThrow(/unknown local user/);
    await expect(issueToken('admin1', '', now)).rejects.toThrow(/secret/);
  });

  it('says expired from the exact expiry second on', async () => {
    const token = await issueToken('admin1', secret, now);
    await expect(
      verifyToken(token, secret, new Date(now.getTime() + 8 * 3600_000 - 1000)),
    ).resolves.toBeDefined();
    expect(await reasonOf(() => verifyToken(token, secret, new Date(now.getTime() + 8 * 3600_000)))).toBe(
      'expired',
    );
  });

  it('says bad_signature for another secret or a tampered payload', async () => {
    const token = await issueToken('worker1', secret, now);
    expect(await reasonOf(() => verifyToken(token, 'another-secret', now))).toBe('bad_signature');
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = part({ ...claims, 'cognito:groups': ['admin'] });
    expect(await reasonOf(() => verifyToken(`${h}.${forged}.${s}`, secret, now))).toBe('bad_signature');
    expect(await reasonOf(() => verifyToken(`${h}.${p}.${s?.slice(0, -4)}`, secret, now))).toBe(
      'bad_signature',
    );
  });

  it('says malformed for garbage', async () => {
    for (const junk of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**', `${part({ alg: 'HS256' })}.${'%'}.x`]) {
      expect(await reasonOf(() => verifyToken(junk, secret, now))).toBe('malformed');
    }
    const notJson = `${part({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}`;
    const signed = `${notJson}.${createHmac('sha256', secret).update(notJson).digest('base64url')}`;
    expect(await reasonOf(() => verifyToken(signed, secret, now))).toBe('malformed');
  });

  it('refuses alg none and other algorithms before looking at the signature', async () => {
    const payload = { sub: 'x', exp: nowSeconds + 60, iss: localIssuer, aud: localClientId };
    expect(await reasonOf(() => verifyToken(`${part({ alg: 'none' })}.${part(payload)}.`, secret, now))).toBe(
      'unsupported_algorithm',
    );
    expect(await reasonOf(() => verifyToken(signRaw({ alg: 'HS512' }, payload), secret, now))).toBe(
      'unsupported_algorithm',
    );
  });

  it('checks issuer, audience, nbf and required claims', async () => {
    const base = {
      sub: 's',
      'cognito:username': 'u',
      'cognito:groups': ['admin'],
      iss: localIssuer,
      aud: localClientId,
      iat: nowSeconds,
      exp: nowSeconds + 60,
    };
    const header = { alg: 'HS256', typ: 'JWT' };
    expect((await verifyToken(signRaw(header, base), secret, now)).sub).toBe('s');
    expect(await reasonOf(() => verifyToken(signRaw(header, { ...base, iss: 'evil' }), secret, now))).toBe(
      'wrong_issuer',
    );
    expect(await reasonOf(() => verifyToken(signRaw(header, { ...base, aud: 'other' }), secret, now))).toBe(
      'wrong_audience',
    );
    expect(
      await reasonOf(() => verifyToken(signRaw(header, { ...base, nbf: nowSeconds + 10 }), secret, now)),
    ).toBe('not_yet_valid');
    expect(await reasonOf(() => verifyToken(signRaw(header, { ...base, exp: undefined }), secret, now))).toBe(
      'malformed',
    );
    expect(
      await reasonOf(() => verifyToken(signRaw(header, { ...base, 'cognito:groups': 'admin' }), secret, now)),
    ).toBe('malformed');
    const custom = { issuer: 'https://issuer.example', audience: 'client-x' };
    const token = await issueToken('admin1', secret, now, custom);
    expect((await verifyToken(token, secret, now, custom))['cognito:username']).toBe('admin1');
    expect(await reasonOf(() => verifyToken(token, secret, now))).toBe('wrong_issuer');
  });
});

describe('API Gateway claim shape', () => {
  it('stringifies claims the way the HTTP API JWT authorizer does', async () => {
    const claims = await verifyToken(await issueToken('finance1', secret, now), secret, now);
    const gw = claimsForApiGateway(claims);
    expect(gw['cognito:groups']).toBe('[finance]');
    expect(gw.exp).toBe(String(nowSeconds + 8 * 3600));
    expect(gw.iat).toBe(String(nowSeconds));
    expect(gw['cognito:username']).toBe('finance1');
    expect(Object.values(gw).every((v) => typeof v === 'string')).toBe(true);
    expect(
      claimsForApiGateway({ groups: ['a', 'b'], ok: true, obj: { z: 1, a: 'x' }, none: undefined }),
    ).toEqual({
      groups: '[a b]',
      ok: 'true',
      obj: 'map[a:x z:1]',
    });
  });

  it('builds the authorizer context: claims as strings, scopes null for ID tokens', async () => {
    const claims = await verifyToken(await issueToken('auditor1', secret, now), secret, now);
    const context = jwtAuthorizerContext(claims);
    expect(context.jwt.scopes).toBeNull();
    expect(context.jwt.claims['cognito:groups']).toBe('[auditor]');
    expect(jwtAuthorizerContext({ scope: 'read write' }).jwt.scopes).toEqual(['read', 'write']);
  });

  it('reads bearer tokens with or without the scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('abc')).toBe('abc');
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer')).toBe('Bearer');
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});
