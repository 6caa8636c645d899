// `claims start`: the whole stack on this machine, until Ctrl-C.
import { resolve } from 'node:path';
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseVerbArgs } from '#cli/args.ts';
import { startLocalStack } from '#cli/local/runtime.ts';
import { ensureWebBuild } from '#infra/web-build.ts';

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--${name} must be a port number`, 2);
  return port;
}

export async function startVerb(args: string[], io: CliIo): Promise<void> {
  const { values } = parseVerbArgs(args, {
    port: { type: 'string' },
    's3-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'data-dir': { type: 'string' },
    'no-demo': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  // Handler logs are for operators; on a laptop only warnings reach the console unless asked.
  process.env.POWERTOOLS_LOG_LEVEL ??= values.verbose ? 'INFO' : 'WARN';
  const dataDir = resolve(values['data-dir'] ?? '.data');
  // A fresh clone has no built web app yet; build it once (seconds) so `/` serves it.
  ensureWebBuild();
  const stack = await startLocalStack({
    port: portOption(values.port, 'port', 8787),
    s3Port: portOption(values['s3-port'], 's3-port', 4569),
    dynamodbPort: portOption(values['dynamodb-port'], 'dynamodb-port', 8000),
    dataDir,
    demo: !values['no-demo'],
    log: (line) => io.err(line),
  });
  io.out(`data:     ${dataDir}`);
  io.out(`api+web:  ${stack.apiUrl}`);
  io.out(`s3:       ${stack.s3Url}  (bucket receipts, access key S3RVER / secret S3RVER)`);
  io.out(`dynamodb: ${stack.dynamodbUrl}`);
  io.out(`ready: ${stack.apiUrl}`);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      io.err('stopping…');
      void stack.stop().then(done, done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
