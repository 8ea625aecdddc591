import { TrainError } from "../errors.js";
import { averagePrecision, brierScore, checkScores, classCounts, rocAuc } from "./metrics.js";

/**
 * Metrics per group of one attribute (gender, age band, disability, region, deprivation band) for
 * fairness, and the largest gap between groups. A group below the minimum size is marked `small`
 * and left out of the gaps: its metrics are too noisy to compare, and the release gate withholds it.
 * A row without a value falls in the group "unknown".
 */
export interface GroupMetrics {
  readonly group: string;
  readonly n: number;
  readonly positives: number;
  readonly positiveRate: number;
  readonly meanScore: number;
  /** null when the group has one class only. */
  readonly auc: number | null;
  readonly averagePrecision: number | null;
  readonly brier: number;
  readonly small: boolean;
}

export type GapMetric = "auc" | "averagePrecision" | "brier" | "positiveRate" | "meanScore";

export interface Gap {
  readonly metric: GapMetric;
  readonly value: number;
  readonly highest: string;
  readonly lowest: string;
}

export interface GroupReport {
  readonly attribute: string;
  readonly minSize: number;
  readonly groups: GroupMetrics[];
  /** The largest difference of each metric between groups that are not small (when two exist). */
  readonly gaps: Gap[];
  /** The AUC gap, the headline of a fairness table. */
  readonly largestGap: Gap | null;
}

export const UNKNOWN_GROUP = "unknown";

export function groupMetrics(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: readonly (string | null | undefined)[],
  options: { attribute: string; minSize?: number },
): GroupReport {
  checkScores(probabilities, labels, "groupMetrics", true);
  if (groups.length !== labels.length) {
    throw new TrainError(`groupMetrics: ${groups.length} group values for ${labels.length} rows`);
  }
  const minSize = options.minSize ?? 20;
  if (!(Number.isInteger(minSize) && minSize >= 1))
    throw new TrainError("groupMetrics.minSize: an integer ≥ 1");
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const key = g === null || g === undefined || g === "" ? UNKNOWN_GROUP : g;
    const list = members.get(key);
    if (list) list.push(i);
    else members.set(key, [i]);
  });
  const rows: GroupMetrics[] = [...members.keys()].sort().map((group) => {
    const idx = members.get(group)!;
    const s = idx.map((i) => probabilities[i]!);
    const y = idx.map((i) => labels[i]!);
    const { positives, negatives } = classCounts(y);
    const both = positives > 0 && negatives > 0;
    return {
      group,
      n: idx.length,
      positives,
      positiveRate: positives / idx.length,
      meanScore: s.reduce((a, b) => a + b, 0) / idx.length,
      auc: both ? rocAuc(s, y) : null,
      averagePrecision: both ? averagePrecision(s, y) : null,
      brier: brierScore(s, y),
      small: idx.length < minSize,
    };
  });
  const metrics: GapMetric[] = ["auc", "averagePrecision", "brier", "positiveRate", "meanScore"];
  const gaps: Gap[] = [];
  for (const metric of metrics) {
    const comparable = rows.filter((r) => !r.small && r[metric] !== null);
    if (comparable.length < 2) continue;
    let hi = comparable[0]!;
    let lo = comparable[0]!;
    for (const r of comparable) {
      if (r[metric]! > hi[metric]!) hi = r;
      if (r[metric]! < lo[metric]!) lo = r;
    }
    gaps.push({ metric, value: hi[metric]! - lo[metric]!, highest: hi.group, lowest: lo.group });
  }
  return {
    attribute: options.attribute,
    minSize,
    groups: rows,
    gaps,
    largestGap: gaps.find((g) => g.metric === "auc") ?? null,
  };
}
