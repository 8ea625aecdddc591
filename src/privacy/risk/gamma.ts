/**
 * The special functions the population-uniqueness models need, ported so that the models give ARX's
 * numbers: digamma and trigamma are ARX's own approximations (`org.deidentifier.arx.risk.Gamma`, after
 * Minka's Lightspeed toolbox), log Γ and Γ are Apache Commons Math 3's (`special.Gamma`), which ARX
 * calls. Pure.
 */

const B2 = 1.0 / 6.0;
const B4 = -1.0 / 30.0;
const B6 = 1.0 / 42.0;
const B8 = -1.0 / 30.0;
const B10 = 5.0 / 66.0;
const DIGAMMA_1 = -0.5772156649015329;
const LARGE_DIGAMMA = 12.0;
const LARGE_TRIGAMMA = 8.0;
const S3 = 1.0 / 12.0;
const S4 = 1.0 / 120.0;
const S5 = 1.0 / 252.0;
const S6 = 1.0 / 240.0;
const S7 = 1.0 / 132.0;
const SMALL_DIGAMMA = 1e-6;
const SMALL_TRIGAMMA = 1e-4;
const TETRAGAMMA_1 = -2.0 * 1.2020569031595942;
const TRIGAMMA_1 = (Math.PI * Math.PI) / 6.0;

/** ψ(x), ARX's approximation. */
export function digamma(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x < 0) return digamma(1.0 - x) + Math.PI / Math.tan(-Math.PI * x);
  if (x <= SMALL_DIGAMMA) return DIGAMMA_1 - 1.0 / x + TRIGAMMA_1 * x;
  let result = 0.0;
  while (x < LARGE_DIGAMMA) {
    result -= 1.0 / x;
    x++;
  }
  let r = 1.0 / x;
  result += Math.log(x) - 0.5 * r;
  r *= r;
  result -= r * (S3 - r * (S4 - r * (S5 - r * (S6 - r * S7))));
  return result;
}

/**
 * ψ′(x), ARX's approximation. Kept exactly as ARX has it: the argument is raised to 8 but the
 * asymptotic tail is only added from 12, so arguments that end between 8 and 12 lose it. The closed-form
 * Pitman solver inherits this; ARX then checks its result against the iterative equations and falls back
 * to them, and so do we — the same numbers come out.
 */
export function trigamma(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x < 0) {
    const r = Math.PI / Math.sin(-Math.PI * x);
    return -trigamma(1.0 - x) + r * r;
  }
  if (x <= SMALL_TRIGAMMA) return 1.0 / (x * x) + TRIGAMMA_1 + TETRAGAMMA_1 * x;
  let result = 0.0;
  while (x < LARGE_TRIGAMMA) {
    result += 1.0 / (x * x);
    x++;
  }
  if (x >= LARGE_DIGAMMA) {
    const r = 1.0 / (x * x);
    result += 0.5 * r + (1.0 + r * (B2 + r * (B4 + r * (B6 + r * (B8 + r * B10))))) / x;
  }
  return result;
}

// Commons Math 3 `special.Gamma`.

const LANCZOS_G = 607.0 / 128.0;
const LANCZOS = [
  0.9999999999999971, 57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  0.00003399464998481189, 0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125,
  -0.00021026444172410488, 0.00021743961811521265, -0.0001643181065367639, 0.00008441822398385275,
  -0.000026190838401581408, 0.0000036899182659531625,
];
const HALF_LOG_2_PI = 0.5 * Math.log(2.0 * Math.PI);
const SQRT_TWO_PI = 2.5066282746310007;

