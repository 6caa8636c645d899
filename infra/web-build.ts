// Builds the browser app into web/dist when it is missing or older than its sources, so a fresh
// clone's `npm start` and `cdk synth` both find it. No CDK here: the local runtime uses it too.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const webDistDir = join(repoRoot, 'web', 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function webBuildIsCurrent(): boolean {
  const index = join(webDistDir, 'index.html');
  if (!existsSync(index)) return false;
  const sources = [
    join(repoRoot, 'web', 'src'),
    join(repoRoot, 'web', 'index.html'),
    join(repoRoot, 'shared'),
  ];
  const newestSource = Math.max(
    ...sources
      .filter(existsSync)
      .map((p) => (statSync(p).isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)),
  );
  return statSync(index).mtimeMs >= newestSource;
}

export function ensureWebBuild(): string {
  if (!webBuildIsCurrent()) {
    execFileSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  }
  return webDistDir;
}
