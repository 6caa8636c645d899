// Claims on public notice (公示中) for the browser tests, written straight into the local stack's
// claim store: until the workflow's notice step posts claims itself, this is the way to have some.
import { claimRecord } from '#cli/local/world.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { TestStack } from '#cli/local/scratch-stack.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

function assessment(payoutFen: number, category: 'education' | 'medical'): ClaimRecord['assessment'] {
  return {
    policyId: 'demo-fund',
    policyVersion: 1,
    region: 'demo-fund',
    capYear: new Date().getUTCFullYear(),
    selfPaidFen: payoutFen * 2,
    grossFen: payoutFen,
    capFen: category === 'education' ? 2_000_000 : 5_000_000,
    capRemainingFen: category === 'education' ? 2_000_000 : 5_000_000,
    payoutFen,
    bands: [],
    rosterStatus: 'out_of_poverty',
  };
}

export interface NoticeClaims {
  /** worker1's household HH-F001 (陈国强), education, ¥3,500.00, notice ends in 5 days. */
  readonly first: string;
  /** worker2's household HH-F007 (郑海波), medical, ¥8,120.00, notice ends in 4 days. */
  readonly second: string;
}

/** Two claims of 东山村 (demo-fund) on notice, as the notice step will leave them. */
export async function seedNoticeClaims(stack: Pick<TestStack, 'deps'>): Promise<NoticeClaims> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const put = async (over: Partial<ClaimRecord>) => {
    const claim = claimRecord({
      region: 'demo-fund',
      village: '东山村',
      state: 'NOTICE',
      expenseDate: at.slice(0, 10),
      filedAt: at,
      createdAt: at,
      updatedAt: at,
      ...over,
    });
    if (!(await stack.deps.claims.create(claim, [{ at, from: null, to: 'NOTICE', actor: 'system' }])))
      throw new Error('notice claim not created');
    return claim.claimId;
  };
  const first = await put({
    householdId: 'HH-F001',
    gridWorker: 'worker1',
    submittedBy: 'worker1',
    category: 'education',
    totalCostFen: 1_500_000,
    assessment: assessment(350_000, 'education'),
    accumulated: { beforeFen: 500_000, afterFen: 2_000_000 },
    noticeEndsAt: new Date(now + 5 * DAY_MS).toISOString(),
  });
  const second = await put({
    householdId: 'HH-F007',
    gridWorker: 'worker2',
    category: 'medical',
    totalCostFen: 3_000_000,
    assessment: assessment(812_000, 'medical'),
    source: 'data-feed',
    submittedBy: null,
    noticeEndsAt: new Date(now + 4 * DAY_MS).toISOString(),
  });
  return { first, second };
}
