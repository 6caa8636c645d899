// The departments' files (数据比对): a monthly 医保 settlement file and a term's tuition file, one
// record per row. A row is checked alone here; matching it to a household is feed-import.ts's.
// Reasons are message codes naming the column, never a cell's value: the file holds ID numbers.
import * as z from 'zod';
import { isIsoDate } from '#shared/dates.ts';
import { feedKindSchema, type FeedKind } from '#shared/feed-record.ts';
import { parseYuan } from '#shared/money.ts';
import { normalizeResidentId, residentIdProblem } from '#shared/resident-id.ts';
import type { Message } from '#shared/messages/render.ts';
import {
  coded,
  decodeIssue,
  plainText,
  readCsvRecords,
  readHeader,
  reason,
  type CsvRecord,
} from '#shared/csv-table.ts';
import { checkRecords, type RecordCheck } from '#shared/csv-stream.ts';
import { RepeatedKeys, watchAll, watchSet, type KeyWatch } from '#shared/in-file-keys.ts';

const fen = z.number().int().nonnegative();

/**
 * A checked row, as the job's work chunks hold it: the person's ID number (to find the household),
 * never the name (dropped by the check: nothing needs it).
 */
export const feedLineSchema = z.object({
  kind: feedKindSchema,
  recordId: z.string().min(1).max(64),
  /** Normalised resident ID number (final X upper-case). */
  idNumber: z.string(),
  expenseDate: z.string().refine(isIsoDate),
  totalCostFen: fen,
  reimbursedFen: fen,
  selfPaidFen: fen,
  place: z.string().max(100),
  admissionDate: z.string().optional(),
  dischargeDate: z.string().optional(),
  term: z.string().max(40).optional(),
});
export type FeedLine = z.infer<typeof feedLineSchema>;

/** A checked row with its place in the file (header = row 1). */
export const numberedFeedLineSchema = z.object({ row: z.number().int().min(2), line: feedLineSchema });
export type NumberedFeedLine = z.infer<typeof numberedFeedLineSchema>;

/** The medical (医保结算) file's columns, in their documented order (any order is read). */
export const medicalColumns = [
  'recordId',
  'idNumber',
  'name',
  'hospital',
  'admissionDate',
  'dischargeDate',
  'settlementDate',
  'totalCost',
  'basicInsurance',
  'seriousIllness',
  'medicalAssistance',
  'otherReimbursed',
] as const;
/** The tuition (学费) file's columns, in their documented order (any order is read). */
export const educationColumns = [
  'recordId',
  'idNumber',
  'name',
  'school',
  'term',
  'paymentDate',
  'tuition',
  'aid',
] as const;
export type MedicalColumn = (typeof medicalColumns)[number];
export type EducationColumn = (typeof educationColumns)[number];
export type FeedColumn = MedicalColumn | EducationColumn;

/** What insurance and aid schemes paid of a medical bill; the rest is self-paid. */
const medicalReimbursements = [
  'basicInsurance',
  'seriousIllness',
  'medicalAssistance',
  'otherReimbursed',
] as const;

export function feedColumns(kind: FeedKind): readonly FeedColumn[] {
  return kind === 'medical' ? medicalColumns : educationColumns;
}

/** A refused row (or the whole file, as row 1): reasons name columns, never a cell's value. */
export interface FeedRejection {
  row: number;
  reasons: Message[];
}

// Printable and one word: no control, format (bidi marks, zero-width), unassigned, private-use or
// lone-surrogate characters, and no spaces. The id becomes part of a stored key and is shown back.
const RECORD_ID_BAD_CHAR = /[\p{C}\p{Z}\s]/u;
const FORMULA_START = /^[=+\-@]/;
const RECORD_ID_MAX = 64;

const nameText = plainText(50);
// Shown back to reviewers and in exports: no bidi marks, zero-width or other invisible characters
// (they make a hospital read as another), nor line or paragraph separators.
const INVISIBLE_CHAR = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;
const shownText = (max: number) =>
  plainText(max).refine((s) => !INVISIBLE_CHAR.test(s), coded('CONTROL_CHAR'));
const placeText = shownText(100);
const termText = shownText(40);

/**
 * Whether a kept cell (the record id, the hospital or school, the term) holds a resident ID
 * number: the row's own, or any valid one (a department that put the wrong column there).
 */
