// Business metrics: what happens to claims, in CloudWatch through Powertools Metrics (embedded
// metric format lines in the function's log; no API calls). They are emitted by the claim port
// once a write that changes a claim's course has succeeded, so a step replayed by at-least-once
// delivery, which finds its work done and writes nothing, counts nothing. shared/ never sees them.
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit } from '@aws-lambda-powertools/metrics/types';
import { businessMetrics, type BusinessMetric } from '#functions/catalog.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { ClaimState, HistoryEvent } from '#shared/claim-state.ts';
import type {
  ClaimEvidence,
  ClaimFilter,
  ClaimStore,
  CountedExpense,
  PayoutCharge,
  PayoutOutcome,
  TransferMark,
} from '#shared/ports.ts';
import type { ClaimGrant } from '#shared/claim-grant.ts';
import type { Category } from '#shared/policy.ts';
import type { Fen } from '#shared/money.ts';

export type MetricName = (typeof businessMetrics)[BusinessMetric]['name'];

export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Where business metrics go: Powertools on Lambda, a recording list in the local world. */
export interface Metrics {
  emit(point: MetricPoint): void;
}

const units = new Map<string, string>(Object.values(businessMetrics).map((m) => [m.name, m.unit]));

/**
 * Each point is its own single metric, published at once: points carry different dimensions
 * (outcome, reason, gate), and a point must not be lost when the invocation fails after the
 * write it reports has been committed. Namespace and service come from POWERTOOLS_* (CDK sets them).
 */
export function powertoolsMetrics(settings: { namespace?: string; serviceName?: string } = {}): Metrics {
  const metrics = new PowertoolsMetrics(settings);
  return {
    emit({ name, value, dimensions }) {
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions ?? {})) single.addDimension(key, dimension);
      single.addMetric(name, units.get(name) as MetricUnit, value);
    },
  };
}

/** The outcome a transition is counted under, or undefined for the moves that decide nothing. */
const outcomes: Partial<Record<ClaimState, string>> = {
  APPROVED: 'approved',
  REJECTED: 'rejected',
  PENDING_REVIEW: 'review',
  NOTICE: 'notice',
  AWAITING_FUNDS: 'awaitingFunds',
  PAID: 'paid',
  ERROR: 'error',
};

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** How many claims read recently are kept to tell what a write changed (for gate wait times). */
const SEEN_CLAIMS = 256;

/**
 * The claim port, counting what its successful writes did. It remembers the last claims it read
 * (a write is always of a claim just read, by version) to see which review gate a write decided.
 */
export class MeteredClaimStore implements ClaimStore {
  private readonly seen = new Map<string, ClaimRecord>();

  constructor(
    private readonly store: ClaimStore,
    private readonly metrics: Metrics,
  ) {}

  private remember(claim: ClaimRecord | undefined): ClaimRecord | undefined {
    if (!claim) return claim;
    this.seen.delete(claim.claimId);
    this.seen.set(claim.claimId, claim);
    if (this.seen.size > SEEN_CLAIMS) this.seen.delete(this.seen.keys().next().value ?? '');
    return claim;
  }

  /** Metrics never fail a write that has already been committed. */
  private async safely(work: () => void | Promise<void>): Promise<void> {
    try {
      await work();
    } catch {
      // A lost point is better than a retried step.
    }
  }

  private transition(event: HistoryEvent | undefined): void {
    if (!event || event.from === event.to) return;
    const outcome = outcomes[event.to];
    if (!outcome) return;
    this.metrics.emit({ name: businessMetrics.claims.name, value: 1, dimensions: { outcome } });
    if (event.to === 'REJECTED' && event.reason)
      this.metrics.emit({
        name: businessMetrics.claimsRejected.name,
        value: 1,
        dimensions: { reason: event.reason },
      });
  }

  /**
   * The review workflow asks for one gate at a time: the first when the claim entered review,
   * each next one when the gate before it was decided. A gate's wait runs from then to its decision.
   */
  private async gateWaits(before: ClaimRecord, next: ClaimRecord): Promise<void> {
    const decided = Object.entries(next.gates).filter(([gate]) => !(gate in before.gates));
    if (decided.length === 0) return;
    const earlier = Object.values(before.gates)
      .map((g) => g?.at ?? '')
      .sort();
    const requestedAt = earlier.at(-1) ?? (await this.enteredReview(next.claimId));
    if (!requestedAt) return;
    for (const [gate, decision] of decided) {
      if (!decision) continue;
      this.metrics.emit({
        name: businessMetrics.reviewWait.name,
        value: seconds(requestedAt, decision.at),
        dimensions: { gate },
      });
    }
  }

