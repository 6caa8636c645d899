// A small world of claims covering every path of the workflows (automatic payout, three-gate
// review approved and rejected, below the threshold, a duplicate receipt, two claims sharing the
// last of a cap, a broken manifest, a bad receipt), run one claim at a time through the deployed
// ASL so that a seed's run, faults included, is the same on every replay.
import { parseRosterCsv } from '#shared/roster.ts';
import { decideReview } from '#shared/api/claims-api.ts';
import { DomainError } from '#shared/errors.ts';
import { retryClaim } from '#shared/workflow/retry-claim.ts';
import type { Principal, Role } from '#shared/access.ts';
import type { GateId } from '#shared/policy.ts';
import { MemoryReceipts } from '#functions/adapters/memory/memory-ports.ts';
import { fakeJpeg, sha256 } from '#cli/local/demo-data.ts';
import { claimGrant } from '#cli/local/world.ts';
import type { ClaimGrant } from '#shared/claim-grant.ts';
import type { ClaimStore, RosterStore } from '#shared/ports.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { rosterCsv, syntheticHouseholds } from '#verify/lib/synthetic.ts';
import type { Harness } from '#verify/lib/workflow-harness.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function crockford(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = CROCKFORD.charAt(n % 32) + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** A valid ULID fixed by (run, index): claimIds differ between runs sharing one table. */
export function worldUlid(run: number, index: number): string {
  return `01K${crockford(run, 13)}${crockford(index, 10)}`;
}

export type Expectation =
  | { readonly state: 'PAID'; readonly payoutFen: number }
  | { readonly state: 'REJECTED'; readonly reason: string };

export interface WorldClaim {
  readonly label: string;
  readonly claimId: string;
  readonly key: string;
  /** Claims of one group may swap outcomes (who came first depends on the faults). */
  readonly group: string;
  readonly expected: Expectation;
  readonly reviews?: readonly {
    user: string;
    role: Role;
    gate: GateId;
    decision: 'approve' | 'reject';
  }[];
  readonly deliveries: number;
}

export interface World {
  readonly claims: readonly WorldClaim[];
  readonly receipts: MemoryReceipts;
  /** Counters to set before the run: household, year, category, fen already used. */
  readonly capSeeds: readonly { householdId: string; year: number; category: 'education'; fen: number }[];
  readonly rosterCsv: string;
  /** What POST /claims would have stored for each claim (worker1 files for the household it names). */
  readonly grants: readonly ClaimGrant[];
}

const EXPENSE = '2026-09-01';
const approveAll = [
  { user: 'village1', role: 'villageVerifier', gate: 'village', decision: 'approve' },
  { user: 'insurer1', role: 'insurer', gate: 'department', decision: 'approve' },
  { user: 'auditor1', role: 'auditor', gate: 'audit', decision: 'approve' },
] as const;

