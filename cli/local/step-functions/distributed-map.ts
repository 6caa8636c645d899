// Map states in DISTRIBUTED mode, as Step Functions runs them (JSONPath workflows): the items come
// from the state input (ItemsPath) or from S3 through ItemReader (arn:aws:states:::s3:getObject
// with ReaderConfig InputType CSV, with CSVHeaderLocation FIRST_ROW or GIVEN, JSONL or JSON, and
// MaxItems); ItemSelector shapes each item (`$` is the state input, `$$.Map.Item.Index/Value` the
// item); ItemBatcher groups them ({ BatchInput, Items } per child, MaxItemsPerBatch and
// MaxInputBytesPerBatch); each item or batch runs the ItemProcessor as a child workflow execution,
// at most MaxConcurrency at once; ToleratedFailureCount / ToleratedFailurePercentage (and their
// Path forms) decide when failed items fail the Map Run with States.ExceedToleratedFailureThreshold
// (none given: any failure does); ResultWriter (arn:aws:states:::s3:putObject) writes
// SUCCEEDED_0.json / FAILED_0.json and manifest.json under <Prefix>/<map run id>/ and the state
// returns { MapRunArn, ResultWriterDetails }, otherwise the child outputs in item order.
// Left out: JSONata, intrinsic functions in ItemSelector/BatchInput, ItemReader over an S3 prefix
// (s3:listObjectsV2), S3 inventory manifests, WriterConfig (results are written as with
// Transformation NONE, OutputType JSON), splitting result files at 5 GB, DescribeMapRun, redrive.
// The results are written when the Map Run fails as well.
import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { isObject, readReferencePath } from '#cli/local/step-functions/definitions.ts';
import { taskError, type Json, type JsonObject } from '#cli/local/step-functions/model.ts';

/** Reads and writes objects of the local S3 store (see s3ObjectStore in distributed-map-s3.ts). */
export interface ObjectStore {
  get(bucket: string, key: string): Promise<string>;
  put(bucket: string, key: string, body: string): Promise<void>;
}

export interface ChildOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
}

export interface MapRun {
  /** arn:<partition>:states:<region>:<account>:mapRun:<machine>/<label>:<id> */
  readonly mapRunArn: string;
  /** The ARN child executions report as theirs (the parent's state machine). */
  readonly stateMachineArn: string;
  /** Runs the ItemProcessor once, as a child workflow execution, on this input. */
  readonly runChild: (input: Json) => Promise<ChildOutcome>;
  readonly store?: ObjectStore;
}

/** A Map state whose ItemProcessor runs in DISTRIBUTED mode. */
export function isDistributedMap(state: Record<string, unknown>): boolean {
  if (state.Type !== 'Map' || !isObject(state.ItemProcessor)) return false;
  const config = state.ItemProcessor.ProcessorConfig;
  return isObject(config) && config.Mode === 'DISTRIBUTED';
}

/** What AWS starts when MaxConcurrency is 0 or absent. */
const defaultMaxConcurrency = 10_000;
const maxBatchBytes = 256 * 1024;

const runtimeError = (message: string): Error => taskError('States.Runtime', message);

/** A Parameters-style template: keys ending in `.$` take a path into the input (`$`) or context (`$$`). */
function evaluate(template: unknown, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((value) => evaluate(value, input, context));
  if (!isObject(template)) return template as Json;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      out[key] = evaluate(value, input, context);
      continue;
    }
    if (typeof value !== 'string' || !value.startsWith('$')) {
      throw runtimeError(`${key} must hold a path; intrinsic functions are not supported here locally`);
    }
    const found = value.startsWith('$$')
      ? readReferencePath(value.slice(1), context)
      : readReferencePath(value, input);
    out[key.slice(0, -2)] = (found ?? null) as Json;
  }
  return out;
}

