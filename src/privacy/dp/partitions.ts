/**
 * Partition selection for group keys not declared in advance (Desfontaines, Voss, Gipson, Mandayam,
 * "Differentially private partition selection", PoPETs 2022; the Laplace thresholding of Google's
 * differential-privacy library). Releasing the list of keys seen would reveal a learner who alone holds a
 * key; instead each partition's number of distinct learners, after every learner was cut to at most L0
 * partitions, gets discrete Laplace noise of scale L0/ε, and the partition is kept only when the noisy
 * count reaches a threshold τ. τ is the smallest integer such that a partition of a single learner is
 * kept with probability at most δ' = 1 - (1 - δ)^(1/L0) (Google's per-partition δ), so that the set of
 * kept partitions is (ε, δ)-DP: ε from the Laplace noise over the L0 partitions a learner touches, δ for
 * the partitions whose existence hangs on that learner alone.
 */
import { laplaceMechanism, type Mechanism } from "./mechanisms.js";
import type { RandomSource } from "./random.js";

export interface PartitionSelection {
  mechanism: Mechanism;
  /** Keep a partition when (distinct learners + noise) ≥ threshold. */
  threshold: number;
  /** The per-partition δ'. */
  partitionDelta: number;
}

/**
 * τ for discrete Laplace noise with p = exp(-ε/L0): P[1 + Z ≥ τ] = p^(τ-1)/(1 + p) for τ ≥ 2, so τ is
 * 1 + ⌈ln(δ'(1 + p)) / ln p⌉, and never below 2 (a partition of one learner is never kept for sure).
 */
export function partitionSelection(
  epsilon: number,
  delta: number,
  maxPartitions: number,
): PartitionSelection {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`partition selection needs δ in (0, 1) (got ${delta})`);
  const mechanism = laplaceMechanism(epsilon, maxPartitions);
  const partitionDelta = -Math.expm1(Math.log1p(-delta) / maxPartitions);
  const p = Math.exp(-epsilon / maxPartitions);
  let threshold = Math.max(2, 1 + Math.ceil(Math.log(partitionDelta * (1 + p)) / Math.log(p)));
  // Guard the floating-point ceiling: step until the tail bound holds, and not one step further.
  const tail = (tau: number) => p ** (tau - 1) / (1 + p);
  while (tail(threshold) > partitionDelta) threshold++;
  while (threshold > 2 && tail(threshold - 1) <= partitionDelta) threshold--;
  return { mechanism, threshold, partitionDelta };
}

/** The partitions kept, given each partition's number of distinct learners (after L0 bounding). */
export function selectPartitions(
  learnersPerPartition: ReadonlyMap<string, number>,
  selection: PartitionSelection,
  random: RandomSource,
): Set<string> {
  const kept = new Set<string>();
  for (const [partition, learners] of learnersPerPartition) {
    if (BigInt(learners) + selection.mechanism.noise(random) >= BigInt(selection.threshold))
      kept.add(partition);
  }
  return kept;
}
