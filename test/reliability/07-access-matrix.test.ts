// verify/checks/07-access-matrix.ts at the small (quick) counts; `npm run verify` runs it at full counts.
import { expect, it } from 'vitest';
import { run } from '../../verify/checks/07-access-matrix.ts';

it('Access matrix: every route x every caller as the policy table says', async () => {
  const lines: string[] = [];
  const result = await run({ scale: 'quick', log: (line) => lines.push(line) });
  expect(result.failures ?? [], JSON.stringify(result.figures)).toEqual([]);
  expect(result.ok, JSON.stringify(result.figures)).toBe(true);
  // The review context names the household's head: reviewers and admin read it, a grid worker
  // and finance are refused, as the cells the matrix really got say.
  const grid = lines.join('\n').split('\n');
  const header = (grid[0] ?? '').split('|').map((c) => c.trim());
  const row = (grid.find((l) => l.startsWith('| get-review-context |')) ?? '')
    .split('|')
    .map((c) => c.trim());
  const cell = (caller: string) => row[header.indexOf(caller)];
  expect(['worker1', 'worker2', 'finance1'].map(cell)).toEqual(['403', '403', '403']);
  expect(['village1', 'insurer1', 'auditor1', 'twoRoles', 'admin1'].map(cell)).toEqual(Array(5).fill('200'));
  // The dashboard's figures: reviewers, admin and finance; grid workers are refused.
  const stats = (grid.find((l) => l.startsWith('| get-stats |')) ?? '').split('|').map((c) => c.trim());
  const statsCell = (caller: string) => stats[header.indexOf(caller)];
  expect(['worker1', 'worker2'].map(statsCell)).toEqual(['403', '403']);
  expect(['village1', 'insurer1', 'auditor1', 'finance1', 'admin1'].map(statsCell)).toEqual(
    Array(5).fill('200'),
  );
}, 90_000);
