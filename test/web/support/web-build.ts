// The local stack serves web/dist; build it when the sources are newer. Test files run in
// parallel workers, so a lock directory makes one of them build while the others wait.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const lock = join(tmpdir(), `claims-web-build-${root.replace(/\W+/g, '_')}.lock`);

async function newest(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of await readdir(path)) latest = Math.max(latest, await newest(join(path, entry)));
  return latest;
}

async function upToDate(): Promise<boolean> {
  const built = (await stat(join(root, 'web/dist/index.html')).catch(() => undefined))?.mtimeMs ?? 0;
  if (built === 0) return false;
  const sources = await Promise.all(
    ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts', 'shared'].map((p) =>
      newest(join(root, p)),
    ),
  );
  return Math.max(...sources) < built;
}

export async function ensureWebBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 120_000) await rm(lock, { recursive: true, force: true }); // a crashed builder
      if (Date.now() > deadline) throw new Error('timed out waiting for another web build');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (await upToDate()) return;
    await promisify(execFile)(
      process.execPath,
      [
        join(root, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      // vitest sets NODE_ENV=test, which would make Vite build a development bundle.
      { cwd: root, env: { ...process.env, NODE_ENV: 'production' } },
    );
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
