// A local Step Functions service: runs the deployed ASL with aws-local-stepfunctions and adds what
// that library leaves out (service integrations, task tokens, execution names, the JSON API), so
// the same workflows and the same SDK calls work without AWS. The pieces, each saying what AWS
// behaviour it reproduces and what it leaves out, live in ./step-functions/:
// - definitions.ts   ASL validation and the adjustments that make the library run it as AWS does
// - integrations.ts  Task resources (Lambda, nested executions) and the results AWS returns
// - task-tokens.ts   .waitForTaskToken, SendTaskSuccess/Failure/Heartbeat, heartbeats
// - executions.ts    execution records, names, and the state file that outlives a restart
// - service.ts       the service itself; api-server.ts its AWS JSON 1.0 endpoint
export {
  StepFunctionsError,
  type ExecutionDescription,
  type ExecutionEvent,
  type ExecutionStatus,
  type LambdaInvoker,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type StartExecutionInput,
  type StartExecutionOutput,
  type StateMachineSpec,
  type WorkflowType,
} from '#cli/local/step-functions/model.ts';
export { createLocalStepFunctions } from '#cli/local/step-functions/service.ts';
export { serveStepFunctionsApi, type StepFunctionsApi } from '#cli/local/step-functions/api-server.ts';
