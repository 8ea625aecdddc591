/**
 * Step 7 of the build: the re-identification risk of the learner-level tables against the agreement's
 * thresholds (`risk.min_k`, `risk.max_average_risk`), then the configured remedy: `suppress` the
 * learners of the smallest classes, `generalize` with the privacy module's optimal full-domain search
 * (record suppression within `risk.max_suppressed_fraction`), or `refuse` with the figures.
 *
 * Pure: the caller passes one row per learner (`learner` = pseudonym, then one column per declared
 * quasi-identifier) and the parsed hierarchies; the result says what to remove and what to recode.
 * - The measure is of the declared quasi-identifiers only: an attribute not declared is assumed
 *   unknown to an attacker. With none declared every learner is in one class (k = learners), and the
 *   report says so.
 * - A null or missing value is the value `unknown` (UNKNOWN_VALUE): learners whose attribute is unknown
 *   are alike to an attacker too. A hierarchy without a row for it gets one (unknown at every level up
 *   to the hierarchy's top value).
 * - Risk is the prosecutor's (the attacker knows the learner is in the pool): 1/|class| per learner,
 *   average = classes / learners. Ties between classes of one size are broken by pseudonym order, so the
 *   result does not depend on the rows' order.
 * - Pseudonyms appear in `suppressedLearners` and `recoded` only, never in the report, errors or reasons.
 */
import { readFileSync } from "node:fs";
import {
  createMetric,
  type EncodedDataset,
  Evaluator,
  encodeDataset,
  type Hierarchy,
  HierarchyError,
  hierarchyDepth,
  type MetricOptions,
  parseHierarchyCsv,
  type SearchOptions,
  search,
} from "../../privacy/anonymize/index.js";
import {
  type ChartData,
  chartsSvg,
  chartText,
  equivalenceClasses,
  type PopulationUniqueness,
  riskCharts,
  riskProfile,
} from "../../privacy/risk/index.js";
import type { RiskAction, RiskThresholds } from "../prepare/index.js";

export { readHierarchy } from "../../privacy/anonymize/index.js";

/** The value a null or missing quasi-identifier takes. */
export const UNKNOWN_VALUE = "unknown";

/** The column of the learner's pseudonym in each row. */
export const LEARNER_COLUMN = "learner";

/** Bad input: thresholds, rows or quasi-identifiers. Names the place, never a pseudonym. */
export class RiskCheckError extends Error {}

export interface RiskQuasiIdentifier {
  name: string;
  /** ARX-style hierarchy (level 0 = the values); needed only to generalize. */
  hierarchy?: Hierarchy;
}

export interface VersionRiskInput {
  /** One row per learner: `learner` (pseudonym) and each quasi-identifier's value. */
  learners: readonly Readonly<Record<string, string | null | undefined>>[];
  quasiIdentifiers: readonly RiskQuasiIdentifier[];
  thresholds: RiskThresholds;
  /** The pool's share of the population it was drawn from: adds the population-uniqueness estimates. */
  populationFraction?: number;
  /** Utility metric of the generalization search (default ARX's default, `loss`). */
  metric?: MetricOptions;
  search?: SearchOptions;
}

/** Figures of a set of learners on the declared quasi-identifiers. */
export interface RiskFigures {
  learners: number;
  classes: number;
  /** Smallest class (0 with no learner). */
  k: number;
  /** Prosecutor risk, mean over learners of 1/|class| = classes / learners. */
  averageRisk: number;
  /** 1 / k. */
  highestRisk: number;
  /** Learners, and classes, of size below min_k. */
  learnersBelowMinK: number;
  classesBelowMinK: number;
  /** Share of learners alone in their class. */
  sampleUniqueness: number;
  /** How many classes have each size, ascending. */
  classSizes: { size: number; count: number }[];
  /** Pitman, Zayatz, SNB and Dankar's rule, when a population fraction was given. */
  populationUniqueness?: PopulationUniqueness;
}

