import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  apiRoutes,
  envNames,
  eventHandlers,
  functionTimeoutSeconds,
  scheduledHandlers,
  workflowHandlers,
  type ApiHandlerName,
  type EventHandlerName,
  type ScheduledHandlerName,
  type WorkflowHandlerName,
} from '#functions/catalog.ts';
import { feedJobKinds } from '#shared/bulk-job.ts';
import { handlerAccess, type HandlerName } from '#infra/handler-access.ts';
import { ClaimsFunction } from '#infra/constructs/claims-function.ts';
import type { DataTables } from '#infra/constructs/data-tables.ts';
import type { ReceiptsBucket } from '#infra/constructs/receipts-bucket.ts';

export interface HandlerFunctionsProps {
  readonly entryFor: (handler: HandlerName) => string;
  readonly tables: DataTables;
  readonly receipts: ReceiptsBucket;
  readonly logKey: IKey;
  /** ARN of review-claim, built from its name (see workflows.ts). */
  readonly reviewStateMachineArn: string;
  readonly assessStateMachineArn: string;
  readonly exportStateMachineArn: string;
  readonly webOrigin: string;
  readonly regionCode: string;
  readonly logLevel: string;
}

/** `validate-claim` -> `ValidateClaim`, for construct ids. */
export const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

function mapValues<K extends string, A, B>(record: Readonly<Record<K, A>>, f: (a: A) => B): Record<K, B> {
  return Object.fromEntries(Object.entries<A>(record).map(([k, v]) => [k, f(v)])) as Record<K, B>;
}

/** One Lambda per catalog entry (workflow handlers and API routes), each with only its own grants. */
export class HandlerFunctions extends Construct {
  readonly workflow: Readonly<Record<WorkflowHandlerName, ClaimsFunction>>;
  readonly api: Readonly<Record<ApiHandlerName, ClaimsFunction>>;
  readonly scheduled: Readonly<Record<ScheduledHandlerName, ClaimsFunction>>;
  readonly events: Readonly<Record<EventHandlerName, ClaimsFunction>>;
  /** Every function, keyed by handler name. */
  readonly all: ReadonlyMap<HandlerName, ClaimsFunction>;
  readonly workflowFunctions: Readonly<Record<WorkflowHandlerName, IFunction>>;
  readonly scheduledFunctions: Readonly<Record<ScheduledHandlerName, IFunction>>;
  readonly eventFunctions: Readonly<Record<EventHandlerName, IFunction>>;
  readonly apiFunctions: Readonly<Record<ApiHandlerName, IFunction>>;

