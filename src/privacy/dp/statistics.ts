/**
 * Differentially private statistics over pooled rows that carry a learner pseudonym: count, sum, mean,
 * histogram over declared bins, contingency table over declared (or selected) group keys. Each is
 * contribution bounding → exact aggregate on integers → noise from `mechanisms.ts`. The unit of privacy
 * is the learner: the guarantee holds between two pools that differ by all rows of one learner.
 *
 * Released values are post-processed (counts clamped at 0, a mean clamped to its bounds), which keeps
 * the guarantee. Nothing exact about the input (row or learner counts, rows dropped by bounding) is in a
 * release: those are as sensitive as the data.
 */
import {
  boundContributions,
  boundPartitions,
  type PartitionLimits,
  partitionSensitivity,
} from "./bounding.js";
import { describe, type Mechanism, mechanismFor, type NoiseKind } from "./mechanisms.js";
import { partitionSelection, selectPartitions } from "./partitions.js";
import { type RandomSource, secureRandom } from "./random.js";

export type StatisticKind = "count" | "sum" | "mean" | "histogram" | "table";

export interface ReleaseOptions<T> {
  learnerOf: (row: T) => string;
  epsilon: number;
  /** Needed by the Gaussian and by partition selection. */
  delta?: number;
  noise?: NoiseKind;
  /** Rows per learner kept (m). */
  maxContributions: number;
  /** The secure source unless a test injects a seeded one. */
  random?: RandomSource;
}

/** A mechanism as the release reports it (without its sampler). */
export interface MechanismReport {
  role: string;
  kind: Mechanism["kind"];
  epsilon: number;
  delta: number;
  sensitivity: number;
  scale: number;
  variance: number;
  rho?: number;
  guarantee: string;
}

export interface Release<V> {
  statistic: StatisticKind;
  value: V;
  /** What the release costs in total (basic sequential composition of its mechanisms). */
  epsilon: number;
  delta: number;
  mechanisms: MechanismReport[];
  guarantee: string;
}

export class DpInputError extends Error {}

function report(role: string, m: Mechanism): MechanismReport {
  return {
    role,
    kind: m.kind,
    epsilon: m.epsilon,
    delta: m.delta,
    sensitivity: m.sensitivity,
    scale: m.scale,
    variance: m.variance,
    ...(m.rho !== undefined && { rho: m.rho }),
    guarantee: describe(m),
  };
}

/** What a query costs before it runs, so the ledger can decide first. */
export function queryCost(
  statistic: StatisticKind,
  options: { epsilon: number; delta?: number; noise?: NoiseKind; declared?: boolean },
): { epsilon: number; delta: number } {
  const delta = options.delta ?? 0;
  const needsDelta = options.noise === "gaussian" || (statistic === "table" && options.declared === false);
  if (needsDelta && !(delta > 0 && delta < 1))
    throw new DpInputError(
      options.noise === "gaussian"
        ? "the discrete Gaussian needs --delta in (0, 1)"
        : "a table without declared keys needs --delta in (0, 1) for partition selection",
    );
  return { epsilon: options.epsilon, delta: needsDelta ? delta : 0 };
}

function checkBudget(epsilon: number, delta: number | undefined): void {
  if (!(Number.isFinite(epsilon) && epsilon > 0))
    throw new DpInputError(`ε must be a positive number (got ${epsilon})`);
  if (delta !== undefined && !(delta >= 0 && delta < 1))
    throw new DpInputError(`δ must be in [0, 1) (got ${delta})`);
}

function clampCount(x: bigint): number {
  return x < 0n ? 0 : Number(x);
}

/** The number of rows, each learner contributing at most m: sensitivity m. */
export function dpCount<T>(rows: readonly T[], o: ReleaseOptions<T>): Release<number> {
  checkBudget(o.epsilon, o.delta);
  const random = o.random ?? secureRandom();
  const kind = o.noise ?? "laplace";
  const cost = queryCost("count", o);
  const m = o.maxContributions;
  const mechanism = mechanismFor(kind, cost, { l1: m, l2Squared: m * m }, "scalar");
  const kept = boundContributions(rows, o.learnerOf, m, random);
  const value = clampCount(BigInt(kept.length) + mechanism.noise(random));
  return {
    statistic: "count",
    value,
    ...cost,
    mechanisms: [report("count", mechanism)],
    guarantee: describe(mechanism),
  };
}

