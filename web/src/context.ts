// The signed-in person, visible to every page.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { routeAccess } from '#shared/access.ts';
import type { AppConfig } from './config.ts';
import { roles, type Principal, type Role } from './types.ts';

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

export function hasRole(principal: Principal, ...wanted: readonly Role[]): boolean {
  return principal.roles.some((r) => wanted.includes(r));
}

/** The roles the API lets call one of its handlers (its access table, also the web's rule). */
export function rolesAllowed(handler: string): readonly Role[] {
  const access = routeAccess[handler];
  return access === 'public' ? roles : (access ?? []);
}
