/**
 * Utility metrics with ARX's definitions (org.deidentifier.arx.metric.v2), lower is better:
 * - loss (MetricMDNMLoss): per attribute Σ over rows of the generalized value's domain share (× the
 *   generalization factor), suppressed rows counting 1 (when the suppression factor is 1), normalized
 *   by (x − g·n/|domain|)/(n − g·n/|domain|), aggregated by the geometric mean (+1/−1);
 * - entropy (MetricMDNUEntropyPrecomputed, monotonic: suppression ignored; MetricMDNUNMEntropyPrecomputed,
 *   non-monotonic: suppressed rows add their own entropy × the suppression factor), summed;
 * - discernibility (MetricSDNMDiscernability: Σ|C|² over kept classes + n·|C| over suppressed ones;
 *   monotonic DM*, MetricSDDiscernability: Σ|C|² over all classes);
 * - precision (MetricMDNMPrecision: per attribute (kept·level/height·g + suppressed·s)/n; monotonic
 *   MetricMDPrecision: level/height·g), arithmetic mean;
 * - aecs (MetricSDAECS: n / (kept classes + 1 if any row is suppressed));
 * - height (MetricMDHeight: Σ levels).
 * The generalization/suppression factor gs gives g = 1 if gs ≤ ½ else 1 − 2(gs − ½) and s = 2gs if
 * gs < ½ else 1, as in ARX. Values are floored to 10 decimals where ARX does (Metric.round).
 * ARX's defaults (Metric.createXxxMetric()): entropy, discernibility and precision non-monotonic.
 */
import type { EncodedDataset } from "./dataset.js";
import type { Evaluation } from "./evaluate.js";

export type MetricName = "loss" | "entropy" | "discernibility" | "precision" | "aecs" | "height";
export const METRIC_NAMES: MetricName[] = [
  "loss",
  "entropy",
  "discernibility",
  "precision",
  "aecs",
  "height",
];

export interface MetricOptions {
  name: MetricName;
  /** The monotonic variant (entropy, discernibility = DM*, precision); ARX's default is false. */
  monotonic?: boolean;
  /** Generalization/suppression factor in [0, 1], default 0.5. */
  gsFactor?: number;
}

export interface UtilityMetric {
  readonly name: MetricName;
  /** The metric cannot decrease from a node to its successors, whatever the suppression. */
  readonly monotonic: boolean;
  /** Lower bound of the score of a node, from the levels alone; equal to the score when `exact`. */
  lowerBound(levels: number[]): number;
  readonly exact: boolean;
  score(e: Evaluation): number;
}

const FACTOR = 1e10;
/** ARX's Metric.round: keeps the first 10 decimals, flooring. */
export const arxRound = (x: number): number => Math.floor(x * FACTOR) / FACTOR;

export function gsFactors(gs: number): { g: number; s: number } {
  return { g: gs <= 0.5 ? 1 : 1 - 2 * (gs - 0.5), s: gs < 0.5 ? 2 * gs : 1 };
}

export function createMetric(data: EncodedDataset, options: MetricOptions): UtilityMetric {
  const gs = options.gsFactor ?? 0.5;
  if (!(gs >= 0 && gs <= 1)) throw new Error(`gs-factor ${gs} must be between 0 and 1`);
  const { g, s } = gsFactors(gs);
  const mono = options.monotonic ?? false;
  switch (options.name) {
    case "entropy":
      return entropyMetric(data, g, s, mono);
    case "loss":
      return lossMetric(data, g, s);
    case "discernibility":
      return discernibilityMetric(data, mono);
    case "precision":
      return precisionMetric(data, g, s, mono);
    case "aecs":
      return aecsMetric(data, g, s);
    case "height":
      return {
        name: "height",
        monotonic: true,
        exact: true,
        lowerBound: (levels) => levels.reduce((a, b) => a + b, 0),
        score: (e) => e.levels.reduce((a, b) => a + b, 0),
      };
    default:
      throw new Error(`unknown metric ${options.name} (one of ${METRIC_NAMES.join(", ")})`);
  }
}

/** Rows per (column, level) that are suppressed, by generalized code: the suppressed rows' values. */
function suppressedCounts(data: EncodedDataset, e: Evaluation, column: number): Map<number, number> {
  const q = data.qis[column]!;
  const col = q.gen[e.levels[column]!]!;
  const out = new Map<number, number>();
  const { classOf, suppressed } = e;
  for (let i = 0; i < data.n; i++) {
    if (suppressed[classOf[i]!]) out.set(col[i]!, (out.get(col[i]!) ?? 0) + 1);
  }
  return out;
}

