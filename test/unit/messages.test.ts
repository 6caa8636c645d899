// The one catalog of what the system tells people: every code has words in both languages with
// the same placeholders, and parameters are written for people (money, categories, gates, columns).
import { describe, expect, it } from 'vitest';
import {
  actorName,
  enMessages,
  renderApiError,
  renderMessage,
  renderMessages,
  SYSTEM_ACTOR,
  zhMessages,
  type MessageCode,
} from '#shared/messages/render.ts';

const CJK = /[\u3400-\u9fff]/;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message catalog', () => {
  it.each(Object.keys(zhMessages) as MessageCode[])(
    '%s has Chinese and English with the same placeholders',
    (code) => {
      const zh = zhMessages[code];
      const en = enMessages[code];
      expect(placeholders(en), code).toEqual(placeholders(zh));
      expect(en, code).not.toMatch(CJK);
      if (zh.replace(/\{\w+\}/g, '').trim() !== '') expect(zh, code).toMatch(CJK);
    },
  );

  it.each([
    [
      { code: 'SELF_PAID_BELOW_THRESHOLD', params: { selfPaidFen: 300_000, thresholdFen: 500_000 } },
      '自付费用 ¥3,000.00 未超过起付线 ¥5,000.00',
      'The self-paid cost ¥3,000.00 does not exceed the threshold ¥5,000.00',
    ],
    [
      { code: 'CAP_USED_UP', params: { capYear: 2026, category: 'medical', capFen: 2_000_000 } },
      '该户 2026 年“因病”年度封顶 ¥20,000.00 已用完',
      'The household\'s 2026 "Medical" cap of ¥20,000.00 is used up',
    ],
    [
      { code: 'STATUS_UNKNOWN', params: { field: 'status', allowed: 'unstable,removed' } },
      '名单状态：须为以下之一：脱贫不稳定户（unstable）、风险已消除（不在保障范围）（removed）',
      'status: must be one of unstable, removed',
    ],
    [
      { code: 'SKIP_NOT_PAID', params: { state: 'REJECTED' } },
      '申请状态为“未通过”，不是已赔付',
      'The claim is "Not accepted", not paid',
    ],
    [{ code: 'NO_SUCH_CODE', params: { a: 1 } }, 'NO_SUCH_CODE', 'NO_SUCH_CODE'],
  ])('renders %j', (message, zh, en) => {
    expect(renderMessage(message, 'zh')).toBe(zh);
    expect(renderMessage(message, 'en')).toBe(en);
  });

  it('names a gate by the words the caller gives (policy data), the id otherwise', () => {
    const rejected = { code: 'GATE_REJECTED_COMMENT', params: { gate: 'village', comment: '户籍不符' } };
    expect(renderMessage(rejected, 'zh', { gateLabel: () => '村级核实' })).toBe('“村级核实”未通过：户籍不符');
    expect(renderMessage(rejected, 'en')).toBe('Rejected at "village": 户籍不符');
  });

  it('joins the problems of one row, and names the system actor', () => {
    const row = [
      { code: 'VALUE_MISSING', params: { field: 'village' } },
      { code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } },
    ];
    expect(renderMessages(row, 'zh')).toBe('村：没有填写；身份证号校验位与前 17 位不符');
    expect(renderMessages(row, 'en')).toBe(
      'village: value is missing; ID number check digit does not match the rest of the number',
    );
    expect(actorName(SYSTEM_ACTOR, 'zh')).toBe('系统');
    expect(actorName('village1', 'zh')).toBe('village1');
  });

  it('words API errors by code, and an unknown code generically', () => {
    expect(renderApiError('DISBURSED_ELSEWHERE', { batchRef: 'B-7' }, 'zh')).toBe(
      '这笔赔付已在批次 B-7 中拨付',
    );
    expect(renderApiError('SOMETHING_NEW', {}, 'zh')).toBe('出错了（SOMETHING_NEW）');
  });
});
