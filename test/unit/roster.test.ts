import { readFileSync } from 'node:fs';
import { renderMessages } from '#shared/messages/render.ts';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  coveredStatuses,
  householdStatuses,
  isCoveredStatus,
  parseRosterCsv,
  rosterColumns,
  rosterPeriodSchema,
  statusOn,
  toRosterCsv,
  type RosterPeriod,
} from '#shared/roster.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';

/** parseRosterCsv with each row's reasons in the catalog's English, as one line. */
function parseInEnglish(text: string) {
  const { periods, rejected } = parseRosterCsv(text);
  return { periods, rejected: rejected.map((r) => ({ row: r.row, error: renderMessages(r.reasons, 'en') })) };
}

const demoCsv = readFileSync(new URL('../../shared/data/demo-roster.csv', import.meta.url), 'utf8');

const HEADER = rosterColumns.join(',');
const ID = '430381196007101077';
const ID_BAD_CHECK = '430381196007101074';
const ID_2 = '11010519491231002X';
const ACCOUNT = '6230900000000000001';

type Row = Record<(typeof rosterColumns)[number], string>;
const goodRow: Row = {
  householdId: 'HH-0001',
  region: 'demo',
  village: '红星村',
  headName: '张建国',
  idNumber: ID,
  members: '4',
  status: 'unstable',
  statusFrom: '2024-01-01',
  gridWorker: 'worker1',
  bankAccount: ACCOUNT,
  annualIncome: '22700.50',
};
const line = (overrides: Partial<Row> = {}) =>
  rosterColumns.map((c) => ({ ...goodRow, ...overrides })[c]).join(',');
const csv = (...lines: string[]) => [HEADER, ...lines].join('\n') + '\n';

const period = (overrides: Partial<RosterPeriod> = {}): RosterPeriod => ({
  householdId: 'HH-0001',
  region: 'demo',
  village: '红星村',
  headName: '张建国',
  idNumber: ID,
  members: 4,
  status: 'unstable',
  statusFrom: '2024-01-01',
  gridWorker: 'worker1',
  bankAccount: ACCOUNT,
  annualIncomeFen: 2_270_050,
  ...overrides,
});

describe('demo roster', () => {
  const { periods, rejected } = parseInEnglish(demoCsv);
  const households = new Map<string, RosterPeriod[]>();
  for (const p of periods) households.set(p.householdId, [...(households.get(p.householdId) ?? []), p]);
  const on = (hh: string, date: string) => statusOn(households.get(hh) ?? [], date);

  it('parses clean with 35 households in demo (30 for worker1, 5 for worker2) and 8 in demo-fund', () => {
    expect(rejected).toEqual([]);
    expect(households.size).toBe(43);
    const workers = (w: string, region: string) =>
      [...households.values()].filter((ps) => ps[0]?.gridWorker === w && ps[0]?.region === region).length;
    expect(workers('worker1', 'demo')).toBe(30);
    expect(workers('worker2', 'demo')).toBe(5);
    expect(workers('worker1', 'demo-fund')).toBe(4);
    expect(workers('worker2', 'demo-fund')).toBe(4);
    expect(periods.every((p) => p.region === 'demo' || p.region === 'demo-fund')).toBe(true);
    expect(new Set(periods.map((p) => p.status))).toEqual(new Set(householdStatuses));
  });

  it('has the intentionally ineligible households', () => {
    expect(on('HH-0028', '2026-05-31')?.status).toBe('sudden_hardship');
    expect(on('HH-0028', '2026-06-01')?.status).toBe('removed');
    expect(on('HH-0029', '2026-03-01')?.status).toBe('removed');
    expect(on('HH-0030', '2026-09-30')).toBeUndefined();
    expect(isCoveredStatus(on('HH-0030', '2026-10-01')?.status ?? 'removed')).toBe(true);
    expect(isCoveredStatus(on('HH-0001', '2026-09-01')?.status ?? 'removed')).toBe(true);
  });

  it('round-trips through toRosterCsv', () => {
    expect(toRosterCsv(periods, { lineEnding: '\n' })).toBe(demoCsv);
  });
});

