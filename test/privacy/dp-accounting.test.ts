import { describe, expect, it } from "vitest";
import {
  bunSteinkeEpsilon,
  bunSteinkeRho,
  calibrateGaussian,
  discreteGaussianDelta,
  gaussianMechanism,
  gaussianMechanismForRho,
  zcdpDelta,
  zcdpEpsilon,
  zcdpRho,
} from "../../src/privacy/dp/index.js";

describe("zCDP ↔ (ε, δ) conversions (CKS 2020)", () => {
  it("match the authors' cdp2adp.py on its own examples, and beat Bun–Steinke", () => {
    // cdp2adp.py prints cdp_delta(0.025, 1), cdp_eps(0.025, 1e-6), cdp_rho(1, 1e-6).
    expect(zcdpDelta(0.025, 1)).toBeCloseTo(1.3361e-6, 9);
    expect(zcdpEpsilon(0.025, 1e-6)).toBeCloseTo(1.01407, 4);
    expect(zcdpRho(1, 1e-6)).toBeCloseTo(0.024356, 5);
    expect(zcdpRho(1, 1e-6)).toBeGreaterThan(bunSteinkeRho(1, 1e-6));
    expect(zcdpEpsilon(0.025, 1e-6)).toBeLessThan(bunSteinkeEpsilon(0.025, 1e-6));
    // Round trip: the ρ for (ε, δ) gives back ε at δ, and the δ stays within the target.
    const rho = zcdpRho(0.5, 1e-8);
    expect(zcdpDelta(rho, 0.5)).toBeLessThanOrEqual(1e-8);
    expect(zcdpEpsilon(rho, 1e-8)).toBeCloseTo(0.5, 8);
  });
});

describe("the discrete Gaussian's σ for (ε, δ)", () => {
  const cases: [number, number, number][] = [
    [1, 1e-6, 1],
    [0.1, 1e-6, 1],
    [1, 1e-6, 4],
    [0.5, 1e-9, 3],
    [2, 1e-5, 10],
  ];
  for (const [epsilon, delta, sensitivity] of cases)
    it(`ε ${epsilon}, δ ${delta}, Δ ${sensitivity}: smaller σ than Bun–Steinke, exact δ within the target, tight`, () => {
      const calibration = calibrateGaussian(epsilon, delta, sensitivity ** 2, "scalar");
      expect(calibration.method).toBe("exact-profile");
      const old = sensitivity ** 2 / (2 * bunSteinkeRho(epsilon, delta));
      expect(calibration.sigma2).toBeLessThan(old * 0.9);
      const m = gaussianMechanism(epsilon, delta, sensitivity ** 2, "scalar");
      expect(m.variance).toBeGreaterThanOrEqual(calibration.sigma2);
      expect(discreteGaussianDelta(m.variance, epsilon, sensitivity)).toBeLessThanOrEqual(delta);
      // Tight: 0.1% less variance breaks the target.
      expect(discreteGaussianDelta(calibration.sigma2 * 0.999, epsilon, sensitivity)).toBeGreaterThan(delta);
      // The exact profile is also below the zCDP conversion's σ.
      expect(calibration.sigma2).toBeLessThan(
        calibrateGaussian(epsilon, delta, sensitivity ** 2, "vector").sigma2,
      );
    });

  it("agrees with the continuous Gaussian's exact δ (Balle–Wang) for a large σ", () => {
    // Continuous: δ = Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ); with σ = 20, Δ = 1, ε = 0.2.
    const erfc = (x: number): number => {
      // The tail integral by the trapezoid rule (step 1e-4).
      let s = 0;
      const h = 1e-4;
      for (let t = x; t < x + 12; t += h) s += Math.exp(-(t * t)) + Math.exp(-((t + h) * (t + h)));
      return (s * h) / Math.sqrt(Math.PI);
    };
    const phiUpper = (x: number) => erfc(x / Math.SQRT2) / 2;
    const sigma = 20;
    const continuous =
      phiUpper(0.2 * sigma - 1 / (2 * sigma)) - Math.exp(0.2) * phiUpper(0.2 * sigma + 1 / (2 * sigma));
    const discrete = discreteGaussianDelta(sigma * sigma, 0.2, 1) as number;
    expect(Math.abs(discrete - continuous) / continuous).toBeLessThan(0.01); // 0.2% apart: the lattice, not an error
  });

  it("vectors and long sums use the zCDP conversion; ρ is reported from the σ² sampled", () => {
    const vector = gaussianMechanism(1, 1e-6, 5);
    expect(vector.rho).toBeLessThanOrEqual(zcdpRho(1, 1e-6));
    expect(vector.rho).toBeCloseTo(zcdpRho(1, 1e-6), 9);
    expect(calibrateGaussian(1, 1e-6, 1000 ** 2, "scalar").method).toBe("zcdp");
    expect(calibrateGaussian(1, 1e-6, 2, "scalar").method).toBe("zcdp"); // Δ₂ = √2 is no integer
    const byRho = gaussianMechanismForRho(0.05, 4, 1e-6);
    expect(byRho.variance).toBeCloseTo(40, 9);
    expect(byRho.rho).toBeLessThanOrEqual(0.05);
    expect(byRho.epsilon).toBeCloseTo(zcdpEpsilon(0.05, 1e-6), 6);
    expect(() => gaussianMechanismForRho(0, 1)).toThrow(/ρ must be a positive number/);
  });
});