export type AppliedRemedy = "none" | "suppress" | "generalize";

export interface VersionRiskReport {
  format: "learnpool-version-risk/1";
  /** What was measured: the declared quasi-identifiers only (or that none was declared). */
  scope: string;
  quasiIdentifiers: string[];
  unknownValue: string;
  thresholds: {
    minK: number;
    maxAverageRisk: number;
    action: RiskAction;
    maxSuppressedFraction: number;
  };
  passed: boolean;
  applied: AppliedRemedy;
  refused?: string;
  before: RiskFigures;
  after: RiskFigures;
  levels: Record<string, number>;
  suppressed: number;
  suppressedFraction: number;
  search?: { metric: string; latticeSize: number; evaluated: number; optimal: boolean; algorithm: string };
  /** Before beside after: risk measures, learners by class size, by risk (privacy/risk's charts). */
  charts: ChartData[];
}

export interface VersionRiskResult {
  passed: boolean;
  /** The configured action. */
  action: RiskAction;
  /** What was done to pass: nothing, suppression, or generalization (with its suppression). */
  applied: AppliedRemedy;
  /** Why the version is refused, with the figures and thresholds (no pseudonym). */
  refused?: string;
  before: RiskFigures;
  /** The published learners' figures; on refusal, the best the action reached (before, for refuse). */
  after: RiskFigures;
  /** Learners to remove from every learner-level table, sorted. */
  suppressedLearners: string[];
  /** Generalized values of each kept learner (generalize only; empty otherwise). */
  recoded: Map<string, Record<string, string>>;
  /** Hierarchy level per quasi-identifier (0 = unchanged). */
  levels: Record<string, number>;
  report: VersionRiskReport;
  /** The class-size distribution, before beside after. */
  chart: { text: string; svg: string };
}

/** The build's refusal: the message names the figures and the thresholds. */
export class RiskRefused extends Error {
  constructor(readonly result: VersionRiskResult) {
    super(`risk check refused the dataset version: ${result.refused ?? "thresholds not met"}`);
    this.name = "RiskRefused";
  }
}

/** Throws RiskRefused unless the check passed. */
export function assertRiskPassed(result: VersionRiskResult): void {
  if (!result.passed) throw new RiskRefused(result);
}

/** Reads one ARX-style hierarchy file (`;`-separated, no header, level 0 first). */
export function loadHierarchy(path: string, attribute: string): Hierarchy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new HierarchyError(`hierarchy of ${attribute}, ${path}: ${(error as Error).message}`);
  }
  return parseHierarchyCsv(attribute, text, path);
}

// ---- input ----------------------------------------------------------------------------------------

function checkThresholds(t: RiskThresholds): void {
  if (!(Number.isInteger(t.minK) && t.minK >= 1))
    throw new RiskCheckError(`risk.min_k = ${t.minK} must be an integer ≥ 1`);
  if (!(t.maxAverageRisk > 0 && t.maxAverageRisk <= 1))
    throw new RiskCheckError(`risk.max_average_risk = ${t.maxAverageRisk} must be in (0, 1]`);
  if (!(t.maxSuppressedFraction >= 0 && t.maxSuppressedFraction <= 1))
    throw new RiskCheckError(`risk.max_suppressed_fraction = ${t.maxSuppressedFraction} must be in [0, 1]`);
  if (!["generalize", "suppress", "refuse"].includes(t.action))
    throw new RiskCheckError(
      `risk.action = ${JSON.stringify(t.action)} must be generalize, suppress or refuse`,
    );
}

