#!/usr/bin/env node
// The `claims` CLI is TypeScript; tsx loads it so `npx claims` works right after `npm ci`.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// `claims start` is one process (API, workflows, S3 emulator, handlers) with a live heap near
// 100 MiB, but a bulk job allocates fast and V8 then lets the old generation grow to several times
// what is live before it collects: a 100,000-row roster took the stack from 180 to 600 MiB, all of
// it garbage. A growing factor of 1.2 keeps the heap near what is live, for a little more collector
// time. Set before the CLI is loaded (V8 applies it from its next full collection on); the other
// verbs are short and lose nothing by it.
setFlagsFromString('--heap-growing-percent=20');

// Lambda runs Node 22; locally Node 20 is supported too, so the SDK's upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('./claims.ts');
process.exitCode = await main(process.argv.slice(2));
