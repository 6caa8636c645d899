// A department's file for a synthetic county (synthetic-county.ts), for demos and the benchmark:
// a 医保 settlement file (or a tuition file) of any length, written as it is generated, never held
// whole. Most records name a person of a household (its head or a member); a share name people on
// no household (the import drops them); a few repeat an earlier record exactly (counted once); and
// a share are large enough that their household's yearly self-paid total crosses the threshold.
// Deterministic given the seeds.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { addDays } from '#shared/dates.ts';
import { fenToYuan } from '#shared/money.ts';
import { educationColumns, medicalColumns } from '#shared/feed.ts';
import type { FeedKind } from '#shared/feed-record.ts';
import {
  seededRandom,
  syntheticHouseholdMembers,
  syntheticIdNumber,
  syntheticRoster,
  type County,
  type CountyOptions,
} from '#cli/local/synthetic-county.ts';

export interface FeedFileOptions {
  readonly kind?: FeedKind;
  /** Data rows in the file (repeats included). */
  readonly records: number;
  readonly seed: number;
  /** The year the expenses fall in (default 2026), up to `lastDate`. */
  readonly year?: number;
  /** The latest expense date (default November 30th of the year: a file arrives after the month). */
  readonly lastDate?: string;
  /** Share of records whose person is on no household (default 0.1). */
  readonly unmatchedShare?: number;
  /** Share of rows repeating an earlier row exactly, same record id (default 0.01). */
  readonly repeatedShare?: number;
  /** Share of matched records large enough alone to take their household over the threshold (default 0.05). */
  readonly largeShare?: number;
}

/** What was written, for a demo or a benchmark to check the import's counts against. */
export interface FeedFileSummary {
  readonly rows: number;
  /** Rows naming a person on no household. */
  readonly unmatched: number;
  /** Rows repeating an earlier row (refused as repeated within the file, the first one imported). */
  readonly repeated: number;
  /** Rows large enough to cross the threshold alone (their household opens a claim). */
  readonly large: number;
  /** Distinct households named by matched rows. */
  readonly households: number;
}

const hospitals = [
  '湘潭市中心医院',
  '湘乡市人民医院',
  '湘乡市中医医院',
  '湘潭市第一人民医院',
  '湘乡市妇幼保健院',
];
const schools = ['湘乡市第一中学', '湘潭职业技术学院', '湖南工程学院', '湘乡市东山学校', '湘潭大学'];
const outsiderNames = ['陈立新', '刘桂香', '彭志强', '谭丽华', '龙建军', '邓秀兰'];

/** The region code of people the generated county never has (the import finds no household). */
const OUTSIDER_REGION = '430102';
/** How many earlier rows a repeat may copy (only these are kept). */
const RECENT_ROWS = 100;

/**
 * The file's data rows, one CSV line each (no line ending), header excluded. A row's amounts are
 * yuan with two decimals; the reimbursements never exceed the total.
 */