export interface NumericOptions<T> extends ReleaseOptions<T> {
  valueOf: (row: T) => number;
  /** Every value is clamped to [lo, hi] before it counts. */
  bounds: readonly [number, number];
  /** The grid values are rounded to (integer units of the noise); default 10^(⌈log10 max|bound|⌉ - 6). */
  granularity?: number;
}

interface Grid {
  g: number;
  lo: bigint;
  hi: bigint;
}

function grid(bounds: readonly [number, number], granularity?: number): Grid {
  const [lo, hi] = bounds;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
    throw new DpInputError(`bounds must be two finite numbers lo < hi (got ${lo}, ${hi})`);
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  const g = granularity ?? 10 ** (Math.ceil(Math.log10(magnitude)) - 6);
  if (!(g > 0 && Number.isFinite(g)))
    throw new DpInputError(`granularity must be a positive number (got ${g})`);
  const loUnits = Math.round(lo / g);
  const hiUnits = Math.round(hi / g);
  if (!Number.isSafeInteger(loUnits) || !Number.isSafeInteger(hiUnits) || Math.abs(hiUnits) > 2 ** 40)
    throw new DpInputError(`bounds ${lo}, ${hi} are too many granularity steps (${g}) apart`);
  if (loUnits === hiUnits)
    throw new DpInputError(`bounds ${lo}, ${hi} are within one granularity step (${g})`);
  return { g, lo: BigInt(loUnits), hi: BigInt(hiUnits) };
}

/** The clamped values of the bounded rows, in grid units. */
function unitValues<T>(rows: readonly T[], o: NumericOptions<T>, gr: Grid): bigint[] {
  const [lo, hi] = o.bounds;
  return rows.map((row, i) => {
    const v = o.valueOf(row);
    if (!Number.isFinite(v)) throw new DpInputError(`row ${i + 1}: the value is not a number`);
    const units = BigInt(Math.round(Math.min(hi, Math.max(lo, v)) / gr.g));
    return units < gr.lo ? gr.lo : units > gr.hi ? gr.hi : units;
  });
}

function maxAbs(a: bigint, b: bigint): number {
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  return Number(x > y ? x : y);
}

/** The sum of clamped values: sensitivity m·max(|lo|, |hi|) in grid units. */
export function dpSum<T>(rows: readonly T[], o: NumericOptions<T>): Release<number> {
  checkBudget(o.epsilon, o.delta);
  const random = o.random ?? secureRandom();
  const cost = queryCost("sum", o);
  const gr = grid(o.bounds, o.granularity);
  const m = o.maxContributions;
  const perRow = maxAbs(gr.lo, gr.hi);
  const mechanism = mechanismFor(
    o.noise ?? "laplace",
    cost,
    {
      l1: m * perRow,
      l2Squared: (m * perRow) ** 2,
    },
    "scalar",
  );
  const kept = boundContributions(rows, o.learnerOf, m, random);
  let total = 0n;
  for (const v of unitValues(kept, o, gr)) total += v;
  const value = Number(total + mechanism.noise(random)) * gr.g;
  return {
    statistic: "sum",
    value,
    ...cost,
    mechanisms: [report("sum", mechanism)],
    guarantee: describe(mechanism),
  };
}

/**
 * The mean of clamped values as (noisy sum of values centred on the bounds' midpoint) / (noisy count) +
 * midpoint, as Google's BoundedMean does: the centred sum has sensitivity m·(hi - lo)/2, half that of a
 * plain sum. Budget split: ε/2 (and δ/2) to each of the two noisy aggregates; the count is floored at 1
 * and the mean clamped to [lo, hi] (post-processing).
 */
