import { fundRound, emptyFundTally } from '#verify/checks/14-fund.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { seededRandom } from '#verify/lib/random.ts';
const t = emptyFundTally();
const s = performance.now();
for (let r = 0; r < 12; r++) await fundRound(new MemoryStore(), r, 50, seededRandom(r), t);
console.log(Math.round(performance.now() - s), JSON.stringify(t, null, 1));
