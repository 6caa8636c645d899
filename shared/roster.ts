// The monitored-household roster (防返贫监测对象台账): one row per status period, imported from
// CSV by admins. Import is never all-or-nothing: good rows come back, each bad row with its
// reasons as message codes naming the column (people read them from the shared catalog). ID
// numbers and bank accounts are never echoed in those reasons, nor any cell's value.

import * as z from 'zod';
import { fenToYuan, parseYuan } from '#shared/money.ts';
import { isIsoDate } from '#shared/dates.ts';
import { normalizeResidentId, residentIdProblem } from '#shared/resident-id.ts';
import type { Message } from '#shared/messages/render.ts';
import {
  coded,
  csvText as text,
  decodeIssue,
  plainText,
  readCsvRecords,
  readHeader,
  reason,
  type CsvRecord,
} from '#shared/csv-table.ts';
import { checkRecords, type RecordCheck } from '#shared/csv-stream.ts';
import { PairedKeys, RepeatedKeys, watchAll, watchSet, type KeyWatch } from '#shared/in-file-keys.ts';
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

const wholeNumber = () => z.number({ error: coded('NOT_NUMBER') }).int(coded('NOT_WHOLE'));

/** One stored status period of one household. */
export const rosterPeriodSchema = z.object({
  householdId: text().regex(/^[A-Za-z0-9-]{1,40}$/, coded('BAD_HOUSEHOLD_ID')),
  region: text().regex(/^[A-Za-z0-9_-]{1,40}$/, coded('BAD_REGION')),
  village: plainText(100),
  headName: plainText(50),
  // Stored normalised (final X upper-case) so equal IDs compare equal.
  idNumber: text().superRefine((id, ctx) => {
    const problem =
      residentIdProblem(id) ??
      (id === normalizeResidentId(id) ? undefined : { code: 'ID_LOWERCASE_X', params: {} });
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: coded(problem.code, problem.params) });
  }),
  members: wholeNumber()
    .min(1, coded('NUMBER_MIN', { min: 1 }))
    .max(99, coded('NUMBER_MAX', { max: 99 })),
  status: z.enum(householdStatuses, {
    error: coded('STATUS_UNKNOWN', { allowed: householdStatuses.join(',') }),
  }),
  statusFrom: text().refine(isIsoDate, coded('NOT_A_DATE')),
  gridWorker: text().regex(/^[A-Za-z0-9_.-]{1,64}$/, coded('BAD_USERNAME')),
  bankAccount: text().regex(/^\d{10,30}$/, coded('BAD_BANK_ACCOUNT')),
  annualIncomeFen: wholeNumber().min(0, coded('AMOUNT_NEGATIVE')),
});
export type RosterPeriod = z.infer<typeof rosterPeriodSchema>;

export interface RosterRejection {
  /** 1-based line number in the file where the row starts; the header is row 1. */
  row: number;
  /** Every problem of the row, in column order, as message codes (never a cell's value). */
  reasons: Message[];
}

const columnList = rosterColumns.join(',');

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
  const { numbered, rejected } = checkRecords(readCsvRecords(text), rosterRecordCheck(), columnList);
  return { numbered: numbered.map((n) => n.value), rejected };
}

/** Which keys the contradiction checks keep: all of them, or what a survey of the file found repeated. */
export interface RosterWatch {
  /** householdId + statusFrom */
  readonly periods: KeyWatch;
  /** householdIds named with more than one ID number */
  readonly households: KeyWatch;
  /** ID numbers named by more than one household */
  readonly ids: KeyWatch;
}

const periodKey = (p: RosterPeriod) => `${p.householdId}\u0000${p.statusFrom}`;

/**
 * A first read of a roster file for rosterRecordCheck: the header and each row checked alone, and
 * the keys that repeat, in a few bytes per row.
 */
export function rosterSurvey(): RecordCheck<RosterPeriod> & { finish(): RosterWatch } {
  let header: Map<RosterColumn, number> | undefined;
  const periods = new RepeatedKeys();
  const pairs = new PairedKeys();
  return {
    header(record) {
      const found = readHeader(record, rosterColumns);
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(record, header);
      if (Array.isArray(result)) return result;
      periods.add(periodKey(result));
      pairs.add(result.householdId, result.idNumber);
      return result;
    },
    finish() {
      const { firstsWithMany, secondsWithMany } = pairs.finish();
      return {
        periods: watchSet(periods.finish()),
        households: watchSet(firstsWithMany),
        ids: watchSet(secondsWithMany),
      };
    },
  };
}

