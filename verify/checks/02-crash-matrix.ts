// 2. Crash at every step. A seeded fault injector kills each workflow step (and each reviewer's
// request) before and after each of its side effects, and throws transient faults the ASL
// retries; then random multi-fault seeds. The deployed ASL runs the steps (its Retry and Catch
// decide what happens next) over the in-memory ports, and a smaller matrix over DynamoDB Local
// proves the adapter keeps the same conditions. After the workflow's own handling every claim is
// terminal, in review or in ERROR; after the operator retries ERROR claims, each ends exactly as
// without faults. Every seed is run twice: the replay must match.
import { FakeClock } from '#cli/local/world.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import type { ClaimStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { FaultInjector, type FaultKind, type FaultPlan } from '#verify/lib/fault-injection.ts';
import { hashSeed } from '#verify/lib/random.ts';
import { createHarness } from '#verify/lib/workflow-harness.ts';
import { makeWorld, putRoster, recover, runWorld, type World } from '#verify/lib/crash-world.ts';
import { auditMoney } from '#verify/lib/ledger-audit.ts';
import { startLocalDynamo } from '#verify/lib/dynamo.ts';
import { referenceCapFen } from '#verify/lib/reference-pricing.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

type Store = ClaimStore & LedgerStore & RosterStore;

interface Backend {
  readonly name: string;
  harness?: Awaited<ReturnType<typeof createHarness>>;
  fresh(): Promise<{
    store: Store;
    seedCap: (hh: string, year: number, category: string, fen: number) => Promise<void>;
  }>;
  close(): Promise<void>;
}

const memoryBackend = (): Backend => ({
  name: 'memory',
  async fresh() {
    const store = new MemoryStore();
    return {
      store,
      seedCap: async (hh, year, category, fen) => {
        store.caps.set(`${hh}#${year}#${category}`, fen);
      },
    };
  },
  async close() {
    await this.harness?.close();
    this.harness = undefined;
  },
});

async function dynamoBackend(): Promise<Backend> {
  const dynamo = await startLocalDynamo();
  // One table for every run: each world has its own households and claimIds.
  const backend: Backend = {
    name: 'dynamodb',
    fresh: async () => ({ store: dynamo.store, seedCap: dynamo.seedCap }),
    async close() {
      await this.harness?.close();
      await dynamo.close();
    },
  };
  return backend;
}

interface RunOutcome {
  /** Claims not terminal, not in review and not in ERROR once the workflows were done. */
  readonly stuck: string[];
  /** Claims not where the fault-free run puts them, after the operator's retries. */
  readonly lost: string[];
  readonly duplicates: number;
  readonly moneyProblems: string[];
  readonly errorsBeforeRecovery: number;
  readonly recoveryRounds: number;
  readonly fired: number;
  readonly visited: string[];
  /** Everything a replay must reproduce. */
  readonly snapshot: string;
}

let runCounter = 0;