function positiveNumber(state: Record<string, unknown>, field: string, input: Json): number | undefined {
  const fixed = state[field];
  if (typeof fixed === 'number') return fixed;
  const path = state[`${field}Path`];
  if (typeof path !== 'string') return undefined;
  const value = readReferencePath(path, input);
  if (typeof value !== 'number' || value < 0)
    throw runtimeError(`${field}Path ${path} does not point to a number`);
  return value;
}

async function readItems(state: Record<string, unknown>, input: Json, store: ObjectStore | undefined) {
  const reader = state.ItemReader;
  if (!isObject(reader)) {
    const items = readReferencePath(typeof state.ItemsPath === 'string' ? state.ItemsPath : '$', input);
    if (!Array.isArray(items)) {
      throw runtimeError('Input of Map state must be an array or ItemsPath property must point to an array');
    }
    return items as Json[];
  }
  if (reader.Resource !== 'arn:aws:states:::s3:getObject') {
    throw taskError(
      'States.ItemReaderFailed',
      `ItemReader Resource ${String(reader.Resource)} is not supported locally`,
    );
  }
  const parameters = evaluate(reader.Parameters ?? {}, input, null);
  const bucket = isObject(parameters) ? parameters.Bucket : undefined;
  const key = isObject(parameters) ? parameters.Key : undefined;
  if (typeof bucket !== 'string' || typeof key !== 'string') {
    throw taskError('States.ItemReaderFailed', 'ItemReader Parameters need Bucket and Key');
  }
  if (!store) throw taskError('States.ItemReaderFailed', 'no local S3 store is configured for ItemReader');
  const config = isObject(reader.ReaderConfig) ? reader.ReaderConfig : {};
  let items: Json[];
  try {
    const text = await store.get(bucket, key);
    switch (config.InputType) {
      case 'CSV': {
        const given = config.CSVHeaderLocation === 'GIVEN';
        if (!given && config.CSVHeaderLocation !== 'FIRST_ROW') {
          throw new Error('CSVHeaderLocation must be FIRST_ROW or GIVEN');
        }
        const headers = given ? config.CSVHeaders : true;
        if (given && !(Array.isArray(headers) && headers.every((h) => typeof h === 'string'))) {
          throw new Error('CSVHeaders must list the column names');
        }
        // Every value is a string, as AWS hands CSV fields over.
        items = parseCsv(text, { columns: headers as string[] | true, skip_empty_lines: true, bom: true });
        break;
      }
      case 'JSONL':
        items = text
          .split(/\r?\n/)
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as Json);
        break;
      case 'JSON':
      case undefined: {
        const parsed = JSON.parse(text) as Json;
        if (!Array.isArray(parsed)) throw new Error('the object does not hold a JSON array');
        items = parsed;
        break;
      }
      default:
        throw new Error(`InputType ${String(config.InputType)} is not supported locally`);
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'States.ItemReaderFailed') throw error;
    throw taskError(
      'States.ItemReaderFailed',
      `cannot read items from s3://${bucket}/${key}: ${String(error)}`,
    );
  }
  const maxItems = typeof config.MaxItems === 'number' ? config.MaxItems : undefined;
  return maxItems !== undefined && maxItems > 0 ? items.slice(0, maxItems) : items;
}

/** Groups selected items into child inputs: one per item, or { BatchInput, Items } per batch. */
function batches(
  state: Record<string, unknown>,
  items: readonly Json[],
  input: Json,
): { input: Json; size: number }[] {
  const batcher = state.ItemBatcher;
  if (!isObject(batcher)) return items.map((item) => ({ input: item, size: 1 }));
  const maxItems = positiveNumber(batcher, 'MaxItemsPerBatch', input);
  const maxBytes = Math.min(
    positiveNumber(batcher, 'MaxInputBytesPerBatch', input) ?? maxBatchBytes,
    maxBatchBytes,
  );
  const batchInput = batcher.BatchInput === undefined ? undefined : evaluate(batcher.BatchInput, input, null);
  const wrap = (group: Json[]): Json =>
    batchInput === undefined ? { Items: group } : { BatchInput: batchInput, Items: group };
  const out: { input: Json; size: number }[] = [];
  let group: Json[] = [];
  for (const item of items) {
    const next = [...group, item];
    const tooMany = maxItems !== undefined && maxItems > 0 && next.length > maxItems;
    const tooBig = Buffer.byteLength(JSON.stringify(wrap(next))) > maxBytes;
    if (group.length > 0 && (tooMany || tooBig)) {
      out.push({ input: wrap(group), size: group.length });
      group = [item];
    } else {
      group = next;
    }
  }
  if (group.length > 0) out.push({ input: wrap(group), size: group.length });
  return out;
}