describe('parseRosterCsv', () => {
  it('parses a good row into fen and normalised fields', () => {
    expect(parseInEnglish(csv(line()))).toEqual({ periods: [period()], rejected: [] });
  });

  it('accepts columns in any order', () => {
    const columns = [...rosterColumns].reverse();
    const text = [columns.join(','), columns.map((c) => goodRow[c]).join(',')].join('\n');
    expect(parseInEnglish(text)).toEqual({ periods: [period()], rejected: [] });
  });

  it('accepts a lowercase x and stores it upper-case', () => {
    const { periods, rejected } = parseInEnglish(csv(line({ idNumber: '11010519491231002x' })));
    expect(rejected).toEqual([]);
    expect(periods[0]?.idNumber).toBe(ID_2);
  });

  it('strips a BOM, reads CRLF, and ignores blank trailing lines', () => {
    const text = `\uFEFF${HEADER}\r\n${line()}\r\n${line({ householdId: 'HH-0002', idNumber: ID_2 })}\r\n\r\n\r\n`;
    const { periods, rejected } = parseInEnglish(text);
    expect(rejected).toEqual([]);
    expect(periods.map((p) => p.householdId)).toEqual(['HH-0001', 'HH-0002']);
    expect(periods[1]?.annualIncomeFen).toBe(2_270_050);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text = csv(
      line({ village: '"红星村, 三组"', headName: '"张""建国"""' }),
      line({ householdId: 'HH-0002', idNumber: ID_2, bankAccount: `"${ACCOUNT}"` }),
    );
    const { periods, rejected } = parseInEnglish(text);
    expect(rejected).toEqual([]);
    expect(periods[0]?.village).toBe('红星村, 三组');
    expect(periods[0]?.headName).toBe('张"建国"');
    expect(periods[1]?.bankAccount).toBe(ACCOUNT);
  });

  it('reads a quoted line break as part of the value (then refuses it in a name) and numbers rows by their first line', () => {
    const text = csv(
      line({ village: '"向阳村\r\n二组"' }),
      line({ householdId: 'HH-0002', status: 'poor' }),
      line({ householdId: 'HH-0003', headName: '"张\n建国"' }),
      line({ householdId: 'HH-0004' }),
    );
    expect(parseInEnglish(text)).toEqual({
      periods: [period({ householdId: 'HH-0004' })],
      rejected: [
        { row: 2, error: 'village: contains a line break or other control character' },
        { row: 4, error: expect.stringContaining('status:') },
        { row: 5, error: 'headName: contains a line break or other control character' },
      ],
    });
  });

  it.each<[string, Partial<Row>, string]>([
    [
      'a bad check digit',
      { idNumber: ID_BAD_CHECK },
      'ID number check digit does not match the rest of the number',
    ],
    ['a short ID', { idNumber: ID.slice(0, 17) }, 'ID number must be 18 characters, got 17'],
    ['an impossible birth date', { idNumber: '11010519900230002X' }, 'ID number birth date'],
    ['a missing head name', { headName: '' }, 'headName: value is missing'],
    ['a missing ID number', { idNumber: '  ' }, 'idNumber: value is missing'],
    ['a bad status', { status: 'poor' }, 'status: must be one of out_of_poverty'],
    ['a status in the wrong case', { status: 'Removed' }, 'status: must be one of'],
    ['an unreal date', { statusFrom: '2026-02-30' }, 'statusFrom: must be a real date written YYYY-MM-DD'],
    ['a slashed date', { statusFrom: '2026/01/01' }, 'statusFrom: must be a real date'],
    ['a three-decimal income', { annualIncome: '22700.505' }, 'annualIncome: amount has more than two'],
    ['a negative income', { annualIncome: '-1' }, 'annualIncome: amount is negative'],
    ['zero members', { members: '0' }, 'members: must be at least 1'],
    ['fractional members', { members: '2.5' }, 'members: must be a whole number of people'],
    [
      'a bad household id',
      { householdId: 'HH 0001' },
      'householdId: must be 1-40 letters, digits or hyphens',
    ],
    ['a bad grid worker', { gridWorker: 'worker 1' }, 'gridWorker: must be a username'],
    ['a short bank account', { bankAccount: '123456789' }, 'bankAccount: must be 10-30 digits'],
    ['a bank account in exponent form', { bankAccount: '6.2309E+18' }, 'bankAccount: must be 10-30 digits'],
    ['a formula in a name', { headName: '=1+1' }, 'headName: must not start with =, +, - or @'],
  ])('rejects a row with %s, naming the column', (_what, overrides, message) => {
    const { periods, rejected } = parseInEnglish(
      csv(line({ householdId: 'HH-0009', idNumber: ID_2 }), line(overrides)),
    );
    expect(periods).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.row).toBe(3);
    expect(rejected[0]?.error).toContain(message);
  });

  it('gives each problem as a code naming its column, never the value, and says it in Chinese', () => {
    const { rejected } = parseRosterCsv(csv(line({ idNumber: ID_BAD_CHECK, annualIncome: '-5' })));
    expect(rejected[0]?.reasons).toEqual([
      { code: 'ID_CHECK_DIGIT', params: { field: 'idNumber' } },
      { code: 'AMOUNT_NEGATIVE', params: { field: 'annualIncome' } },
    ]);
    expect(renderMessages(rejected[0]?.reasons ?? [], 'zh')).toBe(
      '身份证号校验位与前 17 位不符；年收入：金额不能为负数',
    );
    expect(JSON.stringify(rejected)).not.toContain(ID_BAD_CHECK.slice(0, 6));
  });

  it('reports every bad cell of a row in column order', () => {
    const { rejected } = parseInEnglish(csv(line({ status: 'poor', idNumber: ID_BAD_CHECK, members: 'x' })));
    expect(rejected[0]?.error).toBe(
      'ID number check digit does not match the rest of the number; members: must be a whole number of people, such as 4; ' +
        'status: must be one of out_of_poverty, unstable, marginal, sudden_hardship, removed',
    );
  });

  it('accepts grouped bank account digits', () => {
    const { periods } = parseInEnglish(csv(line({ bankAccount: '6230 9000 0000 0000 001' })));
    expect(periods[0]?.bankAccount).toBe(ACCOUNT);
  });

  it('rejects rows with too few or too many fields', () => {
    const text = csv(
      line(),
      `${line({ householdId: 'HH-0002' })},extra`,
      line({ householdId: 'HH-0003' }).replace(',demo', ''),
    );
    expect(parseInEnglish(text)).toEqual({
      periods: [period()],
      rejected: [
        { row: 3, error: 'row has 12 fields, expected 11 (one per header column)' },
        { row: 4, error: 'row has 10 fields, expected 11 (one per header column)' },
      ],
    });
  });

  it('rejects a stray quote and an unclosed quote without losing earlier rows', () => {
    const stray = parseInEnglish(csv(line({ village: '红"星村' }), line({ householdId: 'HH-0002' })));
    expect(stray.periods.map((p) => p.householdId)).toEqual(['HH-0002']);
    expect(stray.rejected).toEqual([
      { row: 2, error: expect.stringMatching(/^village: a quote inside an unquoted value/) },
    ]);

    const after = parseInEnglish(csv(line({ village: '"红星村"x' })));
    expect(after.rejected).toEqual([
      { row: 2, error: 'village: text after the closing quote of a quoted value' },
    ]);

    const unclosed = parseInEnglish(
      csv(line(), line({ householdId: 'HH-0002', village: '"红星村' }), line()),
    );
    expect(unclosed.periods).toEqual([period()]);
    expect(unclosed.rejected).toEqual([
      { row: 3, error: expect.stringMatching(/^village: a quoted value .* never closed/) },
    ]);
  });

  it('rejects a later duplicate (householdId, statusFrom)', () => {
    const text = csv(line(), line({ status: 'marginal' }), line({ statusFrom: '2025-01-01' }));
    const { periods, rejected } = parseInEnglish(text);
    expect(periods.map((p) => [p.status, p.statusFrom])).toEqual([
      ['unstable', '2024-01-01'],
      ['unstable', '2025-01-01'],
    ]);
    expect(rejected).toEqual([
      { row: 3, error: 'statusFrom: household HH-0001 already has a period from 2024-01-01 on row 2' },
    ]);
  });

  it('rejects a period whose ID number disagrees with the household’s earlier rows', () => {
    const text = csv(line(), line({ idNumber: ID_2, statusFrom: '2025-01-01' }));
    const { periods, rejected } = parseInEnglish(text);
    expect(periods).toEqual([period()]);
    expect(rejected).toEqual([
      { row: 3, error: 'idNumber: differs from the ID number given for household HH-0001 on row 2' },
    ]);
  });

  it('never puts an ID number or bank account into an error', () => {
    const text = csv(
      line({ idNumber: ID_BAD_CHECK }),
      line({ idNumber: ID_2, statusFrom: '2025-01-01' }),
      line({ bankAccount: '62309000000000000x1', statusFrom: '2025-02-01' }),
      line({ idNumber: '430381196007101077,', statusFrom: '2025-03-01' }),
      line({ idNumber: '"430381196007101077"x', statusFrom: '2025-04-01' }),
      line({ idNumber: '4303811960071010', statusFrom: '2025-05-01' }),
    );
    const { periods, rejected } = parseInEnglish(text);
    // Row 3 is the household's first good row, so its ID is the one the rest must match.
    expect(periods.map((p) => p.idNumber)).toEqual([ID_2]);
    expect(rejected.map((r) => r.row)).toEqual([2, 4, 5, 6, 7]);
    for (const { error } of rejected) {
      for (const secret of [ID, ID_BAD_CHECK, ID_2, '62309000000000000', '4303811960071010', '19600710']) {
        expect(error).not.toContain(secret);
      }
    }
  });

  it('rejects the whole file at row 1 for a bad header', () => {
    const unknown = parseInEnglish(`${HEADER},phone\n${line()},138\n`);
    expect(unknown.periods).toEqual([]);
    expect(unknown.rejected).toEqual([{ row: 1, error: expect.stringContaining('unknown column "phone"') }]);

    const missing = parseInEnglish(`${HEADER.replace(',annualIncome', '')}\n`);
    expect(missing.rejected).toEqual([
      { row: 1, error: expect.stringContaining('missing columns: annualIncome') },
    ]);

    const twice = parseInEnglish(`${HEADER},status\n`);
    expect(twice.rejected).toEqual([
      { row: 1, error: expect.stringContaining('column "status" appears twice') },
    ]);

    const noHeader = parseInEnglish(`${line()}\n${line()}\n`);
    expect(noHeader).toEqual({
      periods: [],
      rejected: [{ row: 1, error: expect.stringContaining('not the header row') }],
    });
    expect(noHeader.rejected[0]?.error).not.toContain(ID);
    expect(noHeader.rejected[0]?.error).not.toContain('张建国');

    const idAsName = parseInEnglish(`${HEADER},${ID}\n`);
    expect(idAsName.rejected).toEqual([
      { row: 1, error: expect.stringContaining('column 12 has an unknown name') },
    ]);
    expect(idAsName.rejected[0]?.error).not.toContain(ID);
  });

  it('needs a header row', () => {
    expect(parseInEnglish('').rejected).toEqual([
      { row: 1, error: expect.stringContaining('header row is required') },
    ]);
    expect(parseInEnglish('\uFEFF\n\n')).toMatchObject({ periods: [], rejected: [{ row: 1 }] });
    expect(parseInEnglish(`${HEADER}\n`)).toEqual({ periods: [], rejected: [] });
    expect(parseInEnglish(HEADER)).toEqual({ periods: [], rejected: [] });
  });
});

