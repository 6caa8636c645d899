// The last answer to a few GETs a grid worker needs in the field (households, policies), so a
// claim can be filled in and priced without a signal. Only what the role is shown is cached
// (ID numbers and accounts masked; a grid worker's own households' head names), and it is
// dropped on sign-out.
import { NetworkError } from './api.ts';

const PREFIX = 'claims.cache.';

export async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  try {
    const fresh = await load();
    try {
      localStorage.setItem(PREFIX + key, JSON.stringify(fresh));
    } catch {
      // Quota: the cache is a convenience.
    }
    return fresh;
  } catch (error) {
    const saved = error instanceof NetworkError ? localStorage.getItem(PREFIX + key) : null;
    if (saved) return JSON.parse(saved) as T;
    throw error;
  }
}

export function clearCache(): void {
  for (const key of Object.keys(localStorage)) if (key.startsWith(PREFIX)) localStorage.removeItem(key);
}
