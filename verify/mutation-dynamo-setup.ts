// Vitest global setup for mutation testing: one DynamoDB Local per test-runner process, shared by
// every mutant's run (a JVM start per mutant would cost more than the mutants themselves).
import type { TestProject } from 'vitest/node';
import { startLocalDynamo, type LocalDynamo } from '#verify/lib/dynamo.ts';

let dynamo: LocalDynamo | undefined;

export async function setup(project: TestProject) {
  dynamo = await startLocalDynamo();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown() {
  await dynamo?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