function checkQuasiIdentifiers(qis: readonly RiskQuasiIdentifier[]): string[] {
  const names: string[] = [];
  for (const [i, q] of qis.entries()) {
    if (typeof q.name !== "string" || q.name === "")
      throw new RiskCheckError(`quasi-identifier ${i + 1} has no name`);
    if (q.name === LEARNER_COLUMN)
      throw new RiskCheckError(`quasi-identifier ${i + 1}: "${LEARNER_COLUMN}" is the pseudonym column`);
    if (names.includes(q.name)) throw new RiskCheckError(`quasi-identifier ${q.name} is declared twice`);
    if (q.hierarchy && hierarchyDepth(q.hierarchy) === 0)
      throw new RiskCheckError(`the hierarchy of ${q.name} is empty`);
    names.push(q.name);
  }
  return names;
}

interface Rows {
  /** Pseudonyms in sorted order. */
  learners: string[];
  /** values[i][q]: learner i's value of quasi-identifier q, null as UNKNOWN_VALUE. */
  values: string[][];
}

/** Checks the rows and sorts them by pseudonym, so that nothing depends on the input's order. */
function readRows(input: VersionRiskInput, names: string[]): Rows {
  const rows = input.learners.map((row, r) => {
    const learner = row[LEARNER_COLUMN];
    if (typeof learner !== "string" || learner === "")
      throw new RiskCheckError(`learner row ${r + 1}: no pseudonym in column "${LEARNER_COLUMN}"`);
    const values = names.map((name) => {
      const v = row[name];
      if (v === null || v === undefined) return UNKNOWN_VALUE;
      if (typeof v !== "string")
        throw new RiskCheckError(`learner row ${r + 1}, ${name}: a ${typeof v}, expected a string or null`);
      return v;
    });
    return { learner, values, r };
  });
  rows.sort((a, b) => (a.learner < b.learner ? -1 : a.learner > b.learner ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.learner === rows[i - 1]!.learner) {
      const [x, y] = [rows[i - 1]!.r, rows[i]!.r].sort((a, b) => a - b);
      throw new RiskCheckError(`learner rows ${x! + 1} and ${y! + 1} hold the same pseudonym`);
    }
  }
  return { learners: rows.map((x) => x.learner), values: rows.map((x) => x.values) };
}

// ---- figures --------------------------------------------------------------------------------------

function figuresOf(sizes: ArrayLike<number>, minK: number, populationFraction?: number): RiskFigures {
  const profile = riskProfile(sizes, {
    population: populationFraction === undefined ? undefined : { samplingFraction: populationFraction },
  });
  const f = profile.frequencies;
  let learnersBelowMinK = 0;
  let classesBelowMinK = 0;
  for (let i = 0; i < f.sizes.length; i++) {
    if (f.sizes[i]! < minK) {
      learnersBelowMinK += f.sizes[i]! * f.counts[i]!;
      classesBelowMinK += f.counts[i]!;
    }
  }
  return {
    learners: f.records,
    classes: f.classes,
    k: f.sizes[0] ?? 0,
    averageRisk: profile.prosecutor.averageRisk,
    highestRisk: profile.prosecutor.highestRisk,
    learnersBelowMinK,
    classesBelowMinK,
    sampleUniqueness: profile.sampleUniqueness,
    classSizes: Array.from(f.sizes, (size, i) => ({ size, count: f.counts[i]! })),
    ...(profile.populationUniqueness ? { populationUniqueness: profile.populationUniqueness } : {}),
  };
}

/** The thresholds hold; an empty table holds no one and passes. */
function holds(f: RiskFigures, t: RiskThresholds): boolean {
  return f.learners === 0 || (f.k >= t.minK && f.averageRisk <= t.maxAverageRisk);
}

const num = (x: number) => String(Number(x.toPrecision(6)));
const pct = (x: number) => `${Number((x * 100).toPrecision(4))}%`;

function measured(f: RiskFigures, t: RiskThresholds): string {
  return (
    `k = ${f.k} (min_k ${t.minK}), average risk ${num(f.averageRisk)} (max_average_risk ${num(t.maxAverageRisk)}), ` +
    `${f.learnersBelowMinK} of ${f.learners} learners in ${f.classesBelowMinK} classes below min_k`
  );
}

