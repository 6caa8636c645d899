import { importRoster } from '#shared/api/roster-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { dynamoClaims, dynamoFeeds, dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import type { RefreshBurdenDeps } from '#shared/warnings.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

/** Accepts the CSV as the body (text/csv), or JSON `{ "csv": "..." }`. */
export function makeHandler(
  deps: () => Pick<ApiDeps, 'roster'> & Partial<Omit<RefreshBurdenDeps, 'roster'>>,
) {
  return apiRoute(makeLogger(), 'import-roster', async (req) => {
    const type = req.event.headers['content-type'] ?? '';
    const csv = type.includes('json') ? String((req.json() as { csv?: unknown }).csv ?? '') : req.text;
    const { roster, claims, feeds, warnings, clock } = deps();
    // The households' warnings follow the roster, where the stores for them are given.
    const burdens =
      claims && feeds && warnings && clock ? { roster, claims, feeds, warnings, clock } : undefined;
    return { body: await importRoster(roster, csv, burdens) };
  });
}

export const handler = makeHandler(
  lazyDeps(() =>
    handlerDeps({ roster: dynamoRoster, claims: dynamoClaims, feeds: dynamoFeeds, warnings: dynamoWarnings }),
  ),
);
