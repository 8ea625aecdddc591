import { describe, expect, it } from "vitest";
import {
  bernoulliExpNeg,
  bunSteinkeRho,
  decimalRational,
  discreteGaussian,
  discreteGaussianRounds,
  discreteLaplace,
  discreteLaplaceRound,
  gaussianMechanism,
  isqrt,
  laplaceMechanism,
  type RandomSource,
  rational,
  rhoFor,
  SecureRandom,
  SeededRandom,
} from "../../src/privacy/dp/index.js";

/**
 * Exact output distribution of a sampler: every path of its uniform draws is replayed depth first, each
 * path's probability is the product of 1/n of its draws; paths whose probability falls below `cutoff`
 * are abandoned and their mass reported, so the result bounds the true pmf from both sides.
 */
function exactDistribution<T>(sample: (r: RandomSource) => T, cutoff: number) {
  const pmf = new Map<T, number>();
  let abandoned = 0;
  const path: { value: number; n: number }[] = [];
  class Abandon extends Error {}
  for (;;) {
    let depth = 0;
    let probability = 1;
    const source: RandomSource = {
      below: (n) => BigInt(source.belowSmall(Number(n))),
      belowSmall: (n) => {
        if (depth === path.length) {
          if (probability / n < cutoff) throw new Abandon();
          path.push({ value: 0, n });
        }
        const step = path[depth++] as { value: number; n: number };
        probability /= n;
        return step.value;
      },
    };
    try {
      const outcome = sample(source);
      pmf.set(outcome, (pmf.get(outcome) ?? 0) + probability);
      path.length = depth;
    } catch (error) {
      if (!(error instanceof Abandon)) throw error;
      abandoned += probability;
      path.length = depth;
    }
    // Odometer: advance the deepest draw that has values left.
    while (path.length > 0) {
      const last = path[path.length - 1] as { value: number; n: number };
      if (last.value + 1 < last.n) {
        last.value++;
        break;
      }
      path.pop();
    }
    if (path.length === 0) break;
  }
  return { pmf, abandoned };
}

describe("exact arithmetic", () => {
  it("decimal rationals are what was written", () => {
    expect(decimalRational(0.1)).toEqual({ num: 1n, den: 10n });
    expect(decimalRational(1.25)).toEqual({ num: 5n, den: 4n });
    expect(decimalRational(1e-7)).toEqual({ num: 1n, den: 10_000_000n });
    expect(decimalRational(3e21)).toEqual({ num: 3n * 10n ** 21n, den: 1n });
    expect(rational(6n, 4n)).toEqual({ num: 3n, den: 2n });
  });

  it("integer square roots", () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });
});

