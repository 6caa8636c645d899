// The one source of each workflow definition. CDK deploys the file text (with
// DefinitionSubstitutions) and the local runtime runs the same text rendered by
// renderDefinition, so the two can't drift. Keep this module free of CDK and AWS SDK imports:
// the local runtime imports it directly.
import { readFileSync } from 'node:fs';

export const workflowNames = ['assess-claim', 'review-claim', 'import-file', 'export-ledger'] as const;
export type WorkflowName = (typeof workflowNames)[number];

const placeholderPattern = /\$\{([A-Za-z0-9_]+)\}/g;

/** The raw ASL text of a workflow, `${Name}` placeholders included. */
export function loadDefinition(name: WorkflowName): string {
  return readFileSync(new URL(`./${name}.asl.json`, import.meta.url), 'utf8');
}

/** The `${Name}` placeholders a definition text uses, sorted and without repeats. */
export function definitionPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(placeholderPattern)].map((m) => m[1] ?? ''))].sort();
}

/** `validate-claim` -> `ValidateClaimFunctionArn`: the placeholder for a workflow handler's ARN. */
export function functionArnPlaceholder(handler: string): string {
  const pascal = handler
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}FunctionArn`;
}

/** Placeholder for the review state machine's ARN (assess-claim starts it). */
export const reviewStateMachinePlaceholder = 'ReviewClaimStateMachineArn';

/** Placeholder for the bucket a bulk-file job reads its chunk list from and writes results to. */
export const importsBucketPlaceholder = 'ImportsBucketName';

/**
 * The definition text with every `${Name}` replaced. Throws when a placeholder has no value, so
 * a missing ARN fails at start-up rather than mid-execution.
 */
export function renderDefinition(
  name: WorkflowName,
  substitutions: Readonly<Record<string, string>>,
): string {
  const text = loadDefinition(name);
  const missing = definitionPlaceholders(text).filter((key) => !Object.hasOwn(substitutions, key));
  if (missing.length > 0) {
    throw new Error(`${name}: no substitution for ${missing.map((key) => `\${${key}}`).join(', ')}`);
  }
  // Values land inside JSON strings: escape them the way JSON would.
  return text.replace(placeholderPattern, (_match, key: string) =>
    JSON.stringify(substitutions[key] ?? '').slice(1, -1),
  );
}
