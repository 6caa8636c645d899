// One way to change a claim: every write of a claim record in the domain code goes through
// changeClaim (shared/claim-change.ts), which alone bumps the version and calls the store's
// update. A new hand-written read -> write -> retry loop fails here. The domain throws domain
// errors only: HTTP statuses are the HTTP edge's business.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const sharedDir = join(root, 'shared');

/** Records of other kinds with their own optimistic lock; they must still never update a claim. */
const otherAggregates: Readonly<Record<string, string>> = {
  'shared/workflow/bulk-import.ts': 'roster import jobs (BulkJob), not claims',
  // Feed records carry their own version; a claim is only created beside them (openClaim) or
  // closed through changeClaim.
  'shared/feed-import.ts': 'data feed records (FeedRecord), not claims',
  'shared/workflow/open-feed-claims.ts': 'data feed records (FeedRecord), not claims',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The code without its comments, so prose about `.update(` does not count. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const files = sources(sharedDir).map((path) => ({
  file: relative(root, path).split('\\').join('/'),
  text: code(path),
}));

describe('claim writes go through changeClaim', () => {
  it('finds the domain sources', () => {
    expect(files.some((f) => f.file === 'shared/claim-change.ts')).toBe(true);
    expect(files.length).toBeGreaterThan(20);
  });

  it('no store update and no hand bump of a version outside claim-change.ts', () => {
    const found: string[] = [];
    for (const { file, text } of files) {
      if (file === 'shared/claim-change.ts') continue;
      const claimUpdates = text.match(/\bclaims\s*\.\s*update\s*\(/g) ?? [];
      const updates = file in otherAggregates ? [] : (text.match(/\.\s*update\s*\(/g) ?? []);
      const bumps =
        file in otherAggregates ? [] : (text.match(/version\s*:\s*[\w.]*version\s*\+\s*1/g) ?? []);
      for (const hit of new Set([...claimUpdates, ...updates, ...bumps])) found.push(`${file}: ${hit}`);
    }
    expect(found).toEqual([]);
  });

  it('the domain throws no HTTP errors', () => {
    const found = files.filter((f) => /\bHttpError\b|\bstatus(Code)?\s*:\s*[1-5]\d\d\b/.test(f.text));
    expect(found.map((f) => f.file)).toEqual([]);
  });

  it('the scan catches a hand-written claim write', () => {
    const hand = `const next = { ...claim, version: claim.version + 1 };\nawait deps.claims.update(next, claim.version);`;
    expect(hand.match(/version\s*:\s*[\w.]*version\s*\+\s*1/g)).toHaveLength(1);
    expect(hand.match(/\bclaims\s*\.\s*update\s*\(/g)).toHaveLength(1);
  });
});
