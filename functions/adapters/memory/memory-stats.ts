// The dashboard's store over the in-memory claims (tests and the local world without DynamoDB).
import type { StatsStore } from '#shared/api/stats-api.ts';
import type { ClaimState } from '#shared/vocabulary.ts';
import type { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';

export function memoryStats(store: Pick<MemoryStore, 'claimsById'>): StatsStore {
  return {
    async countInState(state: ClaimState) {
      let n = 0;
      for (const c of store.claimsById.values()) if (c.state === state) n += 1;
      return n;
    },
    async filedAt(claimIds: readonly string[]) {
      const found = new Map<string, string>();
      for (const id of claimIds) {
        const c = store.claimsById.get(id);
        if (c) found.set(id, c.filedAt);
      }
      return found;
    },
  };
}
