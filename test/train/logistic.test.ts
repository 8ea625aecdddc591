import { describe, expect, it } from "vitest";
import { fitLogistic, originalScale, predictLogistic } from "../../src/train/models/logistic.js";
import { gaussian, seededRandom } from "../../src/train/random.js";
import { type FeatureTable, tableFromRows } from "../../src/train/table.js";

/** y ~ Bernoulli(σ(−0.5 + 1.5 a − 1.0 b + 0.5 c)), with b on a scale of 2 around 10 (standardization must undo it). */
function synthetic(n: number, seed: number): { table: FeatureTable; labels: Uint8Array } {
  const random = seededRandom(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = gaussian(random);
    b[i] = 10 + 2 * gaussian(random);
    c[i] = random() < 0.5 ? 1 : 0;
    const logit = -0.5 + 1.5 * a[i]! - 1.0 * (b[i]! - 10) + 0.5 * c[i]!;
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { table: { names: ["a", "b", "c"], columns: [a, b, c], rows: n }, labels };
}

// One binary feature: 1 positive of 4 at x = 0, 3 of 4 at x = 1. The unpenalized maximum-likelihood fit
// is the two log-odds: intercept logit(1/4) = −ln 3, slope logit(3/4) − logit(1/4) = 2 ln 3.
const tiny = tableFromRows(["x"], [[0], [0], [0], [0], [1], [1], [1], [1]]);
const tinyLabels = [1, 0, 0, 0, 1, 1, 1, 0];

describe("logistic regression", () => {
  it("recovers known coefficients on the features' own scale", () => {
    const { table, labels } = synthetic(20000, 11);
    const model = fitLogistic(table, labels, { l2: 0 });
    expect(model.fit.converged).toBe(true);
    expect(model.fit.method).toBe("newton");
    expect(model.fit.iterations).toBeLessThan(15);
    const { intercept, coefficients } = originalScale(model);
    expect(coefficients[0]).toBeCloseTo(1.5, 1);
    expect(coefficients[1]).toBeCloseTo(-1.0, 1);
    expect(coefficients[2]).toBeCloseTo(0.5, 1);
    expect(intercept).toBeCloseTo(-0.5 + 10, 0);
    expect(model.means[1]).toBeCloseTo(10, 1);
    expect(model.sds[1]).toBeCloseTo(2, 1);
  });

  it("matches the hand computation on a tiny case", () => {
    const model = fitLogistic(tiny, tinyLabels, { l2: 0 });
    const { intercept, coefficients } = originalScale(model);
    expect(intercept).toBeCloseTo(-Math.log(3), 8);
    expect(coefficients[0]).toBeCloseTo(2 * Math.log(3), 8);
    const p = predictLogistic(model, tableFromRows(["x"], [[0], [1]]));
    expect(p[0]).toBeCloseTo(0.25, 8);
    expect(p[1]).toBeCloseTo(0.75, 8);
  });

  it("class weights count a positive as several: the fit follows the weighted shares", () => {
    // x = 0: 1 positive × 3 against 3 negatives → 3/6; x = 1: 3 positives × 3 against 1 → 9/10.
    const model = fitLogistic(tiny, tinyLabels, { l2: 0, classWeights: { negative: 1, positive: 3 } });
    const p = predictLogistic(model, tableFromRows(["x"], [[0], [1]]));
    expect(p[0]).toBeCloseTo(0.5, 8);
    expect(p[1]).toBeCloseTo(0.9, 8);
  });

  it("the L2 penalty shrinks the coefficients", () => {
    const { table, labels } = synthetic(2000, 3);
    const free = fitLogistic(table, labels, { l2: 0 });
    const shrunk = fitLogistic(table, labels, { l2: 1 });
    const norm = (m: typeof free) => m.coefficients.reduce((s, b) => s + b * b, 0);
    expect(norm(shrunk)).toBeLessThan(norm(free) / 2);
  });

  it("with L1, noise features get exactly zero and the signal stays", () => {
    const random = seededRandom(5);
    const { table, labels } = synthetic(3000, 5);
    const noise = Array.from({ length: 4 }, () =>
      Float64Array.from({ length: 3000 }, () => gaussian(random)),
    );
    const wide: FeatureTable = {
      names: [...table.names, "n1", "n2", "n3", "n4"],
      columns: [...table.columns, ...noise],
      rows: 3000,
    };
    const model = fitLogistic(wide, labels, { l1: 0.02 });
    expect(model.fit.method).toBe("fista");
    expect(model.fit.converged).toBe(true);
    expect(model.coefficients.slice(3)).toEqual([0, 0, 0, 0]);
    expect(Math.abs(model.coefficients[0]!)).toBeGreaterThan(0.5);
    expect(Math.abs(model.coefficients[1]!)).toBeGreaterThan(0.5);
  });

  it("a missing value is read as the training mean", () => {
    const { table, labels } = synthetic(1000, 9);
    const model = fitLogistic(table, labels);
    const rows = tableFromRows(
      ["a", "b", "c"],
      [
        [0.3, null, 1],
        [0.3, model.means[1]!, 1],
      ],
    );
    const p = predictLogistic(model, rows);
    expect(p[0]).toBeCloseTo(p[1]!, 12);
  });

  it("refuses bad input, naming what and where", () => {
    expect(() => fitLogistic(tiny, [1, 0, 2, 0, 1, 1, 1, 0])).toThrow(/training labels: row 2 is 2/);
    expect(() => fitLogistic(tiny, [0, 0, 0, 0, 0, 0, 0, 0])).toThrow(/only one class/);
    expect(() => fitLogistic(tiny, tinyLabels, { l2: -1 })).toThrow(/logistic.l2/);
    const model = fitLogistic(tiny, tinyLabels);
    expect(() => predictLogistic(model, tableFromRows(["y"], [[1]]))).toThrow(
      /features \[y\] differ from the model's \[x\]/,
    );
    expect(() => tableFromRows(["x", "x"], [[1, 2]])).toThrow(/"x" appears twice/);
  });
});