export function makeWorld(run: number, seed: number): World {
  const random = seededRandom(seed);
  const hh = syntheticHouseholds(`W${crockford(run, 6)}`, 8, random.fork('hh'));
  const receipts = new MemoryReceipts();
  const claims: WorldClaim[] = [];
  const grants: ClaimGrant[] = [];
  const grantedAt = new Date();
  const id = (h: number) => hh[h]?.householdId ?? 'missing';
  const shared = fakeJpeg(`shared receipt ${run}`);
  const add = (
    label: string,
    group: string,
    expected: Expectation,
    manifest:
      | {
          householdId: string;
          category: string;
          totalCost: string;
          receipt?: Uint8Array;
          sha?: string;
          expenseDate?: string;
        }
      | string,
    reviews?: WorldClaim['reviews'],
  ) => {
    const index = claims.length;
    const claimId = worldUlid(run, index);
    const key = `claims/${claimId}/manifest.json`;
    if (typeof manifest === 'string') receipts.put(key, manifest);
    else {
      grants.push(claimGrant(claimId, manifest.householdId, 'worker1', grantedAt));
      const receipt = manifest.receipt ?? fakeJpeg(`${run}/${label}`);
      const receiptKey = `claims/${claimId}/receipt-1.jpg`;
      receipts.put(receiptKey, receipt);
      receipts.put(
        key,
        JSON.stringify({
          schemaVersion: 1,
          claimId,
          householdId: manifest.householdId,
          category: manifest.category,
          expenseDate: manifest.expenseDate ?? EXPENSE,
          totalCost: manifest.totalCost,
          reimbursed: '0',
          receipts: [{ key: receiptKey, sha256: manifest.sha ?? sha256(receipt), contentType: 'image/jpeg' }],
          submittedBy: 'worker1',
        }),
      );
    }
    // Half the seeds deliver some events twice: at-least-once on top of the faults.
    const deliveries = random.chance(0.3) ? 2 : 1;
    claims.push({ label, claimId, key, group, expected, deliveries, ...(reviews ? { reviews } : {}) });
  };
  add(
    'auto',
    'auto',
    { state: 'PAID', payoutFen: 350_000 },
    { householdId: id(0), category: 'education', totalCost: '15000' },
  );
  add(
    'review',
    'review',
    { state: 'PAID', payoutFen: 812_000 },
    { householdId: id(1), category: 'education', totalCost: '22700' },
    approveAll,
  );
  add(
    'below',
    'below',
    { state: 'REJECTED', reason: 'BELOW_THRESHOLD' },
    { householdId: id(2), category: 'education', totalCost: '8000' },
  );
  add(
    'dupA',
    'dup',
    { state: 'PAID', payoutFen: 350_000 },
    { householdId: id(3), category: 'education', totalCost: '15000', receipt: shared },
  );
  add(
    'dupB',
    'dup',
    { state: 'REJECTED', reason: 'DUPLICATE_RECEIPT' },
    { householdId: id(4), category: 'education', totalCost: '15000', receipt: shared },
  );
  add(
    'capA',
    'cap',
    { state: 'PAID', payoutFen: 350_000 },
    { householdId: id(5), category: 'education', totalCost: '15000' },
  );
  add(
    'capB',
    'cap',
    { state: 'PAID', payoutFen: 150_000 },
    // Not the same day as capA: the same household, category, date and cost is a possible duplicate.
    { householdId: id(5), category: 'education', totalCost: '15000', expenseDate: '2026-08-31' },
  );
  add(
    'rejected',
    'rejected',
    { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
    { householdId: id(6), category: 'industry', totalCost: '20000' },
    [{ user: 'village1', role: 'villageVerifier', gate: 'village', decision: 'reject' }],
  );
  add(
    'badManifest',
    'badManifest',
    { state: 'REJECTED', reason: 'INVALID_MANIFEST' },
    '{"schemaVersion":1,"claimId":',
  );
  add(
    'badReceipt',
    'badReceipt',
    { state: 'REJECTED', reason: 'INVALID_RECEIPT' },
    {
      householdId: id(7),
      category: 'education',
      totalCost: '15000',
      sha: 'f'.repeat(64),
    },
  );
  return {
    claims,
    receipts,
    // 15,000 of the 20,000 education cap already paid: 5,000 left for two claims of 3,500.
    capSeeds: [{ householdId: id(5), year: 2026, category: 'education', fen: 1_500_000 }],
    rosterCsv: rosterCsv(hh),
    grants,
  };
}

export async function putRoster(roster: RosterStore, world: World) {
  await roster.put(parseRosterCsv(world.rosterCsv).periods);
}

const principal = (user: string, role: Role): Principal => ({ username: user, roles: [role] });

async function waitFor(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}

/** Reviewers decide each gate of a claim, retrying a request that failed (as a browser would). */
async function runReviews(harness: Harness, claims: ClaimStore, claim: WorldClaim, retries = 3) {
  for (const step of claim.reviews ?? []) {
    // Decide once the workflow waits at this gate (or has stopped): a deterministic order.
    await waitFor(async () => {
      const c = await claims.get(claim.claimId);
      const review = harness.review(claim.claimId);
      return (
        !c ||
        c.state !== 'PENDING_REVIEW' ||
        (c.gateTokens[step.gate] !== undefined && harness.reviewSettled(claim.claimId)) ||
        review?.status !== 'RUNNING'
      );
    });
    for (let attempt = 1; attempt <= retries; attempt++) {
      try {
        await decideReview(
          harness.apiDeps(`decide-review/${claim.label}/${step.gate}#${attempt}`),
          principal(step.user, step.role),
          claim.claimId,
          { gate: step.gate, decision: step.decision },
        );
        break;
      } catch (error) {
        // A refusal (409: not in review, gate order) is an answer; anything else is retried.
        if (error instanceof DomainError) break;
      }
    }
  }
  await waitFor(async () => harness.review(claim.claimId)?.status !== 'RUNNING', 1500);
}

/** Drives every claim: its deliveries, then its reviewers. */
export async function runWorld(harness: Harness, claims: ClaimStore, world: World) {
  for (const claim of world.claims) {
    for (let d = 0; d < claim.deliveries; d++) await harness.deliver(claim.key);
    if (claim.reviews) await runReviews(harness, claims, claim);
  }
}

/**
 * The operator's part: claims in ERROR are retried, and claims left mid-way are delivered again
 * (the manifest event replayed) until nothing changes. Returns the rounds it took.
 */
export async function recover(
  harness: Harness,
  deps: Parameters<typeof retryClaim>[0],
  world: World,
  maxRounds = 4,
): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    let acted = false;
    for (const claim of world.claims) {
      let c = await deps.claims.get(claim.claimId);
      if (c?.state === 'ERROR') {
        await retryClaim(deps, claim.claimId, 'operator');
        c = await deps.claims.get(claim.claimId);
      }
      const reviewRunning = harness.review(claim.claimId)?.status === 'RUNNING';
      if (!c || c.state === 'RECEIVED' || c.state === 'APPROVED') {
        acted = true;
        await harness.deliver(claim.key);
        c = await deps.claims.get(claim.claimId);
      }
      if (c?.state === 'PENDING_REVIEW' && claim.reviews) {
        acted = true;
        await runReviews(harness, deps.claims, claim);
        const after = await deps.claims.get(claim.claimId);
        // Approved with no review workflow left to pay it: the next delivery pays it.
        if (after?.state === 'APPROVED' && !reviewRunning) await harness.deliver(claim.key);
      }
    }
    if (!acted) return round - 1;
  }
  return maxRounds;
}