function holdsIdNumber(value: string, idNumber: string | undefined): boolean {
  if (idNumber !== undefined && value.toUpperCase().includes(idNumber)) return true;
  for (let i = 0; i + 18 <= value.length; i++) {
    const window = normalizeResidentId(value.slice(i, i + 18));
    if (/^\d{17}[\dX]$/.test(window) && residentIdProblem(window) === undefined) return true;
  }
  return false;
}

/**
 * Parses a department file (RFC 4180, UTF-8, header row with the kind's columns in any order). A
 * bad header rejects the whole file as row 1; otherwise each bad row is rejected on its own, and
 * so is a row repeating an earlier good row's recordId (the first row wins).
 */
export function parseNumberedFeedCsv(
  kind: FeedKind,
  text: string,
): { numbered: NumberedFeedLine[]; rejected: FeedRejection[] } {
  const { numbered, rejected } = checkRecords(
    readCsvRecords(text),
    feedRecordCheck(kind),
    feedColumns(kind).join(','),
  );
  return { numbered: numbered.map((n) => n.value), rejected };
}

/**
 * A first read of a feed file for feedRecordCheck: the header and each row checked alone, and the
 * recordIds that repeat, in a few bytes per row.
 */
export function feedSurvey(kind: FeedKind): RecordCheck<FeedLine> & { finish(): KeyWatch } {
  let header: Map<FeedColumn, number> | undefined;
  const ids = new RepeatedKeys();
  return {
    header(record) {
      const found = readHeader<FeedColumn>(record, feedColumns(kind));
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(kind, record, header);
      if (!Array.isArray(result)) ids.add(result.recordId);
      return result;
    },
    finish: () => watchSet(ids.finish()),
  };
}

/**
 * The feed file's checks, one record at a time: the header, each row alone, then a recordId an
 * earlier good row of the file already had (the later row is refused: the department sends one
 * row per record). `ids` (a survey's) limits which recordIds are remembered to those that repeat.
 */
export function feedRecordCheck(kind: FeedKind, ids: KeyWatch = watchAll): RecordCheck<NumberedFeedLine> {
  let header: Map<FeedColumn, number> | undefined;
  const firstRows = new Map<string, number>();
  return {
    header(record) {
      const found = readHeader<FeedColumn>(record, feedColumns(kind));
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(kind, record, header);
      if (Array.isArray(result)) return result;
      if (ids.has(result.recordId)) {
        const firstRow = firstRows.get(result.recordId);
        if (firstRow !== undefined)
          return [reason('FEED_RECORD_REPEATED_IN_FILE', { field: 'recordId', firstRow })];
        firstRows.set(result.recordId, record.line);
      }
      return { row: record.line, line: result };
    },
  };
}

