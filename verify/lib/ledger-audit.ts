// The money invariants every check ends with: one ledger entry per PAID claim and none for any
// other, one PAID event per claim at most, each cap counter equal to the payouts it covers and
// never above its cap.
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { Category } from '#shared/policy.ts';

export interface AuditPorts {
  get(claimId: string): Promise<ClaimRecord | undefined>;
  history(claimId: string): Promise<HistoryEvent[]>;
  ledgerEntry(claimId: string): Promise<LedgerEntry | undefined>;
  capUsed(householdId: string, year: number, category: Category): Promise<number>;
}

export interface MoneyAudit {
  /** Claims paid more than once: more than one PAID event, or a ledger entry on a claim that is not paid. */
  readonly duplicates: number;
  /** PAID claims without their ledger entry, or whose entry differs from the claim's payout. */
  readonly ledgerMismatches: number;
  /** Cap counters that differ from the sum of their ledger entries, or exceed the cap. */
  readonly capMismatches: number;
  readonly ledgerFen: number;
  readonly paidClaims: number;
  readonly problems: string[];
}

export async function auditMoney(
  ports: AuditPorts,
  claimIds: readonly string[],
  capOf: (category: string) => number,
  /** What a counter held before these claims (a check may start a household near its cap). */
  baseline: (capKey: string) => number = () => 0,
): Promise<MoneyAudit> {
  let duplicates = 0;
  let ledgerMismatches = 0;
  let capMismatches = 0;
  let ledgerFen = 0;
  let paidClaims = 0;
  const problems: string[] = [];
  const perCap = new Map<string, { householdId: string; year: number; category: Category; sum: number }>();
  for (const claimId of claimIds) {
    const [claim, entry, history] = await Promise.all([
      ports.get(claimId),
      ports.ledgerEntry(claimId),
      ports.history(claimId),
    ]);
    const paidEvents = history.filter((h) => h.to === 'PAID').length;
    const isPaid = claim?.state === 'PAID' || claim?.state === 'DISBURSED';
    if (paidEvents > 1 || (entry && !isPaid)) {
      duplicates += 1;
      problems.push(
        `${claimId}: ${paidEvents} PAID events, ledger entry ${entry ? 'present' : 'absent'}, state ${claim?.state}`,
      );
    }
    if (isPaid) {
      paidClaims += 1;
      if (!entry || entry.payoutFen !== claim.payoutFen || paidEvents !== 1) {
        ledgerMismatches += 1;
        problems.push(`${claimId}: PAID ${claim.payoutFen} but ledger ${entry?.payoutFen ?? 'missing'}`);
      }
    }
    if (entry) {
      ledgerFen += entry.payoutFen;
      const key = `${entry.householdId}#${entry.capYear}#${entry.category}`;
      const slot = perCap.get(key) ?? {
        householdId: entry.householdId,
        year: entry.capYear,
        category: entry.category,
        sum: 0,
      };
      slot.sum += entry.payoutFen;
      perCap.set(key, slot);
    }
  }
  for (const [key, slot] of perCap) {
    const used = await ports.capUsed(slot.householdId, slot.year, slot.category);
    if (used !== baseline(key) + slot.sum || used > capOf(slot.category)) {
      capMismatches += 1;
      problems.push(
        `${key}: counter ${used}, ledger ${slot.sum} + ${baseline(key)}, cap ${capOf(slot.category)}`,
      );
    }
  }
  return { duplicates, ledgerMismatches, capMismatches, ledgerFen, paidClaims, problems };
}