  constructor(scope: Construct, id: string, props: HandlerFunctionsProps) {
    super(scope, id);
    // Every name in catalog.envNames must get a value: adding one there fails this until it does.
    const catalogEnv: Record<keyof typeof envNames, string> = {
      claimsTable: props.tables.claims.tableName,
      receiptsBucket: props.receipts.bucket.bucketName,
      reviewStateMachineArn: props.reviewStateMachineArn,
      assessStateMachineArn: props.assessStateMachineArn,
      exportStateMachineArn: props.exportStateMachineArn,
      webOrigin: props.webOrigin,
    };
    const environment: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(envNames).map(([key, name]) => [name, catalogEnv[key as keyof typeof envNames]]),
      ),
      // The default policy region for this deployment.
      REGION_CODE: props.regionCode,
    };

    const all = new Map<HandlerName, ClaimsFunction>();
    const make = (name: HandlerName, memorySize: number, timeout: Duration): ClaimsFunction => {
      const fn = new ClaimsFunction(this, pascalCase(name), {
        handler: name,
        entry: props.entryFor(name),
        environment,
        logKey: props.logKey,
        logLevel: props.logLevel,
        memorySize,
        timeout,
        // sharp is native: installed into the bundle for linux-arm64, not bundled by esbuild.
        ...(name === 'check-duplicates' ? { nativeModules: ['sharp'] } : {}),
      });
      this.grant(name, fn, props);
      all.set(name, fn);
      return fn;
    };

    // Workflow steps read receipts and retry on their own; a minute is ample.
    // write-export reads a whole ledger into one file: a full vCPU and Lambda's longest run.
    this.workflow = Object.fromEntries(
      workflowHandlers.map((name) => [
        name,
        name === 'write-export'
          ? make(name, 1769, Duration.seconds(functionTimeoutSeconds(name)))
          : make(name, 512, Duration.seconds(functionTimeoutSeconds(name))),
      ]),
    ) as Record<WorkflowHandlerName, ClaimsFunction>;
    // API Gateway gives up after 30 s; heavy routes (the ledger export) get a full vCPU and all of it.
    this.api = Object.fromEntries(
      apiRoutes.map((route) => {
        const heavy = 'heavy' in route && route.heavy === true;
        return [
          route.handler,
          heavy
            ? make(route.handler, 1769, Duration.seconds(functionTimeoutSeconds(route.handler)))
            : make(route.handler, 512, Duration.seconds(functionTimeoutSeconds(route.handler))),
        ];
      }),
    ) as Record<ApiHandlerName, ClaimsFunction>;
    // The sweeper pages through quiet claims and starts runs; five minutes covers a backlog.
    this.scheduled = Object.fromEntries(
      scheduledHandlers.map((s) => [
        s.handler,
        make(s.handler, 512, Duration.seconds(functionTimeoutSeconds(s.handler))),
      ]),
    ) as Record<ScheduledHandlerName, ClaimsFunction>;
    // One upload each: a read, maybe a hash of the file, one write.
    this.events = Object.fromEntries(
      eventHandlers.map((e) => [
        e.handler,
        make(e.handler, 512, Duration.seconds(functionTimeoutSeconds(e.handler))),
      ]),
    ) as Record<EventHandlerName, ClaimsFunction>;
    this.all = all;
    this.workflowFunctions = mapValues(this.workflow, (f) => f.fn);
    this.scheduledFunctions = mapValues(this.scheduled, (f) => f.fn);
    this.eventFunctions = mapValues(this.events, (f) => f.fn);
    this.apiFunctions = mapValues(this.api, (f) => f.fn);
  }

  private grant(name: HandlerName, fn: ClaimsFunction, props: HandlerFunctionsProps): void {
    const access = handlerAccess(name);
    props.tables.grantClaims(fn.role, access.claimsTable);
    if (access.receipts !== 'none') {
      if (access.receipts === 'upload') props.receipts.grantUploadReceipts(fn.role);
      else props.receipts.grantReadReceipts(fn.role, { list: access.receipts === 'read' });
      Validations.of(fn.role).acknowledge({
        id: props.receipts.claimsObjectsFinding,
        reason:
          'Receipts are one object per file under claims/<claimId>/; the grant is limited to that prefix.',
      });
    }
    if (access.exports) {
      props.receipts.grantWriteExports(fn.role);
      Validations.of(fn.role).acknowledge({
        id: props.receipts.exportsObjectsFinding,
        reason:
          'Each export is one new object under exports/<date>/<id>/; the grant is limited to that prefix.',
      });
    }
    if (access.imports !== 'none') {
      props.receipts.grantImports(fn.role, access.imports);
      for (const prefix of access.imports === 'work' ? ['imports/', 'import-work/'] : ['imports/'])
        Validations.of(fn.role).acknowledge({
          id: props.receipts.importsObjectsFinding(prefix),
          reason:
            'Bulk files are one object per job under imports/<kind>/<jobId>/; the grant is limited to that prefix.',
        });
      if (access.imports === 'work')
        for (const prefix of feedJobKinds.flatMap((kind) => [`imports/${kind}/`, `import-work/${kind}/`]))
          Validations.of(fn.role).acknowledge({
            id: props.receipts.importsObjectsFinding(prefix),
            reason:
              'A department feed file and its chunks are removed once stored (they name people on no household); deletes are limited to the feed prefixes.',
          });
    }
    if (access.startWorkflows) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [props.assessStateMachineArn, props.reviewStateMachineArn],
        }),
      );
    }
    if (access.startReview) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.reviewStateMachineArn] }),
      );
    }
    if (access.startAssess) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.assessStateMachineArn] }),
      );
    }
    if (access.startExport) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.exportStateMachineArn] }),
      );
    }
    if (access.reviewTaskResponse) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [props.reviewStateMachineArn],
        }),
      );
    }
  }
}
