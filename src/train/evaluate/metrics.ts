import { TrainError } from "../errors.js";

/**
 * Metrics of a binary classifier's scores: pure functions of (scores, labels). Ties between scores
 * are handled exactly: the ROC-AUC is the Mann–Whitney U statistic (a tie counts one half), and
 * curves step once per distinct score.
 */
export function checkScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  where: string,
  probabilities = false,
): void {
  if (scores.length !== labels.length) {
    throw new TrainError(`${where}: ${scores.length} scores for ${labels.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) throw new TrainError(`${where}: score ${i} is not a finite number`);
    if (probabilities && (s < 0 || s > 1)) throw new TrainError(`${where}: score ${i} is not a probability`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new TrainError(`${where}: label ${i} is ${String(y)}, expected 0 or 1`);
  }
}

function classCounts(labels: ArrayLike<number>): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return { positives, negatives: labels.length - positives };
}

function needsBothClasses(
  labels: ArrayLike<number>,
  where: string,
): { positives: number; negatives: number } {
  const c = classCounts(labels);
  if (c.positives === 0 || c.negatives === 0) {
    throw new TrainError(`${where}: needs both classes (${c.positives} positives, ${c.negatives} negatives)`);
  }
  return c;
}

/** Indices sorted by score, descending (ties in index order, which no result depends on). */
function descending(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** ROC-AUC = P(score of a positive > score of a negative) + ½ P(tie), by mid-ranks. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkScores(scores, labels, "rocAuc");
  const { positives, negatives } = needsBothClasses(labels, "rocAuc");
  const order = descending(scores).reverse();
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface RocPoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

export interface PrPoint {
  readonly threshold: number;
  readonly recall: number;
  readonly precision: number;
}

/** Cumulative counts at each distinct score, from the highest down. */
function steps(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): { threshold: number; tp: number; fp: number }[] {
  const order = descending(scores);
  const out: { threshold: number; tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) out.push({ threshold: scores[i]!, tp, fp });
  }
  return out;
}

/** The ROC curve: (0, 0) at threshold +∞, then one point per distinct score, down to (1, 1). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  checkScores(scores, labels, "rocCurve");
  const { positives, negatives } = needsBothClasses(labels, "rocCurve");
  return [
    { threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 },
    ...steps(scores, labels).map((s) => ({
      threshold: s.threshold,
      fpr: s.fp / negatives,
      tpr: s.tp / positives,
    })),
  ];
}

/** The precision–recall curve: one point per distinct score (recall rising), after (0, 1). */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrPoint[] {
  checkScores(scores, labels, "prCurve");
  const { positives } = needsBothClasses(labels, "prCurve");
  return [
    { threshold: Number.POSITIVE_INFINITY, recall: 0, precision: 1 },
    ...steps(scores, labels).map((s) => ({
      threshold: s.threshold,
      recall: s.tp / positives,
      precision: s.tp / (s.tp + s.fp),
    })),
  ];
}

/** PR-AUC as average precision: Σ (R_k − R_{k−1}) P_k over distinct thresholds (no interpolation). */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const curve = prCurve(scores, labels);
  let ap = 0;
  for (let k = 1; k < curve.length; k++)
    ap += (curve[k]!.recall - curve[k - 1]!.recall) * curve[k]!.precision;
  return ap;
}

/** Mean squared difference between probability and outcome. */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkScores(probabilities, labels, "brierScore", true);
  if (labels.length === 0) throw new TrainError("brierScore: no row");
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (probabilities[i]! - labels[i]!) ** 2;
  return s / labels.length;
}

/** Mean log loss, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkScores(probabilities, labels, "logLoss", true);
  if (labels.length === 0) throw new TrainError("logLoss: no row");
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / labels.length;
}

export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability in the bin, and the observed share of positives. */
  readonly predicted: number;
  readonly observed: number;
}

export interface Calibration {
  readonly bins: CalibrationBin[];
  /** Expected calibration error: Σ (n_b / N) |observed_b − predicted_b| over non-empty bins. */
  readonly ece: number;
  /** Maximum calibration error over non-empty bins. */
  readonly mce: number;
}

/** Reliability bins of equal width on [0, 1] (a probability of exactly 1 falls in the last). */
export function calibration(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  binCount = 10,
): Calibration {
  checkScores(probabilities, labels, "calibration", true);
  if (!(Number.isInteger(binCount) && binCount >= 1 && binCount <= 1000)) {
    throw new TrainError("calibration.bins: an integer in 1..1000");
  }
  if (labels.length === 0) throw new TrainError("calibration: no row");
  const count = new Float64Array(binCount);
  const sumP = new Float64Array(binCount);
  const sumY = new Float64Array(binCount);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    const b = Math.min(binCount - 1, Math.floor(p * binCount));
    count[b] = count[b]! + 1;
    sumP[b] = sumP[b]! + p;
    sumY[b] = sumY[b]! + labels[i]!;
  }
  const bins: CalibrationBin[] = [];
  let ece = 0;
  let mce = 0;
  for (let b = 0; b < binCount; b++) {
    const c = count[b]!;
    if (c === 0) continue;
    const predicted = sumP[b]! / c;
    const observed = sumY[b]! / c;
    const gap = Math.abs(observed - predicted);
    ece += (c / labels.length) * gap;
    mce = Math.max(mce, gap);
    bins.push({ lower: b / binCount, upper: (b + 1) / binCount, count: c, predicted, observed });
  }
  return { bins, ece, mce };
}

export interface Summary {
  readonly n: number;
  readonly positives: number;
  readonly auc: number;
  readonly averagePrecision: number;
  readonly brier: number;
  readonly logLoss: number;
  readonly ece: number;
}

/** The headline metrics of one evaluation. */
export function summarize(probabilities: ArrayLike<number>, labels: ArrayLike<number>): Summary {
  return {
    n: labels.length,
    positives: classCounts(labels).positives,
    auc: rocAuc(probabilities, labels),
    averagePrecision: averagePrecision(probabilities, labels),
    brier: brierScore(probabilities, labels),
    logLoss: logLoss(probabilities, labels),
    ece: calibration(probabilities, labels).ece,
  };
}

export { classCounts };
