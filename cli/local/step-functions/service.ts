// The service behind the local Step Functions API: starts executions of the given machines on
// aws-local-stepfunctions, runs their Task states through the integrations Step Functions offers
// (Lambda, nested executions, task tokens), and keeps executions as AWS does (unique STANDARD
// names, idempotent StartExecution, StopExecution, describe after the end); Wait states and
// task-token timeouts run on its clock (the local clock). Left out: state machine management,
// execution history, activities, redrive, EXPRESS synchronous starts.
import { randomUUID } from 'node:crypto';
import type { StateMachine } from 'aws-local-stepfunctions';
import {
  awsDefaultTaskTimeoutSeconds,
  compile,
  executionArnPattern,
  isObject,
  isValidExecutionName,
  processorMachine,
  resumedMachine,
  secondsFrom,
  stateMachineArnPattern,
  type CompiledMachine,
  type TaskStateDefinition,
} from '#cli/local/step-functions/definitions.ts';
import {
  describe,
  failureOf,
  keepFinishedExpress,
  newRecord,
  StateFile,
  type ExecutionRecord,
} from '#cli/local/step-functions/executions.ts';
import {
  childOutput,
  lambdaFailure,
  lambdaInvokeOutput,
  parseResource,
  type Integration,
} from '#cli/local/step-functions/integrations.ts';
import { runDistributedMap, type ChildOutcome } from '#cli/local/step-functions/distributed-map.ts';
import {
  jsonClone,
  parseJsonText,
  StepFunctionsError,
  taskError,
  type ExecutionDescription,
  type ExecutionStatus,
  type Json,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type StartExecutionInput,
  type StartExecutionOutput,
} from '#cli/local/step-functions/model.ts';
import { TaskTokens } from '#cli/local/step-functions/task-tokens.ts';
import { waitDue, type WaitStateDefinition } from '#cli/local/step-functions/clock-waits.ts';
import { LocalClock, type AlarmClock } from '#cli/local/local-clock.ts';

