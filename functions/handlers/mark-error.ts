import * as z from 'zod';
import { markError } from '#shared/workflow/mark-error.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

// The catch handler takes whatever the failing state had: a claimId, or the manifest key.
export const markErrorInputSchema = z.object({
  claimId: z.string().nullish(),
  key: z.string().optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export function makeHandler(deps: () => Pick<StepDeps, 'claims' | 'clock'>) {
  return workflowStep(makeLogger(), markErrorInputSchema, (input) =>
    markError(deps(), {
      claimId: input.claimId ?? null,
      ...(input.key ? { key: input.key } : {}),
      ...(input.error ? { error: input.error } : {}),
    }),
  );
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims })));
