// Builds the app the way `cdk synth` does (cdk-nag included) without bundling, so a synth takes
// seconds. Handler files that don't exist yet are stood in for by empty stubs in a temp dir;
// `missingEntries` names them, and a test fails while any are missing.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { apiRoutes, eventHandlers, scheduledHandlers, workflowHandlers } from '#functions/catalog.ts';
import { createClaimsApp } from '#infra/claims-app.ts';
import { defaultHandlerEntry } from '#infra/constructs/claims-function.ts';
import type { HandlerName } from '#infra/handler-access.ts';

export const handlerNames: readonly HandlerName[] = [
  ...workflowHandlers,
  ...apiRoutes.map((r) => r.handler),
  ...scheduledHandlers.map((s) => s.handler),
  ...eventHandlers.map((e) => e.handler),
];

export const missingEntries = handlerNames.filter((name) => !existsSync(defaultHandlerEntry(name)));

let stubDir: string | undefined;
function entryFor(name: HandlerName): string {
  const real = defaultHandlerEntry(name);
  if (existsSync(real)) return real;
  stubDir ??= mkdtempSync(join(tmpdir(), 'claims-handler-stubs-'));
  const stub = join(stubDir, `${name}.ts`);
  writeFileSync(stub, 'export const handler = async () => ({});\n');
  return stub;
}

/** cdk.json's context, so the tests synthesize with the same feature flags as `cdk synth`. */
const cdkJsonContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  }
).context;

export function synthClaimsApp() {
  const { app, stack } = createClaimsApp({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] },
    handlerEntry: entryFor,
  });
  const template = Template.fromStack(stack);
  return { app, stack, template };
}
