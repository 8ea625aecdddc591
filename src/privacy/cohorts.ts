/**
 * Trace-level protection of what a dataset build releases, as pure functions with reports:
 * - a minimum cohort size: a group (of any released breakdown) with fewer distinct learners than the
 *   minimum is suppressed whole;
 * - suppression of rare activity values: a value of a column seen for fewer than N distinct learners
 *   (a rare course, a unique activity IRI) is replaced by a placeholder, because it singles them out;
 * - a k-anonymity check of a learner-level feature table: the equivalence classes of its
 *   quasi-identifiers smaller than k and the fraction of rows they hold, optionally suppressed.
 * The reports name groups, values and classes: they are for the operator inside the environment, not
 * for release.
 */

export type Row = Readonly<Record<string, string>>;

export class CohortInputError extends Error {}

function requireColumns(rows: readonly Row[], columns: readonly string[], what: string): void {
  const first = rows[0];
  if (!first) return;
  for (const column of columns)
    if (!(column in first))
      throw new CohortInputError(
        `${what}: no column "${column}" (columns: ${Object.keys(first).join(", ")})`,
      );
}

function checkMinimum(name: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new CohortInputError(`${name} must be a positive integer (got ${value})`);
}

const keyOf = (row: Row, columns: readonly string[]) => columns.map((c) => row[c] ?? "");

export interface SuppressedGroup {
  key: string[];
  learners: number;
  rows: number;
}

export interface CohortReport {
  minimum: number;
  groupBy: string[];
  groups: number;
  releasedGroups: number;
  suppressed: SuppressedGroup[];
  suppressedRows: number;
}

/**
 * Keeps only the rows of groups (by `groupBy`) that hold at least `minimum` distinct learners; the
 * others are suppressed and reported.
 */
export function enforceMinimumCohort(
  rows: readonly Row[],
  o: { learnerColumn: string; groupBy: readonly string[]; minimum: number },
): { rows: Row[]; report: CohortReport } {
  checkMinimum("the minimum cohort size", o.minimum);
  requireColumns(rows, [o.learnerColumn, ...o.groupBy], "minimum cohort");
  const groups = new Map<string, { key: string[]; learners: Set<string>; rows: number }>();
  for (const row of rows) {
    const key = keyOf(row, o.groupBy);
    const text = JSON.stringify(key);
    let group = groups.get(text);
    if (!group) {
      group = { key, learners: new Set(), rows: 0 };
      groups.set(text, group);
    }
    group.learners.add(row[o.learnerColumn] ?? "");
    group.rows++;
  }
  const small = new Set<string>();
  const suppressed: SuppressedGroup[] = [];
  for (const [text, g] of groups)
    if (g.learners.size < o.minimum) {
      small.add(text);
      suppressed.push({ key: g.key, learners: g.learners.size, rows: g.rows });
    }
  const kept =
    small.size === 0 ? [...rows] : rows.filter((row) => !small.has(JSON.stringify(keyOf(row, o.groupBy))));
  return {
    rows: kept,
    report: {
      minimum: o.minimum,
      groupBy: [...o.groupBy],
      groups: groups.size,
      releasedGroups: groups.size - small.size,
      suppressed,
      suppressedRows: rows.length - kept.length,
    },
  };
}

/** The same rule for groups already aggregated: each with its number of distinct learners. */
export function suppressSmallGroups<G extends { learners: number }>(
  groups: readonly G[],
  minimum: number,
): { released: G[]; suppressed: G[] } {
  checkMinimum("the minimum cohort size", minimum);
  return {
    released: groups.filter((g) => g.learners >= minimum),
    suppressed: groups.filter((g) => g.learners < minimum),
  };
}

export interface RareValueReport {
  column: string;
  minLearners: number;
  placeholder: string;
  distinctValues: number;
  suppressedValues: { value: string; learners: number }[];
  rowsChanged: number;
}

