import { listWarnings, warningsCsv, type WarningsApiDeps } from '#shared/api/warnings-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

/** JSON, or with `format=csv` the same households as a file (`lang=en` for English headers). */
export function makeHandler(deps: () => WarningsApiDeps) {
  return apiRoute(makeLogger(), 'list-warnings', async (req: ApiRequest) => {
    const list = await listWarnings(deps(), req.principal!, req.query);
    if (req.query.format !== 'csv') return { body: list };
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="warnings-${list.asOf}.csv"`,
        'cache-control': 'no-store',
      },
      body: warningsCsv(list, req.query.lang === 'en' ? 'en' : 'zh'),
    };
  });
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ roster: dynamoRoster, warnings: dynamoWarnings })),
);
