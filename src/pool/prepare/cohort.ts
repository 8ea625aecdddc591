/**
 * The `cohort_statistics` view: aggregates for impact studies (counts, sums, means, histograms, by
 * programme, period or any other column of the learner-level rows), released only through the
 * differential-privacy mechanisms of `privacy/dp` and charged to its budget ledger. This file reads the
 * spec and plans the releases, purely: which dp function each becomes, with what options, at what cost.
 * The build service then runs each planned release inside `PrivacyLedger.spend(charge, …)`.
 *
 *   cohort_statistics:
 *     budget: {epsilon: 1, delta: 1.0e-6}   required ε; δ default 0 (the build's whole allowance)
 *     noise: laplace | gaussian              default laplace
 *     max_contributions: 4                   required: rows per learner kept (m), the sensitivity
 *     max_partitions, max_per_partition      optional L0 and L∞ (default m) for counts by group
 *     group_by: [programme, period]          default grouping of every statistic (default none)
 *     keys: {programme: [A, B], period: [0, 1, 2]}   the declared values of group columns
 *     statistics:                            required, non-empty
 *       - count                              shorthand for {statistic: count}
 *       - {statistic: mean, of: score, bounds: [0, 100], by: [programme], epsilon: 0.25}
 *       - {statistic: histogram, of: active_days, bins: [0, 1, 3, 7, 14]}
 *
 * How requests become releases (unit of privacy: the learner, as in `privacy/dp/statistics.ts`):
 * - a count by groups is one contingency table (`dpTable`): with every group column declared, every
 *   cell of their product is released; with none declared, cells are chosen by partition selection,
 *   which needs δ;
 * - a sum, mean or histogram by groups is one release per declared cell (rows filtered to the cell),
 *   the request's ε and δ split evenly between its cells: sequential composition, sound even when a
 *   learner has rows in several cells (several periods);
 * - a request without its own ε gets an equal share of what the budget leaves after those that state
 *   theirs; likewise δ among the requests that need one (Gaussian noise, undeclared tables).
 * The plan's total never exceeds the budget; the ledger still decides at release time.
 */
import { dp } from "../../privacy/index.js";
import { isPlain, join, type Plain, type Reader, show } from "./check.js";

export type CohortStatistic = "count" | "sum" | "mean" | "histogram";

export interface CohortStatisticRequest {
  statistic: CohortStatistic;
  /** The numeric column (sum, mean, histogram). */
  of?: string;
  bounds?: readonly [number, number];
  granularity?: number;
  /** Histogram bin edges, ascending. */
  bins?: readonly number[];
  /** Group columns; [] is the whole cohort. */
  by: readonly string[];
  epsilon?: number;
  delta?: number;
}

export interface CohortStatisticsSpec {
  budget: { epsilon: number; delta: number };
  noise: dp.NoiseKind;
  maxContributions: number;
  maxPartitions?: number;
  maxPerPartition?: number;
  groupBy: readonly string[];
  /** Declared values of group columns, as text (rows' values are compared as String(value)). */
  keys: Readonly<Record<string, readonly string[]>>;
  statistics: readonly CohortStatisticRequest[];
}

const COLUMN = { re: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, what: "a column name (letters, digits, _)" };
const KEYS = [
  "budget",
  "noise",
  "max_contributions",
  "max_partitions",
  "max_per_partition",
  "group_by",
  "keys",
  "statistics",
];
const MAX_RELEASES = 10_000;

