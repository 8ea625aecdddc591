import { zcdpEpsilon, zcdpRho } from "../../privacy/dp/accounting.js";
import { type Charge, NoBudgetError, type PrivacyLedger } from "../../privacy/dp/ledger.js";
import { type RandomSource, SeededRandom, secureRandom } from "../../privacy/dp/random.js";
import { TrainError } from "../errors.js";
import type { LogisticModel } from "../models/logistic.js";
import { checkLabels, checkTable, type FeatureTable } from "../table.js";

/**
 * Differentially private logistic regression by full-batch noisy gradient descent.
 *
 * Why this one: there is no accountant for the *subsampled* Gaussian in privacy/dp (only zCDP, which
 * subsampling does not amplify in closed form), so minibatch DP-SGD could not be accounted exactly.
 * Without subsampling every step is a plain Gaussian mechanism and zCDP composes exactly:
 *
 * - Neighbours: one learner's row added or removed (the ledger's relation, privacy/dp/mechanisms.ts).
 *   The table must hold one row per learner (the pool's per-learner views): a learner with k rows
 *   would move the sum by kC, and the guarantee would hold for k-fold ε only.
 * - Each row's gradient of the log loss in (β, b), (σ(η) − y)·(x̃, 1), is clipped to L2 norm C, so the
 *   sum S_t over rows changes by at most C in L2 when one row comes or goes.
 * - Step t releases S_t + N(0, σ²C²·I): the Gaussian mechanism with Δ₂ = C and noise sd σC is
 *   Δ₂²/(2(σC)²) = 1/(2σ²)-zCDP (Bun and Steinke 2016, Proposition 1.6); T steps, chosen adaptively,
 *   compose to T/(2σ²) (their Lemma 2.3).
 * - The step divides by the row count n, which itself changes by one between neighbours: n is released
 *   once as ñ = n + N(0, σ_n²), 1/(2σ_n²)-zCDP (sensitivity 1), and the steps use ñ (post-processing).
 * - Total: ρ = T/(2σ²) + 1/(2σ_n²). Given (ε, δ), ρ is the largest that CKS 2020's conversion allows
 *   (`zcdpRho`); a share of it (default 2 %) goes to the count and the rest fixes σ. σ and σ_n are padded
 *   up by 1e-12 relative so that rounding never spends more than ρ.
 * - Everything else is data-independent: the start (0), the features' scaling (public bounds given by
 *   the caller, never the training means — those would leak), missing values (0 after scaling), the L2
 *   penalty and the step size. No training loss is computed or reported: it would not be private.
 *
 * The noise is the continuous Gaussian by Box–Muller on 48-bit uniforms from the DP module's sources
 * (node:crypto in production, an AES-CTR keystream under a seed for tests). Known limits, stated in the
 * model card: floating-point noise is not the exact discrete sampler the statistics use (Mironov 2012),
 * and the 48-bit uniforms cut the tails beyond about 8σ (a δ far below 1e-12).
 */
export interface DpLogisticParams {
  readonly epsilon: number;
  readonly delta: number;
  /** Per-row gradient norm bound C (default 1). */
  readonly clip?: number;
  /** Full-batch steps, one per epoch (default 100): every step spends privacy, more is not free. */
  readonly epochs?: number;
  /** Gradient step (default 1). */
  readonly learningRate?: number;
  /** L2 penalty on the scaled coefficients (default 1e-3); data-independent, so free. */
  readonly l2?: number;
  /** Public bounds of each feature (from the data dictionary, never from the data): scaled to [−1, 1]. */
  readonly bounds?: readonly { readonly low: number; readonly high: number }[];
  /** Share of ρ spent on the noisy row count (default 0.02). */
  readonly countShare?: number;
  /** Tests and benchmarks only: a seed makes the noise reproducible (whoever knows it knows the noise). */
  readonly seed?: number | string;
}

/** How a DP training was accounted: what the model card and the gate report. */
export interface DpAccounting {
  readonly epsilon: number;
  readonly delta: number;
  /** ρ = T/(2σ²) + 1/(2σ_n²): what a zCDP budget is charged. */
  readonly rho: number;
  readonly rhoGradients: number;
  readonly rhoCount: number;
  /** σ: the gradient noise sd is σ·C. */
  readonly noiseMultiplier: number;
  readonly countSigma: number;
  readonly clip: number;
  readonly epochs: number;
}

