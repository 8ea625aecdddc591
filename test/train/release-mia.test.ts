import { describe, expect, it } from "vitest";
import { logLoss } from "../../src/train/index.js";
import { seededRandom } from "../../src/train/random.js";
import { membershipInference, perExampleLoss, perExampleLosses } from "../../src/train/release/index.js";

/** The attack by brute force: every candidate threshold, every pair. O(n²), for checking. */
function bruteForce(lossesIn: number[], lossesOut: number[]) {
  let advantage = 0;
  for (const t of [...lossesIn, ...lossesOut]) {
    const tpr = lossesIn.filter((l) => l <= t).length / lossesIn.length;
    const fpr = lossesOut.filter((l) => l <= t).length / lossesOut.length;
    advantage = Math.max(advantage, tpr - fpr);
  }
  let wins = 0;
  for (const a of lossesIn) for (const b of lossesOut) wins += a < b ? 1 : a === b ? 0.5 : 0;
  return { advantage, auc: wins / (lossesIn.length * lossesOut.length) };
}

describe("membership inference (loss threshold)", () => {
  it("a hand case: the best threshold, its rates and the attack's AUC", () => {
    // Sorted: 0.1 in, 0.2 in, 0.25 out, 0.3 in, 0.4 out, 0.5 out.
    const m = membershipInference({ lossesIn: [0.3, 0.1, 0.2], lossesOut: [0.5, 0.25, 0.4] });
    expect(m.advantage).toBeCloseTo(2 / 3, 12);
    // Two thresholds reach 2/3 (0.2 and 0.3); the first, with no false positive, is reported.
    expect(m.threshold).toBe(0.2);
    expect(m.truePositiveRate).toBeCloseTo(2 / 3, 12);
    expect(m.falsePositiveRate).toBe(0);
    expect(m.auc).toBeCloseTo(8 / 9, 12);
    expect([m.heldIn, m.heldOut]).toEqual([3, 3]);
  });

  it("ties move together: a threshold cannot split equal losses, and a tie counts one half in the AUC", () => {
    const m = membershipInference({ lossesIn: [1, 1], lossesOut: [1, 2] });
    expect(m.advantage).toBe(0.5);
    expect(m.threshold).toBe(1);
    expect(m.auc).toBe(0.75);
  });

  it("identity: equal distributions give advantage 0 and AUC ½; separable ones advantage 1", () => {
    const same = [0.3, 0.7, 0.7, 1.2, 2.5];
    const equal = membershipInference({ lossesIn: same, lossesOut: same });
    expect(equal.advantage).toBe(0);
    expect(equal.threshold).toBe(Number.NEGATIVE_INFINITY);
    expect(equal.auc).toBe(0.5);
    const apart = membershipInference({ lossesIn: [0.01, 0.02, 0.05], lossesOut: [0.9, 1.4, 3, 7] });
    expect(apart.advantage).toBe(1);
    expect(apart.auc).toBe(1);
    expect(apart.threshold).toBe(0.05);
    // Members with the higher losses: the attack does no better than chance, by definition of its direction.
    const reversed = membershipInference({ lossesIn: [0.9, 1.4], lossesOut: [0.01, 0.02] });
    expect(reversed.advantage).toBe(0);
    expect(reversed.auc).toBe(0);
  });

  it("equals the brute-force attack on random losses with ties, unequal sizes", () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      const lossesIn = Array.from({ length: 30 + trial }, () => Math.round(random() * 20) / 10);
      const lossesOut = Array.from({ length: 50 - trial }, () => Math.round(random() * 25) / 10);
      const m = membershipInference({ lossesIn, lossesOut });
      const b = bruteForce(lossesIn, lossesOut);
      expect(m.advantage).toBeCloseTo(b.advantage, 12);
      expect(m.auc).toBeCloseTo(b.auc, 12);
    }
  });

  it("is O(n log n): 200,000 losses in well under a second", () => {
    const random = seededRandom(3);
    const lossesIn = Float64Array.from({ length: 100_000 }, () => random());
    const lossesOut = Float64Array.from({ length: 100_000 }, () => random() * 1.1);
    const start = performance.now();
    const m = membershipInference({ lossesIn, lossesOut });
    expect(performance.now() - start).toBeLessThan(1000);
    // Uniform(0, 1) against Uniform(0, 1.1): the best threshold is 1, advantage 1 − 1/1.1 ≈ 0.0909.
    expect(m.advantage).toBeCloseTo(1 - 1 / 1.1, 2);
  });

  it("the chance level: equal distributions exceed it about 5 % of the time", () => {
    const m = membershipInference({
      lossesIn: new Float64Array(1000).fill(1),
      lossesOut: new Float64Array(1000).fill(1),
    });
    expect(m.chanceLevel).toBeCloseTo(Math.sqrt(Math.log(20) / 1000), 12);
    const random = seededRandom(11);
    let above = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const lossesIn = Float64Array.from({ length: 150 }, () => random());
      const lossesOut = Float64Array.from({ length: 250 }, () => random());
      const r = membershipInference({ lossesIn, lossesOut });
      if (r.advantage > r.chanceLevel) above++;
    }
    // Binomial(400, ≈0.05): mean 20, sd ≈ 4.4 (the asymptotic quantile is slightly conservative).
    expect(above).toBeGreaterThan(4);
    expect(above).toBeLessThan(36);
  });

  it("per-example log loss matches the mean log loss, and bad input is named", () => {
    expect(perExampleLoss(0.8, 1)).toBeCloseTo(-Math.log(0.8), 15);
    expect(perExampleLoss(0.8, 0)).toBeCloseTo(-Math.log(0.2), 15);
    // p = 1 on a negative: capped near −ln(1e-15) ≈ 34.5, not infinite.
    expect(perExampleLoss(1, 0)).toBeCloseTo(-Math.log(1e-15), 2);
    const p = [0.1, 0.9, 0.5, 0.3];
    const y = [0, 1, 1, 0];
    const losses = perExampleLosses(p, y);
    expect(losses.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(logLoss(p, y), 12);
    expect(() => perExampleLoss(1.2, 1)).toThrow("perExampleLoss: p = 1.2 is not a probability");
    expect(() => perExampleLoss(0.5, 2)).toThrow("perExampleLoss: y = 2, expected 0 or 1");
    expect(() => perExampleLosses([0.5], [1, 0])).toThrow("1 probabilities for 2 labels");
    expect(() => membershipInference({ lossesIn: [], lossesOut: [1] })).toThrow(
      "membershipInference.lossesIn: no loss",
    );
    expect(() => membershipInference({ lossesIn: [1], lossesOut: [0.2, -1] })).toThrow(
      "membershipInference.lossesOut[1]: a loss is a finite number ≥ 0",
    );
  });
});
