import { fundRound, emptyFundTally, fundBad } from '#verify/checks/14-fund.ts';
import { accumulationRound, emptyAccumulationTally, accumulationBad } from '#verify/checks/13-accumulation.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { seededRandom } from '#verify/lib/random.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { CountedExpense, PayoutCharge, PayoutOutcome } from '#shared/ports.ts';
class CounterBlindStore extends MemoryStore {
  override async countExpense(next: ClaimRecord, v: number, event: HistoryEvent, counted: CountedExpense) {
    const now = await this.capCounter(counted.householdId, counted.year, counted.category);
    return super.countExpense(next, v, event, { ...counted, before: now });
  }
  override async recordPayout(paid: ClaimRecord, v: number, entry: LedgerEntry, charge: PayoutCharge, event: HistoryEvent): Promise<PayoutOutcome> {
    if (!charge.counted || !paid.householdId || !paid.category) return super.recordPayout(paid, v, entry, charge, event);
    const now = await this.capCounter(paid.householdId, entry.capYear, paid.category);
    return super.recordPayout(paid, v, entry, { ...charge, counted: { ...charge.counted, before: now } }, event);
  }
}
class FundBlindStore extends MemoryStore {
  override async recordPayout(paid: ClaimRecord, v: number, entry: LedgerEntry, charge: PayoutCharge, event: HistoryEvent): Promise<PayoutOutcome> {
    const { fund, ...rest } = charge;
    const out = await super.recordPayout(paid, v, entry, rest, event);
    if (out.kind === 'paid' && fund) {
      const f = this.funds.get(entry.region) ?? { initialFen: fund.initialFen, toppedUpFen: 0, paidFen: 0, balanceFen: fund.initialFen, waiting: 0 };
      f.balanceFen -= entry.payoutFen; f.paidFen += entry.payoutFen; this.funds.set(entry.region, f);
    }
    return out;
  }
}
const a = emptyAccumulationTally();
for (let r = 0; r < 6; r++) await accumulationRound(new CounterBlindStore(), r, 30, seededRandom(r), a);
console.log('acc', accumulationBad(a), a.countMismatch, a.priceMismatch, a.chainBroken, a.failures.slice(0,3));
const f = emptyFundTally();
for (let r = 0; r < 3; r++) await fundRound(new FundBlindStore(), r, 30, seededRandom(r), f);
console.log('fund', fundBad(f), f.belowZero, f.wrongSplit, f.failures.slice(0,3));