export interface DpReport extends DpAccounting {
  readonly mechanism: string;
  readonly seeded: boolean;
  /** The ledger's record, when charged (fitDpLogistic always charges). */
  readonly charge?: Charge;
}

export const DP_MECHANISM = "full-batch noisy gradient descent (Gaussian, per-row clipping, zCDP)";

const PAD = 1 + 1e-12;

function positive(value: number, where: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new TrainError(`${where}: must be a positive number`);
}

/** The noise that (ε, δ) buys for T steps: pure, so that tests and a job's plan can read it. */
export function dpLogisticAccounting(params: {
  epsilon: number;
  delta: number;
  epochs?: number;
  clip?: number;
  countShare?: number;
}): DpAccounting {
  const { epsilon, delta } = params;
  positive(epsilon, "dpLogistic.epsilon");
  if (!(delta > 0 && delta < 1)) throw new TrainError("dpLogistic.delta: must be in (0, 1)");
  const epochs = params.epochs ?? 100;
  if (!(Number.isInteger(epochs) && epochs >= 1 && epochs <= 100_000))
    throw new TrainError("dpLogistic.epochs: an integer in 1..100000");
  const clip = params.clip ?? 1;
  positive(clip, "dpLogistic.clip");
  const countShare = params.countShare ?? 0.02;
  if (!(countShare > 0 && countShare < 1)) throw new TrainError("dpLogistic.countShare: must be in (0, 1)");
  const rho = zcdpRho(epsilon, delta);
  const rhoCount = countShare * rho;
  const rhoGradients = rho - rhoCount;
  const noiseMultiplier = Math.sqrt(epochs / (2 * rhoGradients)) * PAD;
  const countSigma = Math.sqrt(1 / (2 * rhoCount)) * PAD;
  return {
    epsilon,
    delta,
    // What the noise actually costs (a hair below ρ, by the padding): the amount charged.
    rho: epochs / (2 * noiseMultiplier ** 2) + 1 / (2 * countSigma ** 2),
    rhoGradients: epochs / (2 * noiseMultiplier ** 2),
    rhoCount: 1 / (2 * countSigma ** 2),
    noiseMultiplier,
    countSigma,
    clip,
    epochs,
  };
}

const TWO_48 = 2 ** 48;

