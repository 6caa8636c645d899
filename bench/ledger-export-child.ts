// One export measurement in a fresh process (so peak RSS belongs to this export alone):
// `node ledger-export-child.mjs <csv|xlsx> <rows>` prints one JSON line. The parent bundles this
// file first, so no TypeScript loader sits in the measured process.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ledgerCsv, ledgerRows } from '#shared/api/ledger-api.ts';
import { writeLedgerXlsx } from '#functions/adapters/ledger-xlsx.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { residentId, syntheticLedgerEntries } from '#bench/synthetic.ts';

/** Counts what it is given, as an S3 upload or HTTP response stream would consume it. */
class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    done();
  }
}

/** A roster that makes each household's period on demand: no storage in the measurement. */
const roster = {
  async periods(householdId: string): Promise<RosterPeriod[]> {
    const n = Number(householdId.slice(3));
    return [
      {
        householdId,
        region: 'demo',
        village: '红星村',
        headName: '张德胜',
        idNumber: residentId(n),
        members: 4,
        status: 'out_of_poverty',
        statusFrom: '2024-01-01',
        gridWorker: 'worker1',
        bankAccount: `62309${String(n).padStart(14, '0')}`,
        annualIncomeFen: 860_000,
      },
    ];
  },
};

function peakRssBytes(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const [format, rowsText] = process.argv.slice(2);
  const rows = Number(rowsText);
  if ((format !== 'csv' && format !== 'xlsx') || !Number.isSafeInteger(rows)) {
    throw new Error('usage: ledger-export-child <csv|xlsx> <rows>');
  }
  const sink = new CountingSink();
  const startRss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (format === 'csv') {
    for await (const chunk of ledgerCsv(syntheticLedgerEntries(rows), roster)) {
      if (!sink.write(chunk)) await once(sink, 'drain');
    }
    sink.end();
  } else {
    await writeLedgerXlsx(ledgerRows(syntheticLedgerEntries(rows), roster), sink);
  }
  // writeLedgerXlsx ends the stream itself once the zip is complete.
  if (!sink.writableFinished) await once(sink, 'finish');
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  process.stdout.write(
    `${JSON.stringify({ format, rows, ms, cpuMs, bytes: sink.bytes, peakRssBytes: peakRssBytes(), startRssBytes: startRss })}\n`,
  );
}

await main();