function readRow(kind: FeedKind, record: CsvRecord, header: Map<FeedColumn, number>): FeedLine | Message[] {
  if (record.error !== undefined) {
    const column = [...header].find(([, i]) => i === record.error?.field)?.[0];
    return [reason(record.error.code, { field: column ?? `#${String((record.error.field ?? 0) + 1)}` })];
  }
  if (record.fields.length !== header.size)
    return [reason('FIELD_COUNT', { got: record.fields.length, expected: header.size })];
  const cell = (c: FeedColumn) => (record.fields[header.get(c) ?? -1] ?? '').trim();
  // Column by column, in the file's documented order, so one bad cell cannot hide another.
  const errors: Message[] = [];
  const missing = (column: FeedColumn): boolean => {
    if (cell(column) !== '') return false;
    errors.push(reason('VALUE_MISSING', { field: column }));
    return true;
  };
  const text = (column: FeedColumn, schema: z.ZodType<string>): string | undefined => {
    if (missing(column)) return undefined;
    const issue = schema.safeParse(cell(column)).error?.issues[0];
    if (issue) {
      errors.push(decodeIssue(column, issue.message));
      return undefined;
    }
    return cell(column);
  };
  const date = (column: FeedColumn): string | undefined => {
    if (missing(column)) return undefined;
    if (isIsoDate(cell(column))) return cell(column);
    errors.push(reason('NOT_A_DATE', { field: column }));
    return undefined;
  };
  const amount = (column: FeedColumn): number | undefined => {
    if (missing(column)) return undefined;
    const parsed = parseYuan(cell(column));
    if (parsed.ok) return parsed.fen;
    errors.push(reason(parsed.code, { field: column }));
    return undefined;
  };

  const recordIdCell = readRecordId(cell('recordId'), errors);
  let idNumber: string | undefined;
  if (!missing('idNumber')) {
    const normalized = normalizeResidentId(cell('idNumber'));
    const problem = residentIdProblem(normalized);
    if (problem) errors.push(reason(problem.code, { field: 'idNumber', ...problem.params }));
    else idNumber = normalized;
  }
  // Checked so a file of the wrong people's columns is caught, then dropped: nothing needs it.
  text('name', nameText);
  // What is kept of a row never holds an ID number (a column shifted, an id built from one).
  const kept = (column: FeedColumn, value: string | undefined): string | undefined => {
    if (value === undefined || !holdsIdNumber(value, idNumber)) return value;
    errors.push(reason('FEED_ID_NUMBER_IN_CELL', { field: column }));
    return undefined;
  };
  const recordId = kept('recordId', recordIdCell);

  if (kind === 'medical') {
    const place = kept('hospital', text('hospital', placeText));
    const admissionDate = date('admissionDate');
    const dischargeDate = date('dischargeDate');
    const settlementDate = date('settlementDate');
    const totalCostFen = amount('totalCost');
    const paid = medicalReimbursements.map((c) => amount(c));
    if (admissionDate !== undefined && dischargeDate !== undefined && dischargeDate < admissionDate)
      errors.push(reason('FEED_DISCHARGE_BEFORE_ADMISSION', { field: 'dischargeDate' }));
    if (dischargeDate !== undefined && settlementDate !== undefined && settlementDate < dischargeDate)
      errors.push(reason('FEED_SETTLEMENT_BEFORE_DISCHARGE', { field: 'settlementDate' }));
    const reimbursedFen = paid.every((p) => p !== undefined) ? paid.reduce((a, b) => a + b, 0) : undefined;
    if (totalCostFen !== undefined && reimbursedFen !== undefined && reimbursedFen > totalCostFen)
      errors.push(
        reason('FEED_REIMBURSED_ABOVE_TOTAL', {
          field: 'totalCost',
          fields: medicalReimbursements.join(','),
        }),
      );
    if (
      errors.length > 0 ||
      recordId === undefined ||
      idNumber === undefined ||
      place === undefined ||
      admissionDate === undefined ||
      dischargeDate === undefined ||
      settlementDate === undefined ||
      totalCostFen === undefined ||
      reimbursedFen === undefined
    )
      return errors;
    return {
      kind,
      recordId,
      idNumber,
      expenseDate: settlementDate,
      totalCostFen,
      reimbursedFen,
      selfPaidFen: totalCostFen - reimbursedFen,
      place,
      admissionDate,
      dischargeDate,
    };
  }

  const place = kept('school', text('school', placeText));
  const term = kept('term', text('term', termText));
  const paymentDate = date('paymentDate');
  const tuitionFen = amount('tuition');
  const aidFen = amount('aid');
  if (tuitionFen !== undefined && aidFen !== undefined && aidFen > tuitionFen)
    errors.push(reason('FEED_AID_ABOVE_TUITION', { field: 'aid' }));
  if (
    errors.length > 0 ||
    recordId === undefined ||
    idNumber === undefined ||
    place === undefined ||
    term === undefined ||
    paymentDate === undefined ||
    tuitionFen === undefined ||
    aidFen === undefined
  )
    return errors;
  return {
    kind,
    recordId,
    idNumber,
    expenseDate: paymentDate,
    totalCostFen: tuitionFen,
    reimbursedFen: aidFen,
    selfPaidFen: tuitionFen - aidFen,
    place,
    term,
  };
}

function readRecordId(value: string, errors: Message[]): string | undefined {
  if (value === '') {
    errors.push(reason('VALUE_MISSING', { field: 'recordId' }));
    return undefined;
  }
  if (value.length > RECORD_ID_MAX || RECORD_ID_BAD_CHAR.test(value)) {
    errors.push(reason('FEED_BAD_RECORD_ID', { field: 'recordId', max: RECORD_ID_MAX }));
    return undefined;
  }
  // Shown back in exports that open in spreadsheets, like any other cell.
  if (FORMULA_START.test(value)) {
    errors.push(reason('FORMULA_START', { field: 'recordId' }));
    return undefined;
  }
  return value;
}
