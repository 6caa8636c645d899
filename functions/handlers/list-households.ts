import { listHouseholds } from '#shared/api/roster-api.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import type { WarningStore } from '#shared/ports.ts';
import { dynamoRoster, dynamoWarnings } from '#functions/adapters/dynamo-ports.ts';
import { apiRoute, makeLogger, type ApiRequest } from '#functions/middleware.ts';

type HouseholdsDeps = Pick<ApiDeps, 'roster' | 'clock'> & { readonly warnings?: WarningStore };

export function makeHandler(deps: () => HouseholdsDeps) {
  return apiRoute(makeLogger(), 'list-households', async (req: ApiRequest) => {
    const { roster, clock, warnings } = deps();
    return {
      body: await listHouseholds(
        roster,
        clock,
        req.principal!,
        req.query.gridWorker,
        warnings && { warnings },
      ),
    };
  });
}

export const handler = makeHandler(
  lazyDeps(() => handlerDeps({ roster: dynamoRoster, warnings: dynamoWarnings })),
);
