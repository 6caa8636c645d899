import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  memberColumns,
  memberRelations,
  parseNumberedMembersCsv,
  toMembersCsv,
  type Member,
} from '#shared/members.ts';
import { renderMessages } from '#shared/messages/render.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';

const HEADER = memberColumns.join(',');

function idNumber(n: number): string {
  const body = `430381${String(19800101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}
const ID_BAD_CHECK = '430381196007101074';
const ID_LOWER_X = '11010519491231002x';

const row = (cells: Partial<Record<(typeof memberColumns)[number], string>> = {}) => {
  const full = {
    householdId: 'HH-0001',
    idNumber: idNumber(1),
    name: '王秀英',
    relation: 'spouse',
    ...cells,
  };
  return memberColumns.map((c) => full[c]).join(',');
};
const file = (...rows: string[]) => [HEADER, ...rows].join('\r\n') + '\r\n';
/** Each rejected row with its reasons' codes and params. */
const rejections = (text: string) =>
  parseNumberedMembersCsv(text).rejected.map((r) => ({ row: r.row, reasons: r.reasons }));

describe('parseNumberedMembersCsv', () => {
  it('reads good rows with their row numbers, normalising the ID number and trimming cells', () => {
    const parsed = parseNumberedMembersCsv(
      `\uFEFF${file(row(), row({ idNumber: ID_LOWER_X, name: ' 张小明 ', relation: 'child' }))}`,
    );
    expect(parsed.rejected).toEqual([]);
    expect(parsed.numbered).toEqual([
      {
        row: 2,
        member: { householdId: 'HH-0001', idNumber: idNumber(1), name: '王秀英', relation: 'spouse' },
      },
      {
        row: 3,
        member: { householdId: 'HH-0001', idNumber: '11010519491231002X', name: '张小明', relation: 'child' },
      },
    ]);
  });

  it('reads the columns in any order', () => {
    const text = 'relation,name,idNumber,householdId\r\nhead,李四,' + idNumber(2) + ',HH-7\r\n';
    expect(parseNumberedMembersCsv(text).numbered).toEqual([
      { row: 2, member: { householdId: 'HH-7', idNumber: idNumber(2), name: '李四', relation: 'head' } },
    ]);
  });

  const bad: [string, string, { code: string; params: Record<string, string | number> }[]][] = [
    [
      'an unknown relation',
      row({ relation: 'cousin' }),
      [{ code: 'RELATION_UNKNOWN', params: { field: 'relation', allowed: memberRelations.join(',') } }],
    ],
    [
      'a bad check digit',
      row({ idNumber: ID_BAD_CHECK }),
      [{ code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } }],
    ],
    [
      'a short ID number',
      row({ idNumber: '4303811960' }),
      [{ code: 'ID_LENGTH', params: { field: 'idNumber', got: 10 } }],
    ],
    ['a missing name', row({ name: '' }), [{ code: 'VALUE_MISSING', params: { field: 'name' } }]],
    [
      'a name too long',
      row({ name: '张'.repeat(51) }),
      [{ code: 'TOO_LONG', params: { field: 'name', max: 50 } }],
    ],
    [
      'a formula for a name',
      row({ name: '=HYPERLINK()' }),
      [{ code: 'FORMULA_START', params: { field: 'name' } }],
    ],
    [
      'a bad household id',
      row({ householdId: 'HH 1' }),
      [{ code: 'BAD_HOUSEHOLD_ID', params: { field: 'householdId' } }],
    ],
    [
      'a cell too few',
      'HH-0001,' + idNumber(1) + ',王秀英',
      [{ code: 'FIELD_COUNT', params: { got: 3, expected: 4 } }],
    ],
    [
      'two bad cells',
      row({ householdId: '', relation: 'boss' }),
      [
        { code: 'VALUE_MISSING', params: { field: 'householdId' } },
        { code: 'RELATION_UNKNOWN', params: { field: 'relation', allowed: memberRelations.join(',') } },
      ],
    ],
  ];
  it.each(bad)('rejects %s, naming the column and not the value', (_what, line, reasons) => {
    const text = file(row({ idNumber: idNumber(9) }), line);
    expect(rejections(text)).toEqual([{ row: 3, reasons }]);
    expect(parseNumberedMembersCsv(text).numbered).toHaveLength(1);
    // Never the ID number or the name in what people read.
    for (const lang of ['zh', 'en'] as const) {
      const words = renderMessages(reasons, lang);
      expect(words).not.toContain(idNumber(1));
      expect(words).not.toContain('王秀英');
    }
  });

  it('rejects a person listed twice in a household, and one ID number in two households, naming the first', () => {
    const text = file(
      row({ householdId: 'HH-1', idNumber: idNumber(1) }),
      row({ householdId: 'HH-1', idNumber: idNumber(1), name: '王秀兰' }),
      row({ householdId: 'HH-2', idNumber: idNumber(1) }),
      row({ householdId: 'HH-2', idNumber: idNumber(2) }),
    );
    expect(rejections(text)).toEqual([
      {
        row: 3,
        reasons: [
          { code: 'MEMBER_TWICE', params: { field: 'idNumber', householdId: 'HH-1', earlierRow: 2 } },
        ],
      },
      {
        row: 4,
        reasons: [
          {
            code: 'ID_IN_OTHER_HOUSEHOLD_IN_FILE',
            params: { field: 'idNumber', householdId: 'HH-1', earlierRow: 2 },
          },
        ],
      },
    ]);
    expect(parseNumberedMembersCsv(text).numbered.map((n) => n.row)).toEqual([2, 5]);
    expect(renderMessages(parseNumberedMembersCsv(text).rejected[1]?.reasons ?? [], 'zh')).toBe(
      '身份证号：第 2 行已将此人列入农户 HH-1',
    );
  });

  it('refuses a file with a bad header as a whole, as row 1', () => {
    expect(rejections('')).toEqual([
      { row: 1, reasons: [{ code: 'FILE_EMPTY', params: { columns: HEADER } }] },
    ]);
    expect(rejections(`HH-1,${idNumber(1)},王秀英,spouse\r\n`)).toEqual([
      { row: 1, reasons: [{ code: 'HEADER_NOT_FIRST', params: { columns: HEADER } }] },
    ]);
    expect(rejections('householdId,idNumber,name\r\n')).toEqual([
      {
        row: 1,
        reasons: [{ code: 'HEADER_COLUMNS_MISSING', params: { fields: 'relation', columns: HEADER } }],
      },
    ]);
  });

  it('reads back what toMembersCsv writes', () => {
    const member = fc.record({
      householdId: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/),
      idNumber: fc.integer({ min: 0, max: 27_999 }).map(idNumber),
      name: fc.stringMatching(/^[\u4e00-\u9fa5A-Za-z·, "]{1,50}$/).filter((s) => s.trim() === s && s !== ''),
      relation: fc.constantFrom(...memberRelations),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(member, { selector: (m) => m.idNumber, maxLength: 20 }),
        (members: Member[]) => {
          const parsed = parseNumberedMembersCsv(toMembersCsv(members, { bom: true }));
          expect(parsed.rejected).toEqual([]);
          expect(parsed.numbered.map((n) => n.member)).toEqual(members);
        },
      ),
    );
  });
});