/** Rows may lose at most this many learners: the fraction's floor, immune to 0.29 × 100 = 28.99…. */
function suppressionBudget(fraction: number, learners: number): number {
  return Math.min(learners, Math.floor(fraction * learners + 1e-9));
}

// ---- the check ------------------------------------------------------------------------------------

interface Outcome {
  passed: boolean;
  applied: AppliedRemedy;
  refused?: string;
  after: RiskFigures;
  suppressed: string[];
  recoded: Map<string, Record<string, string>>;
  levels: number[];
  search?: VersionRiskReport["search"];
}

export function checkVersionRisk(input: VersionRiskInput): VersionRiskResult {
  const t = input.thresholds;
  checkThresholds(t);
  const names = checkQuasiIdentifiers(input.quasiIdentifiers);
  if (
    input.populationFraction !== undefined &&
    !(input.populationFraction > 0 && input.populationFraction <= 1)
  ) {
    throw new RiskCheckError(`population fraction ${input.populationFraction} must be in (0, 1]`);
  }
  const rows = readRows(input, names);
  const n = rows.learners.length;
  const sizes =
    names.length === 0
      ? n === 0
        ? new Int32Array(0)
        : Int32Array.of(n)
      : equivalenceClasses(
          rows.values,
          names.map((_, q) => q),
        ).sizes;
  const before = figuresOf(sizes, t.minK, input.populationFraction);
  const zeros = names.map(() => 0);
  const untouched = {
    after: before,
    suppressed: [],
    recoded: new Map<string, Record<string, string>>(),
    levels: zeros,
  };
  let outcome: Outcome;
  if (holds(before, t)) {
    outcome = { passed: true, applied: "none", ...untouched };
  } else if (t.action === "refuse") {
    outcome = {
      passed: false,
      applied: "none",
      refused: `${measured(before, t)}; the action is refuse`,
      ...untouched,
    };
  } else if (names.length === 0) {
    // One class of every learner: suppressing it empties the pool, and there is nothing to generalize.
    outcome = {
      passed: false,
      applied: "none",
      refused: `${measured(before, t)}; no quasi-identifier was declared, so nothing can be ${t.action === "suppress" ? "suppressed" : "generalized"} but the whole pool`,
      ...untouched,
    };
  } else if (t.action === "suppress") {
    outcome = suppress(input, names, rows, before);
  } else {
    outcome = generalize(input, names, rows, before);
  }
  return assemble(input, names, n, before, outcome);
}

/** Encodes the rows for the privacy module's evaluator, adding `unknown` to hierarchies that lack it. */
function encode(names: string[], rows: Rows, hierarchyOf: (q: number) => Hierarchy): EncodedDataset {
  const hierarchies = new Map<string, Hierarchy>();
  names.forEach((name, q) => {
    const h = hierarchyOf(q);
    const hasUnknown = rows.values.some((v) => v[q] === UNKNOWN_VALUE);
    if (!hasUnknown || h.rows.some((r) => r[0] === UNKNOWN_VALUE)) {
      hierarchies.set(name, { attribute: name, rows: h.rows });
      return;
    }
    const depth = hierarchyDepth(h);
    const tops = new Set(h.rows.map((r) => r[depth - 1]!));
    const top = depth > 1 && tops.size === 1 ? [...tops][0]! : UNKNOWN_VALUE;
    const row = Array.from({ length: depth }, (_, l) => (l === depth - 1 ? top : UNKNOWN_VALUE));
    hierarchies.set(name, { attribute: name, rows: [...h.rows, row] });
  });
  return encodeDataset({ header: names, rows: rows.values }, { quasiIdentifiers: names }, (a) =>
    hierarchies.get(a),
  );
}