async function runOnce(
  backend: Backend,
  worldSeed: number,
  plan: FaultPlan,
  spareMarkError = true,
): Promise<RunOutcome> {
  const run = ++runCounter;
  const world: World = makeWorld(run, worldSeed);
  const { store, seedCap } = await backend.fresh();
  await putRoster(store, world);
  for (const s of world.capSeeds) await seedCap(s.householdId, s.year, s.category, s.fen);
  for (const g of world.grants) await store.putGrant(g);
  const labels = new Map(world.claims.map((c) => [c.claimId, c.label]));
  const injector = new FaultInjector(plan);
  const clock = new FakeClock();
  const context = {
    ports: { store, receipts: world.receipts, clock: { now: clock.now } },
    injector,
    label: (id: string) => labels.get(id) ?? id,
    ...(spareMarkError ? { spare: (step: string) => step === 'mark-error' } : {}),
  };
  backend.harness ??= await createHarness(context);
  const harness = backend.harness;
  harness.use(context);
  try {
    await runWorld(harness, store, world);
    const stuck: string[] = [];
    let errorsBeforeRecovery = 0;
    for (const claim of world.claims) {
      const c = await store.get(claim.claimId);
      if (c?.state === 'ERROR') errorsBeforeRecovery += 1;
      const inReview = c?.state === 'PENDING_REVIEW';
      if (!c || !(['REJECTED', 'PAID', 'DISBURSED', 'ERROR'].includes(c.state) || inReview)) {
        stuck.push(`${claim.label}: ${c?.state ?? 'no record'}`);
      }
    }
    injector.enabled = false; // the operator retries in a healthy system
    const recoveryRounds = await recover(harness, { claims: store, clock: { now: clock.now } }, world);
    const lost: string[] = [];
    const snapshot: Record<string, unknown> = {};
    const groups = new Map<string, { want: string[]; got: string[] }>();
    for (const claim of world.claims) {
      const c = await store.get(claim.claimId);
      const history = (await store.history(claim.claimId)).map(
        (h) => `${h.from ?? '-'}>${h.to}${h.reason ? `:${h.reason}` : ''}`,
      );
      const got = c ? `${c.state}:${c.state === 'REJECTED' ? c.reason : (c.payoutFen ?? '')}` : 'missing';
      const e = claim.expected;
      const want = `${e.state}:${e.state === 'REJECTED' ? e.reason : e.payoutFen}`;
      const g = groups.get(claim.group) ?? { want: [], got: [] };
      g.want.push(want);
      g.got.push(got);
      groups.set(claim.group, g);
      snapshot[claim.label] = { got, history, gates: c?.gates ? Object.keys(c.gates) : [] };
    }
    for (const [group, g] of groups) {
      if (g.want.sort().join() !== g.got.sort().join())
        lost.push(`${group}: want ${g.want.join(' ')}, got ${g.got.join(' ')}`);
    }
    const capSeed = new Map(world.capSeeds.map((s) => [`${s.householdId}#${s.year}#${s.category}`, s.fen]));
    const audit = await auditMoney(
      store,
      world.claims.map((c) => c.claimId),
      (c) => Number(referenceCapFen(c)),
      (k) => capSeed.get(k) ?? 0,
    );
    snapshot.fired = injector.fired;
    return {
      stuck,
      lost,
      duplicates: audit.duplicates,
      moneyProblems: [...audit.problems],
      errorsBeforeRecovery,
      recoveryRounds,
      fired: injector.fired.length,
      visited: injector.visited,
      snapshot: JSON.stringify(snapshot),
    };
  } finally {
    injector.enabled = false;
  }
}

interface Seed {
  readonly name: string;
  readonly plan: FaultPlan;
  readonly worldSeed: number;
  readonly spareMarkError?: boolean;
}

function singleFault(site: string, kind: FaultKind): FaultPlan {
  return (s) => (s === site ? kind : undefined);
}

/** Every site faults with probability p, decided by a hash of (seed, site): replayable. */
function randomFaults(seed: number, p: number): FaultPlan {
  return (site) => {
    const h = hashSeed(`${seed}|${site}`) / 4_294_967_296;
    if (h >= p) return undefined;
    return h < p * 0.6 ? 'crash' : 'transient';
  };
}

interface MatrixFigures {
  seeds: number;
  faults: number;
  stuck: number;
  lost: number;
  duplicates: number;
  replayMismatches: number;
  errorsRecovered: number;
  failures: string[];
}

async function runMatrix(
  backend: Backend,
  seeds: readonly Seed[],
  replay: boolean,
  log: (l: string) => void,
): Promise<MatrixFigures> {
  const f: MatrixFigures = {
    seeds: 0,
    faults: 0,
    stuck: 0,
    lost: 0,
    duplicates: 0,
    replayMismatches: 0,
    errorsRecovered: 0,
    failures: [],
  };
  for (const [i, seed] of seeds.entries()) {
    const a = await runOnce(backend, seed.worldSeed, seed.plan, seed.spareMarkError ?? true);
    f.seeds += 1;
    f.faults += a.fired;
    f.stuck += a.stuck.length;
    f.lost += a.lost.length;
    f.duplicates += a.duplicates;
    f.errorsRecovered += a.errorsBeforeRecovery;
    const bad = a.stuck.length + a.lost.length + a.duplicates + a.moneyProblems.length > 0;
    if (bad)
      f.failures.push(
        `${backend.name} ${seed.name}: stuck [${a.stuck.join('; ')}] lost [${a.lost.join('; ')}] money [${a.moneyProblems.slice(0, 2).join('; ')}]`,
      );
    // Failing seeds are always replayed; passing ones too when the scale allows.
    if (replay || bad) {
      const b = await runOnce(backend, seed.worldSeed, seed.plan, seed.spareMarkError ?? true);
      if (normalise(a.snapshot) !== normalise(b.snapshot)) {
        f.replayMismatches += 1;
        f.failures.push(`${backend.name} ${seed.name}: the replay differs`);
      }
    }
    if ((i + 1) % 100 === 0) log(`  ${backend.name}: ${i + 1}/${seeds.length} seeds`);
  }
  return f;
}