/**
 * The roster's checks, one record at a time: the header, each row alone, then the rows the file
 * itself contradicts (a period twice, a household with two ID numbers, an ID number heading two
 * households: the first row wins). With a survey's watch only the keys that repeat are remembered.
 */
export function rosterRecordCheck(
  watch: RosterWatch = { periods: watchAll, households: watchAll, ids: watchAll },
): RecordCheck<{ row: number; period: RosterPeriod }> {
  let header: Map<RosterColumn, number> | undefined;
  const periodRows = new Map<string, number>();
  const idRows = new Map<string, { idNumber: string; row: number }>();
  // One resident ID heads one household: the first row naming it wins within the file.
  const idHolders = new Map<string, { householdId: string; row: number }>();
  return {
    header(record) {
      const found = readHeader(record, rosterColumns);
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(record, header);
      if (Array.isArray(result)) return result;
      const key = periodKey(result);
      const watchPeriod = watch.periods.has(key);
      const earlierPeriod = watchPeriod ? periodRows.get(key) : undefined;
      if (earlierPeriod !== undefined) {
        return [
          reason('PERIOD_TWICE', {
            field: 'statusFrom',
            householdId: result.householdId,
            statusFrom: result.statusFrom,
            earlierRow: earlierPeriod,
          }),
        ];
      }
      const watchHousehold = watch.households.has(result.householdId);
      const earlierId = watchHousehold ? idRows.get(result.householdId) : undefined;
      if (earlierId !== undefined && earlierId.idNumber !== result.idNumber) {
        return [
          reason('ID_DIFFERS_IN_FILE', {
            field: 'idNumber',
            householdId: result.householdId,
            earlierRow: earlierId.row,
          }),
        ];
      }
      const watchId = watch.ids.has(result.idNumber);
      const holder = watchId ? idHolders.get(result.idNumber) : undefined;
      if (holder !== undefined && holder.householdId !== result.householdId) {
        return [
          reason('ID_HEADS_OTHER_IN_FILE', {
            field: 'idNumber',
            householdId: holder.householdId,
            earlierRow: holder.row,
          }),
        ];
      }
      if (watchId && holder === undefined)
        idHolders.set(result.idNumber, { householdId: result.householdId, row: record.line });
      if (watchPeriod) periodRows.set(key, record.line);
      if (watchHousehold && earlierId === undefined)
        idRows.set(result.householdId, { idNumber: result.idNumber, row: record.line });
      return { row: record.line, period: result };
    },
  };
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

function readRow(record: CsvRecord, header: Map<RosterColumn, number>): RosterPeriod | Message[] {
  if (record.error !== undefined) {
    const column = [...header].find(([, i]) => i === record.error?.field)?.[0];
    return [reason(record.error.code, { field: column ?? `#${String((record.error.field ?? 0) + 1)}` })];
  }
  if (record.fields.length !== header.size) {
    return [reason('FIELD_COUNT', { got: record.fields.length, expected: header.size })];
  }
  const cell = (c: RosterColumn) => (record.fields[header.get(c) ?? -1] ?? '').trim();
  const errors = new Map<RosterColumn, Message>();
  const candidate: Record<string, unknown> = {};

  for (const column of rosterColumns) {
    let value: string = cell(column);
    if (value === '') {
      errors.set(column, reason('VALUE_MISSING', { field: column }));
      continue;
    }
    if (column === 'members') {
      if (/^\d{1,3}$/.test(value)) candidate.members = Number(value);
      else errors.set(column, reason('NOT_WHOLE_PEOPLE', { field: column }));
      continue;
    }
    if (column === 'annualIncome') {
      const parsed = parseYuan(value);
      if (parsed.ok) candidate.annualIncomeFen = parsed.fen;
      else errors.set(column, reason(parsed.code, { field: column }));
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
    const column = key === 'annualIncomeFen' ? 'annualIncome' : (key as RosterColumn);
    if (issue) errors.set(column, decodeIssue(column, issue.message));
  }
  if (errors.size > 0) return rosterColumns.flatMap((c) => errors.get(c) ?? []);
  const period = rosterPeriodSchema.safeParse(candidate);
  if (!period.success) return period.error.issues.map((i) => decodeIssue(i.path.join('.'), i.message));
  return period.data;
}