/** N(0, 1) by Box–Muller from two 48-bit uniforms; u1 in (0, 1] keeps the log finite. */
export function standardNormal(random: RandomSource): number {
  const u1 = (random.belowSmall(TWO_48) + 1) / TWO_48;
  const u2 = random.belowSmall(TWO_48) / TWO_48;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

function scaling(
  table: FeatureTable,
  bounds: DpLogisticParams["bounds"],
): { means: number[]; sds: number[] } {
  const p = table.columns.length;
  if (bounds === undefined) return { means: new Array(p).fill(0), sds: new Array(p).fill(1) };
  if (bounds.length !== p)
    throw new TrainError(`dpLogistic.bounds: ${bounds.length} bounds for ${p} features`);
  const means: number[] = [];
  const sds: number[] = [];
  bounds.forEach((b, j) => {
    if (!(Number.isFinite(b.low) && Number.isFinite(b.high) && b.high > b.low))
      throw new TrainError(`dpLogistic.bounds[${j}] (${table.names[j]}): low < high, both finite`);
    means.push((b.low + b.high) / 2);
    sds.push((b.high - b.low) / 2);
  });
  return { means, sds };
}

/**
 * The training itself, uncharged: only `fitDpLogistic` may hand its model out (it charges the ledger
 * first). Exported for tests of the mechanism.
 */
export function trainDpLogistic(
  table: FeatureTable,
  labels: ArrayLike<number>,
  params: DpLogisticParams,
  random: RandomSource,
): { model: LogisticModel; accounting: DpAccounting } {
  checkTable(table, "training table");
  checkLabels(labels, table.rows, "training labels", false);
  const accounting = dpLogisticAccounting(params);
  const l2 = params.l2 ?? 1e-3;
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new TrainError("dpLogistic.l2: must be a number ≥ 0");
  const rate = params.learningRate ?? 1;
  positive(rate, "dpLogistic.learningRate");
  const { means, sds } = scaling(table, params.bounds);
  const n = table.rows;
  const p = table.columns.length;
  const m = p + 1;
  const x = new Float64Array(n * p);
  table.columns.forEach((column, j) => {
    for (let i = 0; i < n; i++) {
      const v = column[i]!;
      x[i * p + j] = Number.isNaN(v) ? 0 : (v - means[j]!) / sds[j]!;
    }
  });
  const { clip, noiseMultiplier, countSigma, epochs } = accounting;
  // The noisy count, at least 1: a divisor released once, reused by every step.
  const count = Math.max(1, n + countSigma * standardNormal(random));
  const beta = new Float64Array(m);
  const sum = new Float64Array(m);
  const g = new Float64Array(m);
  for (let t = 0; t < epochs; t++) {
    sum.fill(0);
    for (let i = 0; i < n; i++) {
      const base = i * p;
      let eta = beta[p]!;
      for (let j = 0; j < p; j++) eta += x[base + j]! * beta[j]!;
      const r = 1 / (1 + Math.exp(-eta)) - labels[i]!;
      let norm2 = r * r;
      for (let j = 0; j < p; j++) {
        g[j] = r * x[base + j]!;
        norm2 += g[j]! * g[j]!;
      }
      g[p] = r;
      const norm = Math.sqrt(norm2);
      const scale = norm > clip ? clip / norm : 1;
      for (let a = 0; a < m; a++) sum[a] = sum[a]! + g[a]! * scale;
    }
    for (let a = 0; a < m; a++) {
      const noisy = sum[a]! + noiseMultiplier * clip * standardNormal(random);
      const ridge = a < p ? l2 * beta[a]! : 0;
      beta[a] = beta[a]! - rate * (noisy / count + ridge);
    }
  }
  const model: LogisticModel = {
    kind: "logistic",
    featureNames: [...table.names],
    means,
    sds,
    coefficients: Array.from(beta.subarray(0, p)),
    intercept: beta[p]!,
    params: { l2, l1: 0, classWeights: null },
    // The training loss would not be private: not computed, so NaN (null in JSON).
    fit: { method: "dp-gradient-descent", iterations: epochs, converged: false, objective: Number.NaN },
  };
  return { model, accounting };
}

/** Where the ε is charged: the version's dataset name and the consumer, as every DP release. */
export interface DpCharge {
  readonly ledger: PrivacyLedger;
  readonly dataset: string;
  readonly consumer: string;
  readonly actor: string;
}

/**
 * Trains a differentially private logistic model and charges its (ε, δ) — its ρ for a zCDP budget —
 * to the ledger before returning it. A refused charge (no budget, budget spent) throws the ledger's
 * error and the model is dropped. Same seed, same model.
 */
export async function fitDpLogistic(
  table: FeatureTable,
  labels: ArrayLike<number>,
  params: DpLogisticParams,
  charge: DpCharge,
): Promise<{ model: LogisticModel; dp: DpReport }> {
  // Fail before the work when no budget exists; the charge below is the binding check.
  if (!(await charge.ledger.status(charge.dataset, charge.consumer)))
    throw new NoBudgetError(charge.dataset, charge.consumer);
  const random = params.seed === undefined ? secureRandom() : new SeededRandom(params.seed);
  const trained = trainDpLogistic(table, labels, params, random);
  const { accounting } = trained;
  const { result, charge: record } = await charge.ledger.spend(
    {
      dataset: charge.dataset,
      consumer: charge.consumer,
      epsilon: accounting.epsilon,
      delta: accounting.delta,
      rho: accounting.rho,
      statistic: `logistic model (${table.columns.length} features, ${accounting.epochs} steps)`,
      mechanism: DP_MECHANISM,
      actor: charge.actor,
    },
    () => trained.model,
  );
  return {
    model: result,
    dp: { ...accounting, mechanism: DP_MECHANISM, seeded: params.seed !== undefined, charge: record },
  };
}

/** The (ε, δ) a report's ρ implies (CKS conversion): never above the ε asked for. */
export function impliedEpsilon(accounting: Pick<DpAccounting, "rho" | "delta">): number {
  return zcdpEpsilon(accounting.rho, accounting.delta);
}
