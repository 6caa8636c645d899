// The web app's pure parts, in node: no browser needed to check the arithmetic and the rules.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtInPolicies, policyInForce as sharedPolicyInForce } from '#shared/policy.ts';
import { policyInForce } from '../../web/src/policy-in-force.ts';
import { sha256Fallback } from '../../web/src/sha256.ts';
import { normalizeAmount, readAmount } from '../../web/src/amounts.ts';
import { percentile } from '../../web/src/stats.ts';
import { fitWithin, sniff } from '../../web/src/image.ts';
import { gateLabel, gatesFor, reviewOption } from '../../web/src/review-state.ts';
import { parseConfig } from '../../web/src/config.ts';
import { csvBlob, decodeCsv } from '../../web/src/download.ts';
import { formatDate, formatRate, formatYuanPlain, reviewReasonText } from '../../web/src/format.ts';
import { reviewReasonCodes } from '#shared/vocabulary.ts';
import { en } from '../../web/src/messages-en.ts';
import { zh } from '../../web/src/messages.ts';
import type { ClaimView, Policy } from '../../web/src/types.ts';

const policy = builtInPolicies[0] as Policy;

describe('policy in force (the web restates shared/policy.ts to keep zod out of the bundle)', () => {
  it('picks the same policy as the API for every region and date', () => {
    const second: Policy = { ...policy, version: 2, effectiveFrom: '2026-07-01' };
    const ended: Policy = {
      ...policy,
      policyId: 'old',
      effectiveFrom: '2025-01-01',
      effectiveTo: '2026-01-01',
    };
    const policies = [policy, second, ended];
    for (const region of ['demo', 'elsewhere']) {
      for (const date of [
        '2024-12-31',
        '2025-06-01',
        '2026-01-01',
        '2026-06-30',
        '2026-07-01',
        '2030-01-01',
      ]) {
        expect(policyInForce(policies, region, date)).toBe(sharedPolicyInForce(region, date, policies));
      }
    }
  });
});

describe('sha256 without Web Crypto (http on a LAN address)', () => {
  it('matches node:crypto across block boundaries', () => {
    for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
      const bytes = new Uint8Array(randomBytes(size));
      const hex = Buffer.from(sha256Fallback(bytes)).toString('hex');
      expect(hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});

describe('amounts as people type them', () => {
  it('accepts full-width digits, separators and currency signs', () => {
    expect(normalizeAmount('２２７００．５')).toBe('22700.5');
    expect(readAmount('22,700')).toEqual({ ok: true, fen: 2_270_000 });
    expect(readAmount('¥22700元')).toEqual({ ok: true, fen: 2_270_000 });
    expect(readAmount(' 8120.00 ')).toEqual({ ok: true, fen: 812_000 });
  });
  it('refuses what the money rules refuse', () => {
    for (const bad of ['', '-5', '1e5', '1.234', 'abc', '10000001']) expect(readAmount(bad).ok).toBe(false);
    expect(readAmount('', true)).toEqual({ ok: true, fen: 0 });
  });
});

describe('formats', () => {
  it('writes rates, band edges and dates as people do', () => {
    expect(formatRate(5000)).toBe('50%');
    expect(formatRate(6250)).toBe('62.5%');
    expect(formatRate(7000)).toBe('70%');
    expect(formatYuanPlain(1_500_000)).toBe('15,000');
    expect(formatDate('2026-09-01')).toBe('2026年9月1日');
    // 21:50 UTC on the 22nd is already the 23rd in China.
    expect(formatDate('2026-11-22T21:50:00.000Z')).toBe('2026年11月23日');
  });
  it('has every message in both languages, with the same placeholders', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(en[key]), key).toEqual(names(zh[key]));
    }
  });
});

describe('receipts', () => {
  it('fits photos into 1600 px on the long edge and never enlarges', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3000, 4000)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(1000, 800)).toEqual({ width: 1000, height: 800 });
  });
  it('knows a file by its magic bytes, as the server does', () => {
    expect(sniff(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniff(new TextEncoder().encode('%PDF-1.7'))).toBe('application/pdf');
    expect(sniff(new TextEncoder().encode('GIF89a'))).toBeUndefined();
  });
});

