// A bulk job's error report: the refused rows of a file, as a person downloads it and as the CLI
// and the web app read it back. Each row's reasons are message codes, written out in Chinese and
// in English from the one catalog (it is a file people open). No zod here, so the web app can
// bundle it.
import { renderMessages, type Message } from '#shared/messages/render.ts';

/** One refused row: its number in the file (header = row 1) and why, as message codes. */
export interface RowRejection {
  readonly row: number;
  readonly reasons: readonly Message[];
}

/** A row of the report as read back: the codes and both renderings. */
export interface ReportRow {
  readonly row: number;
  /** The reasons' codes, space-separated (empty in reports written before reasons were codes). */
  readonly code: string;
  readonly zh: string;
  readonly en: string;
}

export const ERROR_REPORT_HEADER = ['行号 row', '代码 code', '原因', 'reason'] as const;

/**
 * The error report a person downloads: UTF-8 with a byte-order mark (so Excel and WPS read the
 * Chinese), CRLF lines, one row per rejected row, in row order: the row number, the codes, and
 * the reasons in Chinese and in English.
 */
export function errorReportCsv(rejections: readonly RowRejection[]): string {
  const sorted = [...rejections].sort((a, b) => a.row - b.row);
  const lines = [
    ERROR_REPORT_HEADER.join(','),
    ...sorted.map((r) =>
      [
        String(r.row),
        r.reasons.map((m) => m.code).join(' '),
        renderMessages(r.reasons, 'zh'),
        renderMessages(r.reasons, 'en'),
      ]
        .map(csvText)
        .join(','),
    ),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function csvText(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet: prefix a quote mark.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The fields of one CSV line (RFC 4180 quoting; the report's values hold no line breaks). */
function splitLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      i++;
      for (; i < line.length; i++) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i++;
          } else {
            i++;
            break;
          }
        } else value += line[i];
      }
    } else {
      const end = line.indexOf(',', i);
      value = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    fields.push(/^'[=+\-@]/.test(value) ? value.slice(1) : value);
    if (line[i] !== ',') return fields;
    i++;
  }
}

/**
 * Reads an error report (as errorReportCsv writes it) back into rows; a report of the older
 * two-column kind (`row,reason`) reads as its one reason in both languages.
 */
export function parseErrorReport(text: string): ReportRow[] {
  const [header = '', ...lines] = text.replace(/^\uFEFF/, '').split('\r\n');
  const twoColumns = splitLine(header).length === 2;
  const out: ReportRow[] = [];
  for (const line of lines) {
    if (!/^\d+,/.test(line)) continue;
    const [row = '', ...rest] = splitLine(line);
    if (twoColumns) {
      const reason = rest.join(',');
      out.push({ row: Number(row), code: '', zh: reason, en: reason });
    } else {
      out.push({ row: Number(row), code: rest[0] ?? '', zh: rest[1] ?? '', en: rest[2] ?? '' });
    }
  }
  return out;
}
