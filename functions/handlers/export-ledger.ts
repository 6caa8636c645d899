import * as z from 'zod';
import { ledgerCsv, ledgerQuerySchema, ledgerRows } from '#shared/api/ledger-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { ledgerXlsxBuffer } from '#functions/adapters/ledger-xlsx.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

const formatSchema = z.object({ format: z.enum(['csv', 'xlsx']).default('csv') });

export function makeHandler(deps: () => ApiDeps) {
  return apiRoute(makeLogger(), 'export-ledger', async (req) => {
    const { format, ...query } = req.query;
    const filter = ledgerQuerySchema.parse(query);
    const { format: kind } = formatSchema.parse({ format });
    const d = deps();
    const name = `ledger-${filter.from}-${filter.to}.${kind}`;
    const headers = { 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' };
    if (kind === 'xlsx') {
      const body = await ledgerXlsxBuffer(ledgerRows(d.ledger.entries(filter), d.roster));
      return {
        statusCode: 200,
        headers: {
          ...headers,
          'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        },
        body: body.toString('base64'),
        isBase64Encoded: true,
      };
    }
    const chunks: string[] = [];
    // Rows are generated one at a time; API Gateway needs the body whole, so it is joined here.
    for await (const chunk of ledgerCsv(d.ledger.entries(filter), d.roster)) chunks.push(chunk);
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' },
      body: chunks.join(''),
    };
  });
}

export const handler = makeHandler(lazyDeps(() => handlerDeps()));
