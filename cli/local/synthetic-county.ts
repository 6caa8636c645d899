// A synthetic county for trying the system at size: villages of about 300 households, a grid
// worker per 30 households, roster status periods (a fifth of the households changed status
// once), and claims spread over the year, every state and every category. Deterministic given
// the seed. Claims are priced by the real engine under the built-in policy and written through
// the store's own item builders (loadClaims), so they have exactly the shape real claims have.
import { ulid, type PRNG } from 'ulid';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { ClaimState, HistoryEvent } from '#shared/claim-state.ts';
import { quote } from '#shared/compensation.ts';
import { builtInPolicies, type Policy } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { addDays } from '#shared/dates.ts';
import { categories, householdStatuses, rejectionReasons, type Category } from '#shared/vocabulary.ts';
import type { RosterStore } from '#shared/ports.ts';
import type { Member } from '#shared/members.ts';
import type { SeededClaim } from '#functions/adapters/dynamo-claim-store.ts';

export interface CountyOptions {
  readonly households: number;
  readonly claims: number;
  readonly seed: number;
  /** The calendar year the claims are filed in (default 2026, the built-in policy's first year). */
  readonly year?: number;
  /** Write each claim's history events (default true; a listing benchmark may leave them out). */
  readonly history?: boolean;
  /** The households' region (default `demo`; `demo-fund` takes the departments' data feeds). */
  readonly region?: string;
  /** Also store each household's people (its head and members), for data feeds to match. */
  readonly members?: boolean;
}

/** What `claims seed` writes to: the roster port and the claim store's synthetic load. */
export interface CountyStore extends Pick<RosterStore, 'put'>, Partial<Pick<RosterStore, 'storeMembers'>> {
  loadClaims(batch: readonly SeededClaim[]): Promise<void>;
}

/** mulberry32: small, fast, and the same numbers for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const syllables = '红星和平向阳东风新华长青金山河西南岭石桥柳塘高田龙泉白沙永安太平'.split('');
const surnames = '张王李刘陈杨赵黄周吴徐孙马朱胡郭何林罗高'.split('');
const given = [
  '德胜',
  '振华',
  '建华',
  '玉珍',
  '秀英',
  '国强',
  '桂兰',
  '志明',
  '春梅',
  '海涛',
  '丽娟',
  '文斌',
];

/** Weighted pick: `table` lists [value, weight] pairs. */
function weighted<T>(random: () => number, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let x = random() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  return table[table.length - 1]![0];
}

// Roughly what a county's year looks like once it has settled: most claims paid, some refused.
const stateWeights: readonly (readonly [ClaimState, number])[] = [
  ['RECEIVED', 2],
  ['PENDING_REVIEW', 8],
  ['APPROVED', 1],
  ['PAID', 30],
  ['DISBURSED', 40],
  ['DISBURSEMENT_FAILED', 1],
  ['REJECTED', 17],
  ['ERROR', 2],
];
const categoryWeights: readonly (readonly [Category, number])[] = [
  ['education', 30],
  ['medical', 50],
  ['disaster', 10],
  ['industry', 10],
];

export interface County {
  readonly villages: readonly string[];
  readonly workers: readonly string[];
  /** Each household's periods, oldest first. */
  readonly households: readonly RosterPeriod[][];
}

export const countyHouseholdId = (i: number): string => `SH-${String(i).padStart(7, '0')}`;

