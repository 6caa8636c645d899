// The checks must be able to fail: run the cap-race check against stores with a money condition
// removed, and it has to see the damage. (A check that passes everything proves nothing.)
import { describe, expect, it } from 'vitest';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { CountedExpense, PayoutCharge, PayoutOutcome } from '#shared/ports.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { emptyTally, raceRound } from '../../verify/checks/04-cap-races.ts';
import {
  accumulationBad,
  accumulationRound,
  emptyAccumulationTally,
} from '../../verify/checks/13-accumulation.ts';
import { emptyFundTally, fundBad, fundRound } from '../../verify/checks/14-fund.ts';
import { seededRandom } from '../../verify/lib/random.ts';

/** Pays without the cap condition: `used + amount <= cap` dropped. */
class CapBlindStore extends MemoryStore {
  override async recordPayout(
    paid: ClaimRecord,
    v: number,
    entry: LedgerEntry,
    _charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    return super.recordPayout(paid, v, entry, { capFen: Number.MAX_SAFE_INTEGER }, event);
  }
}

/** Pays without checking the claim's version or an existing ledger entry. */
class ForgetfulStore extends MemoryStore {
  override async recordPayout(
    paid: ClaimRecord,
    _v: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    const key = `${paid.householdId}#${entry.capYear}#${paid.category}`;
    const used = this.caps.get(key) ?? 0;
    if (used + entry.payoutFen > charge.capFen) return { kind: 'cap-conflict', capUsedFen: used };
    this.caps.set(key, used + entry.payoutFen);
    this.ledger.set(entry.claimId, entry);
    this.claimsById.set(paid.claimId, paid);
    this.events.get(paid.claimId)?.push(event);
    return { kind: 'paid', claim: paid };
  }
}

async function race(store: MemoryStore, rounds = 6) {
  const tally = emptyTally();
  const random = seededRandom(7);
  for (let round = 0; round < rounds; round++) {
    await raceRound(
      store,
      async (hh, year, category, fen) => void store.caps.set(`${hh}#${year}#${category}`, fen),
      round,
      30,
      random.fork(String(round)),
      tally,
    );
  }
  return tally;
}

describe('check 4 has teeth', () => {
  it('passes the real store', async () => {
    const t = await race(new MemoryStore());
    expect(t.overCap + t.paidTwice + t.counterMismatch + t.errors + t.leftOnTable).toBe(0);
  });

  it('sees a store that lets payouts pass the cap', async () => {
    const t = await race(new CapBlindStore());
    expect(t.overCap).toBeGreaterThan(0);
  });

  it('sees a store that pays a claim twice', async () => {
    const t = await race(new ForgetfulStore());
    expect(t.paidTwice + t.counterMismatch).toBeGreaterThan(0);
  });
});

/** Counts and pays against the counter as it is now, not as it was read: the counter condition dropped. */
class CounterBlindStore extends MemoryStore {
  override async countExpense(next: ClaimRecord, v: number, event: HistoryEvent, counted: CountedExpense) {
    const now = await this.capCounter(counted.householdId, counted.year, counted.category);
    return super.countExpense(next, v, event, { ...counted, before: now });
  }
  override async recordPayout(
    paid: ClaimRecord,
    v: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    if (!charge.counted || paid.householdId === null || paid.category === null)
      return super.recordPayout(paid, v, entry, charge, event);
    const now = await this.capCounter(paid.householdId, entry.capYear, paid.category);
    return super.recordPayout(
      paid,
      v,
      entry,
      { ...charge, counted: { ...charge.counted, before: now } },
      event,
    );
  }
}

/** Draws the fund without its condition: the balance may go below 0 and nobody waits. */
class FundBlindStore extends MemoryStore {
  override async recordPayout(
    paid: ClaimRecord,
    v: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    const { fund, ...rest } = charge;
    const outcome = await super.recordPayout(paid, v, entry, rest, event);
    if (outcome.kind === 'paid' && fund) {
      const account = this.funds.get(entry.region) ?? {
        initialFen: fund.initialFen,
        toppedUpFen: 0,
        paidFen: 0,
        balanceFen: fund.initialFen,
        waiting: 0,
      };
      account.balanceFen -= entry.payoutFen;
      account.paidFen += entry.payoutFen;
      this.funds.set(entry.region, account);
    }
    return outcome;
  }
}

async function accumulate(makeStore: () => MemoryStore, rounds = 6) {
  const tally = emptyAccumulationTally();
  const random = seededRandom(13);
  for (let round = 0; round < rounds; round++)
    await accumulationRound(makeStore(), round, 30, random.fork(String(round)), tally);
  return tally;
}

async function fundRace(makeStore: () => MemoryStore, rounds = 3) {
  const tally = emptyFundTally();
  const random = seededRandom(14);
  for (let round = 0; round < rounds; round++)
    await fundRound(makeStore(), round, 30, random.fork(String(round)), tally);
  return tally;
}

describe('check 13 has teeth', () => {
  it('passes the real store', async () => {
    const t = await accumulate(() => new MemoryStore());
    expect(t.failures).toEqual([]);
    expect(accumulationBad(t)).toBe(0);
  });

  it('sees a store that counts and pays without the counter condition', async () => {
    const t = await accumulate(() => new CounterBlindStore());
    expect(t.countMismatch + t.priceMismatch + t.chainBroken).toBeGreaterThan(0);
  });
});

describe('check 14 has teeth', () => {
  it('passes the real store', async () => {
    const t = await fundRace(() => new MemoryStore());
    expect(t.failures).toEqual([]);
    expect(fundBad(t)).toBe(0);
  });

  it('sees a store that draws the fund without its condition', async () => {
    const t = await fundRace(() => new FundBlindStore());
    expect(t.belowZero).toBeGreaterThan(0);
    expect(t.wrongSplit).toBeGreaterThan(0);
  });
});
