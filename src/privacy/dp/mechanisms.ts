/**
 * Noise mechanisms for integer-valued queries, parameterized by the privacy loss they are allowed and
 * the sensitivity that contribution bounding guarantees.
 *
 * - Discrete Laplace (`laplace`): for a query whose value changes by at most Δ₁ (L1 sensitivity, an
 *   integer) when one learner's rows are added or removed, adding noise with P[x] ∝ exp(-ε|x|/Δ₁) is
 *   ε-differentially private (pure DP, δ = 0): the ratio of the two output distributions is at most
 *   exp(ε) at every point (CKS 2020 §2, the discrete analogue of the Laplace mechanism).
 * - Discrete Gaussian (`gaussian`): with L2 sensitivity Δ₂, noise N_Z(0, σ²) is ρ-zCDP with
 *   ρ = Δ₂²/(2σ²) (CKS 2020 §2). Given (ε, δ), σ is calibrated by `accounting.ts`: for a scalar query,
 *   the smallest σ whose exact (ε, δ) profile (CKS Theorem 7) meets δ, found by bisection; for a vector
 *   of counts, σ² = Δ₂²/(2ρ) with ρ the largest that CKS's zCDP → (ε, δ) conversion allows. Both are
 *   tighter than the Bun–Steinke ρ = (√(ε + ln 1/δ) − √(ln 1/δ))² used before (σ about 20–30% smaller).
 *   The mechanism reports its ρ, computed from the σ² actually sampled, for zCDP accounting.
 */
import { calibrateGaussian, zcdpEpsilon, zcdpRho } from "./accounting.js";
import type { RandomSource } from "./random.js";
import { decimalRational, discreteGaussian, discreteLaplace, type Rational, rational } from "./samplers.js";

export type NoiseKind = "laplace" | "gaussian";

export interface Mechanism {
  kind: "discrete-laplace" | "discrete-gaussian";
  /** The privacy loss this one release costs. */
  epsilon: number;
  delta: number;
  /** L1 sensitivity (Laplace) or L2 sensitivity (Gaussian), in the query's integer units. */
  sensitivity: number;
  /** Laplace: the scale Δ₁/ε; Gaussian: σ. */
  scale: number;
  /** The noise's exact variance (Laplace) or its upper bound σ² (Gaussian). */
  variance: number;
  /** Gaussian only: the zCDP parameter ρ. */
  rho?: number;
  /** Draws one noise value. */
  noise(random: RandomSource): bigint;
}

function checkEpsilon(epsilon: number): void {
  if (!(Number.isFinite(epsilon) && epsilon > 0))
    throw new RangeError(`ε must be a positive number (got ${epsilon})`);
}

function checkSensitivity(sensitivity: number): void {
  if (!(Number.isSafeInteger(sensitivity) && sensitivity >= 1))
    throw new RangeError(`the sensitivity must be a positive integer (got ${sensitivity})`);
}

/** The discrete Laplace mechanism for ε and integer L1 sensitivity Δ₁: scale Δ₁/ε = t/s exactly. */
export function laplaceMechanism(epsilon: number, l1Sensitivity: number): Mechanism {
  checkEpsilon(epsilon);
  checkSensitivity(l1Sensitivity);
  const eps = decimalRational(epsilon);
  // exp(-|x|·ε/Δ) = exp(-|x|·s/t) with s = ε_num, t = ε_den·Δ.
  const scaled = rational(eps.num, eps.den * BigInt(l1Sensitivity));
  const p = Math.exp(-epsilon / l1Sensitivity);
  return {
    kind: "discrete-laplace",
    epsilon,
    delta: 0,
    sensitivity: l1Sensitivity,
    scale: l1Sensitivity / epsilon,
    variance: (2 * p) / (1 - p) ** 2,
    noise: (random) => discreteLaplace(random, scaled.num, scaled.den),
  };
}

/**
 * The largest ρ such that ρ-zCDP implies (ε, δ)-DP, by CKS's conversion (`accounting.ts`); Bun and
 * Steinke's looser one is `bunSteinkeRho`.
 */
