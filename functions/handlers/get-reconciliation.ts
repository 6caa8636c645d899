import { reconcile, reconciliationCsv } from '#shared/api/bank-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoLedger } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/** JSON, or with `format=csv` the same figures as a file (`lang=en` for English headers). */
export function makeHandler(deps: () => Pick<ApiDeps, 'ledger'>) {
  return apiRoute(makeLogger(), 'get-reconciliation', async (req: ApiRequest) => {
    const { format, lang, ...query } = req.query;
    const result = await reconcile(deps().ledger, query);
    if (format !== 'csv') return { body: result };
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="reconciliation-${result.from}-${result.to}.csv"`,
        'cache-control': 'no-store',
      },
      body: reconciliationCsv(result, lang === 'en' ? 'en' : 'zh'),
    };
  });
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ ledger: dynamoLedger })));
