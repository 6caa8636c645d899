// The domain vocabulary exists once. Every code has words in both languages, and no source file
// restates a list of codes or the Chinese word for a code: a pasted copy fails here, naming the
// file and line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  anomalyCodes,
  categories,
  categoryLabels,
  claimStateLabels,
  claimStates,
  coveredStatuses,
  householdStatusLabels,
  householdStatuses,
  memberRelationLabels,
  memberRelations,
  rejectionReasonLabels,
  rejectionReasons,
  reviewReasonCodes,
  reviewReasonLabels,
  reviewRouteReasons,
  roleLabels,
  roles,
  type Labels,
} from '#shared/vocabulary.ts';
import { reviewReasonZh } from '#cli/verbs/api-verbs.ts';

const vocabulary: Record<string, { codes: readonly string[]; labels: Readonly<Record<string, Labels>> }> = {
  categories: { codes: categories, labels: categoryLabels },
  claimStates: { codes: claimStates, labels: claimStateLabels },
  roles: { codes: roles, labels: roleLabels },
  rejectionReasons: { codes: rejectionReasons, labels: rejectionReasonLabels },
  reviewReasonCodes: { codes: reviewReasonCodes, labels: reviewReasonLabels },
  householdStatuses: { codes: householdStatuses, labels: householdStatusLabels },
  memberRelations: { codes: memberRelations, labels: memberRelationLabels },
};

const root = new URL('../../', import.meta.url).pathname;
const scanned = ['shared', 'functions', 'cli', 'web/src', 'infra'];
const home = 'shared/vocabulary.ts';
const CJK = /[\u3400-\u9fff]/;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('every code has words in both languages', () => {
  it.each(Object.entries(vocabulary))('%s', (_name, { codes, labels }) => {
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(labels).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const label = labels[code];
      expect(label?.zh, code).toMatch(CJK);
      expect(label?.en, code).toMatch(/^[^\u3400-\u9fff]+$/);
      expect(placeholders(label?.en ?? ''), code).toEqual(placeholders(label?.zh ?? ''));
    }
  });

  it('names each Chinese label once per list, so a label tells its code', () => {
    for (const { labels } of Object.values(vocabulary)) {
      const zh = Object.values(labels).map((l) => l.zh);
      expect(new Set(zh).size).toBe(zh.length);
    }
  });

  it('builds the composite lists from their parts', () => {
    expect(reviewReasonCodes).toEqual([...reviewRouteReasons, ...anomalyCodes]);
    expect(householdStatuses.filter((s) => s !== 'removed')).toEqual(coveredStatuses);
  });
});

describe('the CLI words review reasons from the vocabulary', () => {
  it('fills in amounts and categories, and leaves an unknown code as it is', () => {
    expect(reviewReasonZh({ code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } })).toBe(
      '赔付超过 ¥5,000.00',
    );
    expect(reviewReasonZh({ code: 'NOT_REIMBURSED', params: { category: 'medical' } })).toBe(
      '因病申请没有任何报销或救助记录',
    );
    expect(reviewReasonZh({ code: 'SOMETHING_NEW', params: {} })).toBe('SOMETHING_NEW');
  });
});

// ---- Finding copies --------------------------------------------------------------------------

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

/** The string members of a list literal, in order: 'x' elements, z.literal('x') and 'x' | 'y'. */
function listMembers(node: ts.Node): string[] | undefined {
  const literal = (e: ts.Node): string | undefined => {
    if (ts.isStringLiteralLike(e)) return e.text;
    if (ts.isLiteralTypeNode(e) && ts.isStringLiteral(e.literal)) return e.literal.text;
    if (
      ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      e.expression.name.text === 'literal' &&
      e.arguments.length === 1 &&
      e.arguments[0] !== undefined &&
      ts.isStringLiteralLike(e.arguments[0])
    )
      return e.arguments[0].text;
    return undefined;
  };
  if (ts.isArrayLiteralExpression(node)) return node.elements.map(literal).filter((s) => s !== undefined);
  if (ts.isUnionTypeNode(node)) return node.types.map(literal).filter((s) => s !== undefined);
  return undefined;
}

/**
 * A list literal restates a vocabulary list when it names all its codes but at most one, or
 * when it starts the way the list does (its first two codes, one after the other). Rules that
 * name a few codes (the roles that may call a route, the states a sweep looks at) are fine.
 */
function copiedList(members: readonly string[]): string | undefined {
  for (const [name, { codes }] of Object.entries(vocabulary)) {
    const named = new Set(members.filter((m) => codes.includes(m)));
    if (named.size < 2) continue;
    const nearlyAll = named.size >= codes.length - 1;
    const first = members.findIndex((m) => m === codes[0]);
    const startsLikeIt = first >= 0 && members[first + 1] === codes[1];
    if (nearlyAll || startsLikeIt) return `${name}: ${[...named].join(', ')}`;
  }
  return undefined;
}

const zhLabels = new Map<string, string>();
const enLabels = new Map<string, Set<string>>();
for (const { labels } of Object.values(vocabulary)) {
  for (const [code, label] of Object.entries(labels)) {
    zhLabels.set(label.zh, code);
    enLabels.set(label.en, new Set([...(enLabels.get(label.en) ?? []), code]));
  }
}
const namesCode = (key: string, code: string) => key === code || key.endsWith(`.${code}`);