/** Claim ids and times differ between runs by design; everything else must not. */
function normalise(snapshot: string): string {
  return snapshot.replace(/01K[0-9A-Z]{23}/g, '<claim>').replace(/W[0-9A-Z]{6}-\d{5}/g, '<hh>');
}

function systematicSeeds(sites: readonly string[], worldSeed: number, limit: number): Seed[] {
  const all: Seed[] = [];
  for (const site of sites) {
    for (const kind of ['crash', 'transient'] as const)
      all.push({ name: `${kind}@${site}`, plan: singleFault(site, kind), worldSeed });
  }
  if (all.length <= limit) return all;
  // Evenly spaced, so a small run still touches every step.
  return Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)] as Seed);
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const memoryStore = memoryBackend();
  let memory: MatrixFigures;
  let clean: RunOutcome;
  let sites: string[];
  let systematic: Seed[];
  let random: Seed[];
  let stranded = 0;
  try {
    // The fault-free run lists every site: the systematic matrix is each site x {crash, transient}.
    clean = await runOnce(memoryStore, seed, () => undefined);
    sites = [...new Set(clean.visited)];
    systematic = systematicSeeds(sites, seed, full ? Infinity : 24);
    random = Array.from({ length: full ? 200 : 8 }, (_, i) => ({
      name: `random#${seed + i}`,
      plan: randomFaults(seed + i, 0.04),
      worldSeed: seed + i,
    }));
    memory = await runMatrix(memoryStore, [...systematic, ...random], full, log);
    // mark-error killed too (a double fault): nothing on AWS re-drives such a claim; the local
    // runtime's restart sweep does. Measured and reported apart from the figures above.
    const doubles = systematic
      .filter((s) => s.name.startsWith('crash@'))
      .slice(0, full ? Infinity : 6)
      .map((s) => ({
        ...s,
        plan: ((site: string) =>
          s.plan(site) ??
          (site.startsWith('mark-error/') && site.endsWith('#1/start') ? 'crash' : undefined)) as FaultPlan,
      }));
    for (const d of doubles)
      stranded += (await runOnce(memoryStore, d.worldSeed, d.plan, false)).stuck.length;
  } finally {
    await memoryStore.close();
  }
  const dynamo = await dynamoBackend();
  let dyn: MatrixFigures;
  try {
    const dynSeeds = [...systematicSeeds(sites, seed, full ? 80 : 3), ...random.slice(0, full ? 20 : 1)];
    dyn = await runMatrix(dynamo, dynSeeds, false, log);
  } finally {
    await dynamo.close();
  }
  const figures = {
    seeds: memory.seeds,
    sites: sites.length,
    faults: memory.faults,
    lost: memory.lost,
    paidTwice: memory.duplicates,
    stuck: memory.stuck,
    errorsRetried: memory.errorsRecovered,
    replayMismatch: memory.replayMismatches,
    dynamoSeeds: dyn.seeds,
    dynamoLost: dyn.lost,
    dynamoPaidTwice: dyn.duplicates,
    dynamoStuck: dyn.stuck,
    markErrorAlsoKilled_stranded: stranded,
    seconds: secondsSince(started),
  };
  const ok =
    clean.lost.length === 0 &&
    clean.stuck.length === 0 &&
    memory.seeds >= (full ? 200 : 1) &&
    memory.lost + memory.duplicates + memory.stuck + memory.replayMismatches === 0 &&
    dyn.lost + dyn.duplicates + dyn.stuck + dyn.replayMismatches === 0;
  return {
    label: 'crash at every step',
    figures,
    ok,
    failures: [...clean.lost, ...clean.stuck, ...memory.failures, ...dyn.failures].slice(0, 10),
  };
}
