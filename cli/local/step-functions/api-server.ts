// The AWS JSON 1.0 endpoint (X-Amz-Target: AWSStepFunctions.<Operation>), so @aws-sdk/client-sfn
// and the handlers using it work unchanged: StartExecution, DescribeExecution, StopExecution and
// SendTaskSuccess/Failure/Heartbeat, with AWS's error shapes (`__type`, 400 for client errors).
// Left out: SigV4 checks (it listens on 127.0.0.1 only), every other operation
// (UnknownOperationException), state machine management (definitions are given at start).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '#cli/local/net.ts';
import { isObject } from '#cli/local/step-functions/definitions.ts';
import { StepFunctionsError, type LocalStepFunctions } from '#cli/local/step-functions/model.ts';

export interface StepFunctionsApi {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

const maxRequestBytes = 1024 * 1024;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function requireString(body: Record<string, unknown>, member: string): string {
  const value = body[member];
  if (typeof value !== 'string') {
    throw new StepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, member: string): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new StepFunctionsError('ValidationException', `'${member}' must be a string`);
  return value;
}

function dispatch(
  service: LocalStepFunctions,
  operation: string,
  body: Record<string, unknown>,
): Record<string, unknown> {
  switch (operation) {
    case 'StartExecution': {
      const name = optionalString(body, 'name');
      const input = optionalString(body, 'input');
      const started = service.startExecution({
        stateMachineArn: requireString(body, 'stateMachineArn'),
        ...(name !== undefined ? { name } : {}),
        ...(input !== undefined ? { input } : {}),
      });
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    }
    case 'DescribeExecution': {
      const d = service.describeExecution(requireString(body, 'executionArn'));
      return {
        executionArn: d.executionArn,
        stateMachineArn: d.stateMachineArn,
        name: d.name,
        status: d.status,
        startDate: epochSeconds(d.startDate),
        ...(d.stopDate ? { stopDate: epochSeconds(d.stopDate) } : {}),
        input: d.input,
        inputDetails: { included: true },
        ...(d.output !== undefined ? { output: d.output, outputDetails: { included: true } } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
      };
    }
    case 'StopExecution': {
      const error = optionalString(body, 'error');
      const cause = optionalString(body, 'cause');
      const { stopDate } = service.stopExecution(requireString(body, 'executionArn'), error, cause);
      return { stopDate: epochSeconds(stopDate) };
    }
    case 'SendTaskSuccess':
      service.sendTaskSuccess(requireString(body, 'taskToken'), requireString(body, 'output'));
      return {};
    case 'SendTaskFailure':
      service.sendTaskFailure(
        requireString(body, 'taskToken'),
        optionalString(body, 'error'),
        optionalString(body, 'cause'),
      );
      return {};
    case 'SendTaskHeartbeat':
      service.sendTaskHeartbeat(requireString(body, 'taskToken'));
      return {};
    default:
      throw new StepFunctionsError(
        'UnknownOperationException',
        `Operation ${operation} is not supported locally`,
      );
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxRequestBytes)
      throw new StepFunctionsError('ValidationException', 'Request body is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

async function handleApiRequest(
  service: LocalStepFunctions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (req.method !== 'POST')
      throw new StepFunctionsError('UnknownOperationException', 'Only POST is supported');
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice(17) : undefined;
    if (!operation)
      throw new StepFunctionsError(
        'UnknownOperationException',
        'Missing X-Amz-Target AWSStepFunctions.<Operation>',
      );
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new StepFunctionsError('SerializationException', 'Request body is not valid JSON');
    }
    if (!isObject(body))
      throw new StepFunctionsError('SerializationException', 'Request body must be a JSON object');
    send(res, 200, dispatch(service, operation, body));
  } catch (error) {
    if (error instanceof StepFunctionsError) {
      send(res, 400, { __type: error.code, message: error.message });
    } else {
      send(res, 500, {
        __type: 'InternalFailure',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** Serves the service on 127.0.0.1:`port` (0 picks a free port) for SFNClient({ endpoint }). */
export async function serveStepFunctionsApi(options: {
  port: number;
  host?: string;
  service: LocalStepFunctions;
}): Promise<StepFunctionsApi> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    void handleApiRequest(options.service, req, res);
  });
  const port = await listen(server, options.port, host);
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this close() waits for their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
