import * as z from 'zod';
import { categorySchema, policyInForce } from '#shared/policy.ts';
import { quote } from '#shared/compensation.ts';
import { parseYuan } from '#shared/money.ts';
import { isoDateSchema } from '#shared/manifest.ts';
import { chinaDate } from '#shared/dates.ts';
import { InvalidInputError, NotFoundError } from '#shared/errors.ts';
import { handlerDeps, lazyDeps } from '#functions/adapters/handler-deps.ts';
import { dynamoClaims } from '#functions/adapters/dynamo-ports.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { apiRoute, makeLogger } from '#functions/middleware.ts';

export const quoteBodySchema = z
  .object({
    region: z.string().default('demo'),
    category: categorySchema,
    totalCost: z.string(),
    reimbursed: z.string().default('0'),
    expenseDate: isoDateSchema.optional(),
    householdId: z.string().optional(),
  })
  .strict();

export function makeHandler(deps: () => Pick<ApiDeps, 'claims' | 'clock'>) {
  return apiRoute(makeLogger(), 'quote-claim', async (req) => {
    const body = quoteBodySchema.parse(req.json());
    const total = parseYuan(body.totalCost);
    const reimbursed = parseYuan(body.reimbursed);
    if (!total.ok) throw badAmount('totalCost', total.error);
    if (!reimbursed.ok) throw badAmount('reimbursed', reimbursed.error);
    const date = body.expenseDate ?? chinaDate(deps().clock.now());
    const policy = policyInForce(body.region, date);
    if (!policy) {
      throw new NotFoundError('NO_POLICY', `no policy for ${body.region} on ${date}`, {
        params: { region: body.region, date },
      });
    }
    // For a household: what its cap has left and, under annual accumulation, its year so far.
    const counter = body.householdId
      ? await deps().claims.capCounter(body.householdId, Number(date.slice(0, 4)), body.category)
      : { usedFen: 0, countedFen: 0 };
    const result = quote(
      policy,
      body.category,
      total.fen,
      reimbursed.fen,
      counter.usedFen,
      counter.countedFen,
    );
    if (!result.ok) throw new InvalidInputError('NOT_COVERED', result.error);
    return { body: result.quote };
  });
}

function badAmount(field: string, error: string): InvalidInputError {
  return new InvalidInputError('BAD_AMOUNT', `${field}: ${error}`, { params: { field } });
}

export const handler = makeHandler(lazyDeps(() => handlerDeps({ claims: dynamoClaims })));
