import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { apiRoutes, type ApiRoute } from '#functions/catalog.ts';
import { jwtAuthorizerContext } from '#cli/local/auth.ts';
import {
  apiGatewayTime,
  fromLambdaResult,
  isTextContentType,
  matchRoute,
  readRequestBody,
  RequestTooLargeError,
  splitUrl,
  toApiGatewayEvent,
  writeLambdaResult,
} from '#cli/local/http-event.ts';

describe('matchRoute', () => {
  it('matches catalog routes and decodes path parameters', () => {
    expect(matchRoute(apiRoutes, 'GET', '/claims/01J%20X')).toEqual({
      route: { method: 'GET', path: '/claims/{claimId}', handler: 'get-claim', auth: true },
      pathParameters: { claimId: '01J X' },
    });
    expect(matchRoute(apiRoutes, 'post', '/claims/abc/reviews')?.route.handler).toBe('decide-review');
    expect(matchRoute(apiRoutes, 'GET', '/claims')?.pathParameters).toEqual({});
  });

  it('prefers static segments over parameters', () => {
    expect(matchRoute(apiRoutes, 'GET', '/ledger/export')?.route.handler).toBe('export-ledger');
    const routes: ApiRoute[] = [
      { method: 'GET', path: '/a/{id}', handler: 'param', auth: true },
      { method: 'GET', path: '/a/{proxy+}', handler: 'greedy', auth: true },
      { method: 'GET', path: '/a/fixed', handler: 'static', auth: true },
    ];
    expect(matchRoute(routes, 'GET', '/a/fixed')?.route.handler).toBe('static');
    expect(matchRoute(routes, 'GET', '/a/other')?.route.handler).toBe('param');
    expect(matchRoute(routes, 'GET', '/a/x/y')).toMatchObject({
      route: { handler: 'greedy' },
      pathParameters: { proxy: 'x/y' },
    });
  });

  it('does not match wrong methods, extra or missing segments, empty parameters or bad escapes', () => {
    expect(matchRoute(apiRoutes, 'DELETE', '/claims')).toBeUndefined();
    expect(matchRoute(apiRoutes, 'GET', '/claims/a/b')).toBeUndefined();
    expect(matchRoute(apiRoutes, 'GET', '/claims/')).toBeUndefined();
    expect(matchRoute(apiRoutes, 'GET', '/claims/%E0%A4%A')).toBeUndefined();
    expect(matchRoute(apiRoutes, 'GET', '/nope')).toBeUndefined();
    expect(matchRoute(apiRoutes, 'GET', '/health/')).toBeUndefined();
  });
});

describe('helpers', () => {
  it('formats time like API Gateway', () => {
    expect(apiGatewayTime(new Date('2020-03-02T19:03:58.123Z'))).toBe('02/Mar/2020:19:03:58 +0000');
  });
  it('knows text content types', () => {
    for (const t of [
      'application/json',
      'application/json; charset=utf-8',
      'text/csv',
      'application/problem+json',
      'application/xml',
    ]) {
      expect(isTextContentType(t)).toBe(true);
    }
    for (const t of [
      undefined,
      'image/jpeg',
      'application/octet-stream',
      'multipart/form-data; boundary=x',
    ]) {
      expect(isTextContentType(t)).toBe(false);
    }
  });
  it('splits urls', () => {
    expect(splitUrl('/a/b?x=1&y')).toEqual({ rawPath: '/a/b', rawQueryString: 'x=1&y' });
    expect(splitUrl('/a')).toEqual({ rawPath: '/a', rawQueryString: '' });
  });
});

describe('fromLambdaResult (payload format 2.0 rules)', () => {
  it('takes objects with statusCode as the response', () => {
    const r = fromLambdaResult({
      statusCode: 201,
      headers: { 'X-Id': 7, 'Content-Type': 'text/plain' },
      body: 'made',
      cookies: ['a=1; Path=/', 'b=2'],
    });
    expect(r.statusCode).toBe(201);
    expect(r.headers).toEqual({ 'x-id': '7', 'content-type': 'text/plain' });
    expect(r.cookies).toEqual(['a=1; Path=/', 'b=2']);
    expect(r.body.toString()).toBe('made');
  });
  it('decodes base64 bodies', () => {
    const bytes = Buffer.from([0, 255, 1, 2]);
    expect(
      fromLambdaResult({ statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true }).body,
    ).toEqual(bytes);
  });
  it('turns anything else into a 200 JSON body', () => {
    expect(fromLambdaResult({ message: 'hi' })).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
    });
    expect(fromLambdaResult({ message: 'hi' }).body.toString()).toBe('{"message":"hi"}');
    expect(fromLambdaResult('Hello from Lambda!').body.toString()).toBe('Hello from Lambda!');
    expect(fromLambdaResult([1, 2]).body.toString()).toBe('[1,2]');
    expect(fromLambdaResult(undefined).body.toString()).toBe('null');
  });
  it('refuses unusable results', () => {
    expect(() => fromLambdaResult({ statusCode: '200' })).toThrow(/statusCode/);
    expect(() => fromLambdaResult({ statusCode: 200, body: { a: 1 } })).toThrow(/body/);
    expect(() => fromLambdaResult({ statusCode: 200, headers: { a: [1] } })).toThrow(/header a/);
  });
});