describe('statusOn', () => {
  const periods = [
    period({ status: 'removed', statusFrom: '2026-06-01' }),
    period({ status: 'unstable', statusFrom: '2024-01-01' }),
    period({ status: 'sudden_hardship', statusFrom: '2025-03-15' }),
  ];

  it('picks the period with the latest statusFrom on or before the date, in any order', () => {
    expect(statusOn(periods, '2023-12-31')).toBeUndefined();
    expect(statusOn(periods, '2024-01-01')?.status).toBe('unstable');
    expect(statusOn(periods, '2025-03-14')?.status).toBe('unstable');
    expect(statusOn(periods, '2025-03-15')?.status).toBe('sudden_hardship');
    expect(statusOn(periods, '2026-05-31')?.status).toBe('sudden_hardship');
    expect(statusOn(periods, '2026-06-01')?.status).toBe('removed');
    expect(statusOn(periods, '2030-01-01')?.status).toBe('removed');
    expect(statusOn([], '2026-01-01')).toBeUndefined();
  });

  it('refuses a malformed date and a mix of households', () => {
    expect(() => statusOn(periods, '2026-02-30')).toThrow(RangeError);
    expect(() =>
      statusOn([period(), period({ householdId: 'HH-0002', statusFrom: '2025-01-01' })], '2026-01-01'),
    ).toThrow(RangeError);
  });
});

