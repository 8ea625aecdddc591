import { TrainError } from "../errors.js";
import {
  type ClassWeights,
  checkFeatures,
  checkLabels,
  checkTable,
  type FeatureTable,
  rowWeights,
} from "../table.js";
import { sigmoid, softplus, solveSpd } from "./linalg.js";

/**
 * Regularized logistic regression on standardized features. Objective, over standardized features z:
 *   (1/W) Σ w_i [log(1 + e^{η_i}) − y_i η_i] + (l2/2)‖β‖² + l1‖β‖₁,  η = b + z·β
 * (the intercept is not penalized). Without l1 it is fitted by Newton's method with a backtracking
 * line search (exact Hessian: a few hundred features at most); with l1, by FISTA proximal-gradient
 * steps. Both are deterministic: the fit takes no random draw, so the seed does not change it.
 * A missing value (NaN) is replaced by the training mean, i.e. 0 once standardized.
 */
export interface LogisticParams {
  /** L2 penalty on standardized coefficients (default 1e-4). */
  readonly l2?: number;
  /** L1 penalty on standardized coefficients (default 0: Newton; > 0: proximal gradient). */
  readonly l1?: number;
  readonly classWeights?: ClassWeights;
  readonly maxIterations?: number;
  /** Convergence: Newton decrement / 2, or the largest coefficient change under l1 (default 1e-10 / 1e-7). */
  readonly tolerance?: number;
}

export interface LogisticModel {
  readonly kind: "logistic";
  readonly featureNames: readonly string[];
  /** Training means and standard deviations of each feature (sd 1 for a constant feature). */
  readonly means: readonly number[];
  readonly sds: readonly number[];
  /** Coefficients on the standardized features, and the intercept. */
  readonly coefficients: readonly number[];
  readonly intercept: number;
  readonly params: { l2: number; l1: number; classWeights: ClassWeights | null };
  readonly fit: {
    /** "dp-gradient-descent": release/dp-logistic.ts (differentially private; no objective reported). */
    readonly method: "newton" | "fista" | "dp-gradient-descent";
    readonly iterations: number;
    readonly converged: boolean;
    readonly objective: number;
  };
}

export function fitLogistic(
  table: FeatureTable,
  labels: ArrayLike<number>,
  params: LogisticParams = {},
): LogisticModel {
  checkTable(table, "training table");
  checkLabels(labels, table.rows, "training labels");
  const l2 = params.l2 ?? 1e-4;
  const l1 = params.l1 ?? 0;
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new TrainError("logistic.l2: must be a number ≥ 0");
  if (!(l1 >= 0 && Number.isFinite(l1))) throw new TrainError("logistic.l1: must be a number ≥ 0");
  const n = table.rows;
  const p = table.columns.length;
  const { means, sds } = standardization(table);
  const z = standardizedRows(table, means, sds);
  const w = rowWeights(labels, params.classWeights);
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += w[i]!;
  for (let i = 0; i < n; i++) w[i] = w[i]! / totalWeight;
  const y = Float64Array.from(labels as ArrayLike<number>);
  const problem: Problem = { n, p, z, y, w, l2, l1 };
  const result =
    l1 > 0
      ? fista(problem, params.maxIterations ?? 5000, params.tolerance ?? 1e-7)
      : newton(problem, params.maxIterations ?? 100, params.tolerance ?? 1e-10);
  return {
    kind: "logistic",
    featureNames: [...table.names],
    means,
    sds,
    coefficients: Array.from(result.beta.subarray(0, p)),
    intercept: result.beta[p]!,
    params: { l2, l1, classWeights: params.classWeights ?? null },
    fit: {
      method: l1 > 0 ? "fista" : "newton",
      iterations: result.iterations,
      converged: result.converged,
      objective: result.objective,
    },
  };
}

/** P(y = 1) for each row; the table's features must be the model's, in its order. */
export function predictLogistic(model: LogisticModel, table: FeatureTable): Float64Array {
  checkFeatures(model.featureNames, table);
  const out = new Float64Array(table.rows);
  out.fill(model.intercept);
  model.coefficients.forEach((beta, j) => {
    const column = table.columns[j]!;
    const mean = model.means[j]!;
    const sd = model.sds[j]!;
    for (let i = 0; i < table.rows; i++) {
      const v = column[i]!;
      if (!Number.isNaN(v)) out[i] = out[i]! + (beta * (v - mean)) / sd;
    }
  });
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(out[i]!);
  return out;
}

