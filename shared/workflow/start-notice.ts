// After the last gate (or at once, for a claim approved automatically): a policy with a public
// notice (公示) posts the approved claim in its village for `noticeDays` before it is paid. The
// workflow then waits until `noticeEndsAt` and records the payout; an objection meanwhile sends
// the claim back to review and the payout step finds it no longer in NOTICE.
import { findPolicy } from '#shared/policy.ts';
import { changeClaim } from '#shared/claim-change.ts';
import { InvariantError } from '#shared/errors.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';

const DAY_MS = 86_400_000;

export interface NoticeResult extends StepResult {
  /** While the claim is in NOTICE: when the notice ends and the payout is due (else null). */
  readonly noticeEndsAt: string | null;
}

export async function startNotice(
  deps: Pick<StepDeps, 'claims' | 'clock' | 'policies'>,
  input: { claimId: string },
): Promise<NoticeResult> {
  const { result } = await changeClaim<NoticeResult>(deps, input.claimId, (claim, at) => {
    if (claim.state === 'NOTICE' && claim.noticeEndsAt)
      return {
        kind: 'keep',
        result: { claimId: claim.claimId, outcome: 'notice', noticeEndsAt: claim.noticeEndsAt },
      };
    if (claim.state !== 'APPROVED')
      return {
        kind: 'keep',
        result: { claimId: claim.claimId, outcome: outcomeForState(claim.state), noticeEndsAt: null },
      };
    const a = claim.assessment;
    const policy = a && findPolicy(a.policyId, a.policyVersion, deps.policies);
    if (!policy)
      throw new InvariantError('NO_POLICY', `claim ${claim.claimId} names no policy this build has`);
    if (policy.noticeDays === 0)
      return { kind: 'keep', result: { claimId: claim.claimId, outcome: 'approved', noticeEndsAt: null } };
    const noticeEndsAt = new Date(Date.parse(at) + policy.noticeDays * DAY_MS).toISOString();
    return {
      kind: 'move',
      to: 'NOTICE',
      actor: SYSTEM_ACTOR,
      detail: { code: 'NOTICE_POSTED', params: { days: policy.noticeDays, noticeEndsAt } },
      patch: { noticeEndsAt },
      result: { claimId: claim.claimId, outcome: 'notice', noticeEndsAt },
    };
  });
  return result;
}