function readRequest(r: Reader, value: unknown, path: string, groupBy: readonly string[]) {
  if (typeof value === "string") value = { statistic: value };
  const o = r.object(value, path, [
    "statistic",
    "of",
    "bounds",
    "granularity",
    "bins",
    "by",
    "epsilon",
    "delta",
  ]);
  if (!o) return undefined;
  const statistic = r.oneOf(o.statistic, `${path}.statistic`, ["count", "sum", "mean", "histogram"] as const);
  if (!statistic) return undefined;
  const request: CohortStatisticRequest = { statistic, by: groupBy };
  const numeric = statistic !== "count";
  let ok = true;
  const refuse = (key: string, why: string) => {
    if (o[key] !== undefined) ok = r.fail(join(path, key), why) ?? false;
  };
  if (numeric) {
    const of = r.string(o.of ?? r.fail(`${path}.of`, `is required for ${statistic}`), `${path}.of`, COLUMN);
    if (of) request.of = of;
    else ok = false;
  } else refuse("of", "a count has no column");
  if (statistic === "sum" || statistic === "mean") {
    const bounds = r.list(
      o.bounds ?? r.fail(`${path}.bounds`, `is required for ${statistic}: [lo, hi]`),
      `${path}.bounds`,
      (v, p) => r.number(v, p),
    );
    if (bounds && (bounds.length !== 2 || !((bounds[0] as number) < (bounds[1] as number))))
      ok = r.fail(`${path}.bounds`, `must be [lo, hi] with lo < hi, got ${show(bounds)}`) ?? false;
    else if (bounds) request.bounds = [bounds[0] as number, bounds[1] as number];
    else ok = false;
    if (o.granularity !== undefined) {
      const g = r.number(o.granularity, `${path}.granularity`, { min: 0, minOpen: true });
      if (g === undefined) ok = false;
      else request.granularity = g;
    }
  } else {
    refuse("bounds", `${statistic} has no bounds`);
    refuse("granularity", `${statistic} has no granularity`);
  }
  if (statistic === "histogram") {
    const bins = r.list(
      o.bins ?? r.fail(`${path}.bins`, "is required for histogram"),
      `${path}.bins`,
      (v, p) => r.number(v, p),
    );
    if (bins && (bins.length < 2 || bins.some((e, i) => i > 0 && e <= (bins[i - 1] as number))))
      ok = r.fail(`${path}.bins`, `must be at least two ascending edges, got ${show(bins)}`) ?? false;
    else if (bins) request.bins = bins;
    else ok = false;
  } else refuse("bins", `${statistic} has no bins`);
  if (o.by !== undefined) {
    const by = r.list(o.by, `${path}.by`, (v, p) => r.string(v, p, COLUMN), { unique: true });
    if (by) request.by = by;
    else ok = false;
  }
  if (o.epsilon !== undefined) {
    const e = r.number(o.epsilon, `${path}.epsilon`, { min: 0, minOpen: true });
    if (e === undefined) ok = false;
    else request.epsilon = e;
  }
  if (o.delta !== undefined) {
    const d = r.number(o.delta, `${path}.delta`, { min: 0, max: 1, minOpen: true, maxOpen: true });
    if (d === undefined) ok = false;
    else request.delta = d;
  }
  return ok ? request : undefined;
}

/** Reads `views.cohort_statistics` (problems go to the reader, with their paths) and checks its plan. */
export function readCohortStatistics(
  r: Reader,
  value: unknown,
  path: string,
): CohortStatisticsSpec | undefined {
  const o = r.object(value, path, KEYS);
  if (!o) return undefined;
  const before = r.issues.length;
  const budgetDoc = r.object(
    o.budget ?? r.fail(`${path}.budget`, "is required: {epsilon, delta}"),
    `${path}.budget`,
    ["epsilon", "delta"],
  );
  const epsilon =
    budgetDoc && r.number(budgetDoc.epsilon, `${path}.budget.epsilon`, { min: 0, minOpen: true });
  const delta =
    budgetDoc &&
    (budgetDoc.delta === undefined
      ? 0
      : r.number(budgetDoc.delta, `${path}.budget.delta`, { min: 0, max: 1, maxOpen: true }));
  const noise =
    o.noise === undefined ? "laplace" : r.oneOf(o.noise, `${path}.noise`, ["laplace", "gaussian"] as const);
  const maxContributions = r.integer(
    o.max_contributions ??
      r.fail(`${path}.max_contributions`, "is required: the rows one learner may add (m)"),
    `${path}.max_contributions`,
    1,
  );
  const limit = (key: string) => (o[key] === undefined ? undefined : r.integer(o[key], join(path, key), 1));
  const maxPartitions = limit("max_partitions");
  const maxPerPartition = limit("max_per_partition");
  const groupBy =
    o.group_by === undefined
      ? []
      : r.list(o.group_by, `${path}.group_by`, (v, p) => r.string(v, p, COLUMN), { unique: true });
  const keys: Record<string, string[]> = {};
  if (o.keys !== undefined && isPlain(o.keys)) {
    for (const [column, values] of Object.entries(o.keys as Plain)) {
      const p = join(`${path}.keys`, column);
      if (!r.string(column, p, COLUMN)) continue;
      const list = r.list(
        values,
        p,
        (v, q) =>
          typeof v === "number" && Number.isFinite(v)
            ? String(v)
            : typeof v === "string"
              ? v
              : r.fail(q, `must be a string or a number, got ${show(v)}`),
        { nonEmpty: true, unique: true },
      );
      if (list) keys[column] = list;
    }
  } else if (o.keys !== undefined) r.fail(`${path}.keys`, `must be a mapping, got ${show(o.keys)}`);
  const statistics = r.list(
    o.statistics ?? r.fail(`${path}.statistics`, "is required: a list such as [count]"),
    `${path}.statistics`,
    (v, p) => readRequest(r, v, p, groupBy ?? []),
    { nonEmpty: true },
  );
  if (r.issues.length > before) return undefined;
  const spec: CohortStatisticsSpec = {
    budget: { epsilon: epsilon as number, delta: delta as number },
    noise: noise as dp.NoiseKind,
    maxContributions: maxContributions as number,
    ...(maxPartitions !== undefined && { maxPartitions }),
    ...(maxPerPartition !== undefined && { maxPerPartition }),
    groupBy: groupBy as string[],
    keys,
    statistics: statistics as CohortStatisticRequest[],
  };
  const planned = plan(spec);
  for (const issue of planned.issues) r.fail(issue.path ? `${path}.${issue.path}` : path, issue.message);
  return planned.issues.length === 0 ? spec : undefined;
}

