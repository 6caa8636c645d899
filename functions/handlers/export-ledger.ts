import { PassThrough } from 'node:stream';
import { exportLedger, type XlsxWriter } from '#shared/api/ledger-export.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { s3Exports } from '#functions/adapters/s3-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoLedger, dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { writeLedgerXlsx } from '#functions/adapters/ledger-xlsx.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

/** The workbook as a stream of bytes, written as the rows arrive. */
export const xlsxStream: XlsxWriter = (rows, lang) => {
  const out = new PassThrough();
  // A failure mid-way ends the stream with the error, which the reader then throws.
  writeLedgerXlsx(rows, out, { lang }).catch((error: unknown) => out.destroy(error as Error));
  return out;
};

export function makeHandler(deps: () => Pick<ApiDeps, 'ledger' | 'roster' | 'exports' | 'policies'>) {
  return apiRoute(makeLogger(), 'export-ledger', async (req) => ({
    body: await exportLedger(deps(), req.query, xlsxStream),
  }));
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ ledger: dynamoLedger, roster: dynamoRoster, exports: s3Exports })),
);
