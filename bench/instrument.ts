// Counters for the cost model, fed by the local stack's hooks and SDK client middleware: Lambda
// invocations and durations, workflow transitions and execution durations, DynamoDB capacity
// units (ReturnConsumedCapacity, as DynamoDB Local computes them) and S3 requests.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ExecutionEvent } from '#cli/local/step-functions.ts';

/** Bytes of one CloudWatch Logs event's envelope (ids, type, timestamps, ARN), an estimate. */
const LOG_EVENT_ENVELOPE_BYTES = 350;
/** START, END and REPORT lines Lambda writes per invocation, an estimate. */
export const LAMBDA_PLATFORM_LOG_BYTES = 350;

/** What a workflow's execution events would put in CloudWatch Logs, by log level and part. */
export interface WorkflowLogBytes {
  /** Every event's envelope (level ALL). */
  envelope: number;
  /** Every event's input/output (level ALL with execution data). */
  data: number;
  /** The envelopes and data of error events only (level ERROR). */
  errorEnvelope: number;
  errorData: number;
}

const emptyLog = (): WorkflowLogBytes => ({ envelope: 0, data: 0, errorEnvelope: 0, errorData: 0 });

export interface Counts {
  readonly lambda: Record<string, { invocations: number; totalMs: number; billedMs: number }>;
  readonly express: { executions: number; billedMs: number; transitions: number; log: WorkflowLogBytes };
  readonly standard: { executions: number; transitions: number; log: WorkflowLogBytes };
  readonly dynamo: {
    requests: Record<string, number>;
    readUnits: number;
    writeUnits: number;
    /** Of writeUnits, those reported for TransactWriteItems (see cost.ts on Local's count). */
    transactWriteUnits: number;
    /** Write units by index, as reported (scaled for transactions like writeUnits in cost.ts). */
    indexWriteUnits: Record<string, number>;
    reported: number;
  };
  readonly s3: Record<string, number>;
  readonly apiRequests: number;
  readonly handlerLogBytes: number;
}

const emptyCounts = (): Counts => ({
  lambda: {},
  express: { executions: 0, billedMs: 0, transitions: 0, log: emptyLog() },
  standard: { executions: 0, transitions: 0, log: emptyLog() },
  dynamo: {
    requests: {},
    readUnits: 0,
    writeUnits: 0,
    transactWriteUnits: 0,
    indexWriteUnits: {},
    reported: 0,
  },
  s3: {},
  apiRequests: 0,
  handlerLogBytes: 0,
});

const jsonBytes = (value: unknown): number =>
  value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));

interface Capacity {
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number; WriteCapacityUnits?: number }>;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  CapacityUnits?: number;
}

const capacityCommands = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
  'BatchWriteItemCommand',
  'BatchGetItemCommand',
]);
const readCommands = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'TransactGetItemsCommand',
  'BatchGetItemCommand',
]);

export class Meter {
  counts: Counts = emptyCounts();
  private readonly started = new Map<string, number>();

  reset(): void {
    this.counts = emptyCounts();
    this.started.clear();
  }

  onLambda = (name: string, ms: number): void => {
    const entry = (this.counts.lambda[name] ??= { invocations: 0, totalMs: 0, billedMs: 0 });
    entry.invocations += 1;
    entry.totalMs += ms;
    entry.billedMs += Math.max(1, Math.ceil(ms)); // Lambda bills by the millisecond
  };

  onApiRequest = (): void => {
    (this.counts as { apiRequests: number }).apiRequests += 1;
  };

  onHandlerLog = (bytes: number): void => {
    (this.counts as { handlerLogBytes: number }).handlerLogBytes += bytes;
  };

  onWorkflowEvent = ({ executionArn, event }: ExecutionEvent): void => {
    const express = executionArn.includes(':express:');
    const bucket = express ? this.counts.express : this.counts.standard;
    const e = event as { type: string; timestamp: number; state?: { input?: unknown; output?: unknown } };
    let envelope = LOG_EVENT_ENVELOPE_BYTES;
    const data = jsonBytes(e.state?.input) + jsonBytes(e.state?.output);
    switch (e.type) {
      case 'ExecutionStarted':
        bucket.executions += 1;
        this.started.set(executionArn, e.timestamp);
        break;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionTerminated': {
        const start = this.started.get(executionArn);
        this.started.delete(executionArn);
        // Express duration is billed in 100 ms steps.
        if (express && start !== undefined)
          this.counts.express.billedMs += Math.max(100, Math.ceil((e.timestamp - start) / 100) * 100);
        break;
      }
      case 'StateEntered':
        bucket.transitions += 1;
        break;
      case 'StateExited':
        // AWS logs a Task as entered, scheduled, started, succeeded, exited: three more events.
        envelope += 3 * LOG_EVENT_ENVELOPE_BYTES;
        break;
      default:
        break;
    }
    bucket.log.envelope += envelope;
    bucket.log.data += data;
    // Step Functions' ERROR level keeps failed, timed-out and aborted events.
    if (/Failed|TimedOut|Aborted|Terminated/.test(e.type)) {
      bucket.log.errorEnvelope += envelope;
      bucket.log.errorData += data;
    }
  };

  /** Counts every DynamoDB request and the capacity units DynamoDB (Local) reports for it. */
  meterDynamo(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        const input = args.input as Record<string, unknown>;
        if (capacityCommands.has(command)) input.ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        const dynamo = this.counts.dynamo;
        dynamo.requests[command] = (dynamo.requests[command] ?? 0) + 1;
        const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
        for (const c of list) {
          dynamo.reported += 1;
          const read = c.ReadCapacityUnits ?? (readCommands.has(command) ? (c.CapacityUnits ?? 0) : 0);
          const write = c.WriteCapacityUnits ?? (readCommands.has(command) ? 0 : (c.CapacityUnits ?? 0));
          dynamo.readUnits += read;
          dynamo.writeUnits += write;
          const transactional = command === 'TransactWriteItemsCommand';
          if (transactional) dynamo.transactWriteUnits += write;
          if (!readCommands.has(command)) {
            for (const [index, used] of Object.entries(c.GlobalSecondaryIndexes ?? {})) {
              const units = (used.WriteCapacityUnits ?? used.CapacityUnits ?? 0) / (transactional ? 2 : 1);
              dynamo.indexWriteUnits[index] = (dynamo.indexWriteUnits[index] ?? 0) + units;
            }
          }
        }
        return result;
      },
      { step: 'initialize', name: 'benchCapacityMeter', override: true },
    );
  }

  /** Counts S3 requests by operation (PUT-class and GET-class are priced apart). */
  meterS3(client: S3Client): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = context.commandName ?? 'unknown';
        this.counts.s3[command] = (this.counts.s3[command] ?? 0) + 1;
        return result;
      },
      { step: 'initialize', name: 'benchRequestMeter', override: true },
    );
  }
}