interface ChildRecord {
  readonly index: number;
  readonly input: Json;
  readonly size: number;
  readonly name: string;
  readonly startDate: Date;
  stopDate?: Date;
  outcome?: ChildOutcome;
}

const failed = (outcome: ChildOutcome | undefined): boolean =>
  outcome !== undefined && outcome.status !== 'SUCCEEDED';

/** Runs the Map Run; resolves to the Map state's result, rejects with the error the state fails with. */
export async function runDistributedMap(
  state: Record<string, unknown>,
  input: Json,
  run: MapRun,
): Promise<Json> {
  const items = await readItems(state, input, run.store);
  const selected = items.map((value, index) =>
    state.ItemSelector === undefined
      ? value
      : evaluate(state.ItemSelector, input, { Map: { Item: { Index: index, Value: value } } }),
  );
  const children = batches(state, selected, input);
  const toleratedCount = positiveNumber(state, 'ToleratedFailureCount', input);
  const toleratedPercentage = positiveNumber(state, 'ToleratedFailurePercentage', input);
  if (toleratedPercentage !== undefined && toleratedPercentage > 100) {
    throw runtimeError('ToleratedFailurePercentage must be between 0 and 100');
  }
  const concurrency = positiveNumber(state, 'MaxConcurrency', input) || defaultMaxConcurrency;

  let failedItems = 0;
  const exceeded = (): boolean => {
    if (failedItems === 0) return false;
    if (toleratedCount === undefined && toleratedPercentage === undefined) return true;
    if (toleratedCount !== undefined && failedItems > toleratedCount) return true;
    return toleratedPercentage !== undefined && (failedItems / items.length) * 100 > toleratedPercentage;
  };

  const records: ChildRecord[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    // Once the threshold is passed no new child starts; running ones finish.
    while (next < children.length && !exceeded()) {
      const index = next++;
      const child = children[index];
      if (!child) return;
      const record: ChildRecord = {
        index,
        input: child.input,
        size: child.size,
        name: randomUUID(),
        startDate: new Date(),
      };
      records.push(record);
      let outcome: ChildOutcome;
      try {
        outcome = await run.runChild(child.input);
      } catch (error) {
        outcome = {
          status: 'FAILED',
          error: error instanceof Error ? error.name : 'States.Runtime',
          cause: error instanceof Error ? error.message : String(error),
        };
      }
      record.outcome = outcome;
      record.stopDate = new Date();
      if (failed(outcome)) failedItems += child.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, children.length) }, () => worker()));
  records.sort((a, b) => a.index - b.index);

  const thresholdExceeded = exceeded();
  const result = isObject(state.ResultWriter)
    ? await writeResults(state.ResultWriter, input, run, records)
    : records.map((r) => (r.outcome?.status === 'SUCCEEDED' ? (r.outcome.output ?? null) : null));
  if (thresholdExceeded) {
    throw taskError(
      'States.ExceedToleratedFailureThreshold',
      `The specified tolerated failure threshold was exceeded: ${failedItems} of ${items.length} items failed`,
    );
  }
  return result;
}

