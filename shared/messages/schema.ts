// The zod shape of a message (a code with its parameters), for records that store one.
import * as z from 'zod';

export const messageSchema = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