type DpCall = "dpCount" | "dpSum" | "dpMean" | "dpHistogram" | "dpTable";

/** One release: a call of a `privacy/dp` statistic, over rows filtered to `where`. */
export interface PlannedRelease {
  /** Index of the request in the spec's statistics. */
  request: number;
  /** What is asked, for the ledger and the datasheet ("mean of score where programme=A"): no data value. */
  statistic: string;
  call: DpCall;
  of?: string;
  /** Column → value the rows must have (one declared cell); {} for all rows. */
  where: Readonly<Record<string, string>>;
  /** dpTable: the group columns, and their declared values when declared. */
  groupBy?: readonly string[];
  declared?: readonly (readonly string[])[];
  options: {
    epsilon: number;
    delta: number;
    noise: dp.NoiseKind;
    maxContributions: number;
    maxPartitions?: number;
    maxPerPartition?: number;
    bounds?: readonly [number, number];
    granularity?: number;
    edges?: readonly number[];
  };
  /** What the ledger is charged: (ε, δ), and ρ when every mechanism has one (zCDP budgets). */
  charge: {
    epsilon: number;
    delta: number;
    rho?: number;
    mechanism: "discrete-laplace" | "discrete-gaussian";
  };
  /** The mechanisms the release will use (scales, sensitivities), for the datasheet. */
  mechanisms: dp.MechanismReport[];
  guarantee: string;
}

export interface CohortPlan {
  budget: { epsilon: number; delta: number };
  releases: PlannedRelease[];
  /** Sums over the releases (basic composition): never above the budget. */
  total: { epsilon: number; delta: number };
}

export class CohortPlanError extends Error {
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(
      `cohort statistics cannot be planned:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`,
    );
    this.name = "CohortPlanError";
  }
}

/** The releases a cohort-statistics spec asks for; throws CohortPlanError naming the statistic at fault. */
export function planCohortStatistics(spec: CohortStatisticsSpec): CohortPlan {
  const { plan: result, issues } = plan(spec);
  if (issues.length > 0 || !result) throw new CohortPlanError(issues);
  return result;
}

function cartesian(levels: readonly (readonly string[])[]): string[][] {
  let cells: string[][] = [[]];
  for (const values of levels) cells = cells.flatMap((prefix) => values.map((v) => [...prefix, v]));
  return cells;
}

function needsDelta(spec: CohortStatisticsSpec, request: CohortStatisticRequest): boolean {
  if (spec.noise === "gaussian") return true;
  return request.statistic === "count" && request.by.length > 0 && !request.by.some((c) => spec.keys[c]);
}

// Sums of shares may exceed a budget by a rounding error; more than this is a real overrun.
const SLACK = 1 + 1e-9;