function propertyName(node: ts.Node): string | undefined {
  const parent = node.parent;
  if (parent && ts.isPropertyAssignment(parent) && parent.initializer === node) {
    const key = parent.name;
    if (ts.isIdentifier(key) || ts.isStringLiteralLike(key)) return key.text;
  }
  return undefined;
}

/**
 * The word for a code, defined again: a string that is a code's label (Chinese or English),
 * given under a key naming the code (`education: '因学'`, `'category.education': 'Education'`);
 * two or more Chinese labels in one object or list (a table of labels); a Chinese label as the
 * whole text of a JSX element.
 */
function findLabelCopies(file: string, source: ts.SourceFile, out: Finding[]): void {
  const tables = new Map<ts.Node, ts.Node[]>();
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && zhLabels.has(node.text.trim())) {
      out.push({
        file,
        line: lineOf(source, node),
        what: `label of ${zhLabels.get(node.text.trim())} in JSX`,
      });
    }
    const key = ts.isStringLiteralLike(node) ? propertyName(node) : undefined;
    if (key !== undefined && ts.isStringLiteralLike(node)) {
      const code = [...(enLabels.get(node.text) ?? [])].find((c) => namesCode(key, c));
      if (code !== undefined)
        out.push({ file, line: lineOf(source, node), what: `label of ${code} under "${key}"` });
    }
    if (ts.isStringLiteralLike(node) && zhLabels.has(node.text)) {
      const code = zhLabels.get(node.text) ?? '';
      if (key !== undefined && namesCode(key, code)) {
        out.push({ file, line: lineOf(source, node), what: `label of ${code} under "${key}"` });
      }
      const container = key !== undefined ? node.parent.parent : node.parent;
      if (container && (ts.isObjectLiteralExpression(container) || ts.isArrayLiteralExpression(container))) {
        tables.set(container, [...(tables.get(container) ?? []), node]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const [table, strings] of tables) {
    if (strings.length >= 2) {
      const words = strings.map((s) => (ts.isStringLiteralLike(s) ? s.text : '')).join(', ');
      out.push({ file, line: lineOf(source, table), what: `table of labels: ${words}` });
    }
  }
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

/** Copies of vocabulary lists and labels in one file's text. */
function findCopies(file: string, text: string): Finding[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: Finding[] = [];
  const visit = (node: ts.Node) => {
    const members = listMembers(node);
    const copied = members && copiedList(members);
    if (copied) found.push({ file, line: lineOf(source, node), what: `list of ${copied}` });
    ts.forEachChild(node, visit);
  };
  visit(source);
  findLabelCopies(file, source, found);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', 'cdk.out'].includes(entry.name) ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('the vocabulary is not restated elsewhere', () => {
  it('finds pasted lists and labels (the check itself)', () => {
    const copies = (text: string) => findCopies('pasted.tsx', text).map((f) => f.what);
    for (const pasted of [
      "export const categories = ['education', 'medical', 'disaster', 'industry'] as const;",
      "const some = ['education', 'medical'];",
      "type Role = 'gridWorker' | 'villageVerifier';",
      "export type Role = 'gridWorker' | 'villageVerifier' | 'insurer' | 'auditor' | 'finance' | 'admin';",
      "const states = z.enum(['RECEIVED', 'PENDING_REVIEW', 'APPROVED']);",
      "const s = z.union([z.literal('out_of_poverty'), z.literal('unstable')]);",
      "const covered = ['out_of_poverty', 'unstable', 'marginal', 'sudden_hardship'];",
      "const reasons = new Set(['INVALID_MANIFEST', 'INVALID_RECEIPT']);",
      "const web = ['RECEIVED', 'PENDING_REVIEW', 'APPROVED', 'PAID', 'DISBURSED', 'REJECTED'];",
      "const words = { education: '因学' };",
      "const words = { 'role.gridWorker': '网格员' };",
      "const words = { a: '因学', b: '因病' };",
      "const relation = ['户主', '配偶'];",
      "const en = { 'category.medical': 'Medical' };",
      'const option = <option value="medical">因病</option>;',
    ]) {
      expect(copies(pasted), pasted).not.toEqual([]);
    }
    for (const rule of [
      "const moving = new Set(['RECEIVED', 'APPROVED']);",
      "const reviewers = ['villageVerifier', 'insurer', 'auditor'];",
      "const ledger = ['finance', 'auditor', 'insurer', 'admin'];",
      "const receipts = ['gridWorker', ...reviewers, 'admin'];",
      "const terminal = ['REJECTED', 'DISBURSED'];",
      "const column = { 'households.head': memberRelationLabels.head.zh };",
      "const hint = '网格员负责约30户';",
      "const note = { note: 'Other' };",
      "const title = { 'claims.title': 'Claims' };",
    ]) {
      expect(copies(rule), rule).toEqual([]);
    }
  });

  it('finds no copy in shared, functions, cli, web or infra', () => {
    const found = scanned
      .flatMap(sourceFiles)
      .filter((file) => file !== home)
      .flatMap((file) => findCopies(file, readFileSync(join(root, file), 'utf8')))
      .map((f) => `${f.file}:${f.line} ${f.what}`);
    // Import the lists and labels from shared/vocabulary.ts instead.
    expect(found).toEqual([]);
    // Parsing every source file takes a few seconds on a busy machine.
  }, 60_000);
});
