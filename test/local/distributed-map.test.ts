// Distributed Map in the local Step Functions service, against AWS's documented behaviour: items
// from the input or from the local S3 store (CSV with a header row, JSONL), ItemSelector,
// ItemBatcher with BatchInput, MaxConcurrency, tolerated failures, and ResultWriter's manifest.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3LocalCredentials, startS3Local, type S3Local } from '#cli/local/s3-local.ts';
import {
  createLocalStepFunctions,
  type LambdaInvoker,
  type LocalStepFunctions,
} from '#cli/local/step-functions.ts';
import { s3ObjectStore } from '#cli/local/step-functions/distributed-map-s3.ts';

const account = '123456789012';
const MAIN = `arn:aws:states:ap-east-1:${account}:stateMachine:main`;
const fnArn = (name: string): string => `arn:aws:lambda:ap-east-1:${account}:function:${name}`;
const bucket = 'receipts';

let dataDir = '';
let s3: S3Local;
let client: S3Client;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'distributed-map-'));
  s3 = await startS3Local({ port: 0, dataDir, bucket, region: 'us-east-1' });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
});
afterAll(async () => {
  client.destroy();
  await s3.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const services: LocalStepFunctions[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
});

/** A machine whose only state is `map` (a Distributed Map whose processor invokes `fn`). */
function machine(
  map: Record<string, unknown>,
  invokeLambda: LambdaInvoker,
  otherStates: Record<string, unknown> = {},
): LocalStepFunctions {
  const definition = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: {
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: fnArn('work'), 'Payload.$': '$' },
              ResultSelector: { 'value.$': '$.Payload' },
              OutputPath: '$.value',
              End: true,
            },
          },
        },
        End: true,
        ...map,
      },
      ...otherStates,
    },
  };
  const service = createLocalStepFunctions({
    definitions: { [MAIN]: JSON.stringify(definition) },
    invokeLambda,
    retryIntervalScale: 0.001,
    objectStore: s3ObjectStore(client),
  });
  services.push(service);
  return service;
}

async function run(service: LocalStepFunctions, input: unknown) {
  const { executionArn } = service.startExecution({ stateMachineArn: MAIN, input: JSON.stringify(input) });
  return service.waitForExecution(executionArn);
}

async function put(key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function getJson(key: string): Promise<unknown> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await response.Body?.transformToString('utf8')) ?? 'null');
}

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

