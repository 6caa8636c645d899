#!/usr/bin/env node
// The `claims` CLI is TypeScript; tsx loads it so `npx claims` works right after `npm ci`.
import { register } from 'tsx/esm/api';

// Lambda runs Node 22; locally Node 20 is supported too, so the SDK's upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('./claims.ts');
process.exitCode = await main(process.argv.slice(2));
