// Policies are data: one validated document per region and version. Nothing in the code
// branches on a region; the engine reads bands, grants, caps and review rules from here.
import * as z from 'zod';
import { parseYuan, type Fen } from '#shared/money.ts';
import { isIsoDate } from '#shared/dates.ts';
import { categories, coveredStatuses, reviewRouteReasons, roles } from '#shared/vocabulary.ts';
import demoV1 from '#shared/data/policies/demo-v1.json' with { type: 'json' };
import demoFundV1 from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };

export { categories };
export const categorySchema = z.enum(categories);
export type Category = z.infer<typeof categorySchema>;

/** A yuan amount in a policy file, validated and turned into fen once, when the file loads. */
const yuanField = z.string().transform((value, ctx): Fen => {
  const parsed = parseYuan(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.fen;
});
const isoDate = z.string().refine(isIsoDate, { message: 'must be a real date written YYYY-MM-DD' });
const rateBp = z.number().int().min(0).max(10_000);
const warningBp = z.number().int().min(1).max(1_000_000);

export const accumulationModes = ['per_claim', 'calendar_year'] as const;

const tieredRuleSchema = z
  .object({
    kind: z.literal('tiered'),
    bands: z
      .array(
        z
          .object({ fromYuan: yuanField, toYuan: yuanField.nullable(), rateBp })
          .strict()
          .transform(({ fromYuan, toYuan, rateBp }) => ({ fromFen: fromYuan, toFen: toYuan, rateBp })),
      )
      .min(1),
    annualCapYuan: yuanField,
  })
  .strict()
  .transform(({ annualCapYuan, ...rule }) => ({ ...rule, annualCapFen: annualCapYuan }))
  .superRefine((rule, ctx) => {
    rule.bands.forEach((band, i) => {
      if (band.toFen !== null && band.toFen <= band.fromFen) {
        ctx.addIssue({ code: 'custom', path: ['bands', i], message: 'band must end above where it starts' });
      }
      const next = rule.bands[i + 1];
      if (next && next.fromFen !== band.toFen) {
        ctx.addIssue({ code: 'custom', path: ['bands', i + 1], message: 'bands must be contiguous' });
      }
      if (!next && band.toFen !== null) {
        ctx.addIssue({ code: 'custom', path: ['bands', i], message: 'the last band must be open-ended' });
      }
    });
  });

const fixedRuleSchema = z
  .object({
    kind: z.literal('fixed'),
    grants: z
      .array(
        z
          .object({ minLossYuan: yuanField, grantYuan: yuanField })
          .strict()
          .transform(({ minLossYuan, grantYuan }) => ({ minLossFen: minLossYuan, grantFen: grantYuan })),
      )
      .min(1),
    annualCapYuan: yuanField,
  })
  .strict()
  .transform(({ annualCapYuan, ...rule }) => ({ ...rule, annualCapFen: annualCapYuan }))
  .superRefine((rule, ctx) => {
    rule.grants.forEach((grant, i) => {
      const prev = rule.grants[i - 1];
      if (prev && (grant.minLossFen <= prev.minLossFen || grant.grantFen < prev.grantFen)) {
        ctx.addIssue({ code: 'custom', path: ['grants', i], message: 'grant tiers must rise with the loss' });
      }
    });
  });

export const categoryRuleSchema = z.discriminatedUnion('kind', [tieredRuleSchema, fixedRuleSchema]);
export type CategoryRule = z.infer<typeof categoryRuleSchema>;
export type TieredRule = Extract<CategoryRule, { kind: 'tiered' }>;
export type FixedRule = Extract<CategoryRule, { kind: 'fixed' }>;

/** A review gate's id: a slug, stored on claims as the key of its decision. */
export const gateIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a gate id: a-z, 0-9 and -, 32 at most');
export type GateId = z.infer<typeof gateIdSchema>;

const gateSchema = z
  .object({
    id: gateIdSchema,
    /** The role whose members decide this gate. */
    role: z.enum(roles),
    label: z.object({ zh: z.string().min(1), en: z.string().min(1) }).strict(),
  })
  .strict();
export type ReviewGateSpec = z.infer<typeof gateSchema>;

export const claimSources = ['receipt', 'data-feed'] as const;

/** When a route applies: every condition given must hold. */
const routeWhenSchema = z
  .object({
    payoutAboveYuan: yuanField.optional(),
    categories: z.array(categorySchema).min(1).optional(),
    anomaly: z.literal(true).optional(),
    source: z.enum(claimSources).optional(),
    appeal: z.literal(true).optional(),
    objection: z.literal(true).optional(),
  })
  .strict()
  .refine((when) => Object.values(when).some((v) => v !== undefined), {
    message: 'a route needs at least one condition',
  })
  .transform(({ payoutAboveYuan, ...when }) => ({
    ...when,
    ...(payoutAboveYuan !== undefined ? { payoutAboveFen: payoutAboveYuan } : {}),
  }));

const routeSchema = z
  .object({
    /** What reviewers are told about the claims this route sends (ANOMALY: the anomalies found). */
    reason: z.enum(reviewRouteReasons),
    when: routeWhenSchema,
    gates: z.array(gateIdSchema).min(1),
  })
  .strict();
export type ReviewRoute = z.infer<typeof routeSchema>;

const anomalySchema = z
  .object({
    totalCostAboveYuan: yuanField,
    statusChangedWithinDays: z.number().int().min(0),
    /** Categories whose claims are odd with nothing reimbursed (medical: insurance pays first). */
    withoutReimbursement: z.object({ categories: z.array(categorySchema) }).strict(),
  })
  .strict()
  .transform(({ totalCostAboveYuan, ...rules }) => ({ ...rules, totalCostAboveFen: totalCostAboveYuan }));

const reviewSchema = z
  .object({
    /** Every gate a claim may need, in the order they are decided. */
    gates: z.array(gateSchema).min(1),
    routes: z.array(routeSchema),
    anomaly: anomalySchema,
  })
  .strict()
  .superRefine((review, ctx) => {
    const ids = review.gates.map((g) => g.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['gates', i, 'id'], message: `gate ${id} is listed twice` });
      }
    });
    review.routes.forEach((route, r) => {
      route.gates.forEach((gate, g) => {
        if (!ids.includes(gate)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', r, 'gates', g],
            message: `route names gate ${gate}, which review.gates does not define`,
          });
        }
      });
    });
  });

