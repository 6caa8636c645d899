import * as z from 'zod';
import { noteUpload, type NoteUploadDeps } from '#shared/workflow/note-upload.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Receipts } from '#functions/adapters/s3-ports.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import { makeLogger, workflowStep } from '#functions/middleware.ts';

/** EventBridge's S3 "Object Created" for any key under claims/ (the fields used, nothing more). */
export const noteUploadInputSchema = z.object({
  detail: z.object({ object: z.object({ key: z.string().max(1024) }) }),
  /** The local emulator sets this when it refused to overwrite a judged file. */
  refused: z.boolean().optional(),
});

export function makeHandler(deps: () => NoteUploadDeps) {
  return workflowStep(makeLogger(), noteUploadInputSchema, (input) =>
    noteUpload(deps(), { key: input.detail.object.key, ...(input.refused ? { refused: true } : {}) }),
  );
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ claims: dynamoClaims, receipts: s3Receipts })),
);