function plan(spec: CohortStatisticsSpec): {
  plan?: CohortPlan;
  issues: { path: string; message: string }[];
} {
  const issues: { path: string; message: string }[] = [];
  const at = (i: number, key?: string) => `statistics[${i}]${key ? `.${key}` : ""}`;
  const { budget } = spec;

  // Shares of ε and δ for the requests that do not state theirs.
  const explicitEpsilon = spec.statistics.reduce((s, q) => s + (q.epsilon ?? 0), 0);
  const openEpsilon = spec.statistics.filter((q) => q.epsilon === undefined).length;
  if (explicitEpsilon > budget.epsilon * SLACK)
    issues.push({
      path: "statistics",
      message: `the statistics' ε add up to ${explicitEpsilon}, more than the budget's ${budget.epsilon}`,
    });
  else if (openEpsilon > 0 && budget.epsilon - explicitEpsilon <= budget.epsilon * 1e-9)
    issues.push({
      path: "statistics",
      message: `the statistics' ε use the whole budget (${budget.epsilon}) and ${openEpsilon} have none left`,
    });
  const epsilonShare = (budget.epsilon - explicitEpsilon) / Math.max(1, openEpsilon);
  const deltaUsers = spec.statistics.filter((q) => needsDelta(spec, q));
  const explicitDelta = deltaUsers.reduce((s, q) => s + (q.delta ?? 0), 0);
  const openDelta = deltaUsers.filter((q) => q.delta === undefined).length;
  if (explicitDelta > budget.delta * SLACK)
    issues.push({
      path: "statistics",
      message: `the statistics' δ add up to ${explicitDelta}, more than the budget's ${budget.delta}`,
    });
  else if (openDelta > 0 && !(budget.delta - explicitDelta > budget.delta * 1e-9))
    issues.push({
      path: "budget.delta",
      message:
        budget.delta === 0
          ? `${spec.noise === "gaussian" ? "Gaussian noise" : "a count by groups without declared keys (partition selection)"} needs δ > 0`
          : "the statistics' δ use the whole budget and some that need δ have none left",
    });
  const deltaShare = (budget.delta - explicitDelta) / Math.max(1, openDelta);
  // Shares that do not fit would only repeat themselves, worded for the CLI, in every dry run below.
  if (issues.length > 0) return { issues };

  const releases: PlannedRelease[] = [];
  const random = new dp.SeededRandom("cohort-plan"); // dry runs only: their noise is never released
  spec.statistics.forEach((q, i) => {
    const needs = needsDelta(spec, q);
    if (!needs && q.delta !== undefined) {
      issues.push({
        path: at(i, "delta"),
        message: "this statistic uses no δ (Laplace noise, declared cells)",
      });
      return;
    }
    const epsilon = q.epsilon ?? epsilonShare;
    const delta = needs ? (q.delta ?? deltaShare) : 0;
    const declared = q.by.filter((c) => spec.keys[c]);
    const undeclared = q.by.filter((c) => !spec.keys[c]);
    if (declared.length > 0 && undeclared.length > 0) {
      issues.push({
        path: at(i, "by"),
        message: `declare keys for every group column or none (no keys for ${undeclared.join(", ")})`,
      });
      return;
    }
    if (q.statistic !== "count" && undeclared.length > 0) {
      issues.push({
        path: at(i, "by"),
        message: `a ${q.statistic} by groups is released per declared cell: declare keys for ${undeclared.join(", ")}`,
      });
      return;
    }
    const base = {
      noise: spec.noise,
      maxContributions: spec.maxContributions,
      ...(spec.maxPartitions !== undefined && { maxPartitions: spec.maxPartitions }),
      ...(spec.maxPerPartition !== undefined && { maxPerPartition: spec.maxPerPartition }),
    };
    const cells =
      q.statistic === "count" || q.by.length === 0 ? [[]] : cartesian(q.by.map((c) => spec.keys[c] ?? []));
    if (releases.length + cells.length > MAX_RELEASES) {
      issues.push({
        path: at(i, "by"),
        message: `makes ${cells.length} releases (at most ${MAX_RELEASES} in all)`,
      });
      return;
    }
    for (const cell of cells) {
      const where = Object.fromEntries(cell.map((v, k) => [q.by[k] as string, v]));
      const options: PlannedRelease["options"] = {
        ...base,
        epsilon: epsilon / cells.length,
        delta: delta / cells.length,
        ...(q.bounds && { bounds: q.bounds }),
        ...(q.granularity !== undefined && { granularity: q.granularity }),
        ...(q.bins && { edges: q.bins }),
      };
      const call: DpCall =
        q.statistic === "count"
          ? q.by.length > 0
            ? "dpTable"
            : "dpCount"
          : q.statistic === "sum"
            ? "dpSum"
            : q.statistic === "mean"
              ? "dpMean"
              : "dpHistogram";
      const shell: PlannedRelease = {
        request: i,
        statistic: describeRequest(q, where),
        call,
        ...(q.of && { of: q.of }),
        where,
        ...(call === "dpTable" && { groupBy: q.by }),
        ...(call === "dpTable" && declared.length > 0 && { declared: q.by.map((c) => spec.keys[c] ?? []) }),
        options,
        charge: {
          epsilon: 0,
          delta: 0,
          mechanism: spec.noise === "gaussian" ? "discrete-gaussian" : "discrete-laplace",
        },
        mechanisms: [],
        guarantee: "",
      };
      // A dry run over no rows checks the options with the dp module's own rules and names its mechanisms
      // (their calibration depends on the options only).
      let dry: dp.Release<unknown>;
      try {
        dry = runPlannedRelease(shell, [], { random });
      } catch (error) {
        issues.push({ path: at(i), message: (error as Error).message });
        return;
      }
      let rho: number | undefined = 0;
      for (const m of dry.mechanisms) {
        if (m.rho !== undefined && rho !== undefined) rho += m.rho;
        else if (m.delta === 0 && rho !== undefined) rho += (m.epsilon * m.epsilon) / 2;
        else rho = undefined; // partition selection: no zCDP guarantee, a zCDP ledger refuses it
      }
      shell.charge = {
        ...shell.charge,
        epsilon: dry.epsilon,
        delta: dry.delta,
        ...(rho !== undefined && { rho }),
      };
      shell.mechanisms = dry.mechanisms;
      shell.guarantee = dry.guarantee;
      releases.push(shell);
    }
  });
  if (issues.length > 0) return { issues };
  const total = releases.reduce(
    (t, r) => ({ epsilon: t.epsilon + r.charge.epsilon, delta: t.delta + r.charge.delta }),
    { epsilon: 0, delta: 0 },
  );
  if (total.epsilon > budget.epsilon * SLACK || total.delta > budget.delta * SLACK)
    issues.push({
      path: "budget",
      message: `the releases cost (${total.epsilon}, ${total.delta}), over the budget`,
    });
  return issues.length > 0 ? { issues } : { plan: { budget, releases, total }, issues };
}

