// The signed-in person, visible to every page.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AppConfig } from './config.ts';
import type { Principal, Role } from './types.ts';

export interface AppState {
  readonly config: AppConfig;
  readonly principal: Principal;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside a signed-in page');
  return state;
}

export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return principal.roles.some((r) => roles.includes(r));
}