function executionResult(run: MapRun, record: ChildRecord): JsonObject {
  const outcome = record.outcome ?? { status: 'ABORTED' };
  const executionArn = `${run.mapRunArn.replace(':mapRun:', ':execution:')}:${record.name}`;
  const result: JsonObject = {
    ExecutionArn: executionArn,
    Input: JSON.stringify(record.input),
    InputDetails: { Included: true },
    Name: record.name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    StartDate: record.startDate.toISOString(),
    StateMachineArn: run.stateMachineArn,
    Status: outcome.status,
    StopDate: (record.stopDate ?? new Date()).toISOString(),
  };
  if (outcome.status === 'SUCCEEDED') {
    result.Output = JSON.stringify(outcome.output ?? null);
    result.OutputDetails = { Included: true };
  }
  if (outcome.error !== undefined) result.Error = outcome.error;
  if (outcome.cause !== undefined) result.Cause = outcome.cause;
  return result;
}

async function writeResults(
  writer: Record<string, unknown>,
  input: Json,
  run: MapRun,
  records: readonly ChildRecord[],
): Promise<Json> {
  if (writer.Resource !== 'arn:aws:states:::s3:putObject') {
    throw taskError(
      'States.ResultWriterFailed',
      `ResultWriter Resource ${String(writer.Resource)} is not supported locally`,
    );
  }
  const parameters = evaluate(writer.Parameters ?? {}, input, null);
  const bucket = isObject(parameters) ? parameters.Bucket : undefined;
  const prefix = isObject(parameters) && typeof parameters.Prefix === 'string' ? parameters.Prefix : '';
  if (typeof bucket !== 'string')
    throw taskError('States.ResultWriterFailed', 'ResultWriter Parameters need Bucket');
  if (!run.store)
    throw taskError('States.ResultWriterFailed', 'no local S3 store is configured for ResultWriter');
  const mapRunId = run.mapRunArn.slice(run.mapRunArn.lastIndexOf(':') + 1);
  const base = `${prefix === '' ? '' : `${prefix.replace(/\/+$/, '')}/`}${mapRunId}`;
  const files: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', JsonObject[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  try {
    for (const status of ['SUCCEEDED', 'FAILED'] as const) {
      const chosen = records.filter((r) => (status === 'SUCCEEDED') === (r.outcome?.status === 'SUCCEEDED'));
      if (chosen.length === 0) continue;
      const key = `${base}/${status}_0.json`;
      const body = JSON.stringify(chosen.map((r) => executionResult(run, r)));
      await run.store.put(bucket, key, body);
      files[status].push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const manifestKey = `${base}/manifest.json`;
    await run.store.put(
      bucket,
      manifestKey,
      JSON.stringify({ DestinationBucket: bucket, MapRunArn: run.mapRunArn, ResultFiles: files }),
    );
    return { MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
  } catch (error) {
    throw taskError(
      'States.ResultWriterFailed',
      `cannot write results to s3://${bucket}/${base}: ${String(error)}`,
    );
  }
}

/** The Resource of the Task that stands in for a Distributed Map in the definition the library runs. */
const standInResource = 'arn:aws:states:::local:distributedMap';
/** Fields a Map and a Task share, which the library then applies around our handler as AWS does. */
const sharedFields = [
  'Comment',
  'InputPath',
  'OutputPath',
  'ResultPath',
  'ResultSelector',
  'Retry',
  'Catch',
  'Next',
  'End',
];

/**
 * Replaces every Distributed Map in a (runtime) definition with a Task the library hands to a
 * local handler, and returns the Map states by name (their ItemProcessor already adjusted like the
 * rest of the definition). Inline Maps stay with the library.
 */
export function extractDistributedMaps(
  definition: Record<string, unknown>,
  taskTimeoutSeconds: number,
): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  const visit = (machine: unknown): void => {
    if (!isObject(machine) || !isObject(machine.States)) return;
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state)) continue;
      if (isDistributedMap(state)) {
        visit(state.ItemProcessor);
        found.set(name, state);
        const task: Record<string, unknown> = {
          Type: 'Task',
          Resource: standInResource,
          TimeoutSeconds: taskTimeoutSeconds,
        };
        for (const field of sharedFields) if (state[field] !== undefined) task[field] = state[field];
        machine.States[name] = task;
        continue;
      }
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return found;
}