export function rhoFor(epsilon: number, delta: number): number {
  checkEpsilon(epsilon);
  checkGaussianDelta(delta);
  return zcdpRho(epsilon, delta);
}

function checkGaussianDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must be in (0, 1) for the Gaussian (got ${delta})`);
}

/**
 * σ² as an exact rational no smaller than the real value: bumped by a relative 1e-12 (far above the
 * double's rounding error), then rounded up to 15 decimals.
 */
function roundedUp(x: number): Rational {
  const bumped = x * (1 + 1e-12);
  if (bumped < 1e3) return rational(BigInt(Math.ceil(bumped * 1e15)), 10n ** 15n);
  return rational(BigInt(Math.ceil(bumped)), 1n);
}

/** Whether a query releases one number (count, sum, mean's parts) or a vector of counts. */
export type QueryShape = "scalar" | "vector";

function gaussianFromSigma2(
  sigma2: number,
  l2SensitivitySquared: number,
  guarantee: { epsilon: number; delta: number },
): Mechanism {
  const exact = roundedUp(sigma2);
  const variance = Number(exact.num) / Number(exact.den);
  return {
    kind: "discrete-gaussian",
    ...guarantee,
    sensitivity: Math.sqrt(l2SensitivitySquared),
    scale: Math.sqrt(variance),
    variance,
    rho: l2SensitivitySquared / (2 * variance),
    noise: (random) => discreteGaussian(random, exact),
  };
}

/**
 * The discrete Gaussian mechanism for (ε, δ) and an L2 sensitivity given by its square Δ₂² (an integer,
 * so that √ is never rounded down). A "scalar" query is calibrated on the exact profile; "vector" (the
 * default, valid for both) on the zCDP conversion.
 */
export function gaussianMechanism(
  epsilon: number,
  delta: number,
  l2SensitivitySquared: number,
  shape: QueryShape = "vector",
): Mechanism {
  checkEpsilon(epsilon);
  checkGaussianDelta(delta);
  checkSensitivity(l2SensitivitySquared);
  const { sigma2 } = calibrateGaussian(epsilon, delta, l2SensitivitySquared, shape);
  return gaussianFromSigma2(sigma2, l2SensitivitySquared, { epsilon, delta });
}

/**
 * The discrete Gaussian for a zCDP allowance ρ: σ² = Δ₂²/(2ρ). Its (ε, δ) fields say what it gives at
 * `delta` by CKS's conversion, for the report only: a zCDP ledger charges ρ.
 */
export function gaussianMechanismForRho(rho: number, l2SensitivitySquared: number, delta = 1e-6): Mechanism {
  if (!(Number.isFinite(rho) && rho > 0)) throw new RangeError(`ρ must be a positive number (got ${rho})`);
  checkGaussianDelta(delta);
  checkSensitivity(l2SensitivitySquared);
  const m = gaussianFromSigma2(l2SensitivitySquared / (2 * rho), l2SensitivitySquared, { epsilon: 0, delta });
  return { ...m, epsilon: zcdpEpsilon(m.rho as number, delta) };
}

/** The mechanism of a kind for the sensitivities contribution bounding gives. */
export function mechanismFor(
  kind: NoiseKind,
  budget: { epsilon: number; delta?: number },
  sensitivity: { l1: number; l2Squared: number },
  shape: QueryShape = "vector",
): Mechanism {
  if (kind === "laplace") return laplaceMechanism(budget.epsilon, sensitivity.l1);
  return gaussianMechanism(budget.epsilon, budget.delta ?? 0, sensitivity.l2Squared, shape);
}

/** What a released statistic's guarantee says in words, for the report. */
export function describe(mechanism: Mechanism): string {
  if (mechanism.kind === "discrete-laplace")
    return `discrete Laplace, scale ${fmt(mechanism.scale)} (L1 sensitivity ${mechanism.sensitivity}): ${fmt(mechanism.epsilon)}-DP`;
  return `discrete Gaussian, σ ${fmt(mechanism.scale)} (L2 sensitivity ${fmt(mechanism.sensitivity)}): ${fmt(mechanism.rho ?? 0)}-zCDP, hence (${fmt(mechanism.epsilon)}, ${mechanism.delta})-DP`;
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
