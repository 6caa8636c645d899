import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  educationColumns,
  feedColumns,
  feedLineSchema,
  feedRecordCheck,
  feedSurvey,
  medicalColumns,
  parseNumberedFeedCsv,
  type FeedColumn,
} from '#shared/feed.ts';
import type { FeedKind } from '#shared/feed-record.ts';
import { CsvRecordStream, FileCheck, type RecordCheck } from '#shared/csv-stream.ts';
import { renderMessages } from '#shared/messages/render.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { fenToYuan } from '#shared/money.ts';

function idNumber(n: number): string {
  const body = `430381${String(19800101 + (n % 28))}${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckDigit(body);
}
const ID_BAD_CHECK = '430381196007101074';
const ID_LOWER_X = '11010519491231002x';

type Cells = Partial<Record<FeedColumn, string>>;

const medicalDefaults: Record<(typeof medicalColumns)[number], string> = {
  recordId: 'YB-2026-0001',
  idNumber: idNumber(1),
  name: '王秀英',
  hospital: '县人民医院',
  admissionDate: '2026-03-01',
  dischargeDate: '2026-03-10',
  settlementDate: '2026-03-12',
  totalCost: '30000',
  basicInsurance: '15000.50',
  seriousIllness: '3000',
  medicalAssistance: '2000',
  otherReimbursed: '0',
};
const educationDefaults: Record<(typeof educationColumns)[number], string> = {
  recordId: 'XF-2026-0001',
  idNumber: idNumber(2),
  name: '张小明',
  school: '县第一中学',
  term: '2026 春季学期',
  paymentDate: '2026-02-20',
  tuition: '4800',
  aid: '1000',
};

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const row = (kind: FeedKind, cells: Cells = {}) => {
  const full: Record<string, string> = {
    ...(kind === 'medical' ? medicalDefaults : educationDefaults),
    ...cells,
  };
  return feedColumns(kind)
    .map((c) => csvCell(full[c] ?? ''))
    .join(',');
};
const file = (kind: FeedKind, ...rows: string[]) =>
  [feedColumns(kind).join(','), ...rows].join('\r\n') + '\r\n';
const rejections = (kind: FeedKind, text: string) => parseNumberedFeedCsv(kind, text).rejected;

describe('feedColumns', () => {
  it('names each kind of file its documented columns', () => {
    expect(feedColumns('medical').join(',')).toBe(
      'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed',
    );
    expect(feedColumns('education').join(',')).toBe(
      'recordId,idNumber,name,school,term,paymentDate,tuition,aid',
    );
  });
});

describe('parseNumberedFeedCsv', () => {
  it('reads a medical row: settlement date as expense date, self-paid after the four reimbursements', () => {
    const parsed = parseNumberedFeedCsv('medical', `\uFEFF${file('medical', row('medical'))}`);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.numbered).toEqual([
      {
        row: 2,
        line: {
          kind: 'medical',
          recordId: 'YB-2026-0001',
          idNumber: idNumber(1),
          expenseDate: '2026-03-12',
          totalCostFen: 3_000_000,
          reimbursedFen: 2_000_050,
          selfPaidFen: 999_950,
          place: '县人民医院',
          admissionDate: '2026-03-01',
          dischargeDate: '2026-03-10',
        },
      },
    ]);
    expect(feedLineSchema.parse(parsed.numbered[0]?.line)).toEqual(parsed.numbered[0]?.line);
  });

  it('reads an education row: payment date as expense date, self-paid = tuition - aid', () => {
    const parsed = parseNumberedFeedCsv('education', file('education', row('education')));
    expect(parsed.rejected).toEqual([]);
    expect(parsed.numbered).toEqual([
      {
        row: 2,
        line: {
          kind: 'education',
          recordId: 'XF-2026-0001',
          idNumber: idNumber(2),
          expenseDate: '2026-02-20',
          totalCostFen: 480_000,
          reimbursedFen: 100_000,
          selfPaidFen: 380_000,
          place: '县第一中学',
          term: '2026 春季学期',
        },
      },
    ]);
  });

  it('never keeps the name, and normalises a final x of the ID number', () => {
    const parsed = parseNumberedFeedCsv('medical', file('medical', row('medical', { idNumber: ID_LOWER_X })));
    const line = parsed.numbered[0]?.line;
    expect(line?.idNumber).toBe('11010519491231002X');
    expect(line).not.toHaveProperty('name');
    expect(JSON.stringify(parsed)).not.toContain('王秀英');
  });

  it('reads the columns in any order, trims cells and skips blank rows keeping row numbers', () => {
    const columns = [...educationColumns].reverse();
    const cells = { ...educationDefaults, school: '  县第一中学 ' };
    const text = [columns.join(','), '', ',,,,,,,', columns.map((c) => cells[c]).join(',')].join('\n');
    const parsed = parseNumberedFeedCsv('education', text);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.numbered.map((n) => [n.row, n.line.place, n.line.selfPaidFen])).toEqual([
      [4, '县第一中学', 380_000],
    ]);
  });

  it('takes equal dates and zero amounts (a record fully reimbursed)', () => {
    const parsed = parseNumberedFeedCsv(
      'medical',
      file(
        'medical',
        row('medical', {
          admissionDate: '2026-03-01',
          dischargeDate: '2026-03-01',
          settlementDate: '2026-03-01',
          totalCost: '100',
          basicInsurance: '60',
          seriousIllness: '0.00',
          medicalAssistance: '40',
        }),
      ),
    );
    expect(parsed.rejected).toEqual([]);
    expect(parsed.numbered[0]?.line).toMatchObject({
      totalCostFen: 10_000,
      reimbursedFen: 10_000,
      selfPaidFen: 0,
    });
    const edu = parseNumberedFeedCsv('education', file('education', row('education', { aid: '4800.00' })));
    expect(edu.numbered[0]?.line).toMatchObject({
      totalCostFen: 480_000,
      reimbursedFen: 480_000,
      selfPaidFen: 0,
    });
  });

  it('takes a recordId of 64 printable characters, Chinese included', () => {
    const id = `医保${'A'.repeat(62)}`;
    const parsed = parseNumberedFeedCsv('medical', file('medical', row('medical', { recordId: id })));
    expect(parsed.numbered[0]?.line.recordId).toBe(id);
  });

  type Reasons = { code: string; params: Record<string, string | number> }[];
  const both: [string, Cells, Reasons][] = [
    ['no recordId', { recordId: '' }, [{ code: 'VALUE_MISSING', params: { field: 'recordId' } }]],
    [
      'a recordId with a space',
      { recordId: 'YB 1' },
      [{ code: 'FEED_BAD_RECORD_ID', params: { field: 'recordId', max: 64 } }],
    ],
    [
      'a recordId too long',
      { recordId: 'A'.repeat(65) },
      [{ code: 'FEED_BAD_RECORD_ID', params: { field: 'recordId', max: 64 } }],
    ],
    [
      'a recordId with a bidi override',
      { recordId: 'YB\u202E1' },
      [{ code: 'FEED_BAD_RECORD_ID', params: { field: 'recordId', max: 64 } }],
    ],
    [
      'a recordId with a zero-width space',
      { recordId: 'YB\u200B1' },
      [{ code: 'FEED_BAD_RECORD_ID', params: { field: 'recordId', max: 64 } }],
    ],
    [
      'a recordId with a control character',
      { recordId: 'YB\u00071' },
      [{ code: 'FEED_BAD_RECORD_ID', params: { field: 'recordId', max: 64 } }],
    ],
    [
      'a recordId starting like a formula',
      { recordId: '=1+1' },
      [{ code: 'FORMULA_START', params: { field: 'recordId' } }],
    ],
    ['no ID number', { idNumber: '' }, [{ code: 'VALUE_MISSING', params: { field: 'idNumber' } }]],
    [
      'a bad check digit',
      { idNumber: ID_BAD_CHECK },
      [{ code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } }],
    ],
    [
      'a short ID number',
      { idNumber: '4303811960' },
      [{ code: 'ID_LENGTH', params: { field: 'idNumber', got: 10 } }],
    ],
    ['no name', { name: '' }, [{ code: 'VALUE_MISSING', params: { field: 'name' } }]],
    [
      'a name too long',
      { name: '张'.repeat(51) },
      [{ code: 'TOO_LONG', params: { field: 'name', max: 50 } }],
    ],
    [
      'a name like a formula',
      { name: '=HYPERLINK()' },
      [{ code: 'FORMULA_START', params: { field: 'name' } }],
    ],
  ];

  const medicalOnly: [string, Cells, Reasons][] = [
    ['no hospital', { hospital: '' }, [{ code: 'VALUE_MISSING', params: { field: 'hospital' } }]],
    [
      'a hospital too long',
      { hospital: '医'.repeat(101) },
      [{ code: 'TOO_LONG', params: { field: 'hospital', max: 100 } }],
    ],
    [
      'a hospital with a line break',
      { hospital: '县人民\n医院' },
      [{ code: 'CONTROL_CHAR', params: { field: 'hospital' } }],
    ],
    [
      'an admission date that does not exist',
      { admissionDate: '2026-02-30' },
      [{ code: 'NOT_A_DATE', params: { field: 'admissionDate' } }],
    ],
    [
      'a discharge date written another way',
      { dischargeDate: '2026/03/10' },
      [{ code: 'NOT_A_DATE', params: { field: 'dischargeDate' } }],
    ],
    [
      'no settlement date',
      { settlementDate: '' },
      [{ code: 'VALUE_MISSING', params: { field: 'settlementDate' } }],
    ],
    [
      'a discharge before the admission',
      { admissionDate: '2026-03-11' },
      [{ code: 'FEED_DISCHARGE_BEFORE_ADMISSION', params: { field: 'dischargeDate' } }],
    ],
    [
      'a settlement before the discharge',
      { settlementDate: '2026-03-09' },
      [{ code: 'FEED_SETTLEMENT_BEFORE_DISCHARGE', params: { field: 'settlementDate' } }],
    ],
    [
      'dates in the wrong order twice',
      { admissionDate: '2026-03-11', settlementDate: '2026-03-09' },
      [
        { code: 'FEED_DISCHARGE_BEFORE_ADMISSION', params: { field: 'dischargeDate' } },
        { code: 'FEED_SETTLEMENT_BEFORE_DISCHARGE', params: { field: 'settlementDate' } },
      ],
    ],
    ['a negative total', { totalCost: '-1' }, [{ code: 'AMOUNT_NEGATIVE', params: { field: 'totalCost' } }]],
    [
      'a negative reimbursement',
      { otherReimbursed: '-0.01' },
      [{ code: 'AMOUNT_NEGATIVE', params: { field: 'otherReimbursed' } }],
    ],
    [
      'three decimals',
      { basicInsurance: '1.234' },
      [{ code: 'AMOUNT_DECIMALS', params: { field: 'basicInsurance' } }],
    ],
    [
      'a thousands separator',
      { seriousIllness: '3,000' },
      [{ code: 'AMOUNT_INVALID', params: { field: 'seriousIllness' } }],
    ],
    [
      'no medical assistance',
      { medicalAssistance: '' },
      [{ code: 'VALUE_MISSING', params: { field: 'medicalAssistance' } }],
    ],
    [
      'reimbursements above the total',
      { totalCost: '20000.49' },
      [
        {
          code: 'FEED_REIMBURSED_ABOVE_TOTAL',
          params: {
            field: 'totalCost',
            fields: 'basicInsurance,seriousIllness,medicalAssistance,otherReimbursed',
          },
        },
      ],
    ],
    [
      'every bad cell at once, in column order',
      { recordId: '', hospital: '', totalCost: 'x', aid: 'ignored' },
      [
        { code: 'VALUE_MISSING', params: { field: 'recordId' } },
        { code: 'VALUE_MISSING', params: { field: 'hospital' } },
        { code: 'AMOUNT_INVALID', params: { field: 'totalCost' } },
      ],
    ],
  ];

  const educationOnly: [string, Cells, Reasons][] = [
    ['no school', { school: '' }, [{ code: 'VALUE_MISSING', params: { field: 'school' } }]],
    [
      'a school too long',
      { school: '学'.repeat(101) },
      [{ code: 'TOO_LONG', params: { field: 'school', max: 100 } }],
    ],
    ['no term', { term: '' }, [{ code: 'VALUE_MISSING', params: { field: 'term' } }]],
    [
      'a term too long',
      { term: '期'.repeat(41) },
      [{ code: 'TOO_LONG', params: { field: 'term', max: 40 } }],
    ],
    ['a term like a formula', { term: '@SUM' }, [{ code: 'FORMULA_START', params: { field: 'term' } }]],
    [
      'a bad payment date',
      { paymentDate: '2026-13-01' },
      [{ code: 'NOT_A_DATE', params: { field: 'paymentDate' } }],
    ],
    ['a negative tuition', { tuition: '-4800' }, [{ code: 'AMOUNT_NEGATIVE', params: { field: 'tuition' } }]],
    ['an exponent', { aid: '1e3' }, [{ code: 'AMOUNT_EXPONENT', params: { field: 'aid' } }]],
    [
      'a tuition too large',
      { tuition: '10000000.01' },
      [{ code: 'AMOUNT_TOO_LARGE', params: { field: 'tuition' } }],
    ],
    [
      'aid above the tuition',
      { aid: '4800.01' },
      [{ code: 'FEED_AID_ABOVE_TUITION', params: { field: 'aid' } }],
    ],
  ];

  it.each([
    ...both.map(([what, cells, reasons]) => ['medical', what, cells, reasons] as const),
    ...both.map(([what, cells, reasons]) => ['education', what, cells, reasons] as const),
    ...medicalOnly.map(([what, cells, reasons]) => ['medical', what, cells, reasons] as const),
    ...educationOnly.map(([what, cells, reasons]) => ['education', what, cells, reasons] as const),
  ])('%s: rejects %s', (kind, _what, cells, reasons) => {
    const parsed = parseNumberedFeedCsv(
      kind,
      file(kind, row(kind), row(kind, { recordId: 'OTHER', ...cells })),
    );
    expect(parsed.rejected).toEqual([{ row: 3, reasons }]);
    expect(parsed.numbered.map((n) => n.row)).toEqual([2]);
    // Every reason has words in both languages (no code shown as itself).
    for (const lang of ['zh', 'en'] as const)
      for (const r of reasons) expect(renderMessages([r], lang)).not.toBe(r.code);
  });

  it('words a reimbursement problem naming the columns', () => {
    const [rejected] = rejections('medical', file('medical', row('medical', { totalCost: '1' })));
    expect(renderMessages(rejected?.reasons ?? [], 'zh')).toBe(
      '基本医保报销、大病保险报销、医疗救助、其他报销合计超过总费用',
    );
    expect(renderMessages(rejected?.reasons ?? [], 'en')).toBe(
      'basicInsurance, seriousIllness, medicalAssistance, otherReimbursed add up to more than totalCost',
    );
  });

  it('rejects a row with the wrong number of cells, and a quoting error naming the column', () => {
    const text = file(
      'education',
      `${row('education')},extra`,
      row('education').replace('县第一中学', '"县"一中'),
    );
    expect(rejections('education', text)).toEqual([
      { row: 2, reasons: [{ code: 'FIELD_COUNT', params: { got: 9, expected: 8 } }] },
      { row: 3, reasons: [{ code: 'CSV_TEXT_AFTER_QUOTE', params: { field: 'school' } }] },
    ]);
  });

  it('rejects a later row repeating a recordId, naming the first row', () => {
    const text = file(
      'medical',
      row('medical', { recordId: 'A' }),
      row('medical', { recordId: 'B' }),
      row('medical', { recordId: 'A', totalCost: '40000' }),
      row('medical', { recordId: 'A' }),
    );
    const parsed = parseNumberedFeedCsv('medical', text);
    expect(parsed.numbered.map((n) => [n.row, n.line.recordId])).toEqual([
      [2, 'A'],
      [3, 'B'],
    ]);
    const repeated = { code: 'FEED_RECORD_REPEATED_IN_FILE', params: { field: 'recordId', firstRow: 2 } };
    expect(parsed.rejected).toEqual([
      { row: 4, reasons: [repeated] },
      { row: 5, reasons: [repeated] },
    ]);
    expect(renderMessages([repeated], 'zh')).toBe('记录编号：第 2 行已有这条记录');
  });

  it('lets a good row take a recordId whose earlier row was refused', () => {
    const text = file('education', row('education', { aid: '-1' }), row('education'));
    const parsed = parseNumberedFeedCsv('education', text);
    expect(parsed.numbered.map((n) => n.row)).toEqual([3]);
    expect(parsed.rejected.map((r) => r.row)).toEqual([2]);
  });

  it('refuses the whole file for a bad header, and an empty file', () => {
    expect(rejections('education', file('medical', row('medical')))).toEqual([
      {
        row: 1,
        reasons: [
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'hospital' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'admissionDate' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'dischargeDate' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'settlementDate' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'totalCost' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'basicInsurance' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'seriousIllness' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'medicalAssistance' } },
          { code: 'HEADER_COLUMN_UNKNOWN_NAME', params: { name: 'otherReimbursed' } },
          {
            code: 'HEADER_COLUMNS_MISSING',
            params: { fields: 'school,term,paymentDate,tuition,aid', columns: educationColumns.join(',') },
          },
        ],
      },
    ]);
    // A data row first: its cells are never quoted back.
    const headless = parseNumberedFeedCsv('medical', `${row('medical')}\r\n`);
    expect(headless.rejected).toEqual([
      { row: 1, reasons: [{ code: 'HEADER_NOT_FIRST', params: { columns: medicalColumns.join(',') } }] },
    ]);
    expect(rejections('medical', '\uFEFF\r\n')).toEqual([
      { row: 1, reasons: [{ code: 'FILE_EMPTY', params: { columns: medicalColumns.join(',') } }] },
    ]);
  });
});

describe('feedSurvey and feedRecordCheck, read piece by piece', () => {
  /** Both reads of a file as the bulk job makes them: a survey, then the check with its watch. */
  function twoReads(kind: FeedKind, text: string, cut: number) {
    const pieces = (t: string) =>
      Array.from({ length: Math.ceil(t.length / cut) }, (_, i) => t.slice(i * cut, (i + 1) * cut));
    const read = <T>(check: RecordCheck<T>) => {
      const fileCheck = new FileCheck(check, feedColumns(kind).join(','));
      const stream = new CsvRecordStream();
      const outcomes = [];
      for (const piece of pieces(text))
        for (const r of stream.push(piece)) outcomes.push(fileCheck.record(r));
      for (const r of stream.end()) outcomes.push(fileCheck.record(r));
      return { outcomes: outcomes.filter((o) => o !== undefined), refusal: fileCheck.refusal() };
    };
    const survey = feedSurvey(kind);
    read(survey);
    const { outcomes, refusal } = read(feedRecordCheck(kind, survey.finish()));
    const numbered = outcomes.flatMap((o) => ('value' in o ? [o.value] : []));
    const rejected = outcomes.flatMap((o) => ('reasons' in o ? [{ row: o.row, reasons: o.reasons }] : []));
    return refusal ? { numbered: [], rejected: [refusal] } : { numbered, rejected };
  }

  it('gives what parseNumberedFeedCsv gives, repeats included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), fc.boolean()), { maxLength: 20 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom<FeedKind>('medical', 'education'),
        (rows, cut, kind) => {
          const text = file(
            kind,
            ...rows.map(([recordId, good]) => row(kind, { recordId, ...(good ? {} : { name: '' }) })),
          );
          expect(twoReads(kind, text, cut)).toEqual(parseNumberedFeedCsv(kind, text));
        },
      ),
    );
  });
});

describe('feed row properties', () => {
  const fen = fc.integer({ min: 0, max: 100_000_000 });

  it('self-paid + reimbursed == total for any valid medical amounts', () => {
    fc.assert(
      fc.property(fc.array(fen, { minLength: 4, maxLength: 4 }), fen, (paid, extra) => {
        const total = paid.reduce((a, b) => a + b, 0) + extra;
        const [basicInsurance, seriousIllness, medicalAssistance, otherReimbursed] = paid.map(fenToYuan);
        const parsed = parseNumberedFeedCsv(
          'medical',
          file(
            'medical',
            row('medical', {
              totalCost: fenToYuan(total),
              ...{ basicInsurance, seriousIllness, medicalAssistance, otherReimbursed },
            }),
          ),
        );
        const line = parsed.numbered[0]?.line;
        expect(parsed.rejected).toEqual([]);
        expect(line?.totalCostFen).toBe(total);
        expect(line?.selfPaidFen).toBe(extra);
        expect((line?.selfPaidFen ?? NaN) + (line?.reimbursedFen ?? NaN)).toBe(total);
      }),
    );
  });

  it('self-paid + reimbursed == total for any valid tuition and aid, and aid above tuition is refused', () => {
    fc.assert(
      fc.property(fen, fen, (a, b) => {
        const parsed = parseNumberedFeedCsv(
          'education',
          file('education', row('education', { tuition: fenToYuan(a), aid: fenToYuan(b) })),
        );
        if (b > a) {
          expect(parsed.rejected[0]?.reasons.map((r) => r.code)).toEqual(['FEED_AID_ABOVE_TUITION']);
          return;
        }
        const line = parsed.numbered[0]?.line;
        expect(line?.totalCostFen).toBe(a);
        expect(line?.reimbursedFen).toBe(b);
        expect((line?.selfPaidFen ?? NaN) + (line?.reimbursedFen ?? NaN)).toBe(a);
      }),
    );
  });

  it('never puts the ID number or the name in a reason, wherever they are written', () => {
    const cjkName = fc
      .array(fc.integer({ min: 0x4e00, max: 0x9fa5 }), { minLength: 2, maxLength: 60 })
      .map((codes) => String.fromCodePoint(...codes));
    fc.assert(
      fc.property(
        fc.constantFrom<FeedKind>('medical', 'education'),
        fc.integer({ min: 0, max: 999 }),
        cjkName,
        fc.array(
          fc.tuple(
            fc.constantFrom(...new Set([...medicalColumns, ...educationColumns])),
            fc.constantFrom('id', 'name', 'both'),
          ),
        ),
        fc.boolean(),
        (kind, n, name, misplaced, badId) => {
          const id = badId
            ? `${idNumber(n).slice(0, 17)}${idNumber(n).endsWith('0') ? '1' : '0'}`
            : idNumber(n);
          // The personal cells written into other columns (a shifted export), plus every cell bad.
          const cells: Cells = { idNumber: id, name };
          const written = { id, name, both: `${name} ${id}` };
          for (const [column, what] of misplaced) cells[column] = written[what];
          const text = file(
            kind,
            row(kind, cells),
            row(kind, { idNumber: id, name, totalCost: '-1', aid: '-1' }),
          );
          const parsed = parseNumberedFeedCsv(kind, text);
          const said = JSON.stringify(parsed.rejected);
          const words = parsed.rejected.flatMap((r) => [
            renderMessages(r.reasons, 'zh'),
            renderMessages(r.reasons, 'en'),
          ]);
          for (const secret of [id, name, id.slice(-10), name.slice(0, 2)]) {
            expect(said).not.toContain(secret);
            for (const w of words) expect(w).not.toContain(secret);
          }
          expect(parsed.rejected.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
