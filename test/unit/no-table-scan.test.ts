// No request path scans the table: a Scan reads every item of every kind (claims, history,
// roster, ledger) and its cost grows with the county, not with the page. This follows the imports
// of every Lambda handler (API routes, workflow steps, schedules, events) through the code and
// fails on any Scan reached. Offline tools (verify/, bench/) may scan; they are never reached here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const handlersDir = join(root, 'functions', 'handlers');
const aliases: Readonly<Record<string, string>> = {
  '#shared/': 'shared/',
  '#functions/': 'functions/',
  '#infra/': 'infra/',
  '#cli/': 'cli/',
};

/** The code without its comments, so prose about a scan does not count. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** Project files a module imports (static and dynamic), resolved to paths. */
function importsOf(path: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
  return specifiers.flatMap((spec) => {
    const alias = Object.keys(aliases).find((a) => spec.startsWith(a));
    const target = alias
      ? join(root, aliases[alias] ?? '', spec.slice(alias.length))
      : spec.startsWith('.')
        ? resolve(dirname(path), spec)
        : undefined;
    return target && existsSync(target) && target.endsWith('.ts') ? [target] : [];
  });
}

/** Every project file reachable from `entry`, with its code. */
function reachable(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.pop() ?? '';
    if (seen.has(path)) continue;
    const text = code(path);
    seen.set(path, text);
    queue.push(...importsOf(path, text));
  }
  return seen;
}

const scanning = /\bScanCommand\b|\bscan\s*\(\s*\{|\bpaginateScan\b/;

describe('no table Scan on a request path', () => {
  const handlers = readdirSync(handlersDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(handlersDir, name));

  it('walks every handler into the store adapters', () => {
    expect(handlers.length).toBeGreaterThan(20);
    const listClaims = reachable(join(handlersDir, 'list-claims.ts'));
    const files = [...listClaims.keys()].map((p) => relative(root, p).split('\\').join('/'));
    expect(files).toEqual(
      expect.arrayContaining(['functions/adapters/dynamo-claim-store.ts', 'shared/api/claims-api.ts']),
    );
  });

  it('the detector sees a Scan where one is', () => {
    expect(scanning.test("import { ScanCommand } from '@aws-sdk/client-dynamodb';")).toBe(true);
    expect(scanning.test('await db.send(new QueryCommand({}))')).toBe(false);
  });

  it.each(handlers.map((path) => [relative(root, path)]))('%s reaches no Scan', (handler) => {
    const found = [...reachable(join(root, handler))]
      .filter(([, text]) => scanning.test(text))
      .map(([path]) => relative(root, path));
    expect(found).toEqual([]);
  });
});