  private async enteredReview(claimId: string): Promise<string | undefined> {
    const history = await this.store.history(claimId);
    return history.filter((e) => e.to === 'PENDING_REVIEW' && e.from !== 'PENDING_REVIEW').at(-1)?.at;
  }

  async get(claimId: string) {
    return this.remember(await this.store.get(claimId));
  }
  putGrant(grant: ClaimGrant) {
    return this.store.putGrant(grant);
  }
  async grantAndClaim(claimId: string) {
    const read = await this.store.grantAndClaim(claimId);
    this.remember(read.claim);
    return read;
  }
  async create(claim: ClaimRecord, events: readonly HistoryEvent[]) {
    const created = await this.store.create(claim, events);
    if (created) await this.safely(() => events.forEach((e) => this.transition(e)));
    return created;
  }
  async update(next: ClaimRecord, expectedVersion: number, event?: HistoryEvent) {
    await this.store.update(next, expectedVersion, event);
    const before = this.seen.get(next.claimId);
    this.seen.delete(next.claimId);
    await this.safely(async () => {
      this.transition(event);
      if (before?.version === expectedVersion) await this.gateWaits(before, next);
    });
  }
  history(claimId: string) {
    return this.store.history(claimId);
  }
  list(filter: ClaimFilter) {
    return this.store.list(filter);
  }
  registerReceipt(sha256: string, claimId: string) {
    return this.store.registerReceipt(sha256, claimId);
  }
  transferReceipt(sha256: string, fromClaimId: string, toClaimId: string) {
    return this.store.transferReceipt(sha256, fromClaimId, toClaimId);
  }
  putEvidence(householdId: string, evidence: ClaimEvidence) {
    return this.store.putEvidence(householdId, evidence);
  }
  householdEvidence(householdId: string) {
    return this.store.householdEvidence(householdId);
  }
  capUsed(householdId: string, year: number, category: Category) {
    return this.store.capUsed(householdId, year, category);
  }
  capCounter(householdId: string, year: number, category: Category) {
    return this.store.capCounter(householdId, year, category);
  }
  async countExpense(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    counted: CountedExpense,
  ) {
    const done = await this.store.countExpense(next, expectedVersion, event, counted);
    this.seen.delete(next.claimId);
    if (done) await this.safely(() => this.transition(event));
    return done;
  }
  async awaitFunds(next: ClaimRecord, expectedVersion: number, event: HistoryEvent, initialFen: Fen) {
    await this.store.awaitFunds(next, expectedVersion, event, initialFen);
    this.seen.delete(next.claimId);
    await this.safely(() => this.transition(event));
  }
  async recordPayout(
    paid: ClaimRecord,
    expectedVersion: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    const outcome = await this.store.recordPayout(paid, expectedVersion, entry, charge, event);
    this.seen.delete(paid.claimId);
    if (outcome.kind === 'paid')
      await this.safely(() => {
        this.transition(event);
        this.metrics.emit({ name: businessMetrics.payoutFen.name, value: entry.payoutFen });
        this.metrics.emit({
          name: businessMetrics.uploadToPaid.name,
          value: seconds(paid.filedAt, entry.paidAt),
        });
      });
    return outcome;
  }
  ledgerEntry(claimId: string) {
    return this.store.ledgerEntry(claimId);
  }
  recordDisbursement(next: ClaimRecord, expectedVersion: number, event: HistoryEvent) {
    return this.store.recordDisbursement(next, expectedVersion, event);
  }
  recordTransfer(next: ClaimRecord, expectedVersion: number, event: HistoryEvent, mark: TransferMark) {
    return this.store.recordTransfer(next, expectedVersion, event, mark);
  }
}

/** Metrics dropped: for runs where nobody reads them (the local stack by default). */
export const noMetrics: Metrics = { emit: () => undefined };
