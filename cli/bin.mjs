#!/usr/bin/env node
// The `claims` CLI is TypeScript; tsx loads it so `npx claims` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./claims.ts');
process.exitCode = await main(process.argv.slice(2));
