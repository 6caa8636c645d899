// The monitored-household roster (防返贫监测对象台账): one row per status period, imported from
// CSV by admins. Import is never all-or-nothing: good rows come back, each bad row with a reason
// that names its column. ID numbers and bank accounts are never echoed in those reasons.

import * as z from 'zod';
import { fenToYuan, parseYuan } from '#shared/money.ts';
import { isIsoDate } from '#shared/dates.ts';
import { normalizeResidentId, residentIdError } from '#shared/resident-id.ts';
import {
  coveredStatuses,
  householdStatuses,
  type CoveredStatus,
  type HouseholdStatus,
} from '#shared/vocabulary.ts';

export { coveredStatuses, householdStatuses, type CoveredStatus, type HouseholdStatus };

export function isCoveredStatus(status: string): status is CoveredStatus {
  return (coveredStatuses as readonly string[]).includes(status);
}

/** The CSV columns, in their documented order (also the order toRosterCsv writes). */
export const rosterColumns = [
  'householdId',
  'region',
  'village',
  'headName',
  'idNumber',
  'members',
  'status',
  'statusFrom',
  'gridWorker',
  'bankAccount',
  'annualIncome',
] as const;
export type RosterColumn = (typeof rosterColumns)[number];

// A cell starting with one of these runs as a formula when an export is opened in a
// spreadsheet; no real name or village starts that way, so refuse them at the door.
const FORMULA_START = /^[=+\-@]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const plainText = (max: number) =>
  z
    .string({ error: 'must be text' })
    .min(1, 'is empty')
    .max(max, `is longer than ${String(max)} characters`)
    .refine((s) => s.trim() === s, 'has spaces at the start or end')
    .refine((s) => !CONTROL_CHARS.test(s), 'contains a line break or other control character')
    .refine((s) => !FORMULA_START.test(s), 'must not start with =, +, - or @');

// Messages leave out the field's name (callers prefix the path) and never quote the value.
/** One stored status period of one household. */
export const rosterPeriodSchema = z.object({
  householdId: z
    .string({ error: 'must be text' })
    .regex(/^[A-Za-z0-9-]{1,40}$/, 'must be 1-40 letters, digits or hyphens'),
  region: z
    .string({ error: 'must be text' })
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be a region code of 1-40 letters, digits, _ or -'),
  village: plainText(100),
  headName: plainText(50),
  // Stored normalised (final X upper-case) so equal IDs compare equal.
  idNumber: z.string({ error: 'must be text' }).superRefine((id, ctx) => {
    const error =
      residentIdError(id) ?? (id === normalizeResidentId(id) ? undefined : 'ID number must end in X, not x');
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  }),
  members: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(99, 'must be at most 99'),
  status: z.enum(householdStatuses, { error: `must be one of ${householdStatuses.join(', ')}` }),
  statusFrom: z.string({ error: 'must be text' }).refine(isIsoDate, 'must be a real date written YYYY-MM-DD'),
  gridWorker: z
    .string({ error: 'must be text' })
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a username of 1-64 letters, digits, _, . or -'),
  bankAccount: z.string({ error: 'must be text' }).regex(/^\d{10,30}$/, 'must be 10-30 digits'),
  annualIncomeFen: z
    .number({ error: 'must be a number' })
    .int('must be whole fen')
    .min(0, 'must not be negative'),
});
export type RosterPeriod = z.infer<typeof rosterPeriodSchema>;

export interface RosterRejection {
  /** 1-based line number in the file where the row starts; the header is row 1. */
  row: number;
  error: string;
}

export interface RosterParseResult {
  periods: RosterPeriod[];
  rejected: RosterRejection[];
}

/** Each good period with the file row it came from (header = row 1). */
export interface NumberedRosterParse {
  numbered: { row: number; period: RosterPeriod }[];
  rejected: RosterRejection[];
}

/**
 * Parses a roster CSV (RFC 4180, UTF-8, header row with the roster columns in any order).
 * A bad header rejects the whole file as row 1; otherwise each bad row is rejected on its own.
 */
export function parseRosterCsv(text: string): RosterParseResult {
  const { numbered, rejected } = parseNumberedRosterCsv(text);
  return { periods: numbered.map((n) => n.period), rejected };
}