describe('dashboard percentiles', () => {
  it('uses nearest rank', () => {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile([42], 90)).toBe(42);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('review options (four-eyes in the UI, with the API rule)', () => {
  const claim = (gates: ClaimView['gates'], nextGate: ClaimView['nextGate']) => ({
    state: 'PENDING_REVIEW' as const,
    nextGate,
    gates,
  });
  const at = '2026-11-20T01:00:00.000Z';
  it('offers the decision to the role of the next gate', () => {
    expect(
      reviewOption(claim({}, 'village'), { username: 'village1', roles: ['villageVerifier'] }, policy),
    ).toEqual({
      kind: 'decide',
      gate: 'village',
    });
    expect(reviewOption(claim({}, 'village'), { username: 'insurer1', roles: ['insurer'] }, policy)).toEqual({
      kind: 'otherGate',
      gate: 'village',
    });
  });
  it('refuses a second gate to the person who decided an earlier one', () => {
    const both = { username: 'li', roles: ['villageVerifier', 'insurer'] as const };
    const gates = { village: { decision: 'approve' as const, by: 'li', at } };
    expect(reviewOption(claim(gates, 'department'), { ...both, roles: [...both.roles] }, policy)).toEqual({
      kind: 'fourEyes',
      decidedGate: 'village',
    });
    expect(
      reviewOption(claim(gates, 'department'), { username: 'wang', roles: ['insurer'] }, policy),
    ).toEqual({ kind: 'decide', gate: 'department' });
  });
  it('offers nothing outside review or to other roles', () => {
    expect(
      reviewOption(
        { state: 'PAID', nextGate: null, gates: {} },
        { username: 'a', roles: ['auditor'] },
        policy,
      ),
    ).toEqual({ kind: 'none' });
    expect(reviewOption(claim({}, 'village'), { username: 'f', roles: ['finance'] }, policy)).toEqual({
      kind: 'none',
    });
  });
});

describe('review gates and reasons come from the policy and the vocabulary', () => {
  // A policy with a fourth gate for large payouts: the UI needs no change to offer it.
  const withCounty: Policy = {
    ...policy,
    review: {
      ...policy.review,
      gates: [
        ...policy.review.gates,
        { id: 'county', role: 'auditor', label: { zh: '县级复核', en: 'County check' } },
      ],
    },
  };
  const at = '2026-11-20T01:00:00.000Z';
  const approved = (by: string) => ({ decision: 'approve' as const, by, at });
  it('names gates by the policy, in its order, and offers a gate to the role the policy gives it', () => {
    expect(gateLabel(withCounty, 'village')).toBe('村级核实');
    expect(gateLabel(withCounty, 'county')).toBe('县级复核');
    expect(gateLabel(undefined, 'county')).toBe('county');
    expect(gatesFor(withCounty, ['auditor'])).toEqual(['audit', 'county']);
    const claim = {
      state: 'PENDING_REVIEW' as const,
      requiredGates: ['village', 'department', 'audit', 'county'],
      nextGate: 'county',
      gates: { village: approved('village1'), department: approved('insurer1'), audit: approved('auditor1') },
    };
    expect(reviewOption(claim, { username: 'auditor2', roles: ['auditor'] }, withCounty)).toEqual({
      kind: 'decide',
      gate: 'county',
    });
    expect(reviewOption(claim, { username: 'auditor1', roles: ['auditor'] }, withCounty)).toEqual({
      kind: 'fourEyes',
      decidedGate: 'audit',
    });
  });
  it('writes review reasons in Chinese from their codes and parameters', () => {
    expect(reviewReasonText({ code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } })).toBe(
      '赔付超过 ¥5,000.00',
    );
    expect(reviewReasonText({ code: 'CATEGORY_ALWAYS', params: { category: 'disaster' } })).toBe(
      '因灾申请全部审核',
    );
    expect(reviewReasonText({ code: 'STATUS_CHANGED_RECENTLY', params: { days: 12 } })).toContain('12 天');
    // No English sentence reaches a zh page: every code reads as Chinese, whatever its parameters.
    const params = { limitFen: 20_000_000, category: 'medical', days: 3 };
    for (const code of reviewReasonCodes) {
      expect(reviewReasonText({ code, params }), code).toMatch(/^[^A-Za-z]*$/);
    }
    expect(reviewReasonText({ code: 'SOMETHING_NEW', params: {} })).toBe('SOMETHING_NEW');
  });
});

describe('config and files', () => {
  it('reads /config.json for local and cognito', () => {
    expect(parseConfig({ auth: 'local' })).toEqual({ auth: 'local', apiBase: '', demoUsers: [] });
    expect(parseConfig({ auth: 'local', demoUsers: ['worker1', 7] })).toMatchObject({
      demoUsers: ['worker1'],
    });
    expect(
      parseConfig({
        auth: 'cognito',
        userPoolId: 'p',
        clientId: 'c',
        domain: 'd',
        apiBase: 'https://api.x/',
      }),
    ).toEqual({ auth: 'cognito', userPoolId: 'p', clientId: 'c', domain: 'd', apiBase: 'https://api.x' });
    expect(() => parseConfig({ auth: 'cognito', clientId: 'c' })).toThrow(/userPoolId/);
    expect(() => parseConfig({})).toThrow();
  });
  it('decodes roster files saved as UTF-8 (with BOM) or GBK', () => {
    expect(decodeCsv(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('红星村')]))).toBe(
      '红星村',
    );
    expect(decodeCsv(Buffer.from('ba ecd0c7b4e5'.replace(/ /g, ''), 'hex'))).toBe('红星村');
  });
  it('writes error reports Excel opens: BOM, CRLF, formulas neutralised', async () => {
    const bytes = new Uint8Array(
      await csvBlob([
        ['row', 'error'],
        [3, '=cmd|x'],
        [4, 'a, "b"'],
      ]).arrayBuffer(),
    );
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toBe('row,error\r\n3,\'=cmd|x\r\n4,"a, ""b"""\r\n');
  });
});
