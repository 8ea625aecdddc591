/**
 * Privacy accounting: the conversions between zero-concentrated DP (ρ-zCDP) and (ε, δ)-DP, and the
 * exact (ε, δ) profile of the discrete Gaussian, from which the Gaussian's σ is calibrated.
 *
 * Sources (Canonne, Kamath and Steinke 2020, arXiv:2004.00010, "CKS"; numbering of arXiv v3/v4):
 * - CKS Theorem 7: adding N_Z(0, σ²) to an integer query of sensitivity Δ (an integer) is (ε, δ)-DP with
 *   δ = P[Y > εσ²/Δ − Δ/2] − e^ε·P[Y > εσ²/Δ + Δ/2], Y ~ N_Z(0, σ²), and this δ is the exact one.
 *   (The authors' `cdp2adp.py`, function `dg_delta`, cites it as Theorem 7 of v3, page 7.)
 * - CKS Proposition 12 (v4; TensorFlow Privacy's rdp_accountant cites it so) converts Rényi DP to
 *   (ε, δ); for ρ-zCDP (Rényi divergence αρ at every order α) it gives
 *   δ = inf_{α>1} exp((α−1)(αρ − ε)) / (α−1) · (1 − 1/α)^α, tighter than Bun and Steinke 2016
 *   (Proposition 1.3: ρ-zCDP ⇒ (ρ + 2√(ρ·ln 1/δ), δ)-DP). Every α gives a valid bound, so the search
 *   for α only has to be good, never exact. (`cdp_delta` in the authors' `cdp2adp.py`.)
 * - The discrete Gaussian with L2 sensitivity Δ₂ is Δ₂²/(2σ²)-zCDP (CKS §2, their Theorem 4 in our
 *   reading; the number was not checked against the text). Rényi divergences of independent coordinates
 *   add, so a vector of independent discrete Gaussians is Δ₂²/(2σ²)-zCDP for the vector's Δ₂.
 * - ε-DP implies (ε²/2)-zCDP (Bun and Steinke 2016, Proposition 1.4); ρ-zCDP composes additively
 *   (their Lemma 2.3).
 *
 * Floating point touches only these bounds, never the noise: every δ here is an upper bound padded by a
 * relative 1e-9 (far above the rounding error of the sums), and every bisection returns its safe end.
 */

const PAD = 1e-9;
/** Beyond this many terms, the exact profile is not summed and the zCDP conversion is used instead. */
const MAX_TERMS = 200_000;

/** The largest ρ whose zCDP implies (ε, δ)-DP by Bun and Steinke's Proposition 1.3 (the loose one). */
export function bunSteinkeRho(epsilon: number, delta: number): number {
  const l = Math.log(1 / delta);
  return (Math.sqrt(epsilon + l) - Math.sqrt(l)) ** 2;
}