describe('Distributed Map', () => {
  it('runs a child per item of ItemsPath, shaped by ItemSelector, and returns outputs in item order', async () => {
    const seen: unknown[] = [];
    const service = machine(
      {
        ItemsPath: '$.claims',
        ItemSelector: {
          'claim.$': '$$.Map.Item.Value',
          'index.$': '$$.Map.Item.Index',
          'region.$': '$.region',
        },
      },
      async (_fn, payload) => {
        seen.push(payload);
        const { claim, index } = payload as { claim: { id: string }; index: number };
        // Later items finish first: the output still follows item order.
        await new Promise((resolve) => setTimeout(resolve, (3 - index) * 10));
        return `${claim.id}@${index}`;
      },
    );
    const done = await run(service, { region: 'demo', claims: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual(['a@0', 'b@1', 'c@2']);
    expect(seen).toContainEqual({ claim: { id: 'b' }, index: 1, region: 'demo' });
  });

  it('batches items with BatchInput, at most MaxConcurrency children at once', async () => {
    let running = 0;
    let most = 0;
    const batches: unknown[] = [];
    const service = machine(
      {
        ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run.$': '$.run', fixed: 1 } },
        ItemsPath: '$.items',
        MaxConcurrency: 2,
      },
      async (_fn, payload) => {
        running++;
        most = Math.max(most, running);
        batches.push(payload);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return (payload as { Items: number[] }).Items.reduce((a, b) => a + b, 0);
      },
    );
    const done = await run(service, { run: 'r1', items: [1, 2, 3, 4, 5, 6, 7] });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual([3, 7, 11, 7]);
    expect(batches).toContainEqual({ BatchInput: { run: 'r1', fixed: 1 }, Items: [7] });
    expect(most).toBe(2);
  });

  it('reads a CSV with a header row from the local S3 store and writes results with ResultWriter', async () => {
    await put('jobs/claims.csv', 'claimId,amount\nCLM-1,"1,200"\nCLM-2,300\n');
    const service = machine(
      {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
          Parameters: { Bucket: bucket, 'Key.$': '$.key' },
        },
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Parameters: { Bucket: bucket, Prefix: 'results' },
        },
        Label: 'Claims',
      },
      async (_fn, payload) => ({ got: payload }),
    );
    const done = await run(service, { key: 'jobs/claims.csv' });
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output ?? 'null') as {
      MapRunArn: string;
      ResultWriterDetails: { Bucket: string; Key: string };
    };
    expect(output.MapRunArn).toMatch(
      /^arn:aws:states:ap-east-1:123456789012:mapRun:main\/Claims:[0-9a-f-]{36}$/,
    );
    const id = output.MapRunArn.split(':').pop();
    expect(output.ResultWriterDetails).toEqual({ Bucket: bucket, Key: `results/${id}/manifest.json` });
    const manifest = (await getJson(output.ResultWriterDetails.Key)) as {
      DestinationBucket: string;
      MapRunArn: string;
      ResultFiles: Record<string, { Key: string; Size: number }[]>;
    };
    expect(manifest.DestinationBucket).toBe(bucket);
    expect(manifest.MapRunArn).toBe(output.MapRunArn);
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    expect(manifest.ResultFiles.PENDING).toEqual([]);
    expect(manifest.ResultFiles.SUCCEEDED?.map((f) => f.Key)).toEqual([`results/${id}/SUCCEEDED_0.json`]);
    const results = (await getJson(`results/${id}/SUCCEEDED_0.json`)) as Record<string, unknown>[];
    // CSV fields arrive as strings, keyed by the header row.
    expect(results.map((r) => JSON.parse(String(r.Output)))).toEqual([
      { got: { claimId: 'CLM-1', amount: '1,200' } },
      { got: { claimId: 'CLM-2', amount: '300' } },
    ]);
    expect(results[0]).toMatchObject({
      Status: 'SUCCEEDED',
      Input: JSON.stringify({ claimId: 'CLM-1', amount: '1,200' }),
      StateMachineArn: MAIN,
    });
  });

  it('tolerates failures up to ToleratedFailureCount, then fails with a catchable States.ExceedToleratedFailureThreshold', async () => {
    await put('jobs/items.jsonl', '{"n":1}\n{"n":2}\n\n{"n":3}\n{"n":4}\n');
    const reader = {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL' },
      Parameters: { Bucket: bucket, Key: 'jobs/items.jsonl' },
    };
    const failOdd: LambdaInvoker = async (_fn, payload) => {
      const { n } = payload as { n: number };
      if (n % 2 === 1) throw new NamedError('Odd', `item ${n}`);
      return n;
    };
    const tolerant = await run(machine({ ItemReader: reader, ToleratedFailureCount: 2 }, failOdd), {});
    expect(tolerant.status).toBe('SUCCEEDED');
    expect(JSON.parse(tolerant.output ?? 'null')).toEqual([null, 2, null, 4]);

    // Failed children go to FAILED_0.json with their Error and Cause.
    const written = await run(
      machine(
        {
          ItemReader: reader,
          ToleratedFailurePercentage: 50,
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: bucket } },
        },
        failOdd,
      ),
      {},
    );
    const details = (JSON.parse(written.output ?? 'null') as { ResultWriterDetails: { Key: string } })
      .ResultWriterDetails;
    const manifest = (await getJson(details.Key)) as { ResultFiles: Record<string, { Key: string }[]> };
    const failedKey = manifest.ResultFiles.FAILED?.[0]?.Key ?? '';
    expect(failedKey).toBe(details.Key.replace('manifest.json', 'FAILED_0.json'));
    const failures = (await getJson(failedKey)) as Record<string, unknown>[];
    expect(failures.map((f) => [f.Status, f.Error, f.Input])).toEqual([
      ['FAILED', 'Odd', '{"n":1}'],
      ['FAILED', 'Odd', '{"n":3}'],
    ]);
    expect(String(failures[0]?.Cause)).toContain('item 1');

    const halfOk = await run(machine({ ItemReader: reader, ToleratedFailurePercentage: 50 }, failOdd), {});
    expect(halfOk.status).toBe('SUCCEEDED');

    const strict = await run(machine({ ItemReader: reader, ToleratedFailureCount: 1 }, failOdd), {});
    expect(strict).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });

    // No threshold: one failed item fails the Map Run; Catch sees the error like any other.
    const caught = await run(
      machine(
        {
          ItemReader: reader,
          Catch: [
            {
              ErrorEquals: ['States.ExceedToleratedFailureThreshold'],
              ResultPath: '$.error',
              Next: 'Caught',
            },
          ],
        },
        failOdd,
        { Caught: { Type: 'Pass', End: true } },
      ),
      { keep: true },
    );
    expect(caught.status).toBe('SUCCEEDED');
    expect(JSON.parse(caught.output ?? 'null')).toMatchObject({
      keep: true,
      error: { Error: 'States.ExceedToleratedFailureThreshold' },
    });
  });

  it('fails with States.ItemReaderFailed when the object is missing', async () => {
    const done = await run(
      machine(
        {
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSONL' },
            Parameters: { Bucket: bucket, Key: 'jobs/absent.jsonl' },
          },
        },
        async () => null,
      ),
      {},
    );
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed' });
  });
});
