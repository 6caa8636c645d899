import { ledgerCsv, ledgerQuerySchema } from '#shared/api/ledger-api.ts';
import { awsDeps, lazyDeps, type AppDeps } from '#functions/adapters/aws-deps.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export function makeHandler(deps: () => AppDeps) {
  return apiRoute(makeLogger(), 'export-ledger', async (req) => {
    const filter = ledgerQuerySchema.parse(req.query);
    const d = deps();
    const chunks: string[] = [];
    // Rows are generated one at a time; API Gateway needs the body whole, so it is joined here.
    for await (const chunk of ledgerCsv(d.ledger.entries(filter), d.roster)) chunks.push(chunk);
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="ledger-${filter.from}-${filter.to}.csv"`,
        'cache-control': 'no-store',
      },
      body: chunks.join(''),
    };
  });
}

export const handler = makeHandler(lazyDeps(() => awsDeps()));
