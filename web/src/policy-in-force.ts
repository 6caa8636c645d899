// Which policy prices a claim: the same rule as shared/policy.ts policyInForce (region, date
// within [effectiveFrom, effectiveTo), highest version wins). Restated here because importing
// anything from shared/policy.ts bundles zod (+29 KB gzip) into a page meant for cheap phones;
// the policies themselves come from GET /policies, i.e. the server's own list.
import type { Policy } from './types.ts';

export function policyInForce(policies: readonly Policy[], region: string, date: string): Policy | undefined {
  return policies
    .filter(
      (p) =>
        p.region === region && p.effectiveFrom <= date && (p.effectiveTo === null || date < p.effectiveTo),
    )
    .sort((a, b) => b.version - a.version)[0];
}