export function dpMean<T>(rows: readonly T[], o: NumericOptions<T>): Release<number> {
  checkBudget(o.epsilon, o.delta);
  const random = o.random ?? secureRandom();
  const cost = queryCost("mean", o);
  const half = { epsilon: cost.epsilon / 2, delta: cost.delta / 2 };
  const gr = grid(o.bounds, o.granularity);
  const m = o.maxContributions;
  const kind = o.noise ?? "laplace";
  // Values doubled so that the midpoint is an integer: 2v - (lo + hi) lies in [-(hi - lo), hi - lo].
  const width = Number(gr.hi - gr.lo);
  const sumMechanism = mechanismFor(kind, half, { l1: m * width, l2Squared: (m * width) ** 2 }, "scalar");
  const countMechanism = mechanismFor(kind, half, { l1: m, l2Squared: m * m }, "scalar");
  const kept = boundContributions(rows, o.learnerOf, m, random);
  let centred = 0n;
  for (const v of unitValues(kept, o, gr)) centred += 2n * v - (gr.lo + gr.hi);
  const noisySum = Number(centred + sumMechanism.noise(random));
  const noisyCount = Math.max(1, Number(BigInt(kept.length) + countMechanism.noise(random)));
  const midpoint = Number(gr.lo + gr.hi) / 2;
  const [lo, hi] = o.bounds;
  const value = Math.min(hi, Math.max(lo, (midpoint + noisySum / 2 / noisyCount) * gr.g));
  return {
    statistic: "mean",
    value,
    ...cost,
    mechanisms: [report("centred sum", sumMechanism), report("count", countMechanism)],
    guarantee: `sequential composition of ${describe(sumMechanism)} and ${describe(countMechanism)}`,
  };
}

export interface PartitionedOptions<T> extends ReleaseOptions<T>, Omit<PartitionLimits, "maxContributions"> {}

export interface HistogramOptions<T> extends PartitionedOptions<T> {
  valueOf: (row: T) => number;
  /** Ascending bin edges e0 < e1 < … < en: bins [e_i, e_{i+1}), the last one closed; values outside fall in none. */
  edges: readonly number[];
}

export interface Bin {
  lower: number;
  upper: number;
  count: number;
}

function binOf(edges: readonly number[], v: number): number | undefined {
  const last = edges.length - 1;
  if (!(v >= (edges[0] as number) && v <= (edges[last] as number))) return undefined;
  if (v === edges[last]) return last - 1;
  let lo = 0;
  let hi = last;
  // Binary search for the i with e_i ≤ v < e_{i+1}.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts over declared bins: every bin is released (empty ones too, so the set of bins says nothing),
 * with noise calibrated to the partition sensitivity (L1 = min(m, L0·L∞), L2 as in `bounding.ts`).
 */
export function dpHistogram<T>(rows: readonly T[], o: HistogramOptions<T>): Release<Bin[]> {
  checkBudget(o.epsilon, o.delta);
  const { edges } = o;
  if (
    edges.length < 2 ||
    edges.some((e, i) => !Number.isFinite(e) || (i > 0 && e <= (edges[i - 1] as number)))
  )
    throw new DpInputError(`bins need at least two ascending finite edges (got ${edges.join(",")})`);
  const random = o.random ?? secureRandom();
  const cost = queryCost("histogram", o);
  const sensitivity = partitionSensitivity(o);
  const mechanism = mechanismFor(o.noise ?? "laplace", cost, sensitivity);
  const kept = boundPartitions(
    rows,
    o.learnerOf,
    (row) => {
      const v = o.valueOf(row);
      if (Number.isNaN(v)) throw new DpInputError("a histogram value is not a number");
      const bin = binOf(edges, v);
      return bin === undefined ? undefined : String(bin);
    },
    o,
    random,
  );
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const { partition } of kept) counts[Number(partition)] = (counts[Number(partition)] ?? 0) + 1;
  const value = counts.map((c, i) => ({
    lower: edges[i] as number,
    upper: edges[i + 1] as number,
    count: clampCount(BigInt(c) + mechanism.noise(random)),
  }));
  return {
    statistic: "histogram",
    value,
    ...cost,
    mechanisms: [report("bin counts", mechanism)],
    guarantee: describe(mechanism),
  };
}

