import { importRoster } from '#shared/api/roster-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoRoster } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

/** Accepts the CSV as the body (text/csv), or JSON `{ "csv": "..." }`. */
export function makeHandler(deps: () => Pick<ApiDeps, 'roster'>) {
  return apiRoute(makeLogger(), 'import-roster', async (req) => {
    const type = req.event.headers['content-type'] ?? '';
    const csv = type.includes('json') ? String((req.json() as { csv?: unknown }).csv ?? '') : req.text;
    return { body: await importRoster(deps().roster, csv) };
  });
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ roster: dynamoRoster })));
