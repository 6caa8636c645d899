// Who may do what, as data. Route handlers check it; the access-matrix test walks it.
import { roles, type Role } from '#shared/vocabulary.ts';

export { roles, type Role };

export interface Principal {
  readonly username: string;
  readonly roles: readonly Role[];
}

export type RouteAccess = 'public' | readonly Role[];

const everyone = roles;
const reviewers: readonly Role[] = ['villageVerifier', 'insurer', 'auditor'];

/** Per API handler: the roles allowed in at all. Row-level rules (own households) come on top. */
export const routeAccess: Readonly<Record<string, RouteAccess>> = {
  'get-health': 'public',
  'get-me': everyone,
  'list-households': ['gridWorker', ...reviewers, 'admin'],
  'create-claim': ['gridWorker'],
  'list-claims': everyone,
  'get-claim': everyone,
  // Receipts show the household's paperwork: the people who check claims, not finance.
  'get-receipt': ['gridWorker', ...reviewers, 'admin'],
  'decide-review': reviewers,
  // An objection during a claim's public notice: the village verifies, admin hears complaints.
  'object-claim': ['villageVerifier', 'admin'],
  // An appeal is the household's act, carried by its grid worker (checked per claim).
  'appeal-claim': ['gridWorker'],
  // The household behind a claim in review (head's name in full, ID masked) and its year's claims.
  'get-review-context': [...reviewers, 'admin'],
  'import-roster': ['admin'],
  // Bulk file jobs; which role runs which kind of file is checked per job (import-api jobRoles).
  'create-import': ['admin', 'finance', 'insurer'],
  'get-import': ['admin', 'finance', 'insurer'],
  'list-imports': ['admin', 'finance', 'insurer'],
  // Sends a claim in ERROR (or one whose run was lost) through its workflow again.
  'retry-claim': ['admin'],
  'list-policies': everyone,
  'list-ledger': ['finance', 'auditor', 'insurer', 'admin'],
  'export-ledger': ['finance'],
  'create-export': ['finance'],
  'get-export': ['finance'],
  'mark-disbursed': ['finance'],
  // A failed transfer sent again once the household's account is corrected.
  'reissue-claim': ['finance', 'admin'],
  // Paid = disbursed + failed + outstanding, to the fen: sums only, no personal data.
  'get-reconciliation': ['finance', 'admin'],
  'quote-claim': everyone,
  // The dashboard's figures: counts and sums, no personal data.
  'get-stats': [...reviewers, 'admin', 'finance'],
  // The relief funds: figures and top-up history (no personal data). Finance keeps the fund and
  // the auditor checks it; adding money is finance's act, or an admin's.
  'get-fund': ['finance', 'auditor', 'admin'],
  'get-fund-history': ['finance', 'auditor', 'admin'],
  'top-up-fund': ['finance', 'admin'],
  // The village's public notice board (公示): posted where everyone can read it; names always masked.
  'list-notices': everyone,
  // Return-to-poverty warnings: the county's for admins and insurers, a grid worker's own households.
  'list-warnings': ['gridWorker', 'insurer', 'admin'],
};

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

export function mayCall(principal: Principal | undefined, handler: string): boolean {
  const access = routeAccess[handler];
  if (access === undefined) return false;
  if (access === 'public') return true;
  return principal !== undefined && principal.roles.some((r) => access.includes(r));
}

/** Grid workers are limited to the households assigned to them; other roles see every claim. */
export function isLimitedToOwnHouseholds(principal: Principal): boolean {
  return principal.roles.length > 0 && principal.roles.every((r) => r === 'gridWorker');
}

/** Personal data shown unmasked: only finance (who pays) and admin (who keeps the roster). */
export function seesPersonalData(principal: Principal): boolean {
  return principal.roles.some((r) => r === 'finance' || r === 'admin');
}

/**
 * The head's full name for the grid worker the household is assigned to: they visit the family
 * and must find it by name. Their ID number and bank account stay masked for that worker.
 */
export function seesHeadName(principal: Principal, household: { readonly gridWorker: string }): boolean {
  return (
    seesPersonalData(principal) ||
    (principal.roles.includes('gridWorker') && household.gridWorker === principal.username)
  );
}