describe('statuses', () => {
  it('covers every status but removed', () => {
    expect(householdStatuses.filter(isCoveredStatus)).toEqual([...coveredStatuses]);
    expect(isCoveredStatus('removed')).toBe(false);
    expect(isCoveredStatus('poor')).toBe(false);
  });
});

describe('toRosterCsv', () => {
  it('writes CRLF by default and a BOM on request', () => {
    const text = toRosterCsv([period()], { bom: true });
    expect(text).toBe(`\uFEFF${HEADER}\r\n${line()}\r\n`);
  });

  const text = (chars: string) =>
    fc
      .string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 12 })
      .filter((s) => s.trim() === s && !/^[=+\-@]/.test(s));
  const arbitraryPeriod = fc.record({
    householdId: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/),
    region: fc.constantFrom('demo', '430381', 'east_1'),
    village: text('红星村 ,"-\'a'),
    headName: text('张建国, "\'x'),
    idNumber: fc
      .tuple(
        fc.stringMatching(/^\d{6}$/),
        fc.constantFrom('19491231', '20000229', '19000101'),
        fc.stringMatching(/^\d{3}$/),
      )
      .map(([a, b, c]) => a + b + c)
      .map((first17) => first17 + residentIdCheckDigit(first17)),
    members: fc.integer({ min: 1, max: 99 }),
    status: fc.constantFrom(...householdStatuses),
    statusFrom: fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10)),
    gridWorker: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
    bankAccount: fc.stringMatching(/^\d{10,30}$/),
    annualIncomeFen: fc.integer({ min: 0, max: 1_000_000_000 }),
  });

  it('property: parseRosterCsv reads back whatever toRosterCsv writes', () => {
    fc.assert(
      fc.property(fc.array(arbitraryPeriod, { maxLength: 5 }), fc.boolean(), (generated, crlf) => {
        const valid = generated.filter((p) => rosterPeriodSchema.safeParse(p).success);
        // One period per household keeps the duplicate and ID-agreement checks out of the way.
        const unique = [...new Map(valid.map((p) => [p.householdId, p])).values()];
        const written = toRosterCsv(unique, { lineEnding: crlf ? '\r\n' : '\n' });
        expect(parseInEnglish(written)).toEqual({ periods: unique, rejected: [] });
      }),
    );
  });
});
