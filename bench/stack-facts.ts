// Prints the synthesized stack's facts (cost.ts synthStackFacts) as JSON, so the cost group can
// synthesize in another process while its local stack starts.
import { synthStackFacts } from '#bench/cost.ts';

process.stdout.write(`${JSON.stringify(synthStackFacts())}\n`);
process.exit(0);