/** parseRosterCsv, keeping each good period's row number. */
export function parseNumberedRosterCsv(text: string): NumberedRosterParse {
  const records = readCsv(text.startsWith('\uFEFF') ? text.slice(1) : text).filter(
    (r) => r.error !== undefined || !isBlank(r.fields),
  );
  const headerRecord = records[0];
  if (!headerRecord) {
    return {
      numbered: [],
      rejected: [{ row: 1, error: `file is empty: a header row is required (${rosterColumns.join(',')})` }],
    };
  }
  const header = readHeader(headerRecord);
  if (typeof header === 'string')
    return { numbered: [], rejected: [{ row: headerRecord.line, error: header }] };

  const numbered: { row: number; period: RosterPeriod }[] = [];
  const rejected: RosterRejection[] = [];
  const periodRows = new Map<string, number>();
  const idRows = new Map<string, { idNumber: string; row: number }>();
  // One resident ID heads one household: the first row naming it wins within the file.
  const idHolders = new Map<string, { householdId: string; row: number }>();

  for (const record of records.slice(1)) {
    const result = readRow(record, header);
    if (typeof result === 'string') {
      rejected.push({ row: record.line, error: result });
      continue;
    }
    const periodKey = `${result.householdId}\u0000${result.statusFrom}`;
    const earlierPeriod = periodRows.get(periodKey);
    if (earlierPeriod !== undefined) {
      rejected.push({
        row: record.line,
        error: `statusFrom: household ${result.householdId} already has a period from ${result.statusFrom} on row ${String(earlierPeriod)}`,
      });
      continue;
    }
    const earlierId = idRows.get(result.householdId);
    if (earlierId !== undefined && earlierId.idNumber !== result.idNumber) {
      rejected.push({
        row: record.line,
        error: `idNumber: differs from the ID number given for household ${result.householdId} on row ${String(earlierId.row)}`,
      });
      continue;
    }
    const holder = idHolders.get(result.idNumber);
    if (holder !== undefined && holder.householdId !== result.householdId) {
      rejected.push({
        row: record.line,
        error: `idNumber: already the ID number of household ${holder.householdId} on row ${String(holder.row)}`,
      });
      continue;
    }
    if (holder === undefined)
      idHolders.set(result.idNumber, { householdId: result.householdId, row: record.line });
    periodRows.set(periodKey, record.line);
    if (earlierId === undefined)
      idRows.set(result.householdId, { idNumber: result.idNumber, row: record.line });
    numbered.push({ row: record.line, period: result });
  }
  return { numbered, rejected };
}

/**
 * The period in force on `date`: the one with the latest statusFrom on or before it.
 * `periods` must all belong to one household; undefined when it was not yet on the roster.
 */
export function statusOn(periods: readonly RosterPeriod[], date: string): RosterPeriod | undefined {
  if (!isIsoDate(date)) throw new RangeError('statusOn needs a real date written YYYY-MM-DD');
  let found: RosterPeriod | undefined;
  for (const period of periods) {
    if (period.householdId !== periods[0]?.householdId) {
      throw new RangeError('statusOn takes the periods of one household at a time');
    }
    // ISO dates order correctly as strings.
    if (period.statusFrom <= date && (found === undefined || period.statusFrom > found.statusFrom))
      found = period;
  }
  return found;
}

export interface RosterCsvOptions {
  /** Line ending; RFC 4180 says CRLF, which is also what spreadsheets expect. */
  lineEnding?: '\r\n' | '\n';
  /** Prefix a byte-order mark so Excel reads the UTF-8 Chinese correctly. */
  bom?: boolean;
}

/** Writes periods as a roster CSV that parseRosterCsv reads back to the same periods. */
export function toRosterCsv(periods: readonly RosterPeriod[], options: RosterCsvOptions = {}): string {
  const eol = options.lineEnding ?? '\r\n';
  const lines = [rosterColumns.join(',')];
  for (const p of periods) {
    const cells: Record<RosterColumn, string> = {
      householdId: p.householdId,
      region: p.region,
      village: p.village,
      headName: p.headName,
      idNumber: p.idNumber,
      members: String(p.members),
      status: p.status,
      statusFrom: p.statusFrom,
      gridWorker: p.gridWorker,
      bankAccount: p.bankAccount,
      annualIncome: fenToYuan(p.annualIncomeFen),
    };
    lines.push(rosterColumns.map((c) => csvCell(cells[c])).join(','));
  }
  return (options.bom ? '\uFEFF' : '') + lines.join(eol) + eol;
}

