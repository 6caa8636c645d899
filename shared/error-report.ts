// A bulk job's error report: the refused rows of a file, as a person downloads it and as the CLI
// and the web app read it back. No zod here, so the web app can bundle it.

/** One refused row: its number in the file (header = row 1) and why. */
export interface RowRejection {
  readonly row: number;
  readonly error: string;
}

/**
 * The error report a person downloads: UTF-8 with a byte-order mark (so Excel and WPS read the
 * Chinese), CRLF lines, one row per rejected row, in row order. The header is bilingual; the
 * reasons are the importer's own.
 */
export function errorReportCsv(rejections: readonly RowRejection[]): string {
  const sorted = [...rejections].sort((a, b) => a.row - b.row);
  const lines = ['行号 row,原因 reason', ...sorted.map((r) => `${r.row},${csvText(r.error)}`)];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function csvText(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet: prefix a quote mark.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Reads an error report (as errorReportCsv writes it) back into rows and reasons. */
export function parseErrorReport(text: string): { row: number; error: string }[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .slice(1);
  const out: { row: number; error: string }[] = [];
  for (const line of lines) {
    const match = /^(\d+),(.*)$/.exec(line);
    if (!match) continue;
    let error = match[2] ?? '';
    if (error.startsWith('"') && error.endsWith('"')) error = error.slice(1, -1).replaceAll('""', '"');
    if (/^'[=+\-@]/.test(error)) error = error.slice(1);
    out.push({ row: Number(match[1]), error });
  }
  return out;
}