class Service implements LocalStepFunctions {
  private readonly machines = new Map<string, CompiledMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly clock: AlarmClock;
  private readonly taskTokens: TaskTokens;
  private readonly stateFile: StateFile;
  private closed = false;
  /** Finished EXPRESS executions, oldest first. */
  private readonly finishedExpress = new Set<ExecutionRecord>();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const scale = options.retryIntervalScale ?? 1;
    if (!(scale > 0)) throw new Error('retryIntervalScale must be a positive number');
    this.clock = options.clock ?? LocalClock.inMemory();
    this.taskTokens = new TaskTokens(this.clock);
    for (const [arn, spec] of Object.entries(options.definitions)) {
      this.machines.set(arn, compile(arn, spec, scale));
    }
    this.stateFile = new StateFile(options.stateFile, (line) => this.log(line));
    this.load();
  }

  private log(line: string): void {
    this.options.onLog?.(line);
  }

  private load(): void {
    const saved = this.stateFile.read();
    const toResume: [ExecutionRecord, Json][] = [];
    for (const entry of saved) {
      const machine = this.machines.get(entry.stateMachineArn);
      if (!machine) continue;
      const record = newRecord({
        executionArn: entry.executionArn,
        machine,
        name: entry.name,
        input: entry.input,
        startDate: new Date(entry.startDate),
      });
      this.executions.set(record.executionArn, record);
      this.stateFile.records.add(record);
      if (entry.status !== 'RUNNING') {
        record.status = entry.status;
        if (entry.stopDate) record.stopDate = new Date(entry.stopDate);
        if (entry.output !== undefined) record.output = entry.output;
        if (entry.error !== undefined) record.error = entry.error;
        if (entry.cause !== undefined) record.cause = entry.cause;
        record.markDone();
        continue;
      }
      if (entry.resume && machine.topLevelStates.has(entry.resume.state)) {
        record.resume = entry.resume;
        // The state it re-enters keeps the instant it was due at (a Wait's end, a token's timeout).
        if (entry.due?.state === entry.resume.state) record.resumedDue = entry.due;
      }
      toResume.push([record, JSON.parse(entry.input) as Json]);
    }
    for (const [record, input] of toResume) {
      this.log(`step functions: resuming ${record.executionArn} at ${record.resume?.state ?? 'the start'}`);
      this.run(record, input);
    }
  }

  startExecution(request: StartExecutionInput): StartExecutionOutput {
    if (this.closed)
      throw new StepFunctionsError('ServiceUnavailable', 'The local Step Functions service is closed');
    if (!stateMachineArnPattern.test(request.stateMachineArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${request.stateMachineArn}'`);
    }
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine) {
      throw new StepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    }
    const name = request.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = request.input ?? '{}';
    const input = parseJsonText(inputText, 'InvalidExecutionInput', 'execution input');
    const base = `arn:${machine.partition}:states:${machine.region}:${machine.account}`;
    const executionArn =
      machine.type === 'EXPRESS'
        ? `${base}:express:${machine.name}:${name}:${randomUUID()}`
        : `${base}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // STANDARD StartExecution is idempotent for a running execution with the same input.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = newRecord({ executionArn, machine, name, input: inputText, startDate: new Date() });
    this.executions.set(executionArn, record);
    this.stateFile.records.add(record);
    this.run(record, input);
    this.stateFile.schedule();
    return { executionArn, startDate: record.startDate };
  }

  private run(record: ExecutionRecord, input: Json): void {
    const { machine } = record;
    const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
    for (const [stateName, state] of machine.tasks)
      handlers[stateName] = (taskInput) => this.runTask(record, stateName, state, taskInput);
    for (const [stateName, wait] of machine.waits)
      handlers[stateName] = (waitInput) => this.runWait(record, stateName, wait, waitInput, context);
    for (const [stateName, map] of machine.distributedMaps) {
      handlers[stateName] = (mapInput) => this.runMapRun(record, stateName, map, mapInput, handlers, context);
    }
    const context = {
      Execution: {
        Id: record.executionArn,
        Name: record.name,
        RoleArn: `arn:${machine.partition}:iam::${machine.account}:role/local-step-functions`,
        RedriveCount: 0,
      },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: record.tokenSource.contextObject,
    };
    const runtime = record.resume
      ? resumedMachine(machine, record.resume.state, record.resume.input)
      : machine.runtime;
    const execution = runtime.run(input as Parameters<StateMachine['run']>[0], {
      context: context as unknown as NonNullable<Parameters<StateMachine['run']>[1]>['context'],
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    record.abort = execution.abort;
    const { onEvent, stateFile } = this.options;
    if (onEvent || stateFile) {
      void (async () => {
        for await (const event of execution.eventLogs) {
          if (
            event.type === 'StateEntered' &&
            machine.topLevelStates.has(event.state.name) &&
            record.status === 'RUNNING'
          ) {
            record.resume = { state: event.state.name, input: jsonClone(event.state.input) };
            record.persisted = undefined;
            this.stateFile.schedule();
          }
          try {
            onEvent?.({ executionArn: record.executionArn, event });
          } catch {
            // A failing logger must not break the execution.
          }
        }
      })();
    }
    execution.result.then(
      (output) => this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }),
      (error: unknown) => this.finish(record, ...failureOf(error)),
    );
  }

  /**
   * A Distributed Map (its stand-in Task's handler): each child workflow execution runs the
   * ItemProcessor with this execution's Task handlers and context object.
   */
  private runMapRun(
    record: ExecutionRecord,
    stateName: string,
    map: Record<string, unknown>,
    input: unknown,
    handlers: Record<string, (input: unknown) => Promise<Json>>,
    context: object,
  ): Promise<Json> {
    const { machine } = record;
    const label = typeof map.Label === 'string' ? map.Label : stateName;
    const mapRunArn = `arn:${machine.partition}:states:${machine.region}:${machine.account}:mapRun:${machine.name}/${label}:${randomUUID()}`;
    const processor = processorMachine(map);
    return runDistributedMap(map, jsonClone(input), {
      mapRunArn,
      stateMachineArn: machine.arn,
      ...(this.options.objectStore ? { store: this.options.objectStore } : {}),
      runChild: async (childInput): Promise<ChildOutcome> => {
        if (record.status !== 'RUNNING') return { status: 'ABORTED' };
        const child = processor.run(childInput as Parameters<StateMachine['run']>[0], {
          context: context as NonNullable<Parameters<StateMachine['run']>[1]>['context'],
          overrides: { taskResourceLocalHandlers: handlers as never },
        });
        try {
          return { status: 'SUCCEEDED', output: jsonClone(await child.result) };
        } catch (error) {
          const [status, detail] = failureOf(error);
          return { status: status === 'RUNNING' ? 'FAILED' : status, ...detail };
        }
      },
    });
  }

  private finish(
    record: ExecutionRecord,
    status: ExecutionStatus,
    detail: { output?: string; error?: string; cause?: string },
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = new Date();
    if (detail.output !== undefined) record.output = detail.output;
    if (detail.error !== undefined) record.error = detail.error;
    if (detail.cause !== undefined) record.cause = detail.cause;
    record.persisted = undefined;
    if (record.machine.type === 'EXPRESS') this.retireExpress(record);
    for (const token of [...record.tokens]) this.taskTokens.close(token);
    // Settle what the library still awaits, so its own timers are cleared and its loop ends.
    const aborted = taskError('States.Runtime', 'The execution has ended');
    for (const reject of [...record.inFlight]) reject(aborted);
    record.markDone();
    this.stateFile.schedule();
  }

  private retireExpress(record: ExecutionRecord): void {
    this.stateFile.records.delete(record);
    this.finishedExpress.add(record);
    if (this.finishedExpress.size <= keepFinishedExpress) return;
    const oldest = this.finishedExpress.values().next().value;
    if (oldest === undefined) return;
    this.finishedExpress.delete(oldest);
    this.executions.delete(oldest.executionArn);
  }

  /**
   * When `stateName` falls due: the instant saved before a restart, for the first entry into the
   * state the execution resumed at; otherwise `compute()`. Top-level instants are saved with the
   * execution, so a restart keeps them.
   */
  private dueAt(record: ExecutionRecord, stateName: string, compute: () => Date): Date {
    const saved = record.resumedDue;
    record.resumedDue = undefined;
    const due = saved?.state === stateName ? new Date(saved.at) : compute();
    if (record.machine.topLevelStates.has(stateName)) {
      record.due = { state: stateName, at: due.toISOString() };
      record.persisted = undefined;
      this.stateFile.schedule();
    }
    return due;
  }

  /** A Wait state's stand-in Task: resolves with its input once the clock reaches the due instant. */
  private runWait(
    record: ExecutionRecord,
    stateName: string,
    wait: WaitStateDefinition,
    input: unknown,
    context: { readonly Execution: object },
  ): Promise<Json> {
    if (record.status !== 'RUNNING')
      return Promise.reject(taskError('States.Runtime', 'The execution has ended'));
    let due: Date;
    try {
      const withInput = {
        ...context,
        Execution: {
          ...context.Execution,
          Input: JSON.parse(record.input),
          StartTime: record.startDate.toISOString(),
        },
      };
      due = this.dueAt(record, stateName, () => waitDue(wait, input, this.clock.now(), withInput));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : taskError('States.Runtime', String(error)));
    }
    // StopExecution (and close) settle what is in flight: that cancels the clock wait too.
    const cancel = new AbortController();
    const abort = (error: Error): void => cancel.abort(error);
    record.inFlight.add(abort);
    return this.clock.whenReached(due, cancel.signal).then(
      () => {
        record.inFlight.delete(abort);
        return jsonClone(input);
      },
      (error: unknown) => {
        record.inFlight.delete(abort);
        throw error;
      },
    );
  }

  /** The override for every Task state: dispatches on the Resource like Step Functions does. */
  private runTask(
    record: ExecutionRecord,
    stateName: string,
    state: TaskStateDefinition,
    input: unknown,
  ): Promise<Json> {
    const integration = parseResource(state.Resource);
    // Claim the token synchronously, before anything else can evaluate another Task's Parameters.
    const wantsToken = integration !== undefined && 'wait' in integration && integration.wait === 'token';
    const token = wantsToken ? record.tokenSource.take() : undefined;
    if (!wantsToken) record.tokenSource.discard();
    if (record.status !== 'RUNNING' || !integration) {
      return Promise.reject(taskError('States.Runtime', 'The execution has ended'));
    }
    let rejectTask!: (error: Error) => void;
    const promise = new Promise<Json>((resolve, reject) => {
      rejectTask = reject;
      this.perform(record, stateName, state, integration, input, token).then(resolve, reject);
    });
    record.inFlight.add(rejectTask);
    const forget = (): void => void record.inFlight.delete(rejectTask);
    promise.then(forget, forget);
    return promise;
  }

  private async perform(
    record: ExecutionRecord,
    stateName: string,
    state: TaskStateDefinition,
    integration: Integration,
    input: unknown,
    token: string | undefined,
  ): Promise<Json> {
    if (integration.kind === 'lambda-function') return this.invoke(state.Resource, input);
    const params = isObject(input) ? input : {};
    if (integration.kind === 'lambda-invoke') {
      const functionName = params.FunctionName;
      if (typeof functionName !== 'string' || functionName === '') {
        throw taskError('States.Runtime', 'lambda:invoke needs Parameters.FunctionName');
      }
      const payload = params.Payload ?? {};
      if (integration.wait === 'none') return lambdaInvokeOutput(await this.invoke(functionName, payload));
      return this.waitForTaskToken(record, stateName, state, input, token, () =>
        this.invoke(functionName, payload),
      );
    }
    const start = (): StartExecutionOutput => this.startFromTask(params);
    switch (integration.wait) {
      case 'none': {
        const started = start();
        return { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime() };
      }
      case 'token':
        return this.waitForTaskToken(record, stateName, state, input, token, async () => start());
      case 'sync':
      case 'sync2': {
        const started = start();
        const child = await this.waitForExecution(started.executionArn);
        const output = childOutput(child, integration.wait === 'sync2');
        if (child.status !== 'SUCCEEDED') throw taskError('States.TaskFailed', JSON.stringify(output));
        return output;
      }
    }
  }

  private async invoke(functionName: string, payload: unknown): Promise<Json> {
    let result: unknown;
    try {
      result = await this.options.invokeLambda(functionName, jsonClone(payload));
    } catch (error) {
      throw lambdaFailure(error);
    }
    try {
      return jsonClone(result);
    } catch (error) {
      throw lambdaFailure(error);
    }
  }

  /** states:startExecution from a Task: API errors surface as StepFunctions.<Code>Exception. */
  private startFromTask(params: Record<string, unknown>): StartExecutionOutput {
    const { StateMachineArn: stateMachineArn, Name: name, Input: input } = params;
    try {
      if (typeof stateMachineArn !== 'string')
        throw new StepFunctionsError('InvalidArn', 'StateMachineArn is required');
      if (name !== undefined && typeof name !== 'string')
        throw new StepFunctionsError('InvalidName', 'Name must be a string');
      const inputText =
        input === undefined ? undefined : typeof input === 'string' ? input : JSON.stringify(input);
      return this.startExecution({
        stateMachineArn,
        ...(name !== undefined ? { name } : {}),
        ...(inputText !== undefined ? { input: inputText } : {}),
      });
    } catch (error) {
      if (!(error instanceof StepFunctionsError)) throw error;
      throw taskError(
        `StepFunctions.${error.code}Exception`,
        `${error.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: ${error.code}; Request ID: ${randomUUID()}; Proxy: null)`,
      );
    }
  }

  /**
   * `.waitForTaskToken`, with the Task's TimeoutSeconds(Path) and HeartbeatSeconds(Path), counted
   * on the service's clock from when the task starts.
   */
  private waitForTaskToken(
    record: ExecutionRecord,
    stateName: string,
    state: TaskStateDefinition,
    input: unknown,
    token: string | undefined,
    start: () => Promise<unknown>,
  ): Promise<Json> {
    const timeoutSeconds = secondsFrom(state, input, 'Timeout') ?? awsDefaultTaskTimeoutSeconds;
    const timing = {
      timeoutAt: this.dueAt(
        record,
        stateName,
        () => new Date(this.clock.now().getTime() + timeoutSeconds * 1000),
      ),
      heartbeatSeconds: secondsFrom(state, input, 'Heartbeat'),
    };
    return this.taskTokens.wait(record, token, timing, start);
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    this.taskTokens.sendTaskSuccess(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.taskTokens.sendTaskFailure(taskToken, error, cause);
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.taskTokens.sendTaskHeartbeat(taskToken);
  }

  private record(executionArn: string): ExecutionRecord {
    if (typeof executionArn !== 'string' || !executionArnPattern.test(executionArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    }
    const record = this.executions.get(executionArn);
    if (!record)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** The inputs of a machine's executions still running (resumed after a restart included). */
  runningInputs(stateMachineArn: string): string[] {
    return [...this.executions.values()]
      .filter((r) => r.status === 'RUNNING' && r.machine.arn === stateMachineArn)
      .map((r) => r.input);
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return describe(this.record(executionArn));
  }

  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const record = this.record(executionArn);
    await record.done;
    return describe(record);
  }

  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: Date } {
    const record = this.record(executionArn);
    if (record.status === 'RUNNING') {
      this.finish(record, 'ABORTED', {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
      record.abort?.();
    }
    return { stopDate: record.stopDate ?? new Date() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.stateFile) {
      // Save running executions as running, so the next start resumes them; then stop writing.
      // One turn of the event loop first: the event log reaches us a few microtasks late.
      await new Promise((resolve) => setImmediate(resolve));
      await this.stateFile.close();
    }
    for (const record of this.executions.values()) {
      if (record.status !== 'RUNNING') continue;
      this.finish(record, 'ABORTED', {
        error: 'States.Aborted',
        cause: 'The local Step Functions service was closed',
      });
      record.abort?.();
    }
    // Let the library unwind (its Task timers clear once our rejections reach it).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Validates every definition up front (InvalidDefinition on the first bad one) and returns the service. */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions): LocalStepFunctions {
  return new Service(options);
}