export function* syntheticFeedRows(
  county: County,
  countySeed: number,
  options: FeedFileOptions,
  summary: { unmatched: number; repeated: number; large: number; households: Set<string> } = {
    unmatched: 0,
    repeated: 0,
    large: 0,
    households: new Set(),
  },
): Generator<string> {
  const kind = options.kind ?? 'medical';
  const year = options.year ?? 2026;
  const lastDate = options.lastDate ?? `${year}-11-30`;
  const firstDate = `${year}-01-01`;
  const span = Math.max(1, Math.round((Date.parse(lastDate) - Date.parse(firstDate)) / 86_400_000) + 1);
  const random = seededRandom(options.seed ^ 0xfeed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const recent: string[] = [];
  let outsiders = 0;
  const prefix = kind === 'medical' ? 'YB' : 'XF';
  for (let n = 0; n < options.records; n++) {
    if (recent.length > 0 && random() < (options.repeatedShare ?? 0.01)) {
      summary.repeated++;
      yield pick(recent);
      continue;
    }
    let idNumber: string;
    let name: string;
    if (county.households.length === 0 || random() < (options.unmatchedShare ?? 0.1)) {
      idNumber = syntheticIdNumber(OUTSIDER_REGION, 1960, outsiders++);
      name = pick(outsiderNames);
      summary.unmatched++;
    } else {
      const index = Math.floor(random() * county.households.length);
      const people = syntheticHouseholdMembers(county, index, countySeed);
      // Tuition is mostly the children's; a hospital stay anyone's.
      const children = people.filter((p) => p.relation === 'child');
      const person = kind === 'education' && children.length > 0 ? pick(children) : pick(people);
      idNumber = person.idNumber;
      name = person.name;
      summary.households.add(person.householdId);
    }
    const large = random() < (options.largeShare ?? 0.05);
    if (large) summary.large++;
    const recordId = `${prefix}${year}${String(n + 1).padStart(9, '0')}`;
    const row =
      kind === 'medical'
        ? medicalRow(random, pick, { recordId, idNumber, name, large, firstDate, span })
        : educationRow(random, pick, { recordId, idNumber, name, large, firstDate, span, year });
    if (recent.length < RECENT_ROWS) recent.push(row);
    else recent[n % RECENT_ROWS] = row;
    yield row;
  }
}

interface RowFacts {
  readonly recordId: string;
  readonly idNumber: string;
  readonly name: string;
  /** Self-paid alone above the threshold (medical 10,000 yuan, tuition 8,000 in the demo policies). */
  readonly large: boolean;
  readonly firstDate: string;
  readonly span: number;
}

const yuan = (fen: number) => fenToYuan(fen);

function medicalRow(random: () => number, pick: <T>(l: readonly T[]) => T, f: RowFacts): string {
  const stay = Math.floor(random() * 20);
  const settlementOffset = stay + Math.floor(random() * 3);
  const admission = Math.max(0, Math.floor(random() * f.span) - settlementOffset);
  const admissionDate = addDays(f.firstDate, admission);
  const dischargeDate = addDays(admissionDate, stay);
  const settlementDate = addDays(admissionDate, settlementOffset);
  // A large stay leaves 12,000 to 50,000 yuan self-paid; an ordinary one 100 to 3,000.
  const selfPaid = f.large
    ? 100 * (12_000 + Math.floor(random() * 38_000))
    : 100 * (100 + Math.floor(random() * 2_900)) + Math.floor(random() * 100);
  const basic = 100 * Math.floor(random() * (f.large ? 60_000 : 6_000));
  const serious = f.large ? 100 * Math.floor(random() * 20_000) : 0;
  const assistance = random() < 0.3 ? 100 * Math.floor(random() * 2_000) : 0;
  const other = random() < 0.1 ? Math.floor(random() * 50_000) : 0;
  const total = selfPaid + basic + serious + assistance + other;
  return [
    f.recordId,
    f.idNumber,
    f.name,
    pick(hospitals),
    admissionDate,
    dischargeDate,
    settlementDate,
    yuan(total),
    yuan(basic),
    yuan(serious),
    yuan(assistance),
    yuan(other),
  ].join(',');
}

function educationRow(
  random: () => number,
  pick: <T>(l: readonly T[]) => T,
  f: RowFacts & { readonly year: number },
): string {
  const paymentDate = addDays(f.firstDate, Math.floor(random() * f.span));
  const term =
    paymentDate.slice(5) < '07-01'
      ? `${f.year - 1}-${f.year}学年第二学期`
      : `${f.year}-${f.year + 1}学年第一学期`;
  const selfPaid = f.large
    ? 100 * (9_000 + Math.floor(random() * 20_000))
    : 100 * (500 + Math.floor(random() * 4_000));
  const aid = random() < 0.4 ? 100 * Math.floor(random() * 3_000) : 0;
  return [
    f.recordId,
    f.idNumber,
    f.name,
    pick(schools),
    term,
    paymentDate,
    yuan(selfPaid + aid),
    yuan(aid),
  ].join(',');
}

/**
 * Writes a feed file for the county `seedCounty` writes with the same households, seed and region
 * (its people stored with `members: true`), row by row, waiting for the disk when it lags.
 */
export async function writeSyntheticFeed(
  path: string,
  county: Pick<CountyOptions, 'households' | 'seed' | 'region'>,
  options: FeedFileOptions,
): Promise<FeedFileSummary> {
  const roster = syntheticRoster(county);
  const columns = (options.kind ?? 'medical') === 'medical' ? medicalColumns : educationColumns;
  const summary = { unmatched: 0, repeated: 0, large: 0, households: new Set<string>() };
  const out = createWriteStream(path, { encoding: 'utf8' });
  const closed = once(out, 'close');
  try {
    out.write(`${columns.join(',')}\r\n`);
    for (const row of syntheticFeedRows(roster, county.seed, options, summary))
      if (!out.write(`${row}\r\n`)) await once(out, 'drain');
  } finally {
    out.end();
  }
  await closed;
  return {
    rows: options.records,
    unmatched: summary.unmatched,
    repeated: summary.repeated,
    large: summary.large,
    households: summary.households.size,
  };
}
