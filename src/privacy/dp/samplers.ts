/**
 * Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
 * (NeurIPS 2020, arXiv:2004.00010), §5: Bernoulli(exp(-γ)) (Algorithm 1), the discrete Laplace
 * (Algorithm 2) and the discrete Gaussian (Algorithm 3). Every parameter is a rational of BigInts and
 * every draw a uniform integer, so the output distribution is exactly the stated one: no floating point
 * touches the noise, which closes the attacks on floating-point Laplace (Mironov 2012).
 */
import type { RandomSource } from "./random.js";

/** A non-negative rational num/den, den > 0. */
export interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den: bigint): Rational {
  if (den <= 0n || num < 0n) throw new RangeError(`not a non-negative rational: ${num}/${den}`);
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/**
 * The exact rational of a finite number's shortest decimal form ("0.1" is 1/10, not the binary double
 * nearest to it): what the user wrote when they wrote ε = 0.1.
 */
export function decimalRational(x: number): Rational {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`not a finite non-negative number: ${x}`);
  const [mantissa = "0", exponentText] = x.toString().split("e");
  const exponent = exponentText ? Number(exponentText) : 0;
  const [whole = "0", fraction = ""] = mantissa.split(".");
  const digits = BigInt(whole + fraction);
  const scale = fraction.length - exponent;
  return scale >= 0 ? rational(digits, 10n ** BigInt(scale)) : rational(digits * 10n ** BigInt(-scale), 1n);
}

/** Integer square root, floor(√n). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt of a negative number");
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton steps from the double's estimate, then fix the last unit either way.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** Bernoulli(num/den), num ≤ den: one uniform draw below den. */
export function bernoulli(random: RandomSource, num: bigint, den: bigint): boolean {
  return random.below(den) < num;
}

/**
 * Bernoulli(exp(-γ)) for γ = num/den ≥ 0 (CKS Algorithm 1). For γ ≤ 1: draw A_k ~ Bernoulli(γ/k) for
 * k = 1, 2, … until the first 0; the number K of the stopping draw is odd with probability exactly
 * exp(-γ). For γ > 1: exp(-γ) = exp(-1)^⌊γ⌋ · exp(-(γ - ⌊γ⌋)), each factor drawn independently.
 */
export function bernoulliExpNeg(random: RandomSource, num: bigint, den: bigint): boolean {
  if (num <= den) {
    let k = 1n;
    while (bernoulli(random, num, den * k)) k += 1n;
    return (k & 1n) === 1n;
  }
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpNeg(random, 1n, 1n)) return false;
  return bernoulliExpNeg(random, num - whole * den, den);
}

/**
 * The discrete Laplace of scale t/s (CKS Algorithm 2): P[X = x] = (e^{s/t} - 1)/(e^{s/t} + 1) ·
 * e^{-|x|·s/t} for every integer x. A geometric magnitude is built from a uniform remainder U < t and a
 * geometric quotient V (both accepted by exact Bernoulli trials), then divided by s; the sign is a fair
 * coin, with the negative zero rejected so that 0 is not counted twice.
 */
export function discreteLaplace(random: RandomSource, s: bigint, t: bigint): bigint {
  if (s < 1n || t < 1n)
    throw new RangeError(`discrete Laplace needs positive integers s, t (got ${s}, ${t})`);
  for (;;) {
    const x = discreteLaplaceRound(random, s, t);
    if (x !== undefined) return x;
  }
}

/** One round of Algorithm 2's loop: the sample, or undefined when the round is rejected. */
export function discreteLaplaceRound(random: RandomSource, s: bigint, t: bigint): bigint | undefined {
  const u = random.below(t);
  if (!bernoulliExpNeg(random, u, t)) return undefined;
  let v = 0n;
  while (bernoulliExpNeg(random, 1n, 1n)) v += 1n;
  const y = (u + t * v) / s;
  const negative = random.belowSmall(2) === 1;
  if (negative && y === 0n) return undefined;
  return negative ? -y : y;
}

/**
 * The discrete Gaussian N_Z(0, σ²) for a rational σ² (CKS Algorithm 3): P[X = x] ∝ exp(-x²/(2σ²)).
 * A discrete Laplace of scale t = ⌊σ⌋ + 1 is drawn and accepted with probability
 * exp(-(|Y| - σ²/t)² / (2σ²)), computed here as the exact rational (|Y|·t·D - N)² / (2·N·D·t²) for σ² = N/D.
 */
export function discreteGaussian(random: RandomSource, sigma2: Rational): bigint {
  const round = discreteGaussianRounds(sigma2);
  for (;;) {
    const x = round(random);
    if (x !== undefined) return x;
  }
}

/** One round of Algorithm 3's loop for this σ²: the sample, or undefined when the round is rejected. */
export function discreteGaussianRounds(sigma2: Rational): (random: RandomSource) => bigint | undefined {
  const { num, den } = sigma2;
  if (num <= 0n || den <= 0n) throw new RangeError("discrete Gaussian needs σ² > 0");
  const t = isqrt(num / den) + 1n;
  const acceptDen = 2n * num * den * t * t;
  return (random) => {
    const y = discreteLaplace(random, 1n, t);
    const magnitude = y < 0n ? -y : y;
    const a = magnitude * t * den - num;
    return bernoulliExpNeg(random, a * a, acceptDen) ? y : undefined;
  };
}
