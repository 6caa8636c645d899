// Row-level access rules, as data. The route-level table is shared/access.ts (`routeAccess`)
// and each review gate's role is in its policy; these are the rules that apply on top of them, one line per rule, each with the
// status and error code the API must answer. The access check (verify check 7) walks both.
import type { ApiHandlerName } from '#functions/catalog.ts';

export interface RowRule {
  readonly rule: string;
  readonly caller: string;
  readonly handler: ApiHandlerName;
  readonly method: 'GET' | 'POST';
  /** `{w1Claim}` and friends are filled in with the claims the check creates. */
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  readonly code?: string;
  /** For listings: no item may belong to this grid worker. */
  readonly noItemsOf?: string;
}

export const rowRules: readonly RowRule[] = [
  {
    rule: "a grid worker cannot read another worker's claim (404, so claim ids do not leak)",
    caller: 'worker2',
    handler: 'get-claim',
    method: 'GET',
    path: '/claims/{w1Claim}',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    rule: "a grid worker cannot open another worker's receipt",
    caller: 'worker2',
    handler: 'get-receipt',
    method: 'GET',
    path: '/claims/{w1Claim}/receipts/1',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    rule: "a grid worker cannot file for another worker's household",
    caller: 'worker2',
    handler: 'create-claim',
    method: 'POST',
    path: '/claims',
    body: {
      householdId: 'HH-0001',
      category: 'education',
      expenseDate: '{recent}',
      totalCost: '15000',
      receipts: [{ contentType: 'image/jpeg' }],
    },
    status: 403,
    code: 'NOT_YOUR_HOUSEHOLD',
  },
  {
    rule: 'a grid worker lists only their own claims',
    caller: 'worker2',
    handler: 'list-claims',
    method: 'GET',
    path: '/claims',
    status: 200,
    noItemsOf: 'worker1',
  },
  {
    rule: "a grid worker cannot list another worker's claims by asking for them",
    caller: 'worker2',
    handler: 'list-claims',
    method: 'GET',
    path: '/claims?gridWorker=worker1',
    status: 200,
    noItemsOf: 'worker1',
  },
  {
    rule: "a grid worker cannot list another worker's households by asking for them",
    caller: 'worker2',
    handler: 'list-households',
    method: 'GET',
    path: '/households?gridWorker=worker1',
    status: 200,
    noItemsOf: 'worker1',
  },
  {
    rule: "a reviewer cannot decide another role's gate",
    caller: 'village1',
    handler: 'decide-review',
    method: 'POST',
    // A claim waiting at the department gate: the gate is due, the role is not theirs.
    path: '/claims/{department}/reviews',
    body: { gate: 'department', decision: 'approve' },
    status: 403,
    code: 'WRONG_GATE',
  },
  {
    rule: 'gates are decided in order',
    caller: 'insurer1',
    handler: 'decide-review',
    method: 'POST',
    path: '/claims/{freshReviewClaim}/reviews',
    body: { gate: 'department', decision: 'approve' },
    status: 409,
    code: 'GATE_REFUSED',
  },
  {
    rule: 'one user never decides two gates of one claim, even holding both roles',
    caller: 'twoRoles',
    handler: 'decide-review',
    method: 'POST',
    path: '/claims/{twoRolesClaim}/reviews',
    body: { gate: 'department', decision: 'approve' },
    status: 409,
    code: 'GATE_REFUSED',
  },
  {
    rule: 'the review context is only for claims that went to review',
    caller: 'auditor1',
    handler: 'get-review-context',
    method: 'GET',
    // Paid automatically: no gate, so no reason to show the household's identity.
    path: '/claims/{w1Claim}/review-context',
    status: 409,
    code: 'NOT_IN_REVIEW',
  },
  {
    rule: "only the household's grid worker appeals its claim",
    caller: 'worker2',
    handler: 'appeal-claim',
    method: 'POST',
    path: '/claims/{w1Rejected}/appeal',
    body: { text: '请求复核' },
    status: 403,
    code: 'NOT_YOUR_HOUSEHOLD',
  },
  {
    rule: 'a claim is appealed once',
    caller: 'worker1',
    handler: 'appeal-claim',
    method: 'POST',
    path: '/claims/{w1Rejected}/appeal',
    body: { text: '再次请求复核' },
    status: 409,
    code: 'ALREADY_APPEALED',
  },
  {
    rule: 'no reviewer of the first round decides a gate of the appeal',
    caller: 'village1',
    handler: 'decide-review',
    method: 'POST',
    path: '/claims/{w1Rejected}/reviews',
    body: { gate: 'village', decision: 'approve' },
    status: 403,
    code: 'DECIDED_EARLIER_ROUND',
  },
];
