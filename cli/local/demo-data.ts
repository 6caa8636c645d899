import { readFileSync } from 'node:fs';

/** The demo roster shipped with the repo: 35 households, some ineligible on purpose. */
export function demoRosterCsv(): string {
  return readFileSync(new URL('../../shared/data/demo-roster.csv', import.meta.url), 'utf8');
}
