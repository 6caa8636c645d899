// Serves the built web app. Unknown paths without a file extension get index.html so the
// app's own routes survive a reload; nothing outside the root is ever read.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function serveStatic(root: URL, rawPath: string, res: ServerResponse): Promise<boolean> {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return false;
  }
  if (path.includes('\0') || path.split('/').includes('..')) return false;
  const relative = path.replace(/^\/+/, '') || 'index.html';
  const candidates = extname(relative) ? [relative] : [relative, 'index.html'];
  for (const candidate of candidates) {
    const file = fileURLToPath(new URL(candidate, root));
    if (!file.startsWith(fileURLToPath(root))) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const body = await readFile(file);
    const type = types[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      // Hashed assets can be cached for good; the page itself must be re-read.
      'cache-control': candidate.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...securityHeaders,
    });
    res.end(body);
    return true;
  }
  return false;
}