/** Kept classes' sizes and the suppressed learners (sorted, as the rows are). */
function split(
  rows: Rows,
  e: { classes: number; classOf: Int32Array; size: Int32Array; suppressed: Uint8Array },
) {
  const kept: number[] = [];
  for (let c = 0; c < e.classes; c++) if (!e.suppressed[c]) kept.push(e.size[c]!);
  const suppressed = rows.learners.filter((_, i) => e.suppressed[e.classOf[i]!] === 1);
  return { kept, suppressed };
}

/**
 * Removes the classes below min_k, then the smallest classes left until the average risk holds
 * (the privacy module's evaluator at the ungeneralized node), within max_suppressed_fraction.
 */
function suppress(input: VersionRiskInput, names: string[], rows: Rows, before: RiskFigures): Outcome {
  const t = input.thresholds;
  const n = rows.learners.length;
  // Depth-1 hierarchies: the values as they are, nothing to generalize.
  const data = encode(names, rows, (q) => ({
    attribute: names[q]!,
    rows: [...new Set(rows.values.map((v) => v[q]!))].map((v) => [v]),
  }));
  // Unlimited here so that the evaluator says how much suppression the thresholds need.
  const evaluator = new Evaluator(data, { k: t.minK, maxAverageRisk: t.maxAverageRisk, suppressionLimit: 1 });
  const e = evaluator.evaluate(names.map(() => 0));
  const { kept, suppressed } = split(rows, e);
  const after = figuresOf(kept, t.minK, input.populationFraction);
  const budget = suppressionBudget(t.maxSuppressedFraction, n);
  const base = { recoded: new Map(), levels: names.map(() => 0) };
  if (suppressed.length <= budget && after.learners > 0 && holds(after, t)) {
    return { passed: true, applied: "suppress", after, suppressed, ...base };
  }
  const why =
    suppressed.length > budget
      ? `above max_suppressed_fraction ${pct(t.maxSuppressedFraction)}`
      : "leaving no learner";
  return {
    passed: false,
    applied: "none",
    refused: `${measured(before, t)}; suppression would remove ${suppressed.length} of ${n} learners (${pct(suppressed.length / n)}), ${why}`,
    after,
    suppressed: [],
    ...base,
  };
}

/** ARX's optimal full-domain generalization with record suppression within the fraction. */
function generalize(input: VersionRiskInput, names: string[], rows: Rows, before: RiskFigures): Outcome {
  const t = input.thresholds;
  const n = rows.learners.length;
  const untouched = { after: before, suppressed: [], recoded: new Map(), levels: names.map(() => 0) };
  const missing = input.quasiIdentifiers.filter((q) => !q.hierarchy).map((q) => q.name);
  if (missing.length > 0) {
    return {
      passed: false,
      applied: "none",
      refused: `${measured(before, t)}; generalization needs a hierarchy for every quasi-identifier, none was given for ${missing.join(", ")}`,
      ...untouched,
    };
  }
  const data = encode(names, rows, (q) => input.quasiIdentifiers[q]!.hierarchy!);
  const budget = suppressionBudget(t.maxSuppressedFraction, n);
  // The evaluator allows floor(limit × n) rows: half a row above the budget lands on it exactly.
  const limit = Math.min(1, (budget + 0.5) / n);
  const evaluator = new Evaluator(data, {
    k: t.minK,
    maxAverageRisk: t.maxAverageRisk,
    suppressionLimit: limit,
  });
  const metric = createMetric(data, input.metric ?? { name: "loss" });
  const found = search(evaluator, metric, input.search);
  const searchFigures = {
    metric: metric.name,
    latticeSize: found.latticeSize,
    evaluated: found.evaluated,
    optimal: found.optimal,
    algorithm: found.algorithm,
  };
  if (!found.levels) {
    // What the most general node reaches once every failing class is suppressed.
    const topLevels = data.qis.map((q) => q.depth - 1);
    const top = evaluator.evaluate(topLevels, true);
    const { kept } = split(rows, top);
    const after = figuresOf(kept, t.minK, input.populationFraction);
    const levels = names.map((name, q) => `${name} ${topLevels[q]}`).join(", ");
    return {
      passed: false,
      applied: "none",
      refused:
        `${measured(before, t)}; no generalization of ${names.join(", ")} meets the thresholds with at most ` +
        `${pct(t.maxSuppressedFraction)} of learners suppressed (max_suppressed_fraction): at the most general ` +
        `levels (${levels}) ${top.suppressedRows} of ${n} learners (${pct(top.suppressedRows / n)}) would be suppressed, ` +
        (after.learners === 0
          ? "leaving no learner"
          : `leaving k = ${after.k}, average risk ${num(after.averageRisk)}`),
      ...untouched,
      after,
      search: searchFigures,
    };
  }
  const e = evaluator.evaluate(found.levels);
  const { kept, suppressed } = split(rows, e);
  const recoded = new Map<string, Record<string, string>>();
  for (let i = 0; i < n; i++) {
    if (e.suppressed[e.classOf[i]!]) continue;
    const values: Record<string, string> = {};
    data.qis.forEach((q, c) => {
      const level = found.levels![c]!;
      values[q.name] = q.labels[level]![q.gen[level]![i]!]!;
    });
    recoded.set(rows.learners[i]!, values);
  }
  return {
    passed: true,
    applied: "generalize",
    after: figuresOf(kept, t.minK, input.populationFraction),
    suppressed,
    recoded,
    levels: found.levels,
    search: searchFigures,
  };
}

