// Household members (家庭成员), imported from CSV by admins after the roster: one row per person of
// a household already on the roster, the head included. A resident ID number belongs to at most
// one household, as its head or as a member. Like the roster, import is never all-or-nothing and
// a bad row's reasons are message codes naming the column, never a cell's value.
import * as z from 'zod';
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
import { rosterPeriodSchema } from '#shared/roster.ts';
import { normalizeResidentId } from '#shared/resident-id.ts';
import { memberRelations, type MemberRelation } from '#shared/vocabulary.ts';

export { memberRelations, type MemberRelation };

/** The CSV columns, in their documented order. */
export const memberColumns = ['householdId', 'idNumber', 'name', 'relation'] as const;
export type MemberColumn = (typeof memberColumns)[number];

/** One person of one household, as stored under the household. */
export const memberSchema = z.object({
  // The same rules as the roster's: a household ID and a normalised, valid resident ID number.
  householdId: rosterPeriodSchema.shape.householdId,
  idNumber: rosterPeriodSchema.shape.idNumber,
  name: plainText(50),
  relation: z.enum(memberRelations, {
    error: coded('RELATION_UNKNOWN', { allowed: memberRelations.join(',') }),
  }),
});
export type Member = z.infer<typeof memberSchema>;

export interface MemberRejection {
  /** 1-based line number in the file where the row starts; the header is row 1. */
  row: number;
  reasons: Message[];
}

/** Each good member with the file row it came from (header = row 1). */
export interface NumberedMembersParse {
  numbered: { row: number; member: Member }[];
  rejected: MemberRejection[];
}

const columnList = memberColumns.join(',');

/**
 * Parses a members CSV (RFC 4180, UTF-8, header row with the member columns in any order). A bad
 * header rejects the whole file as row 1; otherwise each bad row is rejected on its own, and so
 * is a row the file itself contradicts: a person listed twice in one household, or one ID number
 * in two households (the first row wins).
 */
export function parseNumberedMembersCsv(text: string): NumberedMembersParse {
  const { numbered, rejected } = checkRecords(readCsvRecords(text), membersRecordCheck(), columnList);
  return { numbered: numbered.map((n) => n.value), rejected };
}

/**
 * A first read of a members file for membersRecordCheck: the header and each row checked alone,
 * and the ID numbers that repeat, in a few bytes per row.
 */
export function membersSurvey(): RecordCheck<Member> & { finish(): KeyWatch } {
  let header: Map<MemberColumn, number> | undefined;
  const ids = new RepeatedKeys();
  return {
    header(record) {
      const found = readHeader(record, memberColumns);
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(record, header);
      if (!Array.isArray(result)) ids.add(result.idNumber);
      return result;
    },
    finish: () => watchSet(ids.finish()),
  };
}

/**
 * The members file's checks, one record at a time; `ids` (a survey's) limits which ID numbers
 * are remembered to those that repeat.
 */
export function membersRecordCheck(ids: KeyWatch = watchAll): RecordCheck<{ row: number; member: Member }> {
  let header: Map<MemberColumn, number> | undefined;
  // Each ID number's household and the row that first named it.
  const idRows = new Map<string, { householdId: string; row: number }>();
  return {
    header(record) {
      const found = readHeader(record, memberColumns);
      if (!(found instanceof Map)) return found;
      header = found;
      return undefined;
    },
    row(record) {
      if (!header) throw new Error('the header comes first');
      const result = readRow(record, header);
      if (Array.isArray(result)) return result;
      const watched = ids.has(result.idNumber);
      const earlier = watched ? idRows.get(result.idNumber) : undefined;
      if (earlier !== undefined) {
        const params = { field: 'idNumber', householdId: earlier.householdId, earlierRow: earlier.row };
        return [
          reason(
            earlier.householdId === result.householdId ? 'MEMBER_TWICE' : 'ID_IN_OTHER_HOUSEHOLD_IN_FILE',
            params,
          ),
        ];
      }
      if (watched) idRows.set(result.idNumber, { householdId: result.householdId, row: record.line });
      return { row: record.line, member: result };
    },
  };
}

function readRow(record: CsvRecord, header: Map<MemberColumn, number>): Member | Message[] {
  if (record.error !== undefined) {
    const column = [...header].find(([, i]) => i === record.error?.field)?.[0];
    return [reason(record.error.code, { field: column ?? `#${String((record.error.field ?? 0) + 1)}` })];
  }
  if (record.fields.length !== header.size)
    return [reason('FIELD_COUNT', { got: record.fields.length, expected: header.size })];
  const errors: Message[] = [];
  const candidate: Record<string, string> = {};
  // Column by column, so one bad cell cannot hide another.
  for (const column of memberColumns) {
    let value = (record.fields[header.get(column) ?? -1] ?? '').trim();
    if (value === '') {
      errors.push(reason('VALUE_MISSING', { field: column }));
      continue;
    }
    if (column === 'idNumber') value = normalizeResidentId(value);
    const issue = memberSchema.shape[column].safeParse(value).error?.issues[0];
    if (issue) errors.push(decodeIssue(column, issue.message));
    else candidate[column] = value;
  }
  if (errors.length > 0) return errors;
  const member = memberSchema.safeParse(candidate);
  if (!member.success) return member.error.issues.map((i) => decodeIssue(i.path.join('.'), i.message));
  return member.data;
}

/** Writes members as a members CSV that parseNumberedMembersCsv reads back to the same members. */
export function toMembersCsv(members: readonly Member[], options: { bom?: boolean } = {}): string {
  const cell = (value: string) =>
    /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  const lines = [columnList, ...members.map((m) => memberColumns.map((c) => cell(m[c])).join(','))];
  return (options.bom ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}
