/**
 * Per-learner contribution bounding: what makes a statistic's sensitivity finite. A learner's rows are
 * cut to at most `maxContributions` (m) by reservoir sampling with the secure source (so which rows are
 * kept does not depend on their order or content); for partitioned statistics (histograms, tables) a
 * learner further keeps at most `maxPartitions` (L0) partitions, chosen uniformly, and at most
 * `maxPerPartition` (L∞) rows in each. The sensitivities follow: adding or removing one learner changes
 * the vector of partition counts by at most L1 = min(m, L0·L∞) and L2² = the largest sum of squares of
 * at most L0 entries ≤ L∞ summing to ≤ m.
 */
import type { RandomSource } from "./random.js";

/** Reservoir sampling (Vitter's Algorithm R): a uniform sample of at most `size` items. */
export function reservoir<T>(items: Iterable<T>, size: number, random: RandomSource): T[] {
  const kept: T[] = [];
  let seen = 0;
  for (const item of items) {
    seen++;
    if (kept.length < size) kept.push(item);
    else {
      const j = random.belowSmall(seen);
      if (j < size) kept[j] = item;
    }
  }
  return kept;
}

function checkLimit(name: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new RangeError(`${name} must be a positive integer (got ${value})`);
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** At most `maxContributions` rows of each learner, uniformly chosen. */
export function boundContributions<T>(
  rows: readonly T[],
  learnerOf: (row: T) => string,
  maxContributions: number,
  random: RandomSource,
): T[] {
  checkLimit("the maximum contributions per learner", maxContributions);
  const kept: T[] = [];
  for (const group of groupBy(rows, learnerOf).values()) {
    if (group.length <= maxContributions) kept.push(...group);
    else kept.push(...reservoir(group, maxContributions, random));
  }
  return kept;
}

export interface PartitionLimits {
  /** Rows per learner over all partitions (m). */
  maxContributions: number;
  /** Partitions per learner (L0); default m. */
  maxPartitions?: number;
  /** Rows per learner in one partition (L∞); default m. */
  maxPerPartition?: number;
}

export interface PartitionSensitivity {
  l0: number;
  lInf: number;
  l1: number;
  l2Squared: number;
}

/** The sensitivities of a vector of partition counts under these limits. */
export function partitionSensitivity(limits: PartitionLimits): PartitionSensitivity {
  const m = limits.maxContributions;
  checkLimit("the maximum contributions per learner", m);
  const l0 = Math.min(limits.maxPartitions ?? m, m);
  const lInf = Math.min(limits.maxPerPartition ?? m, m);
  checkLimit("the maximum partitions per learner", l0);
  checkLimit("the maximum contributions per partition", lInf);
  const l1 = Math.min(m, l0 * lInf);
  // Largest Σx² with at most l0 entries in [0, lInf] and Σx ≤ m: fill entries to lInf, then the rest.
  const full = Math.min(l0, Math.floor(m / lInf));
  const rest = full < l0 ? m - full * lInf : 0;
  return { l0, lInf, l1, l2Squared: full * lInf * lInf + rest * rest };
}

/**
 * Bounds each learner's rows for a partitioned statistic: m rows overall, then L0 partitions, then L∞
 * rows per partition. Rows whose partition is `undefined` (outside every declared bin) are dropped first.
 */
export function boundPartitions<T>(
  rows: readonly T[],
  learnerOf: (row: T) => string,
  partitionOf: (row: T) => string | undefined,
  limits: PartitionLimits,
  random: RandomSource,
): { row: T; partition: string }[] {
  const { l0, lInf } = partitionSensitivity(limits);
  const placed: { row: T; partition: string; learner: string }[] = [];
  for (const row of rows) {
    const partition = partitionOf(row);
    if (partition !== undefined) placed.push({ row, partition, learner: learnerOf(row) });
  }
  const kept: { row: T; partition: string }[] = [];
  for (const group of groupBy(
    boundContributions(placed, (p) => p.learner, limits.maxContributions, random),
    (p) => p.learner,
  ).values()) {
    const byPartition = groupBy(group, (p) => p.partition);
    const partitions =
      byPartition.size <= l0 ? [...byPartition.keys()] : reservoir(byPartition.keys(), l0, random);
    for (const partition of partitions) {
      const inPartition = byPartition.get(partition) as typeof group;
      const chosen = inPartition.length <= lInf ? inPartition : reservoir(inPartition, lInf, random);
      for (const p of chosen) kept.push({ row: p.row, partition });
    }
  }
  return kept;
}