/** The roster: villages of ~300 households, a grid worker per 30 (all in one village). */
export function syntheticRoster(options: Pick<CountyOptions, 'households' | 'seed' | 'region'>): County {
  const random = seededRandom(options.seed);
  const villageCount = Math.max(1, Math.round(options.households / 300));
  const villages = Array.from({ length: villageCount }, (_, v) => {
    const a = syllables[v % syllables.length];
    const b = syllables[Math.floor(v / syllables.length) % syllables.length];
    const round = Math.floor(v / (syllables.length * syllables.length));
    return `${a}${b}${round > 0 ? String(round + 1) : ''}村`;
  });
  const workers: string[] = [];
  const households: RosterPeriod[][] = [];
  for (let i = 0; i < options.households; i++) {
    const w = Math.floor(i / 30);
    const gridWorker = `gw${String(w + 1).padStart(5, '0')}`;
    if (workers.length === w) workers.push(gridWorker);
    const village = villages[Math.floor((w * 30) / 300) % villageCount] ?? '';
    // Unique per household for any county size (a birth date and sequence picked from the index;
    // the draw that once picked the year is still made, so the rest of the county stays the same).
    void random();
    const idNumber = syntheticIdNumber('430381', 1950, i);
    const base: RosterPeriod = {
      householdId: countyHouseholdId(i + 1),
      region: options.region ?? 'demo',
      village,
      headName: `${surnames[Math.floor(random() * surnames.length)]}${given[Math.floor(random() * given.length)]}`,
      idNumber,
      members: 1 + Math.floor(random() * 6),
      status: weighted(random, [
        ['out_of_poverty', 70],
        ['unstable', 15],
        ['marginal', 15],
      ] as const),
      statusFrom: '2024-01-01',
      gridWorker,
      bankAccount: `62309${String(i + 1).padStart(14, '0')}`,
      annualIncomeFen: 600_000 + Math.floor(random() * 2_000_000),
    };
    const periods = [base];
    // A fifth changed status once since: a hardship, or leaving the roster.
    if (random() < 0.2) {
      const status = weighted(random, [
        ['sudden_hardship', 40],
        ['unstable', 30],
        ['removed', 30],
      ] as const);
      if (!householdStatuses.includes(status)) throw new Error(`unknown status ${status}`);
      periods.push({ ...base, status, statusFrom: addDays('2025-01-01', Math.floor(random() * 600)) });
    }
    households.push(periods);
  }
  return { villages, workers, households };
}

/**
 * A valid resident ID number that no other generated person has: `n` (0 <= n < 7,300,000) picks
 * the birth date (one of 20 years' days, from `fromYear`) and the sequence digits, and each kind
 * of person has its own region code, so numbers of different kinds never meet.
 */