describe("exact distributions on small cases (every path of the draws enumerated)", () => {
  it("Bernoulli(exp(-γ)) is exactly exp(-γ) for γ = 0, 1/2, 1, 3/2, 7/3", () => {
    for (const [num, den] of [
      [0n, 1n],
      [1n, 2n],
      [1n, 1n],
      [3n, 2n],
      [7n, 3n],
    ] as const) {
      const { pmf, abandoned } = exactDistribution((r) => bernoulliExpNeg(r, num, den), 1e-13);
      const p = pmf.get(true) ?? 0;
      const expected = Math.exp(-Number(num) / Number(den));
      expect(abandoned).toBeLessThan(1e-9);
      expect(p).toBeLessThanOrEqual(expected + 1e-12);
      expect(p + abandoned).toBeGreaterThanOrEqual(expected - 1e-12);
    }
  });

  it("one round of the discrete Laplace (scale t/s = 1, 2/3), given acceptance, has pmf ∝ exp(-|x|·s/t)", () => {
    for (const [s, t] of [
      [1n, 1n],
      [3n, 2n],
    ] as const) {
      const { pmf, abandoned } = exactDistribution((r) => discreteLaplaceRound(r, s, t), 1e-9);
      pmf.delete(undefined);
      const accepted = [...pmf.values()].reduce((a, b) => a + b, 0);
      const p = Math.exp(-Number(s) / Number(t));
      const slack = abandoned / accepted;
      expect(slack).toBeLessThan(2e-3);
      for (let x = -4; x <= 4; x++) {
        const exact = ((1 - p) / (1 + p)) * p ** Math.abs(x);
        const got = (pmf.get(BigInt(x)) ?? 0) / accepted;
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(slack + 1e-12);
      }
    }
  });

  it("the discrete Gaussian for σ² = 1/2 fits exp(-x²/2σ²) (χ², 200,000 seeded draws)", () => {
    const random = new SeededRandom("gaussian-small");
    const round = discreteGaussianRounds(rational(1n, 2n));
    const counts = new Map<number, number>();
    const n = 200_000;
    for (let i = 0; i < n; ) {
      const x = round(random);
      if (x === undefined) continue;
      counts.set(Number(x), (counts.get(Number(x)) ?? 0) + 1);
      i++;
    }
    let z = 0;
    for (let x = -20; x <= 20; x++) z += Math.exp(-(x * x));
    let chi2 = 0;
    for (let x = -2; x <= 2; x++) {
      const expected = (n * Math.exp(-(x * x))) / z;
      chi2 += ((counts.get(x) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(20); // 4 degrees of freedom: p ≈ 0.0005
  });
});

describe("statistics of the samplers (200,000 draws, seeded)", () => {
  const N = 200_000;
  const moments = (draw: () => bigint) => {
    let sum = 0;
    let sumSq = 0;
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const x = Number(draw());
      sum += x;
      sumSq += x * x;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    const mean = sum / N;
    return { mean, variance: sumSq / N - mean * mean, counts };
  };

  it("discrete Laplace: mean 0, variance 2p/(1-p)², symmetric, neighbour ratio e^{-ε/Δ}", () => {
    const random = new SeededRandom("laplace");
    const mechanism = laplaceMechanism(0.5, 1);
    const { mean, variance, counts } = moments(() => mechanism.noise(random));
    const sd = Math.sqrt(mechanism.variance);
    expect(mechanism.variance).toBeCloseTo((2 * Math.exp(-0.5)) / (1 - Math.exp(-0.5)) ** 2, 10);
    expect(Math.abs(mean)).toBeLessThan((5 * sd) / Math.sqrt(N));
    expect(variance / mechanism.variance).toBeGreaterThan(0.97);
    expect(variance / mechanism.variance).toBeLessThan(1.03);
    for (const x of [1, 2, 3]) {
      const plus = counts.get(x) ?? 0;
      const minus = counts.get(-x) ?? 0;
      expect(Math.abs(plus - minus)).toBeLessThan(5 * Math.sqrt(plus + minus));
    }
    const ratio = (counts.get(1) ?? 0) / (counts.get(0) ?? 1);
    expect(ratio).toBeGreaterThan(Math.exp(-0.5) * 0.97);
    expect(ratio).toBeLessThan(Math.exp(-0.5) * 1.03);
  });

  it("discrete Gaussian: mean 0, variance ≈ σ² (σ = 3), pmf ∝ exp(-x²/2σ²)", () => {
    const random = new SeededRandom("gaussian");
    const sigma2 = 9;
    const { mean, variance, counts } = moments(() => discreteGaussian(random, rational(9n, 1n)));
    // The exact variance of N_Z(0, 9) by summation (equal to 9 to many digits for σ ≥ 1).
    let z = 0;
    let second = 0;
    for (let x = -60; x <= 60; x++) {
      const w = Math.exp(-(x * x) / (2 * sigma2));
      z += w;
      second += x * x * w;
    }
    const exactVariance = second / z;
    expect(Math.abs(mean)).toBeLessThan((5 * 3) / Math.sqrt(N));
    expect(variance / exactVariance).toBeGreaterThan(0.97);
    expect(variance / exactVariance).toBeLessThan(1.03);
    for (const x of [0, 1, 3, 5]) {
      const expected = (N * Math.exp(-(x * x) / (2 * sigma2))) / z;
      expect(Math.abs((counts.get(x) ?? 0) - expected)).toBeLessThan(5 * Math.sqrt(expected));
      expect(Math.abs((counts.get(-x) ?? 0) - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it("the secure source draws uniformly (χ² over 10 cells) and over a range beyond 2^48", () => {
    const random = new SecureRandom();
    const cells = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const cell = random.belowSmall(10);
      cells[cell] = (cells[cell] ?? 0) + 1;
    }
    const chi2 = cells.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(30); // 9 degrees of freedom: p ≈ 0.0005
    const big = 3n * 10n ** 20n;
    let above = 0;
    for (let i = 0; i < 2000; i++) {
      const v = random.below(big);
      expect(v >= 0n && v < big).toBe(true);
      if (v >= big / 2n) above++;
    }
    expect(Math.abs(above - 1000)).toBeLessThan(150);
  });

  it("seeded sources repeat, different seeds differ", () => {
    const a = new SeededRandom(1);
    const b = new SeededRandom(1);
    const c = new SeededRandom(2);
    const draws = (r: RandomSource) => Array.from({ length: 20 }, () => discreteLaplace(r, 1n, 5n));
    const da = draws(a);
    expect(draws(b)).toEqual(da);
    expect(draws(c)).not.toEqual(da);
  });
});

describe("mechanism parameters", () => {
  it("Laplace: scale Δ/ε, pure DP", () => {
    const m = laplaceMechanism(0.2, 3);
    expect(m.scale).toBeCloseTo(15, 10);
    expect(m.delta).toBe(0);
  });

  it("Gaussian: ρ from (ε, δ) by CKS's conversion, tighter than Bun–Steinke's; σ² = Δ₂²/(2ρ)", () => {
    const rho = rhoFor(1, 1e-6);
    expect(rho).toBeGreaterThan(bunSteinkeRho(1, 1e-6));
    const m = gaussianMechanism(1, 1e-6, 4);
    expect(m.variance).toBeCloseTo(4 / (2 * rho), 8);
    expect(m.sensitivity).toBe(2);
    expect(() => gaussianMechanism(1, 0, 1)).toThrow(/δ must be in \(0, 1\)/);
    expect(() => laplaceMechanism(0, 1)).toThrow(/ε must be a positive number/);
  });
});