function csvCell(value: string): string {
  // Quote whatever the reader would otherwise split, unescape or trim.
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function readHeader(record: CsvRecord): Map<RosterColumn, number> | string {
  if (record.error !== undefined) return `header: ${record.error.message}`;
  const known = new Set<string>(rosterColumns);
  const index = new Map<RosterColumn, number>();
  const problems: string[] = [];
  const names = record.fields.map((f) => f.trim());
  if (!names.some((name) => known.has(name))) {
    // Most likely a data row (no header at all): quoting it could leak an ID number.
    return `header: row 1 is not the header row; it must name the columns ${rosterColumns.join(',')}`;
  }
  names.forEach((name, i) => {
    if (!known.has(name)) {
      problems.push(
        name === ''
          ? `column ${String(i + 1)} has no name`
          : /\d{6}/.test(name) || name.length > 40
            ? `column ${String(i + 1)} has an unknown name`
            : `unknown column "${name}"`,
      );
    } else if (index.has(name as RosterColumn)) {
      problems.push(`column "${name}" appears twice`);
    } else {
      index.set(name as RosterColumn, i);
    }
  });
  const missing = rosterColumns.filter((c) => !index.has(c));
  if (missing.length > 0)
    problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (problems.length === 0) return index;
  return `header: ${problems.join('; ')} (expected ${rosterColumns.join(',')})`;
}

function readRow(record: CsvRecord, header: Map<RosterColumn, number>): RosterPeriod | string {
  if (record.error !== undefined) {
    const column = [...header].find(([, i]) => i === record.error?.field)?.[0];
    return `${column ?? `field ${String((record.error.field ?? 0) + 1)}`}: ${record.error.message}`;
  }
  if (record.fields.length !== header.size) {
    return `row has ${String(record.fields.length)} fields, expected ${String(header.size)} (one per header column)`;
  }
  const cell = (c: RosterColumn) => (record.fields[header.get(c) ?? -1] ?? '').trim();
  const errors = new Map<RosterColumn, string>();
  const candidate: Record<string, unknown> = {};

  for (const column of rosterColumns) {
    let value: string = cell(column);
    if (value === '') {
      errors.set(column, 'value is missing');
      continue;
    }
    if (column === 'members') {
      if (/^\d{1,3}$/.test(value)) candidate.members = Number(value);
      else errors.set(column, 'must be a whole number of people, such as 4');
      continue;
    }
    if (column === 'annualIncome') {
      const parsed = parseYuan(value);
      if (parsed.ok) candidate.annualIncomeFen = parsed.fen;
      else errors.set(column, parsed.error);
      continue;
    }
    if (column === 'idNumber') value = normalizeResidentId(value);
    // People group account digits for reading; the digits are what count.
    if (column === 'bankAccount') value = value.replace(/[\s-]/g, '');
    candidate[column] = value;
  }

  // Field by field, so one bad cell cannot hide another.
  for (const [key, schema] of Object.entries(rosterPeriodSchema.shape)) {
    if (!(key in candidate)) continue;
    const issue = (schema as z.ZodType).safeParse(candidate[key]).error?.issues[0];
    if (issue) errors.set(key === 'annualIncomeFen' ? 'annualIncome' : (key as RosterColumn), issue.message);
  }
  if (errors.size > 0) {
    return rosterColumns
      .flatMap((c) => {
        const error = errors.get(c);
        return error === undefined ? [] : [`${c}: ${error}`];
      })
      .join('; ');
  }
  const period = rosterPeriodSchema.safeParse(candidate);
  if (!period.success) return period.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return period.data;
}

function isBlank(fields: readonly string[]): boolean {
  // An empty line, or a row of empty cells as spreadsheets write after deleting rows.
  return fields.every((f) => f.trim() === '');
}

interface CsvRecord {
  /** Line the record starts on (1-based); quoted line breaks make a record span lines. */
  line: number;
  fields: string[];
  /** Quoting error; `field` is the 0-based index of the field where it happened. */
  error?: { field: number; message: string };
}

// RFC 4180 reader. Accepts CRLF, LF or lone CR line endings. On a quoting error it records the
// error and carries on at the next line, so one bad row does not sink the rest.
function readCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const isEol = (c: string | undefined) => c === '\n' || c === '\r';
  const skipEol = () => {
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
  };

  while (i < n) {
    const record: CsvRecord = { line, fields: [] };
    const fail = (message: string) => {
      record.error ??= { field: record.fields.length, message };
    };
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (isEol(c)) {
            const start = i;
            skipEol();
            value += text.slice(start, i);
            continue;
          }
          value += c;
          i++;
        }
        if (!closed)
          fail('a quoted value starting on this row is never closed, so the rest of the file was swallowed');
        if (i < n && text[i] !== ',' && !isEol(text[i])) {
          fail('text after the closing quote of a quoted value');
          while (i < n && text[i] !== ',' && !isEol(text[i])) i++;
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && !isEol(text[i])) i++;
        value = text.slice(start, i);
        if (value.includes('"'))
          fail('a quote inside an unquoted value (quote the whole value and double the quote)');
      }
      record.fields.push(value);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      if (i < n) skipEol();
      break;
    }
    records.push(record);
  }
  return records;
}