/** Coefficients on the original scale of the features (what a reader of the model card expects). */
export function originalScale(model: LogisticModel): { intercept: number; coefficients: number[] } {
  let intercept = model.intercept;
  const coefficients = model.coefficients.map((beta, j) => {
    intercept -= (beta * model.means[j]!) / model.sds[j]!;
    return beta / model.sds[j]!;
  });
  return { intercept, coefficients };
}

function standardization(table: FeatureTable): { means: number[]; sds: number[] } {
  const means: number[] = [];
  const sds: number[] = [];
  for (const column of table.columns) {
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < column.length; i++) {
      const v = column[i]!;
      if (Number.isNaN(v)) continue;
      count++;
      const d = v - mean;
      mean += d / count;
      m2 += d * (v - mean);
    }
    const sd = count > 1 ? Math.sqrt(m2 / count) : 0;
    means.push(count > 0 ? mean : 0);
    sds.push(sd > 1e-12 ? sd : 1);
  }
  return { means, sds };
}

/** Row-major standardized matrix, missing → 0: the Hessian is accumulated a row at a time. */
function standardizedRows(table: FeatureTable, means: number[], sds: number[]): Float64Array {
  const p = table.columns.length;
  const z = new Float64Array(table.rows * p);
  table.columns.forEach((column, j) => {
    const mean = means[j]!;
    const sd = sds[j]!;
    for (let i = 0; i < table.rows; i++) {
      const v = column[i]!;
      z[i * p + j] = Number.isNaN(v) ? 0 : (v - mean) / sd;
    }
  });
  return z;
}

interface Problem {
  n: number;
  p: number;
  z: Float64Array;
  y: Float64Array;
  w: Float64Array;
  l2: number;
  l1: number;
}

interface FitResult {
  beta: Float64Array;
  iterations: number;
  converged: boolean;
  objective: number;
}

/** β holds the p coefficients then the intercept. */
function linear(problem: Problem, beta: Float64Array, eta: Float64Array): void {
  const { n, p, z } = problem;
  const b = beta[p]!;
  for (let i = 0; i < n; i++) {
    let s = b;
    const base = i * p;
    for (let j = 0; j < p; j++) s += z[base + j]! * beta[j]!;
    eta[i] = s;
  }
}

function smoothObjective(problem: Problem, beta: Float64Array, eta: Float64Array): number {
  const { n, p, y, w, l2 } = problem;
  let loss = 0;
  for (let i = 0; i < n; i++) loss += w[i]! * (softplus(eta[i]!) - y[i]! * eta[i]!);
  let ridge = 0;
  for (let j = 0; j < p; j++) ridge += beta[j]! * beta[j]!;
  return loss + (l2 / 2) * ridge;
}

function l1Norm(beta: Float64Array, p: number): number {
  let s = 0;
  for (let j = 0; j < p; j++) s += Math.abs(beta[j]!);
  return s;
}

function gradient(problem: Problem, beta: Float64Array, eta: Float64Array): Float64Array {
  const { n, p, z, y, w, l2 } = problem;
  const g = new Float64Array(p + 1);
  for (let i = 0; i < n; i++) {
    const r = w[i]! * (sigmoid(eta[i]!) - y[i]!);
    const base = i * p;
    for (let j = 0; j < p; j++) g[j] = g[j]! + r * z[base + j]!;
    g[p] = g[p]! + r;
  }
  for (let j = 0; j < p; j++) g[j] = g[j]! + l2 * beta[j]!;
  return g;
}

