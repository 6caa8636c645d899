import { describe, expect, it } from 'vitest';
import { CsvRecordStream, MAX_CELL_CHARS } from '#shared/csv-stream.ts';
import { readCsvRecords } from '#shared/csv-table.ts';

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function streamed(text: string, cuts: readonly number[]) {
  const reader = new CsvRecordStream();
  const out = [];
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...reader.push(text.slice(at, cut)));
    at = cut;
  }
  out.push(...reader.end());
  return out;
}

describe('the CSV record stream', () => {
  it('reads the same records as the whole-text reader, however the text is cut', () => {
    const pieces = ['a', 'b', '中', ',', '"', '""', '\r', '\n', '\r\n', ' ', '\uFEFF'];
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed);
      const length = Math.floor(next() * 40);
      let text = next() < 0.2 ? '\uFEFF' : '';
      for (let k = 0; k < length; k++) text += pieces[Math.floor(next() * pieces.length)];
      const cuts = Array.from({ length: Math.floor(next() * 6) }, () =>
        Math.floor(next() * text.length),
      ).sort((a, b) => a - b);
      expect(streamed(text, cuts), `seed ${seed}: ${JSON.stringify(text)} cut at ${cuts.join(',')}`).toEqual(
        readCsvRecords(text),
      );
    }
  });

  it('reads a roster-like file cut into single characters', () => {
    const text = '\uFEFFhouseholdId,name\r\nH-1,"张, ""三"""\r\n\r\n,\r\nH-2,"李\r\n四"\nH-3,x"y\rH-4,"z"w';
    expect(
      streamed(
        text,
        Array.from({ length: text.length }, (_, i) => i),
      ),
    ).toEqual(readCsvRecords(text));
  });

  it('keeps a cell only up to its limit, and an unclosed quote to the end of the file as one record', () => {
    const long = 'x'.repeat(MAX_CELL_CHARS + 10);
    const records = streamed(`a,${long}\n"open,${long}\nmore\n`, [5, MAX_CELL_CHARS, MAX_CELL_CHARS + 7]);
    expect(records[0]?.fields[1]).toHaveLength(MAX_CELL_CHARS);
    expect(records[1]).toMatchObject({ line: 2, error: { field: 0, code: 'CSV_UNCLOSED_QUOTE' } });
    expect(records).toHaveLength(2);
  });
});