function assemble(
  input: VersionRiskInput,
  names: string[],
  n: number,
  before: RiskFigures,
  o: Outcome,
): VersionRiskResult {
  const t = input.thresholds;
  const levels = Object.fromEntries(names.map((name, q) => [name, o.levels[q]!]));
  const scope =
    names.length === 0
      ? "no quasi-identifier was declared: every learner is in one class, so k is the number of learners; " +
        "the risk through attributes not declared is not measured"
      : `measured on the declared quasi-identifiers only (${names.join(", ")}); ` +
        `null values count as the value "${UNKNOWN_VALUE}"; attributes not declared are not measured`;
  const profiles = [
    { name: "before", profile: riskProfile(classSizesOf(before)) },
    { name: "after", profile: riskProfile(classSizesOf(o.after)) },
  ];
  const charts = riskCharts(profiles);
  // riskCharts gives [measures, records by class size, records by risk].
  const bySize = charts[1];
  const report: VersionRiskReport = {
    format: "learnpool-version-risk/1",
    scope,
    quasiIdentifiers: names,
    unknownValue: UNKNOWN_VALUE,
    thresholds: {
      minK: t.minK,
      maxAverageRisk: t.maxAverageRisk,
      action: t.action,
      maxSuppressedFraction: t.maxSuppressedFraction,
    },
    passed: o.passed,
    applied: o.applied,
    ...(o.refused === undefined ? {} : { refused: o.refused }),
    before,
    after: o.after,
    levels,
    suppressed: o.suppressed.length,
    suppressedFraction: n === 0 ? 0 : o.suppressed.length / n,
    ...(o.search ? { search: o.search } : {}),
    charts,
  };
  return {
    passed: o.passed,
    action: t.action,
    applied: o.applied,
    ...(o.refused === undefined ? {} : { refused: o.refused }),
    before,
    after: o.after,
    suppressedLearners: o.suppressed,
    recoded: o.recoded,
    levels,
    report,
    chart: bySize ? { text: chartText(bySize), svg: chartsSvg([bySize]) } : { text: "", svg: "" },
  };
}

/** Class sizes back from the frequencies (for the charts' profiles). */
function classSizesOf(f: RiskFigures): number[] {
  return f.classSizes.flatMap(({ size, count }) => Array.from({ length: count }, () => size));
}
