// The checks must be able to fail: run the cap-race check against stores with a money condition
// removed, and it has to see the damage. (A check that passes everything proves nothing.)
import { describe, expect, it } from 'vitest';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { PayoutCharge, PayoutOutcome } from '#shared/ports.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { emptyTally, raceRound } from '../../verify/checks/04-cap-races.ts';
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
