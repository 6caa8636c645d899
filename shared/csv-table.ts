// Reading a CSV file of rows for import (the roster, household members): an RFC 4180 reader that
// carries on past a bad row, a header check against a column list, and the zod building blocks
// whose messages are message codes naming the column, never a cell's value (ID numbers, names).
import * as z from 'zod';
import type { Message, MessageParams } from '#shared/messages/render.ts';

export const reason = (code: string, params: MessageParams = {}): Message => ({ code, params });

// A cell starting with one of these runs as a formula when an export is opened in a
// spreadsheet; no real name or village starts that way, so refuse them at the door.
const FORMULA_START = /^[=+\-@]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

// A schema's message is a message code, with its parameters as JSON after it (`TOO_LONG{"max":50}`):
// decodeIssue turns it back into a message naming the column. Never the value.
export const coded = (code: string, params?: MessageParams) =>
  params ? `${code}${JSON.stringify(params)}` : code;

/** The message a schema's coded message stands for, about `field`. */
export function decodeIssue(field: string, message: string): Message {
  const match = /^([A-Z0-9_]+)(\{.*\})?$/.exec(message);
  if (!match?.[1]) return { code: 'LEGACY_TEXT', params: { text: `${field}: ${message}` } };
  const params = match[2] ? (JSON.parse(match[2]) as Record<string, string | number>) : {};
  return { code: match[1], params: { field, ...params } };
}

export const csvText = () => z.string({ error: coded('NOT_TEXT') });
/** Free text a person typed (a name, a village): no edge spaces, control characters or formulas. */
export const plainText = (max: number) =>
  csvText()
    .min(1, coded('VALUE_MISSING'))
    .max(max, coded('TOO_LONG', { max }))
    .refine((s) => s.trim() === s, coded('EDGE_SPACES'))
    .refine((s) => !CONTROL_CHARS.test(s), coded('CONTROL_CHAR'))
    .refine((s) => !FORMULA_START.test(s), coded('FORMULA_START'));

/** The file's records without its byte-order mark and blank rows (a quoting error is kept). */
export function readCsvRecords(text: string): CsvRecord[] {
  return readCsv(text.startsWith('\uFEFF') ? text.slice(1) : text).filter(
    (r) => r.error !== undefined || !isBlank(r.fields),
  );
}

/** Where each of `columns` is in the header row (any order), or every problem of the header. */
export function readHeader<C extends string>(
  record: CsvRecord,
  columns: readonly C[],
): Map<C, number> | Message[] {
  const columnList = columns.join(',');
  if (record.error !== undefined) return [reason(record.error.code, { field: 'header' })];
  const known = new Set<string>(columns);
  const index = new Map<C, number>();
  const problems: Message[] = [];
  const names = record.fields.map((f) => f.trim());
  if (!names.some((name) => known.has(name))) {
    // Most likely a data row (no header at all): quoting it could leak an ID number.
    return [reason('HEADER_NOT_FIRST', { columns: columnList })];
  }
  names.forEach((name, i) => {
    if (!known.has(name)) {
      // A name that may be a data cell (an ID number, a long text) is not repeated, only placed.
      problems.push(
        name === ''
          ? reason('HEADER_COLUMN_UNNAMED', { n: i + 1 })
          : /\d{6}/.test(name) || name.length > 40
            ? reason('HEADER_COLUMN_UNKNOWN', { n: i + 1 })
            : reason('HEADER_COLUMN_UNKNOWN_NAME', { name }),
      );
    } else if (index.has(name as C)) {
      problems.push(reason('HEADER_COLUMN_TWICE', { field: name }));
    } else {
      index.set(name as C, i);
    }
  });
  const missing = columns.filter((c) => !index.has(c));
  if (missing.length > 0)
    problems.push(reason('HEADER_COLUMNS_MISSING', { fields: missing.join(','), columns: columnList }));
  return problems.length === 0 ? index : problems;
}

export function isBlank(fields: readonly string[]): boolean {
  // An empty line, or a row of empty cells as spreadsheets write after deleting rows.
  return fields.every((f) => f.trim() === '');
}

export interface CsvRecord {
  /** Line the record starts on (1-based); quoted line breaks make a record span lines. */
  line: number;
  fields: string[];
  /** Quoting error (a message code); `field` is the 0-based index of the field where it happened. */
  error?: { field: number; code: string };
}

// RFC 4180 reader. Accepts CRLF, LF or lone CR line endings. On a quoting error it records the
// error and carries on at the next line, so one bad row does not sink the rest.
export function readCsv(text: string): CsvRecord[] {
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
    const fail = (code: string) => {
      record.error ??= { field: record.fields.length, code };
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
        if (!closed) fail('CSV_UNCLOSED_QUOTE');
        if (i < n && text[i] !== ',' && !isEol(text[i])) {
          fail('CSV_TEXT_AFTER_QUOTE');
          while (i < n && text[i] !== ',' && !isEol(text[i])) i++;
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && !isEol(text[i])) i++;
        value = text.slice(start, i);
        if (value.includes('"')) fail('CSV_QUOTE_IN_VALUE');
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
