// The front door of DynamoDB Local: DynamoDB Local itself answers any credentials (or none), so
// its JVM listens on an internal port on 127.0.0.1 and this proxy, on the port clients are given,
// lets through only requests SigV4-signed with the local key (sigv4.ts): the credential scope,
// signed headers, canonical request and signature are checked against the configured secret, and
// a request more than 15 minutes from our clock is refused (the SDK corrects its clock from our
// Date header and retries, as with DynamoDB). The body has to be read before it is forwarded, since
// the signature covers its SHA-256; the answer streams straight back.
//
// Browsers are refused too (any request with an Origin header, and CORS preflights): DynamoDB
// Local would otherwise let any web page a developer opens read the tables, signing with the key
// the README publishes.
import { createHash, randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { LocalCredentials } from '#cli/local/credentials.ts';
import { listen } from '#cli/local/net.ts';
import { RequestGate } from '#cli/local/request-gate.ts';
import { SigV4Failure, SigV4Verifier } from '#cli/local/sigv4.ts';

export interface DynamoDbProxyOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Where DynamoDB Local listens (on 127.0.0.1). */
  readonly upstreamPort: number;
  readonly credentials: LocalCredentials;
  /** Largest request body accepted; default 17 MiB (DynamoDB's own limit is 16 MB). */
  readonly maxBodyBytes?: number;
  readonly onLog?: (line: string) => void;
  /** Where forwarded requests wait while DynamoDB Local's log is checkpointed. */
  readonly gate?: RequestGate;
}

export interface DynamoDbProxy {
  readonly port: number;
  close(): Promise<void>;
}

const json = 'application/x-amz-json-1.0';

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message });
  res.writeHead(status, {
    'content-type': json,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': type,
  });
  res.end(body);
}

function sendFailure(res: ServerResponse, failure: SigV4Failure): void {
  switch (failure.kind) {
    case 'missing':
      return sendError(
        res,
        400,
        'MissingAuthenticationTokenException',
        'Request is missing Authentication Token',
      );
    case 'unknown-key':
      return sendError(
        res,
        400,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    case 'mismatch':
      return sendError(
        res,
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    case 'skewed':
    case 'expired':
    case 'not-yet-valid':
      return sendError(res, 400, 'InvalidSignatureException', failure.message);
    case 'unsupported':
    case 'malformed':
    case 'unsigned-header':
      return sendError(res, 400, 'IncompleteSignatureException', failure.message);
  }
}

// Hop-by-hop headers: each side of the proxy has its own connection.
const hopByHop: readonly string[] = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
];

export async function startDynamoDbProxy(options: DynamoDbProxyOptions): Promise<DynamoDbProxy> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 17 * 1024 * 1024;
  const log = options.onLog ?? ((): void => undefined);
  const verifier = new SigV4Verifier({
    service: 'dynamodb',
    credentials: options.credentials,
    uriEscapePath: true,
  });
  // Kept-alive connections to the JVM, closed before Jetty's 30 s idle timeout would close them.
  const agent = new Agent({ keepAlive: true, maxSockets: 128, timeout: 20_000 });

  /** The raw header list without hop-by-hop headers (each side has its own connection). */
  const endToEnd = (raw: readonly string[], contentLength?: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      const lower = name.toLowerCase();
      if (hopByHop.includes(lower) || (contentLength !== undefined && lower === 'content-length')) continue;
      out.push(name, raw[i + 1] as string);
    }
    if (contentLength !== undefined) out.push('content-length', String(contentLength));
    return out;
  };

  const gate = options.gate ?? new RequestGate();

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: readonly Buffer[],
    size: number,
    retried: boolean,
    // Called once the request is done with DynamoDB Local, however it ends.
    finish: () => void,
  ) => {
    // The client hung up: its request is not sent again, whatever the upstream socket says.
    let abandoned = false;
    const upstream = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port: options.upstreamPort,
        method: req.method,
        path: req.url,
        // Raw [name, value, ...] lists: passed on as they came, without being parsed again.
        headers: endToEnd(req.rawHeaders, size) as unknown as OutgoingHttpHeaders,
      },
      (answer) => {
        res.writeHead(
          answer.statusCode ?? 502,
          endToEnd(answer.rawHeaders) as unknown as OutgoingHttpHeaders,
        );
        answer.pipe(res);
        answer.on('end', finish);
        answer.on('close', finish);
        answer.on('error', () => {
          finish();
          res.destroy();
        });
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (abandoned) {
        finish();
        return;
      }
      // A kept-alive connection the JVM closed just as we reused it: the request never arrived.
      if (!retried && upstream.reusedSocket && error.code === 'ECONNRESET') {
        forward(req, res, body, size, true, finish);
        return;
      }
      finish();
      log(`dynamodb: forwarding failed (${error.code ?? error.name})`);
      if (!res.headersSent) sendError(res, 500, 'InternalServerError', 'DynamoDB Local did not answer.');
      else res.destroy();
    });
    res.once('close', () => {
      finish();
      if (!res.writableFinished) {
        abandoned = true;
        upstream.destroy();
      }
    });
    for (const chunk of body) upstream.write(chunk);
    upstream.end();
  };

  const verifyAndForward = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer[],
    size: number,
    sha256: string,
  ) => {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const declared = req.headers['x-amz-content-sha256'];
    if (declared !== undefined && declared !== sha256) {
      sendError(
        res,
        400,
        'InvalidSignatureException',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
      return;
    }
    try {
      await verifier.verify(
        {
          method: req.method ?? 'POST',
          rawPath: at === -1 ? url : url.slice(0, at),
          rawQuery: at === -1 ? '' : url.slice(at + 1),
          headers: req.headers,
        },
        { computedPayloadHash: sha256 },
      );
    } catch (error) {
      if (error instanceof SigV4Failure) sendFailure(res, error);
      else {
        log(`dynamodb: signature check failed (${error instanceof Error ? error.name : typeof error})`);
        sendError(res, 500, 'InternalServerError', 'The request could not be checked.');
      }
      return;
    }
    await gate.enter();
    // Gone while it waited (a pause): nothing to send it for.
    if (res.destroyed) {
      gate.leave();
      return;
    }
    let done = false;
    forward(req, res, body, size, false, () => {
      if (done) return;
      done = true;
      gate.leave();
    });
  };

  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS' || req.headers.origin !== undefined) {
      res.setHeader('connection', 'close');
      sendError(res, 403, 'AccessDeniedException', 'This DynamoDB Local endpoint does not serve browsers.');
      req.resume();
      return;
    }
    const body: Buffer[] = [];
    const hash = createHash('sha256');
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        refused = true;
        res.setHeader('connection', 'close');
        sendError(res, 413, 'RequestEntityTooLargeException', 'Request body is too large.');
        return;
      }
      hash.update(chunk);
      body.push(chunk);
    });
    req.on('end', () => {
      if (!refused) void verifyAndForward(req, res, body, size, hash.digest('hex'));
    });
    req.on('error', () => res.destroy());
  });

  const port = await listen(server, options.port, host);
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
        agent.destroy();
      });
      return closing;
    },
  };
}