/**
 * Replaces each value of `column` held by fewer than `minLearners` distinct learners with `placeholder`
 * (default "*"). Empty values are left as they are.
 */
export function suppressRareValues(
  rows: readonly Row[],
  o: { column: string; learnerColumn: string; minLearners: number; placeholder?: string },
): { rows: Row[]; report: RareValueReport } {
  checkMinimum("the minimum number of learners for a value", o.minLearners);
  requireColumns(rows, [o.learnerColumn, o.column], "rare values");
  const placeholder = o.placeholder ?? "*";
  const learners = new Map<string, Set<string>>();
  for (const row of rows) {
    const value = row[o.column] ?? "";
    if (value === "") continue;
    let set = learners.get(value);
    if (!set) {
      set = new Set();
      learners.set(value, set);
    }
    set.add(row[o.learnerColumn] ?? "");
  }
  const rare = new Map<string, number>();
  for (const [value, set] of learners)
    if (set.size < o.minLearners && value !== placeholder) rare.set(value, set.size);
  let rowsChanged = 0;
  const out = rows.map((row) => {
    const value = row[o.column] ?? "";
    if (!rare.has(value)) return row;
    rowsChanged++;
    return { ...row, [o.column]: placeholder };
  });
  return {
    rows: out,
    report: {
      column: o.column,
      minLearners: o.minLearners,
      placeholder,
      distinctValues: learners.size,
      suppressedValues: [...rare]
        .map(([value, n]) => ({ value, learners: n }))
        .sort((a, b) => (a.value < b.value ? -1 : 1)),
      rowsChanged,
    },
  };
}

export interface KAnonymityReport {
  k: number;
  quasiIdentifiers: string[];
  rows: number;
  classes: number;
  /** The equivalence classes smaller than k, largest first. */
  classesUnderK: { key: string[]; size: number }[];
  rowsUnderK: number;
  /** rowsUnderK / rows (0 for an empty table). */
  fractionUnderK: number;
  satisfied: boolean;
  /** Set when `suppress` was asked: the rows removed. */
  suppressedRows?: number;
}

/**
 * Checks k-anonymity of a learner-level table (one row per learner) over its quasi-identifiers: every
 * combination of their values must be shared by at least k rows. With `suppress`, the rows of the
 * classes under k are removed from the returned table (what remains is k-anonymous).
 */
export function checkKAnonymity(
  rows: readonly Row[],
  o: { quasiIdentifiers: readonly string[]; k: number; suppress?: boolean },
): { report: KAnonymityReport; rows?: Row[] } {
  checkMinimum("k", o.k);
  if (o.quasiIdentifiers.length === 0)
    throw new CohortInputError("k-anonymity needs at least one quasi-identifier");
  requireColumns(rows, o.quasiIdentifiers, "k-anonymity");
  const sizes = new Map<string, number>();
  for (const row of rows) {
    const text = JSON.stringify(keyOf(row, o.quasiIdentifiers));
    sizes.set(text, (sizes.get(text) ?? 0) + 1);
  }
  const under = [...sizes].filter(([, n]) => n < o.k);
  const rowsUnderK = under.reduce((a, [, n]) => a + n, 0);
  const report: KAnonymityReport = {
    k: o.k,
    quasiIdentifiers: [...o.quasiIdentifiers],
    rows: rows.length,
    classes: sizes.size,
    classesUnderK: under
      .map(([text, size]) => ({ key: JSON.parse(text) as string[], size }))
      .sort((a, b) => b.size - a.size || (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1)),
    rowsUnderK,
    fractionUnderK: rows.length === 0 ? 0 : rowsUnderK / rows.length,
    satisfied: under.length === 0,
  };
  if (!o.suppress) return { report };
  const small = new Set(under.map(([text]) => text));
  const kept = rows.filter((row) => !small.has(JSON.stringify(keyOf(row, o.quasiIdentifiers))));
  return { report: { ...report, suppressedRows: rows.length - kept.length }, rows: kept };
}
