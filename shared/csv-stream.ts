// readCsvRecords for a file read piece by piece: the same records (same fields, same line numbers,
// same quoting errors, byte-order mark and blank rows dropped) from text handed over in any cuts,
// holding only the record being read. A bulk file can be 200 MB; its rows never need to be in
// memory at once.
import { isBlank, reason, type CsvRecord } from '#shared/csv-table.ts';
import type { Message } from '#shared/messages/render.ts';

/** A cell is kept up to this many characters: far past any column's limit, so it fails the same. */
export const MAX_CELL_CHARS = 64 * 1024;

type State =
  /** At the start of a field (or of a record, when no record is open). */
  | 'start'
  | 'unquoted'
  | 'quoted'
  /** A quote inside a quoted field: the next character says escaped quote or end of field. */
  | 'quote'
  /** A CR inside a quoted field: a LF next belongs to the same line break. */
  | 'quotedCr'
  /** Text after a closing quote, skipped up to the next comma or line break. */
  | 'skip'
  /** A CR that ended a record: a LF next belongs to the same line break. */
  | 'cr';

export class CsvRecordStream {
  private state: State = 'start';
  private line = 1;
  private open = false;
  private record: CsvRecord = { line: 1, fields: [] };
  private value = '';
  private hasQuote = false;
  private bomChecked = false;
  private out: CsvRecord[] = [];

  /** The records completed by this piece of text. */
  push(text: string): CsvRecord[] {
    if (!this.bomChecked && text.length > 0) {
      this.bomChecked = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.scan(text);
    return this.take();
  }

  /** The last record, if the text ended inside one. */
  end(): CsvRecord[] {
    switch (this.state) {
      case 'start':
        if (this.open) this.endField();
        break;
      case 'quoted':
      case 'quotedCr':
        this.fail('CSV_UNCLOSED_QUOTE');
        this.endField();
        break;
      case 'unquoted':
      case 'quote':
      case 'skip':
        this.endField();
        break;
      case 'cr':
        break;
    }
    if (this.open) this.endRecord();
    this.state = 'start';
    return this.take();
  }

  private take(): CsvRecord[] {
    const records = this.out.filter((r) => r.error !== undefined || !isBlank(r.fields));
    this.out = [];
    return records;
  }

  private fail(code: string): void {
    this.record.error ??= { field: this.record.fields.length, code };
  }

  private append(text: string): void {
    if (this.value.length < MAX_CELL_CHARS) this.value += text.slice(0, MAX_CELL_CHARS - this.value.length);
  }

  private endField(): void {
    if (this.state === 'unquoted' && this.hasQuote) this.fail('CSV_QUOTE_IN_VALUE');
    this.record.fields.push(this.value);
    this.value = '';
    this.hasQuote = false;
  }

  private endRecord(): void {
    this.out.push(this.record);
    this.open = false;
  }

  /** A line break ends the field and the record. */
  private breakLine(cr: boolean): void {
    this.endField();
    this.endRecord();
    this.line++;
    this.state = cr ? 'cr' : 'start';
  }

  private scan(text: string): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case 'cr':
          this.state = 'start';
          if (c === LF) {
            i++;
            continue;
          }
          continue;
        case 'start':
          if (!this.open) {
            this.open = true;
            this.record = { line: this.line, fields: [] };
          }
          this.value = '';
          this.hasQuote = false;
          if (c === QUOTE) {
            this.state = 'quoted';
            i++;
          } else {
            this.state = 'unquoted';
          }
          continue;
        case 'unquoted': {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            if (d === QUOTE) this.hasQuote = true;
            j++;
          }
          this.append(text.slice(i, j));
          i = j;
          if (i === n) continue;
          const d = text.charCodeAt(i++);
          if (d === COMMA) {
            this.endField();
            this.state = 'start';
          } else {
            this.breakLine(d === CR);
          }
          continue;
        }
        case 'quoted': {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === QUOTE || d === LF || d === CR) break;
            j++;
          }
          this.append(text.slice(i, j));
          i = j;
          if (i === n) continue;
          const d = text.charCodeAt(i++);
          if (d === QUOTE) {
            this.state = 'quote';
          } else {
            this.append(d === CR ? '\r' : '\n');
            this.line++;
            if (d === CR) this.state = 'quotedCr';
          }
          continue;
        }
        case 'quotedCr':
          this.state = 'quoted';
          if (c === LF) {
            this.append('\n');
            i++;
          }
          continue;
        case 'quote':
          i++;
          if (c === QUOTE) {
            this.append('"');
            this.state = 'quoted';
          } else if (c === COMMA) {
            this.endField();
            this.state = 'start';
          } else if (c === LF || c === CR) {
            this.breakLine(c === CR);
          } else {
            this.fail('CSV_TEXT_AFTER_QUOTE');
            this.state = 'skip';
          }
          continue;
        case 'skip':
          i++;
          if (c === COMMA) {
            this.endField();
            this.state = 'start';
          } else if (c === LF || c === CR) {
            this.breakLine(c === CR);
          }
          continue;
      }
    }
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** One kind of file's checks, record by record: the header first, then every row in file order. */
export interface RecordCheck<T> {
  /** The first record's problems as a header, or undefined when it names the columns. */
  header(record: CsvRecord): Message[] | undefined;
  /** A later record: the good row, or every problem it has. */
  row(record: CsvRecord): T | Message[];
}

/** A refused row (or the file refused as a whole, under its header's row). */
export interface RecordRefusal {
  readonly row: number;
  readonly reasons: Message[];
}

/**
 * Hands a file's records to its check in order: the first is the header; once the header is
 * refused nothing more is looked at (the file is refused whole).
 */
export class FileCheck<T> {
  private headerSeen = false;
  private headerRefusal: RecordRefusal | undefined;

  constructor(
    private readonly check: RecordCheck<T>,
    private readonly columnList: string,
  ) {}

  /** A row's outcome; undefined for the header and whatever follows a refused one. */
  record(record: CsvRecord): { row: number; value: T } | RecordRefusal | undefined {
    if (this.headerRefusal) return undefined;
    if (!this.headerSeen) {
      this.headerSeen = true;
      const problems = this.check.header(record);
      if (problems) this.headerRefusal = { row: record.line, reasons: problems };
      return undefined;
    }
    const result = this.check.row(record);
    return Array.isArray(result)
      ? { row: record.line, reasons: result }
      : { row: record.line, value: result };
  }

  /** Once every record was handed over: the file's refusal as a whole (no header, or a bad one). */
  refusal(): RecordRefusal | undefined {
    if (!this.headerSeen) return { row: 1, reasons: [fileEmpty(this.columnList)] };
    return this.headerRefusal;
  }
}

/** A file's good rows (with their row numbers) and refused rows, checked in one go. */
export function checkRecords<T>(
  records: Iterable<CsvRecord>,
  check: RecordCheck<T>,
  columnList: string,
): { numbered: { row: number; value: T }[]; rejected: RecordRefusal[] } {
  const file = new FileCheck(check, columnList);
  const numbered: { row: number; value: T }[] = [];
  const rejected: RecordRefusal[] = [];
  for (const record of records) {
    const outcome = file.record(record);
    if (!outcome) continue;
    if ('reasons' in outcome) rejected.push(outcome);
    else numbered.push(outcome);
  }
  const refusal = file.refusal();
  return refusal ? { numbered: [], rejected: [refusal] } : { numbered, rejected };
}

export const fileEmpty = (columnList: string): Message => reason('FILE_EMPTY', { columns: columnList });
