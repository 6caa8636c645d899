// Durations on the dashboard in the unit their size calls for, in both languages.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setLang } from '../../web/src/i18n.ts';
import { bucketLabels, formatDuration, formatMonth } from '../../web/src/stats.ts';

// setLang marks <html lang>; node has no document, so give it the one element it touches.
beforeAll(() => {
  vi.stubGlobal('document', { documentElement: { lang: 'zh-CN' } });
});

afterEach(async () => {
  await setLang('zh');
});

describe('dashboard durations', () => {
  it('reads 2 seconds as 2 秒, never as a minute', () => {
    expect(formatDuration(2)).toBe('2 秒');
    expect(formatDuration(0.3)).toBe('不到 1 秒');
    expect(formatDuration(59)).toBe('59 秒');
    expect(formatDuration(90)).toBe('1.5 分钟');
    expect(formatDuration(45 * 60)).toBe('45 分钟');
    expect(formatDuration(3 * 3600)).toBe('3 小时');
    expect(formatDuration(36 * 3600)).toBe('1.5 天');
    expect(formatDuration(23 * 3600)).toBe('23 小时');
    expect(formatDuration(3 * 86_400)).toBe('3 天');
    expect(formatDuration(30 * 86_400)).toBe('30 天');
  });

  it('never rounds into the next unit', () => {
    // 59.97 minutes is not "60 分钟": it moves to hours.
    expect(formatDuration(3598)).toBe('1 小时');
    expect(formatDuration(59.6)).toBe('1 分钟');
  });

  it('labels the buckets from their bounds', () => {
    expect(bucketLabels([60, 3600, 86_400])).toEqual([
      '不到 1 分钟',
      '1 分钟–1 小时',
      '1 小时–1 天',
      '1 天 以上',
    ]);
  });

  it('speaks English units in English', async () => {
    await setLang('en');
    expect(formatDuration(2)).toBe('2 s');
    expect(formatDuration(5400)).toBe('1.5 h');
    expect(formatMonth('2026-11', 'en')).toBe('Nov 2026');
    expect(formatMonth('2026-11', 'zh')).toBe('2026年11月');
  });
});