describe('over a real socket', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    }
  });

  async function serve(
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  ): Promise<number> {
    server = createServer((req, res) => {
      handler(req, res).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  interface RawResponse {
    status: number;
    headers: IncomingMessage['headers'];
    body: Buffer;
  }

  async function send(
    port: number,
    options: {
      method: string;
      path: string;
      headers?: Record<string, string | string[]>;
      body?: Buffer | string;
    },
  ): Promise<RawResponse> {
    const req = request({
      host: '127.0.0.1',
      port,
      method: options.method,
      path: options.path,
      headers: options.headers,
    });
    req.end(options.body);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  it('builds the v2 event for a JWT route and writes the result back', async () => {
    let captured: unknown;
    const port = await serve(async (req, res) => {
      const body = await readRequestBody(req);
      const { rawPath } = splitUrl(req.url ?? '/');
      const match = matchRoute(apiRoutes, req.method ?? 'GET', rawPath);
      if (!match) throw new Error('no route');
      const authorizer = jwtAuthorizerContext({ sub: 'u-1', 'cognito:groups': ['admin'], exp: 1 });
      const event = toApiGatewayEvent({
        req,
        body,
        match,
        authorizer,
        requestId: 'req-1',
        now: new Date(1_700_000_000_000),
      });
      captured = event;
      writeLambdaResult(
        res,
        { statusCode: 202, headers: { 'x-a': 'b' }, body: '{"ok":true}', cookies: ['s=1', 't=2'] },
        event.requestContext.requestId,
      );
    });
    const res = await send(port, {
      method: 'POST',
      path: '/claims/01J%2FX/reviews?gate=village&x=1&x=2&e=a%20b',
      headers: {
        'Content-Type': 'application/json',
        Cookie: 'a=1; b=2',
        'X-Multi': ['one', 'two'],
        'User-Agent': 'vitest',
      },
      body: '{"decision":"approve"}',
    });
    expect(res.status).toBe(202);
    expect(res.headers['x-a']).toBe('b');
    expect(res.headers['set-cookie']).toEqual(['s=1', 't=2']);
    expect(res.headers['apigw-requestid']).toBe('req-1');
    expect(res.body.toString()).toBe('{"ok":true}');

    expect(captured).toMatchObject({
      version: '2.0',
      routeKey: 'POST /claims/{claimId}/reviews',
      rawPath: '/claims/01J%2FX/reviews',
      rawQueryString: 'gate=village&x=1&x=2&e=a%20b',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { gate: 'village', x: '1,2', e: 'a b' },
      pathParameters: { claimId: '01J/X' },
      body: '{"decision":"approve"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/claims/01J%2FX/reviews',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'vitest',
        },
        requestId: 'req-1',
        routeKey: 'POST /claims/{claimId}/reviews',
        stage: '$default',
        time: '14/Nov/2023:22:13:20 +0000',
        timeEpoch: 1_700_000_000_000,
        authorizer: { jwt: { claims: { sub: 'u-1', 'cognito:groups': '[admin]', exp: '1' }, scopes: null } },
      },
    });
    const event = captured as { headers: Record<string, string> };
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('base64-encodes binary bodies, omits absent parts and leaves out the authorizer on open routes', async () => {
    const events: Record<string, unknown>[] = [];
    const port = await serve(async (req, res) => {
      const body = await readRequestBody(req);
      const match = matchRoute(apiRoutes, req.method ?? 'GET', splitUrl(req.url ?? '/').rawPath);
      if (!match) throw new Error('no route');
      events.push(toApiGatewayEvent({ req, body, match }) as unknown as Record<string, unknown>);
      const invalid = writeLambdaResult(res, { statusCode: 'nope' });
      expect(invalid?.message).toMatch(/statusCode/);
    });
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00]);
    const upload = await send(port, {
      method: 'POST',
      path: '/roster/imports',
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expect(upload.status).toBe(500);
    expect(upload.body.toString()).toBe('{"message":"Internal Server Error"}');
    await send(port, { method: 'GET', path: '/health' });

    expect(events[0]).toMatchObject({
      body: bytes.toString('base64'),
      isBase64Encoded: true,
      rawQueryString: '',
    });
    expect(events[0]).not.toHaveProperty('queryStringParameters');
    expect(events[0]).not.toHaveProperty('pathParameters');
    expect(events[1]).not.toHaveProperty('body');
    expect(events[1]).toMatchObject({ isBase64Encoded: false });
    expect(events[1]).not.toHaveProperty('cookies');
    expect(events[1]?.requestContext).not.toHaveProperty('authorizer');
  });

  it('refuses bodies over the limit', async () => {
    const port = await serve(async (req, res) => {
      try {
        await readRequestBody(req, 8);
        res.end('read');
      } catch (error) {
        res.statusCode = error instanceof RequestTooLargeError ? 413 : 500;
        res.setHeader('connection', 'close');
        res.end();
      }
    });
    expect((await send(port, { method: 'POST', path: '/quotes', body: '0123456789' })).status).toBe(413);
    expect((await send(port, { method: 'POST', path: '/quotes', body: '01234567' })).status).toBe(200);
  });
});
