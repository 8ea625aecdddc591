import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  earlyDetectionCurve,
  earlyDetectionFromScores,
  firstDayReaching,
} from "../../src/train/evaluate/early.js";
import { groupMetrics } from "../../src/train/evaluate/groups.js";
import {
  averagePrecision,
  brierScore,
  calibration,
  logLoss,
  prCurve,
  rocAuc,
  rocCurve,
  summarize,
} from "../../src/train/evaluate/metrics.js";

/** The Mann–Whitney count itself: over every (positive, negative) pair, 1 if ranked right, ½ if tied. */
function pairCount(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("ROC-AUC", () => {
  it("equals the Mann–Whitney count on a hand case with ties", () => {
    // Positives .35 .8 .4 against negatives .1 .4: wins 1+0+1+1+1+½ of 6 pairs.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1])).toBe(0.75);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.2, 0.9], [0, 1])).toBe(1);
  });

  it("equals the pair count on any small case, ties included", () => {
    const cases = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), {
        minLength: 2,
        maxLength: 40,
      })
      .filter((rows) => rows.some((r) => r[1] === 1) && rows.some((r) => r[1] === 0));
    fc.assert(
      fc.property(cases, (rows) => {
        const scores = rows.map((r) => r[0] / 5);
        const labels = rows.map((r) => r[1]);
        expect(rocAuc(scores, labels)).toBeCloseTo(pairCount(scores, labels), 12);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("the curve steps once per distinct score from (0, 0) to (1, 1), and its area is the AUC", () => {
    const scores = [0.1, 0.4, 0.35, 0.8, 0.4];
    const labels = [0, 0, 1, 1, 1];
    const curve = rocCurve(scores, labels);
    expect(curve.map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 1 / 3],
      [0.5, 2 / 3],
      [0.5, 1],
      [1, 1],
    ]);
    let area = 0;
    for (let k = 1; k < curve.length; k++) {
      area += ((curve[k]!.fpr - curve[k - 1]!.fpr) * (curve[k]!.tpr + curve[k - 1]!.tpr)) / 2;
    }
    expect(area).toBeCloseTo(rocAuc(scores, labels), 12);
  });

  it("refuses one class, mismatched lengths and non-numbers, by name", () => {
    expect(() => rocAuc([0.1, 0.2], [1, 1])).toThrow(
      /rocAuc: needs both classes \(2 positives, 0 negatives\)/,
    );
    expect(() => rocAuc([0.1], [1, 0])).toThrow(/rocAuc: 1 scores for 2 labels/);
    expect(() => rocAuc([0.1, Number.NaN], [1, 0])).toThrow(/rocAuc: score 1 is not a finite number/);
  });
});

describe("PR-AUC, Brier, calibration", () => {
  it("average precision on hand cases", () => {
    // Recall ½ at precision 1, then recall 1 at precision ⅔: ½·1 + ½·⅔.
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBeCloseTo(5 / 6, 12);
    // A tie at the top counts as one threshold: recall ½ at precision ½, then 1 at ⅔.
    expect(averagePrecision([0.9, 0.9, 0.5], [1, 0, 1])).toBeCloseTo(0.5 * 0.5 + 0.5 * (2 / 3), 12);
    expect(prCurve([0.9, 0.9, 0.5], [1, 0, 1]).map((p) => [p.recall, p.precision])).toEqual([
      [0, 1],
      [0.5, 0.5],
      [1, 2 / 3],
    ]);
  });

  it("Brier score and log loss on a hand case", () => {
    expect(brierScore([0.9, 0.2, 0.6], [1, 0, 0])).toBeCloseTo((0.01 + 0.04 + 0.36) / 3, 12);
    expect(logLoss([0.9, 0.2, 0.6], [1, 0, 0])).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3,
      12,
    );
    expect(() => brierScore([1.2], [1])).toThrow(/brierScore: score 0 is not a probability/);
  });

  it("reliability bins and ECE on a hand case", () => {
    const c = calibration([0.1, 0.1, 0.3, 0.9, 1], [0, 1, 0, 1, 1], 10);
    expect(c.bins.map((b) => [b.lower, b.count, b.predicted, b.observed])).toEqual([
      [0.1, 2, 0.1, 0.5],
      [0.3, 1, 0.3, 0],
      [0.9, 2, 0.95, 1],
    ]);
    // (2·0.4 + 1·0.3 + 2·0.05) / 5
    expect(c.ece).toBeCloseTo(1.2 / 5, 12);
    expect(c.mce).toBeCloseTo(0.4, 12);
    expect(() => calibration([0.5], [1], 0)).toThrow(/calibration.bins/);
  });

  it("the summary gathers them", () => {
    const s = summarize([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1]);
    expect(s).toMatchObject({ n: 5, positives: 3, auc: 0.75 });
    expect(s.brier).toBeCloseTo(brierScore([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1]), 12);
  });
});

describe("metrics per group", () => {
  it("gives each group its counts and metrics, marks small groups and finds the largest gap among the others", () => {
    const scores = [0.9, 0.8, 0.2, 0.1, 0.6, 0.7, 0.4, 0.5, 0.3, 0.9, 0.5];
    const labels = [1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1];
    const groups = ["f", "f", "f", "f", "m", "m", "m", "m", "x", "x", null];
    const report = groupMetrics(scores, labels, groups, { attribute: "gender", minSize: 3 });
    expect(report.groups.map((g) => [g.group, g.n, g.positives, g.small])).toEqual([
      ["f", 4, 2, false],
      ["m", 4, 2, false],
      ["unknown", 1, 1, true],
      ["x", 2, 1, true],
    ]);
    const f = report.groups[0]!;
    const m = report.groups[1]!;
    expect(f.auc).toBe(1);
    // m: positives .6 .4 against negatives .7 .5: only .6 > .5 of 4 pairs.
    expect(m.auc).toBe(0.25);
    expect(report.groups[2]!.auc).toBeNull();
    // Small groups are out of the comparison, though x's AUC (0) is the lowest.
    expect(report.largestGap).toEqual({ metric: "auc", value: 0.75, highest: "f", lowest: "m" });
    expect(report.gaps.map((g) => g.metric)).toEqual([
      "auc",
      "averagePrecision",
      "brier",
      "positiveRate",
      "meanScore",
    ]);
  });

  it("names the mismatch when group values do not line up", () => {
    expect(() => groupMetrics([0.5, 0.5], [0, 1], ["a"], { attribute: "region" })).toThrow(
      /1 group values for 2 rows/,
    );
  });
});

describe("early-detection curve", () => {
  it("orders the days, finds the best and the first day reaching a target", () => {
    const curve = earlyDetectionCurve([
      { day: 28, auc: 0.74 },
      { day: 0, auc: 0.6 },
      { day: 14, auc: 0.7 },
      { day: 56, auc: 0.8 },
    ]);
    expect(curve.points.map((p) => p.day)).toEqual([0, 14, 28, 56]);
    expect(curve.best.day).toBe(56);
    expect(firstDayReaching(curve, 0.73)).toBe(28);
    expect(firstDayReaching(curve, 0.9)).toBeNull();
    expect(() =>
      earlyDetectionCurve([
        { day: 1, auc: 0.5 },
        { day: 1, auc: 0.6 },
      ]),
    ).toThrow(/day 1 appears twice/);
    expect(() => earlyDetectionCurve([{ day: 1, auc: 1.5 }])).toThrow(/\[0\].auc/);
  });

  it("computes each day's AUC from scores", () => {
    const curve = earlyDetectionFromScores([
      { day: 7, scores: [0.1, 0.4, 0.35, 0.8, 0.4], labels: [0, 0, 1, 1, 1] },
      { day: 0, scores: [0.5, 0.5], labels: [0, 1] },
    ]);
    expect(curve.points).toEqual([
      { day: 0, auc: 0.5, n: 2 },
      { day: 7, auc: 0.75, n: 5 },
    ]);
  });
});