/** The ε that ρ-zCDP implies at δ by Bun and Steinke's Proposition 1.3. */
export function bunSteinkeEpsilon(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

function checkRho(rho: number): void {
  if (!(Number.isFinite(rho) && rho >= 0))
    throw new RangeError(`ρ must be a non-negative number (got ${rho})`);
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must be in (0, 1) (got ${delta})`);
}

/** An upper bound on the δ at which ρ-zCDP gives (ε, δ)-DP (CKS Proposition 12 for zCDP). */
export function zcdpDelta(rho: number, epsilon: number): number {
  checkRho(rho);
  if (!(Number.isFinite(epsilon) && epsilon >= 0))
    throw new RangeError(`ε must be a non-negative number (got ${epsilon})`);
  if (rho === 0) return 0;
  // The exponent is convex in α; its derivative (2α − 1)ρ − ε + ln(1 − 1/α) is increasing: bisect it.
  let lo = 1 + 1e-9;
  let hi = Math.max(2, (epsilon + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200; i++) {
    const alpha = (lo + hi) / 2;
    if ((2 * alpha - 1) * rho - epsilon + Math.log1p(-1 / alpha) < 0) lo = alpha;
    else hi = alpha;
  }
  const alpha = (lo + hi) / 2;
  const delta =
    Math.exp((alpha - 1) * (alpha * rho - epsilon) + alpha * Math.log1p(-1 / alpha)) / (alpha - 1);
  return Math.min(1, delta * (1 + PAD));
}

/** The smallest ε (up to 1e-12 relative) such that ρ-zCDP implies (ε, δ)-DP by CKS's conversion. */
export function zcdpEpsilon(rho: number, delta: number): number {
  checkRho(rho);
  checkDelta(delta);
  if (rho === 0) return 0;
  let lo = 0;
  let hi = bunSteinkeEpsilon(rho, delta);
  while (zcdpDelta(rho, hi) > delta) hi *= 1.01; // the padding can push the loose bound just over
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(rho, mid) <= delta) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The largest ρ (up to 1e-12 relative) such that ρ-zCDP implies (ε, δ)-DP by CKS's conversion. */
export function zcdpRho(epsilon: number, delta: number): number {
  if (!(Number.isFinite(epsilon) && epsilon > 0))
    throw new RangeError(`ε must be a positive number (got ${epsilon})`);
  checkDelta(delta);
  let lo = 0;
  let hi = epsilon + 1;
  while (zcdpDelta(hi, epsilon) <= delta) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * An upper bound on the exact δ of CKS Theorem 7: N_Z(0, σ²) added to an integer query of integer
 * sensitivity Δ, at ε. δ = (Σ_{a≤x<b} e^{−x²/2σ²} − (e^ε − 1)·Σ_{x≥b} e^{−x²/2σ²}) / Z with
 * a = ⌊εσ²/Δ − Δ/2⌋ + 1, b = ⌊εσ²/Δ + Δ/2⌋ + 1 and Z = Σ_x e^{−x²/2σ²}. Truncating the tail sum or Z
 * only raises the result. Undefined when the sums would take more than MAX_TERMS terms.
 */
export function discreteGaussianDelta(
  sigma2: number,
  epsilon: number,
  sensitivity: number,
): number | undefined {
  if (!(sigma2 > 0 && Number.isFinite(sigma2))) throw new RangeError(`σ² must be positive (got ${sigma2})`);
  if (!(Number.isSafeInteger(sensitivity) && sensitivity >= 1))
    throw new RangeError(`the sensitivity must be a positive integer (got ${sensitivity})`);
  const sigma = Math.sqrt(sigma2);
  // Terms beyond 40σ from the start of a sum are below e^{−800}: nothing a double holds.
  const reach = Math.ceil(40 * sigma) + 1;
  if (sensitivity + 2 * reach > MAX_TERMS) return undefined;
  const term = (x: number) => Math.exp(-(x * x) / (2 * sigma2));
  const centre = (epsilon * sigma2) / sensitivity;
  const a = Math.floor(centre - sensitivity / 2) + 1;
  const b = Math.floor(centre + sensitivity / 2) + 1;
  let window = 0;
  for (let x = a; x < b; x++) window += term(x);
  // b ≥ 1 since εσ²/Δ ≥ 0; past b + 40σ the terms are below e^{−800} of the first.
  let tail = 0;
  for (let x = b; x <= b + reach; x++) tail += term(x);
  let z = 1;
  for (let x = 1; x <= reach; x++) z += 2 * term(x);
  const delta = (window * (1 + PAD) - Math.expm1(epsilon) * tail * (1 - PAD)) / (z * (1 - PAD));
  return Math.min(1, Math.max(0, delta));
}

export interface GaussianCalibration {
  /** The noise variance σ² (a double; the sampler rounds it up). */
  sigma2: number;
  /** How σ was found: the exact profile (scalar queries) or the zCDP conversion. */
  method: "exact-profile" | "zcdp";
}

/**
 * The smallest σ² whose discrete Gaussian gives (ε, δ)-DP. For a scalar query of integer sensitivity Δ
 * (Δ² = l2Squared a perfect square), by bisection on CKS Theorem 7's exact δ; for a vector of counts
 * (histogram, table), or when the exact sums would be too long, σ² = Δ₂²/(2ρ) with ρ the largest that
 * CKS's conversion allows, which holds for any ρ-zCDP mechanism.
 */
export function calibrateGaussian(
  epsilon: number,
  delta: number,
  l2SensitivitySquared: number,
  shape: "scalar" | "vector",
): GaussianCalibration {
  const viaZcdp = { sigma2: l2SensitivitySquared / (2 * zcdpRho(epsilon, delta)), method: "zcdp" } as const;
  const sensitivity = Math.round(Math.sqrt(l2SensitivitySquared));
  if (shape === "vector" || sensitivity * sensitivity !== l2SensitivitySquared) return viaZcdp;
  const fits = (sigma2: number) => {
    const d = discreteGaussianDelta(sigma2, epsilon, sensitivity);
    return d === undefined ? undefined : d <= delta;
  };
  // The zCDP σ² is valid for the discrete Gaussian, so the exact one lies at or below it.
  let hi = viaZcdp.sigma2;
  const atHi = fits(hi);
  if (atHi !== true) return viaZcdp;
  let lo = hi / 4;
  for (;;) {
    const ok = fits(lo);
    if (ok === undefined) return viaZcdp;
    if (!ok) break;
    hi = lo;
    lo /= 4;
  }
  for (let i = 0; i < 100 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    const ok = fits(mid);
    if (ok === undefined) return viaZcdp;
    if (ok) hi = mid;
    else lo = mid;
  }
  return { sigma2: hi, method: "exact-profile" };
}