export interface TableOptions<T> extends PartitionedOptions<T> {
  /** The row's value of each group-by column. */
  keysOf: (row: T) => readonly string[];
  /** The values declared for each group-by column; absent: the cells are chosen by partition selection. */
  declared?: readonly (readonly string[])[];
}

export interface Cell {
  key: string[];
  count: number;
}

const MAX_DECLARED_CELLS = 1_000_000;

function cartesian(levels: readonly (readonly string[])[]): string[][] {
  let cells: string[][] = [[]];
  for (const values of levels) cells = cells.flatMap((prefix) => values.map((v) => [...prefix, v]));
  return cells;
}

/**
 * A contingency table of counts. With declared keys, every cell of their product is released. Without,
 * the cells are those kept by partition selection (`partitions.ts`) and the budget is split: ε/2 and
 * all of δ to selection, ε/2 to the counts (for Gaussian counts, δ is halved between the two).
 */
export function dpTable<T>(rows: readonly T[], o: TableOptions<T>): Release<Cell[]> {
  checkBudget(o.epsilon, o.delta);
  const random = o.random ?? secureRandom();
  const kind = o.noise ?? "laplace";
  const cost = queryCost("table", { ...o, declared: o.declared !== undefined });
  const sensitivity = partitionSensitivity(o);
  const keyText = (key: readonly string[]) => JSON.stringify(key);
  if (o.declared) {
    const cellCount = o.declared.reduce((n, values) => n * values.length, 1);
    if (cellCount > MAX_DECLARED_CELLS)
      throw new DpInputError(`the declared keys make ${cellCount} cells (at most ${MAX_DECLARED_CELLS})`);
    const cells = cartesian(o.declared);
    const declared = new Set(cells.map(keyText));
    const mechanism = mechanismFor(kind, cost, sensitivity);
    const kept = boundPartitions(
      rows,
      o.learnerOf,
      (row) => {
        const text = keyText(o.keysOf(row));
        return declared.has(text) ? text : undefined;
      },
      o,
      random,
    );
    const counts = new Map<string, number>();
    for (const { partition } of kept) counts.set(partition, (counts.get(partition) ?? 0) + 1);
    const value = cells.map((key) => ({
      key,
      count: clampCount(BigInt(counts.get(keyText(key)) ?? 0) + mechanism.noise(random)),
    }));
    return {
      statistic: "table",
      value,
      ...cost,
      mechanisms: [report("cell counts", mechanism)],
      guarantee: describe(mechanism),
    };
  }
  const selection = partitionSelection(
    cost.epsilon / 2,
    kind === "gaussian" ? cost.delta / 2 : cost.delta,
    sensitivity.l0,
  );
  const countBudget = { epsilon: cost.epsilon / 2, delta: cost.delta / 2 };
  const mechanism = mechanismFor(kind, countBudget, sensitivity);
  const kept = boundPartitions(rows, o.learnerOf, (row) => keyText(o.keysOf(row)), o, random);
  const counts = new Map<string, number>();
  const learners = new Map<string, Set<string>>();
  for (const { row, partition } of kept) {
    counts.set(partition, (counts.get(partition) ?? 0) + 1);
    let set = learners.get(partition);
    if (!set) {
      set = new Set();
      learners.set(partition, set);
    }
    set.add(o.learnerOf(row));
  }
  const distinct = new Map([...learners].map(([k, s]) => [k, s.size] as const));
  const selected = selectPartitions(distinct, selection, random);
  const value = [...selected].sort().map((text) => ({
    key: JSON.parse(text) as string[],
    count: clampCount(BigInt(counts.get(text) ?? 0) + mechanism.noise(random)),
  }));
  return {
    statistic: "table",
    value,
    ...cost,
    mechanisms: [
      {
        ...report("partition selection", selection.mechanism),
        delta: kind === "gaussian" ? cost.delta / 2 : cost.delta,
      },
      report("cell counts", mechanism),
    ],
    guarantee: `partition selection (threshold ${selection.threshold} on noisy distinct learners, (${cost.epsilon / 2}, ${kind === "gaussian" ? cost.delta / 2 : cost.delta})-DP) composed with ${describe(mechanism)}`,
  };
}
