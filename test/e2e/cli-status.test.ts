// `claims status` through the local stack: a rejected claim's note arrives from the API as a code
// and the CLI puts it into words in its language, in the JSON too (`detail` stays a string).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settled, startLocalStack, uploadClaim, type TestStack } from '#cli/local/scratch-stack.ts';
import { statusVerb } from '#cli/verbs/api-verbs.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function status(args: string[]): Promise<string[]> {
  const out: string[] = [];
  await statusVerb([...args, '--api', stack.apiUrl], { out: (l) => out.push(l), err: () => undefined });
  return out;
}

describe('claims status', () => {
  it('says why a bad receipt was refused, in Chinese by default and in English on request', async () => {
    const { claimId } = await uploadClaim(stack, { receipt: new TextEncoder().encode('not a receipt') });
    const claim = await settled(stack, claimId, 30_000);
    expect(claim).toMatchObject({
      state: 'REJECTED',
      reason: 'INVALID_RECEIPT',
      detail: { code: 'RECEIPT_UNKNOWN_TYPE', params: { n: 1 } },
    });

    const zh = JSON.parse((await status([claimId, '--json'])).join(''));
    expect(zh).toMatchObject({ state: 'REJECTED', reason: 'INVALID_RECEIPT', source: 'receipt' });
    expect(zh.noticeEndsAt).toBeUndefined();
    expect(zh.detail).toBe('票据 1 不是 JPEG、PNG 或 PDF 文件');
    const en = JSON.parse((await status([claimId, '--json', '--lang', 'en'])).join(''));
    expect(en.detail).toBe('Receipt 1 is not a JPEG, PNG or PDF file');

    expect(await status([claimId, '--lang', 'en'])).toContain('Receipt 1 is not a JPEG, PNG or PDF file');
  }, 60_000);
});