function entropyMetric(data: EncodedDataset, g: number, s: number, monotonic: boolean): UtilityMetric {
  // Σ over original values a·log2(a/b), b the count of its generalized value: per column and level.
  const raw = data.qis.map((q) =>
    q.gen.map((_, level) => {
      let value = 0;
      const a0 = q.counts[0]!;
      const bl = q.counts[level]!;
      const m = q.map[level]!;
      for (let c = 0; c < a0.length; c++) {
        const a = a0[c]!;
        if (a !== 0) value += a * Math.log2(a / bl[m[c]!]!);
      }
      return value * g;
    }),
  );
  const negRound = (x: number) => arxRound(x === 0 ? x : -x);
  const bound = (levels: number[]) => {
    let sum = 0;
    for (let c = 0; c < levels.length; c++) sum += negRound(raw[c]![levels[c]!]!);
    return sum;
  };
  return {
    name: "entropy",
    monotonic,
    exact: monotonic,
    lowerBound: bound,
    score: (e) => {
      if (monotonic || e.suppressedRows === 0) return bound(e.levels);
      let sum = 0;
      const S = e.suppressedRows;
      for (let c = 0; c < e.levels.length; c++) {
        let value = raw[c]![e.levels[c]!]!;
        for (const count of suppressedCounts(data, e, c).values()) value += count * Math.log2(count / S) * s;
        sum += negRound(value);
      }
      return sum;
    },
  };
}

/** Loss per quasi-identifier, normalized, before aggregation (ARX's AggregateFunction.RANK lists them). */
export function lossPerAttribute(data: EncodedDataset, e: Evaluation, gsFactor = 0.5): number[] {
  const { g, s } = gsFactors(gsFactor);
  return lossParts(data, g, s).values(e);
}

function lossMetric(data: EncodedDataset, g: number, s: number): UtilityMetric {
  const { lowerBound, values } = lossParts(data, g, s);
  return { name: "loss", monotonic: false, exact: false, lowerBound, score: (e) => geometric(values(e)) };
}

/** ARX's geometric mean of the per-attribute values, shifted by one so that zeros count. */
function geometric(values: number[]): number {
  let r = 1;
  for (const v of values) r *= (v + 1) ** (1 / values.length);
  return r - 1;
}

function lossParts(data: EncodedDataset, g: number, s: number) {
  const n = data.n;
  const rowCost = (share: number) => (s === 1 ? 1 : share + s * (1 - share));
  // Per column and level: Σ share over all rows, and the lower bound Σ min(g·share, suppressed cost).
  const all = data.qis.map((q) =>
    q.share.map((sh, level) => {
      const cnt = q.counts[level]!;
      let total = 0;
      let low = 0;
      for (let x = 0; x < sh.length; x++) {
        total += cnt[x]! * sh[x]!;
        low += cnt[x]! * Math.min(g * sh[x]!, rowCost(sh[x]!));
      }
      return { total, low };
    }),
  );
  const domain = data.qis.map((q) => 1 / q.share[0]!.reduce((m, v) => Math.min(m, v), 1));
  const normalize = (x: number, c: number) => {
    const min = (g * n) / domain[c]!;
    const r = (x - min) / (n - min);
    return arxRound(Math.max(r, 0));
  };
  return {
    lowerBound: (levels: number[]) => geometric(levels.map((l, c) => normalize(all[c]![l]!.low, c))),
    values: (e: Evaluation) =>
      e.levels.map((level, c) => {
        const S = e.suppressedRows;
        let supShare = 0;
        if (S > 0) {
          const sh = data.qis[c]!.share[level]!;
          for (const [code, count] of suppressedCounts(data, e, c)) supShare += count * sh[code]!;
        }
        const kept = all[c]![level]!.total - supShare;
        const x = g * kept + (s === 1 ? S : supShare + s * (S - supShare));
        return normalize(x, c);
      }),
  };
}

function discernibilityMetric(data: EncodedDataset, monotonic: boolean): UtilityMetric {
  const n = data.n;
  return {
    name: "discernibility",
    monotonic,
    exact: false,
    lowerBound: () => n,
    score: (e) => {
      let dm = 0;
      for (let c = 0; c < e.classes; c++) {
        const size = e.size[c]!;
        dm += monotonic || !e.suppressed[c] ? size * size : n * size;
      }
      return dm;
    },
  };
}

function precisionMetric(data: EncodedDataset, g: number, s: number, monotonic: boolean): UtilityMetric {
  const heights = data.qis.map((q) => q.depth - 1);
  const ratio = (level: number, c: number) => (heights[c] === 0 ? 0 : level / heights[c]!);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const n = data.n;
  return {
    name: "precision",
    monotonic,
    exact: monotonic,
    lowerBound: (levels) =>
      mean(levels.map((l, c) => (monotonic ? ratio(l, c) * g : Math.min(ratio(l, c) * g, s)))),
    score: (e) => {
      if (monotonic) return mean(e.levels.map((l, c) => ratio(l, c) * g));
      const S = e.suppressedRows;
      const U = n - S;
      return mean(e.levels.map((l, c) => (U * ratio(l, c) * g + S * s) / n));
    },
  };
}

function aecsMetric(data: EncodedDataset, g: number, s: number): UtilityMetric {
  // ARX switches the factors on purpose here.
  const gf = s;
  const sf = g;
  return {
    name: "aecs",
    monotonic: false,
    exact: false,
    lowerBound: () => 0,
    score: (e) => {
      let kept = 0;
      for (let c = 0; c < e.classes; c++) if (!e.suppressed[c]) kept++;
      const groups = kept * gf + (e.suppressedRows > 0 ? sf : 0);
      return data.n / groups;
    },
  };
}
