import { TrainError } from "../errors.js";

/**
 * The membership-inference test of the release gate: the loss-threshold attack of Yeom, Giacomelli,
 * Fredrikson and Jha ("Privacy Risk in Machine Learning: Analyzing the Connection to Overfitting",
 * CSF 2018). The attacker guesses "was in the training set" when the model's loss on a learner is at
 * most a threshold τ. Its membership advantage at τ is TPR(τ) − FPR(τ): the share of held-in learners
 * caught minus the share of held-out learners wrongly caught. We report the best τ (the attacker who
 * knows the best threshold: an upper bound on what a fixed-threshold attacker achieves on these
 * samples), and the attack's AUC, P(loss_in < loss_out) + ½ P(tie), which is threshold-free.
 *
 * Exact and O(n log n): one sort of all losses, then one sweep over the distinct values (ties move
 * together, as a threshold cannot split them).
 */
export interface MembershipInference {
  /** max over τ of TPR − FPR, in [0, 1]; 0 when no threshold does better than chance. */
  readonly advantage: number;
  /** The best threshold: "member" when loss ≤ threshold (−Infinity when no τ beats chance). */
  readonly threshold: number;
  readonly truePositiveRate: number;
  readonly falsePositiveRate: number;
  /** AUC of the attack score −loss: 0.5 is chance, 1 is every held-in loss below every held-out one. */
  readonly auc: number;
  readonly heldIn: number;
  readonly heldOut: number;
  /**
   * What chance alone reaches: the advantage that a model revealing nothing (losses in and out from one
   * distribution) exceeds with probability about 5 % on samples of these sizes — the one-sided
   * two-sample Kolmogorov–Smirnov statistic's asymptotic quantile, √(ln 20 · (m + n) / (2mn)) (Smirnov).
   * An advantage below it is not evidence of leakage; a bound set below it withholds honest models.
   */
  readonly chanceLevel: number;
}

/** Log loss of one prediction, −[y ln p + (1 − y) ln(1 − p)], with p kept in [1e-15, 1 − 1e-15]. */
export function perExampleLoss(p: number, y: number): number {
  if (!(p >= 0 && p <= 1)) throw new TrainError(`perExampleLoss: p = ${p} is not a probability`);
  if (y !== 0 && y !== 1) throw new TrainError(`perExampleLoss: y = ${String(y)}, expected 0 or 1`);
  const q = Math.min(1 - 1e-15, Math.max(1e-15, p));
  return y === 1 ? -Math.log(q) : -Math.log1p(-q);
}

/** The loss of each row: the input of the attack, from a model's probabilities on held-in or held-out rows. */
export function perExampleLosses(probabilities: ArrayLike<number>, labels: ArrayLike<number>): Float64Array {
  if (probabilities.length !== labels.length)
    throw new TrainError(
      `perExampleLosses: ${probabilities.length} probabilities for ${labels.length} labels`,
    );
  const out = new Float64Array(labels.length);
  for (let i = 0; i < out.length; i++) out[i] = perExampleLoss(probabilities[i]!, labels[i]!);
  return out;
}

function checkLosses(losses: ArrayLike<number>, where: string): void {
  if (losses.length === 0) throw new TrainError(`membershipInference.${where}: no loss`);
  for (let i = 0; i < losses.length; i++) {
    const v = losses[i]!;
    if (!(Number.isFinite(v) && v >= 0))
      throw new TrainError(`membershipInference.${where}[${i}]: a loss is a finite number ≥ 0`);
  }
}

export function membershipInference(input: {
  lossesIn: ArrayLike<number>;
  lossesOut: ArrayLike<number>;
}): MembershipInference {
  const { lossesIn, lossesOut } = input;
  checkLosses(lossesIn, "lossesIn");
  checkLosses(lossesOut, "lossesOut");
  const nIn = lossesIn.length;
  const nOut = lossesOut.length;
  // All losses ascending, each tagged held-in (1) or held-out (0).
  const values = new Float64Array(nIn + nOut);
  const isIn = new Uint8Array(nIn + nOut);
  for (let i = 0; i < nIn; i++) {
    values[i] = lossesIn[i]!;
    isIn[i] = 1;
  }
  for (let i = 0; i < nOut; i++) values[nIn + i] = lossesOut[i]!;
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]!);

  let caughtIn = 0;
  let caughtOut = 0;
  // TPR − FPR compared as the integer caughtIn·nOut − caughtOut·nIn: exact, so equal advantages tie
  // and the first (fewest false positives) is kept.
  let best = { score: 0, threshold: Number.NEGATIVE_INFINITY, caughtIn: 0, caughtOut: 0 };
  // Mann–Whitney: each held-in loss counts the held-out losses above it, a tie one half.
  let wins = 0;
  let k = 0;
  while (k < order.length) {
    const value = values[order[k]!]!;
    let tiedIn = 0;
    let tiedOut = 0;
    while (k < order.length && values[order[k]!] === value) {
      if (isIn[order[k]!] === 1) tiedIn++;
      else tiedOut++;
      k++;
    }
    wins += tiedIn * (nOut - caughtOut - tiedOut) + 0.5 * tiedIn * tiedOut;
    caughtIn += tiedIn;
    caughtOut += tiedOut;
    const score = caughtIn * nOut - caughtOut * nIn;
    if (score > best.score) best = { score, threshold: value, caughtIn, caughtOut };
  }
  return {
    advantage: best.score / (nIn * nOut),
    threshold: best.threshold,
    truePositiveRate: best.caughtIn / nIn,
    falsePositiveRate: best.caughtOut / nOut,
    auc: wins / (nIn * nOut),
    heldIn: nIn,
    heldOut: nOut,
    chanceLevel: Math.sqrt((Math.log(20) * (nIn + nOut)) / (2 * nIn * nOut)),
  };
}
