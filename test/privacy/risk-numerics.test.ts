import { describe, expect, it } from "vitest";
import { digamma, gamma, logGamma, trigamma } from "../../src/privacy/risk/gamma.js";
import { hypergeometricProbability } from "../../src/privacy/risk/hypergeometric.js";
import { ARX_SOLVER_CONFIGURATION, solveNewtonRaphson } from "../../src/privacy/risk/newton.js";
import { seededRandom } from "../../src/privacy/seeded.js";

const EULER = 0.5772156649015329;

describe("special functions", () => {
  it("log Γ and Γ agree with factorials and Γ(1/2) = √π", () => {
    let factorial = 1;
    for (let n = 1; n <= 25; n++) {
      if (n > 1) factorial *= n - 1;
      expect(Math.abs(gamma(n) - factorial) / factorial).toBeLessThan(1e-13);
      expect(logGamma(n)).toBeCloseTo(Math.log(factorial), 12);
    }
    expect(gamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 14);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(gamma(-0.5)).toBeCloseTo(-2 * Math.sqrt(Math.PI), 13);
    expect(logGamma(100.5)).toBeCloseTo(logGamma(99.5) + Math.log(99.5), 10);
    expect(gamma(0)).toBeNaN();
    expect(logGamma(-1)).toBeNaN();
  });

  it("ψ and ψ′ (ARX's approximations) at known points", () => {
    expect(digamma(1)).toBeCloseTo(-EULER, 10);
    expect(digamma(0.5)).toBeCloseTo(-EULER - 2 * Math.log(2), 10);
    expect(digamma(20)).toBeCloseTo(digamma(19) + 1 / 19, 12);
    expect(digamma(-0.5)).toBeCloseTo(digamma(0.5) + 2, 10);
    // From 12 on, the asymptotic expansion is used: compare with the series Σ 1/(x+k)².
    for (const x of [12, 12.5, 40]) {
      let series = 0;
      const terms = 1e6;
      for (let k = 0; k < terms; k++) series += 1 / (x + k) ** 2;
      series += 1 / (x + terms) + 1 / (2 * (x + terms) ** 2);
      expect(trigamma(x)).toBeCloseTo(series, 11);
    }
    expect(trigamma(20)).toBeCloseTo(trigamma(19) - 1 / 361, 12);
    expect(digamma(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(trigamma(Number.NaN)).toBeNaN();
  });

  it("ψ′ keeps ARX's gap: arguments that end between 8 and 12 get no asymptotic tail", () => {
    // trigamma(1) reduces to 8 and stops there: the sum 1/1² + … + 1/7² only.
    let partial = 0;
    for (let k = 1; k <= 7; k++) partial += 1 / (k * k);
    expect(trigamma(1)).toBeCloseTo(partial, 14);
    expect(trigamma(1)).toBeLessThan(Math.PI ** 2 / 6 - 0.1);
  });
});

describe("hypergeometric probability (Commons Math)", () => {
  const exact = (N: number, m: number, n: number, x: number) => {
    const choose = (a: number, b: number) => {
      let r = 1;
      for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
      return r;
    };
    return (choose(m, x) * choose(N - m, n - x)) / choose(N, n);
  };

  it("matches counting on small and larger populations", () => {
    for (const [N, m, n, x] of [
      [10, 3, 4, 1],
      [8, 1, 4, 1],
      [8, 2, 4, 1],
      [50, 7, 20, 1],
      [300, 12, 30, 1],
      [1000, 1, 100, 1],
      [1000, 40, 100, 3],
    ] as const) {
      const p = hypergeometricProbability(N, m, n, x);
      expect(Math.abs(p - exact(N, m, n, x)) / exact(N, m, n, x)).toBeLessThan(1e-12);
    }
  });

  it("is 0 outside the support and 1 when everything is drawn", () => {
    expect(hypergeometricProbability(10, 2, 3, 3)).toBe(0);
    expect(hypergeometricProbability(10, 9, 5, 3)).toBe(0);
    expect(hypergeometricProbability(10, 1, 10, 1)).toBeCloseTo(1, 14);
    expect(hypergeometricProbability(10, 3, 10, 1)).toBe(0);
    expect(() => hypergeometricProbability(5, 6, 2, 1)).toThrow(RangeError);
  });
});

describe("Newton–Raphson (ARX's solver)", () => {
  const circleAndDiagonal = ({ x, y }: { x: number; y: number }) => ({
    value: { x: x * x + y * y - 4, y: x - y },
    jacobian: { x1: 2 * x, x2: 2 * y, y1: 1, y2: -1 },
  });

  it("converges from a good start to the accuracy", () => {
    const out = solveNewtonRaphson(circleAndDiagonal, { x: 1, y: 2 });
    expect(out.converged).toBe(true);
    expect(out.tries).toBe(1);
    expect(out.solution.x).toBeCloseTo(Math.SQRT2, 6);
    expect(out.solution.y).toBeCloseTo(Math.SQRT2, 6);
  });

  it("restarts from random points when a constraint breaks, reproducibly with the seed", () => {
    const positive = [(v: { x: number; y: number }) => v.x >= 0];
    // From (−1, −3) Newton heads to the negative root; the constraint forces restarts in [−1,1]×[−3,3].
    const a = solveNewtonRaphson(circleAndDiagonal, { x: -1, y: -3 }, ARX_SOLVER_CONFIGURATION, positive);
    const b = solveNewtonRaphson(circleAndDiagonal, { x: -1, y: -3 }, ARX_SOLVER_CONFIGURATION, positive);
    expect(a.converged).toBe(true);
    expect(a.tries).toBeGreaterThan(1);
    expect(a.solution.x).toBeCloseTo(Math.SQRT2, 6);
    expect(b).toEqual(a);
  });

  it("gives (NaN, NaN) when there is no root, within the iteration budget", () => {
    const noRoot = ({ x, y }: { x: number; y: number }) => ({
      value: { x: x * x + 1, y: y * y + 1 },
      jacobian: { x1: 2 * x, x2: 0, y1: 0, y2: 2 * y },
    });
    const config = {
      ...ARX_SOLVER_CONFIGURATION,
      iterationsPerTry: 50,
      iterationsTotal: 500,
      random: seededRandom(7),
    };
    const out = solveNewtonRaphson(noRoot, { x: 1, y: 1 }, config);
    expect(out.converged).toBe(false);
    expect(out.solution.x).toBeNaN();
    // The last try may run its full 50 (+1) after the total is reached.
    expect(out.iterations).toBeLessThanOrEqual(500 + 52);
  });
});
