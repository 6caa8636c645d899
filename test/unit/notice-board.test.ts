// The notice board's words and period, as the CLI prints them (the web page uses the same period):
// Chinese by default, English on request, heads as the API masked them, China time, the period
// from the earliest posting to the latest end.
import { describe, expect, it } from 'vitest';
import { noticeLines } from '#cli/verbs/notice.ts';
import { noticePeriod } from '#shared/notice-board.ts';
import { builtInPolicies } from '#shared/policy.ts';

const fund = builtInPolicies.find((p) => p.region === 'demo-fund')!;
const board = {
  entries: [
    {
      claimId: '01JC0000000000000000000002',
      householdId: 'HH-F007',
      headName: '郑**',
      category: 'medical' as const,
      payoutFen: 812_000,
      noticeEndsAt: '2026-12-10T16:00:00.000Z',
    },
    {
      claimId: '01JC0000000000000000000001',
      householdId: 'HH-F001',
      headName: '陈**',
      category: 'education' as const,
      payoutFen: 350_000,
      noticeEndsAt: '2026-12-11T01:30:00.000Z',
    },
  ],
};
const place = { region: 'demo-fund', village: '东山村' };

describe('noticePeriod', () => {
  it('runs from the earliest posting to the latest end', () => {
    expect(noticePeriod(board.entries, 5)).toEqual({
      from: '2026-12-05T16:00:00.000Z',
      to: '2026-12-11T01:30:00.000Z',
    });
    expect(noticePeriod([], 5)).toBeUndefined();
    expect(noticePeriod(board.entries, 0)?.from).toBe('2026-12-10T16:00:00.000Z');
  });
});

describe('claims notice', () => {
  it('prints the board in Chinese by default: title, period, rows in China time, how to object', () => {
    expect(noticeLines(board, place, fund, 'zh')).toEqual([
      '示范县防贫帮扶基金 东山村 防贫救助公示',
      '公示期：2026-12-06 00:00 至 2026-12-11 09:30',
      '户主\t农户编号\t类别\t拟赔付金额\t公示截止',
      '郑**\tHH-F007\t因病\t¥8,120.00\t2026-12-11 00:00',
      '陈**\tHH-F001\t因学\t¥3,500.00\t2026-12-11 09:30',
      '对以上公示内容有异议的，请在公示截止前向本村村级核实员实名反映，核实员将复核后答复。',
    ]);
  });

  it('prints it in English on request, and an empty board says so', () => {
    const en = noticeLines(board, place, fund, 'en');
    expect(en[0]).toBe('Demo county relief fund, 东山村: relief payouts on public notice');
    expect(en[2]).toBe('Head of household\tHousehold ID\tCategory\tProposed payout\tNotice ends');
    expect(en[3]).toBe('郑**\tHH-F007\tMedical\t¥8,120.00\t2026-12-11 00:00');
    expect(noticeLines({ entries: [] }, place, fund, 'zh')).toEqual([
      '示范县防贫帮扶基金 东山村 防贫救助公示',
      '本村目前没有公示中的申请',
    ]);
    // No policy for the region: its code stands for its name.
    expect(noticeLines({ entries: [] }, { region: 'north', village: '东山村' }, undefined, 'zh')[0]).toBe(
      'north 东山村 防贫救助公示',
    );
  });
});
