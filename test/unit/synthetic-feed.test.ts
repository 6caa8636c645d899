// The synthetic county's people and the feed files generated for it: valid, unique resident ID
// numbers; rows the feed check accepts (bar the in-file repeats it must refuse); a share of people
// on no household; records large enough to cross the threshold; written to disk row by row.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticHouseholdMembers, syntheticRoster, seedCounty } from '#cli/local/synthetic-county.ts';
import { syntheticFeedRows, writeSyntheticFeed } from '#cli/local/synthetic-feed.ts';
import { memberSchema } from '#shared/members.ts';
import { isValidResidentId } from '#shared/resident-id.ts';
import { educationColumns, medicalColumns, parseNumberedFeedCsv } from '#shared/feed.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';

const county = syntheticRoster({ households: 600, seed: 5, region: 'demo-fund' });
const people = county.households.flatMap((_, i) => syntheticHouseholdMembers(county, i, 5));
const holders = new Map(people.map((p) => [p.idNumber, p.householdId]));

describe('the synthetic county: its people', () => {
  it('gives each household its roster size in people, the head first, each a valid member', () => {
    expect(county.households.every((periods) => periods.every((p) => p.region === 'demo-fund'))).toBe(true);
    for (const [i, periods] of county.households.entries()) {
      const period = periods[periods.length - 1]!;
      const members = syntheticHouseholdMembers(county, i, 5);
      expect(members).toHaveLength(period.members);
      expect(members[0]).toMatchObject({
        relation: 'head',
        idNumber: period.idNumber,
        name: period.headName,
      });
      expect(members.slice(1).every((m) => m.relation !== 'head')).toBe(true);
      for (const m of members) memberSchema.parse(m);
    }
    const perHousehold = people.length / county.households.length;
    expect(perHousehold).toBeGreaterThan(2.5);
    expect(perHousehold).toBeLessThan(4.5);
  });

  it('never gives two people one ID number, and is the same for the same seed', () => {
    expect(holders.size).toBe(people.length);
    expect(people.every((p) => isValidResidentId(p.idNumber))).toBe(true);
    expect(syntheticHouseholdMembers(county, 17, 5)).toEqual(syntheticHouseholdMembers(county, 17, 5));
  });

  it('stores the people with the roster when asked, so a feed finds them', async () => {
    const store = new MemoryStore();
    await seedCounty(store, { households: 60, claims: 1, seed: 5, region: 'demo-fund', members: true });
    const small = syntheticRoster({ households: 60, seed: 5, region: 'demo-fund' });
    const ids = small.households.flatMap((_, i) =>
      syntheticHouseholdMembers(small, i, 5).map((m) => m.idNumber),
    );
    const found = await store.holders(ids);
    expect(found.size).toBe(ids.length);
    expect(await store.members('SH-0000001')).toHaveLength(small.households[0]!.at(-1)!.members);
  });
});

describe('a synthetic medical feed', () => {
  const records = 2_000;
  const summary = { unmatched: 0, repeated: 0, large: 0, households: new Set<string>() };
  const rows = [...syntheticFeedRows(county, 5, { records, seed: 9 }, summary)];
  const csv = [medicalColumns.join(','), ...rows].join('\r\n');
  const parsed = parseNumberedFeedCsv('medical', csv);

  it('passes the feed check, bar the rows repeating an earlier record id (refused as such)', () => {
    expect(rows).toHaveLength(records);
    expect(summary.repeated).toBeGreaterThan(0);
    expect(summary.repeated).toBeLessThan(records * 0.05);
    expect(parsed.rejected).toHaveLength(summary.repeated);
    expect(new Set(parsed.rejected.flatMap((r) => r.reasons.map((m) => m.code)))).toEqual(
      new Set(['FEED_RECORD_REPEATED_IN_FILE']),
    );
    expect(parsed.numbered).toHaveLength(records - summary.repeated);
    expect(
      parsed.numbered.every(
        ({ line }) => line.expenseDate >= '2026-01-01' && line.expenseDate <= '2026-11-30',
      ),
    ).toBe(true);
  });

  it('names people on no household for about a tenth of the records', () => {
    const unmatched = parsed.numbered.filter(({ line }) => !holders.has(line.idNumber)).length;
    expect(unmatched).toBeGreaterThan(records * 0.05);
    expect(unmatched).toBeLessThan(records * 0.15);
    expect(summary.unmatched).toBeGreaterThanOrEqual(unmatched);
    expect(summary.households.size).toBeGreaterThan(100);
  });

  it('takes some households over the 10,000-yuan threshold, most records far below it', () => {
    const totals = new Map<string, number>();
    for (const { line } of parsed.numbered) {
      const household = holders.get(line.idNumber);
      if (household) totals.set(household, (totals.get(household) ?? 0) + line.selfPaidFen);
    }
    const over = [...totals.values()].filter((fen) => fen > 1_000_000).length;
    expect(over).toBeGreaterThan(20);
    expect(over).toBeLessThan(totals.size / 2);
    const small = parsed.numbered.filter(({ line }) => line.selfPaidFen < 300_000).length;
    expect(small / parsed.numbered.length).toBeGreaterThan(0.8);
  });

  it('is the same file for the same seeds, another for another', () => {
    expect([...syntheticFeedRows(county, 5, { records: 50, seed: 9 })]).toEqual(rows.slice(0, 50));
    expect([...syntheticFeedRows(county, 5, { records: 50, seed: 10 })]).not.toEqual(rows.slice(0, 50));
  });

  it('makes tuition files the check accepts too, mostly the children’s', () => {
    const tuition = [
      ...syntheticFeedRows(county, 5, { kind: 'education', records: 300, seed: 2, repeatedShare: 0 }),
    ];
    const checked = parseNumberedFeedCsv('education', [educationColumns.join(','), ...tuition].join('\n'));
    expect(checked.rejected).toEqual([]);
    const relations = new Map(people.map((p) => [p.idNumber, p.relation]));
    const children = checked.numbered.filter(({ line }) => relations.get(line.idNumber) === 'child').length;
    expect(children / checked.numbered.length).toBeGreaterThan(0.5);
  });
});

describe('writeSyntheticFeed', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the header and every row to disk, and says what it wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'feed-'));
    dirs.push(dir);
    const path = join(dir, 'yb.csv');
    const written = await writeSyntheticFeed(
      path,
      { households: 600, seed: 5, region: 'demo-fund' },
      {
        records: 30_000,
        seed: 9,
      },
    );
    const text = await readFile(path, 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(medicalColumns.join(','));
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(30_002);
    // The same rows as the generator's, in order.
    expect(lines.slice(1, 2_001)).toEqual([...syntheticFeedRows(county, 5, { records: 2_000, seed: 9 })]);
    expect(written.rows).toBe(30_000);
    expect(written.repeated + written.unmatched).toBeLessThan(30_000 * 0.2);
    expect(parseNumberedFeedCsv('medical', text).rejected).toHaveLength(written.repeated);
  });
});