export const policySchema = z
  .object({
    policyId: z.string().regex(/^[a-z0-9-]{1,64}$/),
    region: z.string().regex(/^[a-z0-9-]{1,32}$/),
    version: z.number().int().min(1),
    name: z.object({ zh: z.string().min(1), en: z.string().min(1) }).strict(),
    /** What people call the region (示范县), shown instead of its code in pages and exports. */
    regionName: z
      .object({ zh: z.string().min(1), en: z.string().min(1) })
      .strict()
      .optional(),
    effectiveFrom: isoDate,
    /** Exclusive end; null while the policy is in force until replaced. */
    effectiveTo: isoDate.nullable(),
    capPeriod: z.literal('calendar_year'),
    filingDeadlineDays: z.number().int().min(1).max(3650),
    coveredStatuses: z.array(z.enum(coveredStatuses)).min(1),
    categories: z.partialRecord(categorySchema, categoryRuleSchema),
    review: reviewSchema,
    /**
     * `per_claim`: each claim is priced alone. `calendar_year`: tiered categories price the
     * household's counted self-paid total of the year; a claim pays the marginal amount.
     */
    accumulation: z.enum(accumulationModes).default('per_claim'),
    /** Days an approved claim is posted in the village (公示) before it is paid; 0: paid at once. */
    noticeDays: z.number().int().min(0).max(60).default(0),
    /** Days after a review rejection within which the household may appeal once; 0: no appeals. */
    appealDays: z.number().int().min(0).max(365).default(0),
    /** A relief fund that payouts draw down (absent: an insurer pays, nothing to draw). */
    fund: z
      .object({ initialYuan: yuanField })
      .strict()
      .transform(({ initialYuan }) => ({ initialFen: initialYuan }))
      .optional(),
    /** Categories whose claims may be opened from a department's data feed. */
    dataFeeds: z.array(categorySchema).default([]),
    /** Return-to-poverty warning levels: burden (self-paid / annual income) in basis points. */
    warning: z
      .object({ red: warningBp, orange: warningBp, blue: warningBp })
      .strict()
      .refine((w) => w.red >= w.orange && w.orange >= w.blue, {
        message: 'warning levels must fall from red to orange to blue',
      })
      .optional(),
  })
  .strict()
  .refine((p) => p.effectiveTo === null || p.effectiveTo > p.effectiveFrom, {
    message: 'effectiveTo must be after effectiveFrom',
    path: ['effectiveTo'],
  });

/** Policy as loaded: every yuan field is already integer fen. */
export type Policy = z.infer<typeof policySchema>;
export type PolicyDocument = z.input<typeof policySchema>;

export function parsePolicy(document: unknown): Policy {
  const parsed = policySchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid policy document at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * Every policy this build knows, validated at load so a bad file fails fast. The call is marked
 * pure so a Lambda bundle that never reads the policies (most import this module only for its
 * schemas) drops the document and skips its zod parse, some 10% of such a handler's init work.
 */
export const builtInPolicies: readonly Policy[] = [
  /* @__PURE__ */ parsePolicy(demoV1),
  /* @__PURE__ */ parsePolicy(demoFundV1),
];

export function policyInForce(
  region: string,
  date: string,
  policies: readonly Policy[] = builtInPolicies,
): Policy | undefined {
  const candidates = policies.filter(
    (p) => p.region === region && p.effectiveFrom <= date && (p.effectiveTo === null || date < p.effectiveTo),
  );
  // Where periods overlap, the highest version wins: a new version replaces the old one.
  return candidates.sort((a, b) => b.version - a.version)[0];
}

export function findPolicy(
  policyId: string,
  version: number,
  policies: readonly Policy[] = builtInPolicies,
): Policy | undefined {
  return policies.find((p) => p.policyId === policyId && p.version === version);
}

/** Whether a category's claims are priced on the household's annual total under a policy. */
export function accumulates(policy: Policy, category: Category): boolean {
  return policy.accumulation === 'calendar_year' && policy.categories[category]?.kind === 'tiered';
}
