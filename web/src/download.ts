// Saves a Blob as a file the person can open (Excel, WPS).
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  downloadLink(url, filename);
  // Some browsers read the URL after click() returns; give them a moment.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * Downloads a file from a link: a blob URL, or an export's presigned URL (the storage answers
 * with an attachment disposition, so the page stays where it is and the file keeps its name).
 */
export function downloadLink(url: string, filename: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

/** A CSV Excel opens correctly: UTF-8 with a BOM, CRLF, cells quoted when needed. */
export function csvBlob(rows: readonly (readonly (string | number)[])[]): Blob {
  const cell = (value: string | number) => {
    const text = String(value);
    // A leading = + - @ would run as a formula in a spreadsheet.
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const text = rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
  return new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' });
}

/**
 * A CSV file's text: UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), otherwise
 * GB18030, a superset of the GBK that Excel in China writes by default.
 */
export function decodeCsv(bytes: ArrayBuffer | Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}