const A0 = 6.116095104481416e-9;
const A1 = 6.247308301164655e-9;
const B = [
  0.203610414066807, 0.026620534842894922, 0.0004939449793824468, -0.000008514194324403149,
  -0.0000064304548177935305, 9.926418406727737e-7, -6.077618957228252e-8, 1.9575583661463974e-10,
];
const P = [
  6.116095104481416e-9, 6.8716741130671986e-9, 6.820161668496171e-10, 4.686843322948848e-11,
  1.5728330277104463e-12, -1.2494415722763663e-13, 4.343529937408594e-15,
];
const Q = [0.3056961078365221, 0.054642130860422966, 0.004956830093825887, 0.00026923694661863613];
const C = -0.42278433509846713;
const C0 = 0.5772156649015329;
const CS = [
  -0.6558780715202539, -0.04200263503409524, 0.16653861138229148, -0.04219773455554433, -0.009621971527876973,
  0.0072189432466631, -0.0011651675918590652, -0.00021524167411495098, 0.0001280502823881162,
  -0.00002013485478078824, -0.0000012504934821426706, 0.000001133027231981696, -2.056338416977607e-7,
];

export function lanczos(x: number): number {
  let sum = 0.0;
  for (let i = LANCZOS.length - 1; i > 0; --i) sum = sum + LANCZOS[i]! / (x + i);
  return sum + LANCZOS[0]!;
}

/** 1/Γ(1 + x) − 1 for −0.5 ≤ x ≤ 1.5 (NSWC DGAM1). */
export function invGamma1pm1(x: number): number {
  if (x < -0.5 || x > 1.5) throw new RangeError(`invGamma1pm1: ${x} is outside [-0.5, 1.5]`);
  const t = x <= 0.5 ? x : x - 0.5 - 0.5;
  // c13 … c1 by Horner, starting from the rational part.
  const tail = (start: number, last: number) => {
    let c = CS[12]! + start;
    for (let i = 11; i >= 0; i--) c = CS[i]! + t * c;
    return last + t * c;
  };
  if (t < 0.0) {
    const a = A0 + t * A1;
    let b = B[7]!;
    for (let i = 6; i >= 0; i--) b = B[i]! + t * b;
    b = 1.0 + t * b;
    const c = tail(t * (a / b), C);
    return x > 0.5 ? (t * c) / x : x * (c + 0.5 + 0.5);
  }
  let p = P[6]!;
  for (let i = 5; i >= 0; i--) p = P[i]! + t * p;
  let q = Q[3]!;
  for (let i = 2; i >= 0; i--) q = Q[i]! + t * q;
  q = 1.0 + t * q;
  const c = tail((p / q) * t, C0);
  return x > 0.5 ? (t / x) * (c - 0.5 - 0.5) : x * c;
}

export function logGamma1p(x: number): number {
  return -Math.log1p(invGamma1pm1(x));
}

/** log Γ(x) for x > 0; NaN otherwise. */
export function logGamma(x: number): number {
  if (Number.isNaN(x) || x <= 0.0) return Number.NaN;
  if (x < 0.5) return logGamma1p(x) - Math.log(x);
  if (x <= 2.5) return logGamma1p(x - 0.5 - 0.5);
  if (x <= 8.0) {
    const n = Math.floor(x - 1.5);
    let prod = 1.0;
    for (let i = 1; i <= n; i++) prod *= x - i;
    return logGamma1p(x - (n + 1)) + Math.log(prod);
  }
  const sum = lanczos(x);
  const tmp = x + LANCZOS_G + 0.5;
  return (x + 0.5) * Math.log(tmp) - tmp + HALF_LOG_2_PI + Math.log(sum / x);
}

/** Γ(x); NaN at the poles. */
export function gamma(x: number): number {
  if (x === Math.round(x) && x <= 0.0) return Number.NaN;
  const absX = Math.abs(x);
  if (absX <= 20.0) {
    if (x >= 1.0) {
      let prod = 1.0;
      let t = x;
      while (t > 2.5) {
        t = t - 1.0;
        prod *= t;
      }
      return prod / (1.0 + invGamma1pm1(t - 1.0));
    }
    let prod = x;
    let t = x;
    while (t < -0.5) {
      t = t + 1.0;
      prod *= t;
    }
    return 1.0 / (prod * (1.0 + invGamma1pm1(t)));
  }
  const y = absX + LANCZOS_G + 0.5;
  const gammaAbs = (SQRT_TWO_PI / x) * y ** (absX + 0.5) * Math.exp(-y) * lanczos(absX);
  if (x > 0.0) return gammaAbs;
  return -Math.PI / (x * Math.sin(Math.PI * x) * gammaAbs);
}
