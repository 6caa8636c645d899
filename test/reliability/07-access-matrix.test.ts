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
  // The village notice board is public in the village: every signed-in role reads it, no one else.
  const notices = (grid.find((l) => l.startsWith('| list-notices |')) ?? '').split('|').map((c) => c.trim());
  const noticeCell = (caller: string) => notices[header.indexOf(caller)];
  expect(
    ['worker1', 'worker2', 'village1', 'insurer1', 'auditor1', 'finance1', 'admin1'].map(noticeCell),
  ).toEqual(Array(7).fill('200'));
  expect(['anonymous'].map(noticeCell)).toEqual(['401']);
  // The relief fund: finance, the auditor and admin read it; only finance and admin add money.
  const fundRow = (handler: string) =>
    (grid.find((l) => l.startsWith(`| ${handler} |`)) ?? '').split('|').map((c) => c.trim());
  const readers = ['finance1', 'auditor1', 'admin1'];
  const others = ['worker1', 'worker2', 'village1', 'insurer1'];
  for (const handler of ['get-fund', 'get-fund-history']) {
    const fund = fundRow(handler);
    expect(
      readers.map((c) => fund[header.indexOf(c)]),
      handler,
    ).toEqual(Array(3).fill('200'));
    expect(
      others.map((c) => fund[header.indexOf(c)]),
      handler,
    ).toEqual(Array(4).fill('403'));
  }
  const topUp = fundRow('top-up-fund');
  expect(['finance1', 'admin1'].map((c) => topUp[header.indexOf(c)])).toEqual(['200', '200']);
  expect([...others, 'auditor1'].map((c) => topUp[header.indexOf(c)])).toEqual(Array(5).fill('403'));
  expect(['anonymous'].map((c) => topUp[header.indexOf(c)])).toEqual(['401']);
  // Objections: village verifiers and admin only. No claim is on notice in this stack, so an
  // allowed caller passes the role check and meets the state's 409.
  const objection = fundRow('object-claim');
  expect(['village1', 'twoRoles', 'admin1'].map((c) => objection[header.indexOf(c)])).toEqual(
    Array(3).fill('409'),
  );
  expect(
    ['worker1', 'worker2', 'insurer1', 'auditor1', 'finance1'].map((c) => objection[header.indexOf(c)]),
  ).toEqual(Array(5).fill('403'));
  // Appeals: the household's grid worker only; each worker appeals their own household's claim.
  const appeal = fundRow('appeal-claim');
  expect(['worker1', 'worker2'].map((c) => appeal[header.indexOf(c)])).toEqual(['200', '200']);
  expect(
    ['village1', 'insurer1', 'auditor1', 'finance1', 'admin1', 'twoRoles'].map(
      (c) => appeal[header.indexOf(c)],
    ),
  ).toEqual(Array(6).fill('403'));
  expect(['anonymous'].map((c) => appeal[header.indexOf(c)])).toEqual(['401']);
}, 180_000);
