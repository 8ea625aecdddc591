/**
 * P(X = x) of the hypergeometric distribution as Apache Commons Math 3 computes it (Loader's saddle-point
 * expansion of the binomial terms), which ARX's Zayatz model calls. Pure.
 */
import { logGamma } from "./gamma.js";

const TWO_PI = 2 * Math.PI;
const HALF_LOG_2_PI = 0.5 * Math.log(TWO_PI);

/** Stirling-series errors at 0, 0.5, …, 15. */
const EXACT_STIRLING_ERRORS = [
  0.0, 0.15342640972002736, 0.08106146679532726, 0.05481412105191765, 0.0413406959554093, 0.03316287351993629,
  0.02767792568499834, 0.023746163656297496, 0.020790672103765093, 0.018488450532673187, 0.016644691189821193,
  0.015134973221917378, 0.013876128823070748, 0.012810465242920227, 0.01189670994589177, 0.011104559758206917,
  0.010411265261972096, 0.009799416126158804, 0.009255462182712733, 0.008768700134139386, 0.00833056343336287,
  0.00793411456431402, 0.007573675487951841, 0.007244554301320383, 0.00694284010720953, 0.006665247032707682,
  0.006408994188004207, 0.006171712263039458, 0.0059513701127588475, 0.0057462165130101155,
  0.005554733551962801,
];

function stirlingError(z: number): number {
  if (z < 15.0) {
    const z2 = 2.0 * z;
    if (Math.floor(z2) === z2) return EXACT_STIRLING_ERRORS[z2]!;
    return logGamma(z + 1.0) - (z + 0.5) * Math.log(z) + z - HALF_LOG_2_PI;
  }
  const z2 = z * z;
  return (
    (0.08333333333333333 -
      (0.002777777777777778 -
        (0.0007936507936507937 - (0.0005952380952380953 - 0.0008417508417508417 / z2) / z2) / z2) /
        z2) /
    z
  );
}

function deviancePart(x: number, mu: number): number {
  if (Math.abs(x - mu) < 0.1 * (x + mu)) {
    const d = x - mu;
    let v = d / (x + mu);
    let s1 = v * d;
    let s = Number.NaN;
    let ej = 2.0 * x * v;
    v *= v;
    let j = 1;
    while (s1 !== s) {
      s = s1;
      ej *= v;
      s1 = s + ej / (j * 2 + 1);
      ++j;
    }
    return s1;
  }
  return x * Math.log(x / mu) + mu - x;
}

function logBinomialProbability(x: number, n: number, p: number, q: number): number {
  if (x === 0) return p < 0.1 ? -deviancePart(n, n * q) - n * p : n * Math.log(q);
  if (x === n) return q < 0.1 ? -deviancePart(n, n * p) - n * q : n * Math.log(p);
  const ret =
    stirlingError(n) -
    stirlingError(x) -
    stirlingError(n - x) -
    deviancePart(x, n * p) -
    deviancePart(n - x, n * q);
  const f = (TWO_PI * x * (n - x)) / n;
  return -0.5 * Math.log(f) + ret;
}

/**
 * P(X = x) when drawing `sampleSize` of `populationSize` items of which `successes` are marked.
 * All three are integers with successes, sampleSize ≤ populationSize.
 */
export function hypergeometricProbability(
  populationSize: number,
  successes: number,
  sampleSize: number,
  x: number,
): number {
  if (populationSize <= 0 || successes < 0 || sampleSize < 0) {
    throw new RangeError("hypergeometric: sizes must be positive");
  }
  if (successes > populationSize || sampleSize > populationSize) {
    throw new RangeError("hypergeometric: successes and sample size must not exceed the population");
  }
  const lower = Math.max(0, successes - (populationSize - sampleSize));
  const upper = Math.min(sampleSize, successes);
  if (x < lower || x > upper) return 0.0;
  const p = sampleSize / populationSize;
  const q = (populationSize - sampleSize) / populationSize;
  const p1 = logBinomialProbability(x, successes, p, q);
  const p2 = logBinomialProbability(sampleSize - x, populationSize - successes, p, q);
  const p3 = logBinomialProbability(sampleSize, populationSize, p, q);
  return Math.exp(p1 + p2 - p3);
}