function newton(problem: Problem, maxIterations: number, tolerance: number): FitResult {
  const { n, p, z, w, l2 } = problem;
  const m = p + 1;
  let beta: Float64Array = new Float64Array(m);
  const eta = new Float64Array(n);
  linear(problem, beta, eta);
  let objective = smoothObjective(problem, beta, eta);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const g = gradient(problem, beta, eta);
    const h = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      const pi = sigmoid(eta[i]!);
      const d = w[i]! * pi * (1 - pi);
      if (d === 0) continue;
      const base = i * p;
      for (let a = 0; a < p; a++) {
        const da = d * z[base + a]!;
        const row = a * m;
        for (let b = 0; b <= a; b++) h[row + b] = h[row + b]! + da * z[base + b]!;
        h[p * m + a] = h[p * m + a]! + da;
      }
      h[p * m + p] = h[p * m + p]! + d;
    }
    // The lower triangle was accumulated (the intercept is the last row); mirror it.
    for (let a = 0; a < m; a++) {
      if (a < p) h[a * m + a] = h[a * m + a]! + l2;
      for (let b = 0; b < a; b++) h[b * m + a] = h[a * m + b]!;
    }
    const step = solveSpd(h, g, m);
    let decrement = 0;
    for (let a = 0; a < m; a++) decrement += g[a]! * step[a]!;
    if (decrement / 2 < tolerance) {
      // Close enough for the quadratic model: its full step lands within rounding of the optimum.
      const last = new Float64Array(m);
      for (let a = 0; a < m; a++) last[a] = beta[a]! - step[a]!;
      linear(problem, last, eta);
      return {
        beta: last,
        iterations: iteration,
        converged: true,
        objective: smoothObjective(problem, last, eta),
      };
    }
    // Backtracking (Armijo): Newton's full step can overshoot while the fit is far from the optimum.
    let t = 1;
    for (;;) {
      const next = new Float64Array(m);
      for (let a = 0; a < m; a++) next[a] = beta[a]! - t * step[a]!;
      linear(problem, next, eta);
      const value = smoothObjective(problem, next, eta);
      if (value <= objective - 0.25 * t * decrement || t < 1e-10) {
        beta = next;
        objective = value;
        break;
      }
      t /= 2;
    }
  }
  return { beta, iterations: maxIterations, converged: false, objective };
}

/** FISTA with backtracking on the smooth part, soft-thresholding on the coefficients (not the intercept). */
function fista(problem: Problem, maxIterations: number, tolerance: number): FitResult {
  const { n, p, l1 } = problem;
  const m = p + 1;
  let beta: Float64Array = new Float64Array(m);
  let momentum: Float64Array = new Float64Array(m);
  let t = 1;
  let lipschitz = 1;
  const eta = new Float64Array(n);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    linear(problem, momentum, eta);
    const base = smoothObjective(problem, momentum, eta);
    const g = gradient(problem, momentum, eta);
    let next: Float64Array = momentum;
    for (;;) {
      next = new Float64Array(m);
      for (let a = 0; a < m; a++) {
        const v = momentum[a]! - g[a]! / lipschitz;
        const kept = Math.abs(v) - l1 / lipschitz;
        next[a] = a === p ? v : kept > 0 ? Math.sign(v) * kept : 0;
      }
      linear(problem, next, eta);
      let bound = base;
      let sq = 0;
      for (let a = 0; a < m; a++) {
        const d = next[a]! - momentum[a]!;
        bound += g[a]! * d;
        sq += d * d;
      }
      bound += (lipschitz / 2) * sq;
      if (smoothObjective(problem, next, eta) <= bound + 1e-15) break;
      lipschitz *= 2;
    }
    let change = 0;
    for (let a = 0; a < m; a++) change = Math.max(change, Math.abs(next[a]! - beta[a]!));
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const nextMomentum = new Float64Array(m);
    for (let a = 0; a < m; a++) nextMomentum[a] = next[a]! + ((t - 1) / tNext) * (next[a]! - beta[a]!);
    beta = next;
    momentum = nextMomentum;
    t = tNext;
    if (change < tolerance) {
      linear(problem, beta, eta);
      return {
        beta,
        iterations: iteration,
        converged: true,
        objective: smoothObjective(problem, beta, eta) + l1 * l1Norm(beta, p),
      };
    }
  }
  linear(problem, beta, eta);
  return {
    beta,
    iterations: maxIterations,
    converged: false,
    objective: smoothObjective(problem, beta, eta) + l1 * l1Norm(beta, p),
  };
}