export function syntheticIdNumber(regionCode: string, fromYear: number, n: number): string {
  const days = 20 * 365;
  if (!Number.isInteger(n) || n < 0 || n >= days * 1000) throw new RangeError('no unique ID number left');
  const birth = addDays(`${fromYear}-01-01`, n % days).replaceAll('-', '');
  const first17 = `${regionCode}${birth}${String(Math.floor(n / days)).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

/** Region codes of the generated people besides heads (430381), one per kind of member. */
const memberRegion = { spouse: '430321', child: '430302', parent: '430304' } as const;

/**
 * The people of household `index` (0-based, as in `county.households`): as many as the roster's
 * `members` says (3.5 on average), the head first with the head's ID number, then a spouse,
 * children and, in a household of six, a parent. Deterministic per household, so a feed generator
 * can name any household's people without holding the county's.
 */
export function syntheticHouseholdMembers(county: County, index: number, seed: number): Member[] {
  const periods = county.households[index];
  const period = periods?.[periods.length - 1];
  if (!period) throw new RangeError(`no household ${index}`);
  const random = seededRandom((seed * 7919 + index) ^ 0x6d656d);
  const family = period.headName.charAt(0);
  const name = (surname: string) => `${surname}${given[Math.floor(random() * given.length)]}`;
  const people: Member[] = [
    { householdId: period.householdId, idNumber: period.idNumber, name: period.headName, relation: 'head' },
  ];
  for (let position = 1; position < Math.min(period.members, 6); position++) {
    const relation = position === 1 ? 'spouse' : position === 5 ? 'parent' : 'child';
    const idNumber =
      relation === 'spouse'
        ? syntheticIdNumber(memberRegion.spouse, 1955, index)
        : relation === 'parent'
          ? syntheticIdNumber(memberRegion.parent, 1930, index)
          : syntheticIdNumber(memberRegion.child, 2000, index * 3 + position - 2);
    const surname =
      relation === 'spouse' ? (surnames[Math.floor(random() * surnames.length)] ?? family) : family;
    people.push({ householdId: period.householdId, idNumber, name: name(surname), relation });
  }
  return people;
}

/** `count` claims over the year, each in its final state, with history and ledger entry. */
export function* syntheticClaims(
  county: County,
  options: Pick<CountyOptions, 'claims' | 'seed' | 'year' | 'history'>,
  policy: Policy = builtInPolicies[0]!,
): Generator<SeededClaim> {
  const random = seededRandom(options.seed ^ 0x5eed);
  const prng: PRNG = random;
  const yearStart = Date.UTC(options.year ?? 2026, 0, 1);
  const yearMs = 365 * 86_400_000;
  for (let n = 0; n < options.claims; n++) {
    const periods = county.households[Math.floor(random() * county.households.length)] ?? [];
    const period = periods[periods.length - 1]!;
    const createdMs = yearStart + Math.floor(random() * yearMs);
    const createdAt = new Date(createdMs).toISOString();
    const claimId = ulid(createdMs, prng);
    const category = weighted(random, categoryWeights);
    let state = weighted(random, stateWeights);
    const totalCostFen = 100 * (3_000 + Math.floor(random() * 60_000));
    const reimbursedFen = category === 'medical' ? Math.floor(totalCostFen * random() * 0.6) : 0;
    const priced = quote(policy, category, totalCostFen, reimbursedFen);
    // As assessment would: a claim that prices to nothing is refused, never approved or paid.
    const refused = !priced.ok || priced.quote.payoutFen === 0;
    if (refused && state !== 'RECEIVED' && state !== 'ERROR') state = 'REJECTED';
    const at = (minutes: number) => new Date(createdMs + minutes * 60_000).toISOString();
    const events: HistoryEvent[] = [{ at: createdAt, from: null, to: 'RECEIVED', actor: 'system' }];
    const claim: ClaimRecord = {
      claimId,
      householdId: period.householdId,
      category,
      expenseDate: new Date(createdMs - Math.floor(random() * 60) * 86_400_000 + 8 * 3_600_000)
        .toISOString()
        .slice(0, 10),
      totalCostFen,
      reimbursedFen,
      receipts: [
        {
          key: `claims/${claimId}/receipt-1.jpg`,
          sha256: claimId
            .toLowerCase()
            .padEnd(64, '0')
            .replace(/[^0-9a-f]/g, 'a'),
          contentType: 'image/jpeg',
        },
      ],
      submittedBy: period.gridWorker,
      gridWorker: period.gridWorker,
      region: period.region,
      village: period.village,
      state,
      gates: {},
      gateTokens: {},
      manifestSha256: null,
      filedAt: createdAt,
      createdAt,
      updatedAt: createdAt,
      version: 1,
    };
    const assessed =
      priced.ok && state !== 'RECEIVED' && state !== 'ERROR' && state !== 'REJECTED'
        ? {
            assessment: {
              policyId: policy.policyId,
              policyVersion: policy.version,
              region: period.region,
              capYear: new Date(createdMs).getUTCFullYear(),
              selfPaidFen: priced.quote.selfPaidFen,
              grossFen: priced.quote.grossFen,
              capFen: priced.quote.capFen,
              capRemainingFen: priced.quote.capRemainingFen,
              payoutFen: priced.quote.payoutFen,
              bands: priced.quote.bands.map((b) => ({ ...b })),
              rosterStatus: period.status,
            },
            payoutFen: priced.quote.payoutFen,
          }
        : {};
    let final: ClaimRecord = { ...claim, ...assessed };
    const move = (to: ClaimState, minutes: number, extra: Partial<HistoryEvent> = {}) => {
      events.push({ at: at(minutes), from: events[events.length - 1]!.to, to, actor: 'system', ...extra });
      final = { ...final, state: to, version: final.version + 1, updatedAt: at(minutes) };
    };
    let ledger: LedgerEntry | undefined;
    if (state === 'REJECTED') {
      const reason = refused
        ? 'BELOW_THRESHOLD'
        : (rejectionReasons[Math.floor(random() * rejectionReasons.length)] ?? 'NOT_COVERED');
      move('REJECTED', 1, { reason });
      final = { ...final, reason };
    } else if (state === 'ERROR') {
      move('ERROR', 1);
      final = { ...final, errorFrom: 'RECEIVED' };
    } else if (state !== 'RECEIVED') {
      const reviewed = state === 'PENDING_REVIEW' || (assessed.payoutFen ?? 0) > 500_000;
      if (reviewed) {
        move('PENDING_REVIEW', 1);
        final = {
          ...final,
          requiredGates: policy.review.gates.map((g) => g.id),
          reviewReasons: [{ code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } }],
        };
      }
      if (state !== 'PENDING_REVIEW') {
        if (reviewed) {
          const gates = Object.fromEntries(
            policy.review.gates.map((g, i) => [
              g.id,
              { decision: 'approve' as const, by: `${g.role}${1 + (i % 3)}`, at: at(60 * (i + 1)) },
            ]),
          );
          final = { ...final, gates };
        }
        move('APPROVED', reviewed ? 300 : 1);
        if (state === 'PAID' || state === 'DISBURSED' || state === 'DISBURSEMENT_FAILED') {
          const paidMinutes = reviewed ? 301 : 2;
          move('PAID', paidMinutes);
          const paidAt = at(paidMinutes);
          ledger = {
            claimId,
            householdId: period.householdId,
            region: period.region,
            village: period.village,
            category,
            gridWorker: period.gridWorker,
            payoutFen: final.payoutFen ?? 0,
            capYear: final.assessment?.capYear ?? new Date(createdMs).getUTCFullYear(),
            policyId: policy.policyId,
            policyVersion: policy.version,
            paidAt,
            paidDate: new Date(Date.parse(paidAt) + 8 * 3_600_000).toISOString().slice(0, 10),
          };
          if (state === 'DISBURSED') {
            const disbursedAt = at(paidMinutes + 7 * 24 * 60);
            const batchRef = `BATCH-${disbursedAt.slice(0, 10)}`;
            move('DISBURSED', paidMinutes + 7 * 24 * 60);
            final = { ...final, disbursement: { batchRef, at: disbursedAt, by: 'finance1' } };
            ledger = { ...ledger, disbursedAt, batchRef };
          }
          if (state === 'DISBURSEMENT_FAILED') {
            const failedAt = at(paidMinutes + 7 * 24 * 60);
            move('DISBURSEMENT_FAILED', paidMinutes + 7 * 24 * 60);
            final = { ...final, bankFailure: { reason: '账户已销户', at: failedAt } };
            ledger = { ...ledger, failedAt };
          }
        }
      }
    }
    yield { claim: final, events: options.history === false ? [] : events, ...(ledger ? { ledger } : {}) };
  }
}

export interface SeedResult {
  readonly households: number;
  readonly claims: number;
  readonly seconds: number;
}

/**
 * Writes the county: the roster through the roster port, then the claims in batches through the
 * claim store's loader, `parallel` batches at a time.
 */
export async function seedCounty(
  store: CountyStore,
  options: CountyOptions,
  progress: (done: number) => void = () => undefined,
  parallel = 4,
): Promise<SeedResult> {
  const started = performance.now();
  const county = syntheticRoster(options);
  const rosterChunks: RosterPeriod[][] = [];
  for (let i = 0; i < county.households.length; i += 500)
    rosterChunks.push(county.households.slice(i, i + 500).flat());
  for (let i = 0; i < rosterChunks.length; i += parallel)
    await Promise.all(rosterChunks.slice(i, i + parallel).map((chunk) => store.put(chunk)));
  if (options.members) {
    const storeMembers = store.storeMembers?.bind(store);
    if (!storeMembers) throw new Error('this store cannot store household members');
    const people = (from: number) =>
      county.households
        .slice(from, from + 100)
        .flatMap((_, k) => syntheticHouseholdMembers(county, from + k, options.seed));
    for (let i = 0; i < county.households.length; i += 100 * parallel)
      await Promise.all(
        Array.from({ length: parallel }, (_, p) => i + p * 100)
          .filter((from) => from < county.households.length)
          .map((from) => storeMembers(people(from))),
      );
  }
  let done = 0;
  let batch: SeededClaim[] = [];
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    const writing = store.loadClaims(batch);
    batch = [];
    const tracked = writing.then(() => {
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
    if (inFlight.size >= parallel) await Promise.race(inFlight);
  };
  for (const claim of syntheticClaims(county, options)) {
    batch.push(claim);
    if (batch.length === 100) {
      await flush();
      done += 100;
      if (done % 10_000 === 0) progress(done);
    }
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  return {
    households: options.households,
    claims: options.claims,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** Every category appears in the weights (a new category must be given a share). */
export const seededCategories: readonly Category[] = categoryWeights.map(([c]) => c);
if (seededCategories.length !== categories.length) throw new Error('a category has no share in the seed');