function describeRequest(q: CohortStatisticRequest, where: Record<string, string>): string {
  const what = q.statistic === "count" ? "count" : `${q.statistic} of ${q.of}`;
  const by = q.statistic === "count" && q.by.length > 0 ? ` by ${q.by.join(",")}` : "";
  const cell = Object.entries(where)
    .map(([c, v]) => `${c}=${v}`)
    .join(", ");
  return `${what}${by}${cell ? ` where ${cell}` : ""}`;
}

export type CohortRow = Readonly<Record<string, unknown>>;

/**
 * Runs one planned release over learner-level rows (the caller does it inside the ledger's `spend`).
 * Rows outside the release's cell are left out; group keys and cells compare values as text.
 */
export function runPlannedRelease(
  release: PlannedRelease,
  rows: readonly CohortRow[],
  options: { learnerColumn?: string; random?: dp.RandomSource } = {},
): dp.Release<unknown> {
  const learnerColumn = options.learnerColumn ?? "learner";
  const where = Object.entries(release.where);
  const inCell =
    where.length === 0 ? rows : rows.filter((row) => where.every(([c, v]) => String(row[c]) === v));
  const o = release.options;
  const common = {
    learnerOf: (row: CohortRow) => String(row[learnerColumn]),
    epsilon: o.epsilon,
    delta: o.delta,
    noise: o.noise,
    maxContributions: o.maxContributions,
    ...(o.maxPartitions !== undefined && { maxPartitions: o.maxPartitions }),
    ...(o.maxPerPartition !== undefined && { maxPerPartition: o.maxPerPartition }),
    ...(options.random && { random: options.random }),
  };
  const of = release.of as string;
  const numberOf = (row: CohortRow) => Number(row[of]);
  switch (release.call) {
    case "dpCount":
      return dp.dpCount(inCell, common);
    case "dpSum":
    case "dpMean": {
      const numeric = {
        ...common,
        valueOf: numberOf,
        bounds: o.bounds as readonly [number, number],
        ...(o.granularity !== undefined && { granularity: o.granularity }),
      };
      return release.call === "dpSum" ? dp.dpSum(inCell, numeric) : dp.dpMean(inCell, numeric);
    }
    case "dpHistogram":
      return dp.dpHistogram(inCell, { ...common, valueOf: numberOf, edges: o.edges as readonly number[] });
    case "dpTable": {
      const groupBy = release.groupBy ?? [];
      return dp.dpTable(inCell, {
        ...common,
        keysOf: (row) => groupBy.map((c) => String(row[c])),
        ...(release.declared && { declared: release.declared }),
      });
    }
  }
}
