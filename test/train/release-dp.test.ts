import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BudgetExceededError,
  NoBudgetError,
  PrivacyLedger,
  SeededRandom,
  zcdpEpsilon,
  zcdpRho,
} from "../../src/privacy/dp/index.js";
import type { Database } from "../../src/store/index.js";
import {
  fitLogistic,
  modelFromJson,
  modelToJson,
  predictLogistic,
  rocAuc,
  syntheticTable,
  tableFromRows,
} from "../../src/train/index.js";
import { trainDpLogistic } from "../../src/train/release/dp-logistic.js";
import {
  DP_MECHANISM,
  dpLogisticAccounting,
  fitDpLogistic,
  impliedEpsilon,
} from "../../src/train/release/index.js";
import { backends } from "../helpers/databases.js";

const small = syntheticTable({ rows: 400, features: 16, seed: 11 });

describe("DP logistic regression: accounting and mechanism", () => {
  it("ρ = T/(2σ²) + 1/(2σ_n²) is the largest ρ that (ε, δ) allows, and implies no more than ε", () => {
    for (const [epsilon, delta, epochs] of [
      [1, 1e-6, 100],
      [0.1, 1e-5, 10],
      [8, 1e-9, 1000],
    ] as const) {
      const a = dpLogisticAccounting({ epsilon, delta, epochs });
      const rho = zcdpRho(epsilon, delta);
      expect(a.rhoGradients).toBeCloseTo(epochs / (2 * a.noiseMultiplier ** 2), 15);
      expect(a.rhoCount).toBeCloseTo(1 / (2 * a.countSigma ** 2), 15);
      expect(a.rho).toBeCloseTo(a.rhoGradients + a.rhoCount, 15);
      // The padding makes the noise a hair larger than the budget asks: never more ρ than allowed.
      expect(a.rho).toBeLessThanOrEqual(rho);
      expect(a.rho).toBeGreaterThan(rho * (1 - 1e-9));
      expect(a.rhoCount / a.rho).toBeCloseTo(0.02, 9);
      expect(impliedEpsilon(a)).toBeLessThanOrEqual(epsilon * (1 + 1e-9));
      expect(zcdpEpsilon(a.rho, delta)).toBeCloseTo(epsilon, 6);
    }
    // A hand figure: ε = 1, δ = 1e-6, T = 100: σ = √(100 / (2 · 0.98 ρ)).
    const a = dpLogisticAccounting({ epsilon: 1, delta: 1e-6, epochs: 100 });
    expect(a.noiseMultiplier).toBeCloseTo(Math.sqrt(100 / (2 * 0.98 * zcdpRho(1, 1e-6))), 9);
    // Four times the steps, twice the noise per step: the same ρ.
    expect(dpLogisticAccounting({ epsilon: 1, delta: 1e-6, epochs: 400 }).noiseMultiplier).toBeCloseTo(
      2 * a.noiseMultiplier,
      9,
    );
  });

  it("the noise added is the σC the accounting claims, and each row's gradient is clipped to C", () => {
    // All features 0: every row's gradient on a coefficient is 0, so after one step a coefficient is
    // −(σC·Z)/ñ: its spread over seeds and coefficients, times ñ ≈ n, is σC.
    const n = 2000;
    const p = 50;
    const zeros = {
      names: Array.from({ length: p }, (_, j) => `z${j}`),
      columns: Array.from({ length: p }, () => new Float64Array(n)),
      rows: n,
    };
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const params = { epsilon: 1, delta: 1e-6, epochs: 1, clip: 2, l2: 0 };
    const { noiseMultiplier } = dpLogisticAccounting(params);
    const draws: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const { model } = trainDpLogistic(zeros, labels, params, new SeededRandom(seed));
      for (const c of model.coefficients) draws.push(-c * n);
    }
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / (draws.length - 1));
    expect(sd / (noiseMultiplier * 2)).toBeGreaterThan(0.93);
    expect(sd / (noiseMultiplier * 2)).toBeLessThan(1.07);
    expect(Math.abs(mean)).toBeLessThan(0.1 * noiseMultiplier * 2);
    // A huge feature: the gradient (0.5 − 1)·(1000, 1) has norm ≈ 500, clipped to C = 1; with ε so large
    // that the noise vanishes, one step of rate 1 moves the coefficient by about 1, not 500.
    const big = { names: ["x"], columns: [new Float64Array(n).fill(1000)], rows: n };
    const { model } = trainDpLogistic(
      big,
      new Uint8Array(n).fill(1),
      { epsilon: 1e6, delta: 1e-6, epochs: 1, l2: 0 },
      new SeededRandom(1),
    );
    expect(model.coefficients[0]).toBeCloseTo(1000 / Math.hypot(1000, 1), 2);
    expect(model.intercept).toBeCloseTo(1 / Math.hypot(1000, 1), 4);
  });

  it("a tighter ε gives noisier weights (spread over seeds about ε-proportionally)", () => {
    const spread = (epsilon: number) => {
      const runs = Array.from(
        { length: 16 },
        (_, s) =>
          trainDpLogistic(
            small.table,
            small.labels,
            { epsilon, delta: 1e-6, epochs: 20 },
            new SeededRandom(s),
          ).model.coefficients,
      );
      let total = 0;
      for (let j = 0; j < runs[0]!.length; j++) {
        const values = runs.map((c) => c[j]!);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        total += values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
      }
      return Math.sqrt(total);
    };
    const tight = spread(0.2);
    const loose = spread(2);
    const looser = spread(20);
    expect(tight).toBeGreaterThan(3 * loose);
    expect(loose).toBeGreaterThan(3 * looser);
  });

  it("at ε = 1 on 5,000 learners the model is within 0.03 AUC of the non-private fit", () => {
    const train = syntheticTable({ rows: 5000, features: 16, seed: 3 });
    const test = syntheticTable({ rows: 5000, features: 16, seed: 4 });
    const exact = rocAuc(predictLogistic(fitLogistic(train.table, train.labels), test.table), test.labels);
    const { model } = trainDpLogistic(
      train.table,
      train.labels,
      { epsilon: 1, delta: 1e-6 },
      new SeededRandom(1),
    );
    const dp = rocAuc(predictLogistic(model, test.table), test.labels);
    expect(dp).toBeGreaterThan(exact - 0.03);
    expect(model.fit.method).toBe("dp-gradient-descent");
    // Our JSON form carries it (the objective, not private, is not computed).
    expect(modelFromJson(JSON.parse(JSON.stringify(modelToJson(model))))).toMatchObject({
      kind: "logistic",
      coefficients: model.coefficients,
    });
  });

  it("public bounds scale the features; predictions read them back; bad parameters are named", () => {
    const table = tableFromRows(
      ["age", "clicks"],
      [
        [18, 0],
        [60, 900],
        [35, 120],
        [22, null],
      ],
    );
    const bounds = [
      { low: 16, high: 80 },
      { low: 0, high: 1000 },
    ];
    const { model } = trainDpLogistic(
      table,
      [0, 1, 1, 0],
      { epsilon: 1, delta: 1e-6, bounds },
      new SeededRandom(1),
    );
    expect(model.means).toEqual([48, 500]);
    expect(model.sds).toEqual([32, 500]);
    const p = predictLogistic(model, table);
    const z = (18 - 48) / 32;
    expect(p[0]).toBeCloseTo(
      1 / (1 + Math.exp(-(model.intercept + model.coefficients[0]! * z + model.coefficients[1]! * -1))),
      12,
    );
    const bad = (params: object, message: string) =>
      expect(() =>
        trainDpLogistic(table, [0, 1, 1, 0], { epsilon: 1, delta: 1e-6, ...params }, new SeededRandom(1)),
      ).toThrow(message);
    bad({ bounds: [bounds[0]] }, "dpLogistic.bounds: 1 bounds for 2 features");
    bad(
      { bounds: [bounds[0], { low: 5, high: 5 }] },
      "dpLogistic.bounds[1] (clicks): low < high, both finite",
    );
    bad({ epsilon: 0 }, "dpLogistic.epsilon: must be a positive number");
    bad({ delta: 0 }, "dpLogistic.delta: must be in (0, 1)");
    bad({ epochs: 2.5 }, "dpLogistic.epochs: an integer in 1..100000");
    bad({ clip: -1 }, "dpLogistic.clip: must be a positive number");
    bad({ l2: -1 }, "dpLogistic.l2: must be a number ≥ 0");
  });
});

for (const backend of await backends()) {
  describe(`DP logistic regression charged to the ledger (${backend.name})`, () => {
    let db: Database;
    let ledger: PrivacyLedger;
    beforeAll(async () => {
      db = await backend.open();
      ledger = new PrivacyLedger(db);
    });
    afterAll(async () => {
      await db.close();
    });
    const train = (dataset: string, params: { epsilon: number; delta: number; seed?: number }) =>
      fitDpLogistic(
        small.table,
        small.labels,
        { epochs: 20, ...params },
        { ledger, dataset, consumer: "lab", actor: "job-1" },
      );

    it("charges (ε, δ) before returning the model; a second run beyond the budget is refused", async () => {
      await ledger.setBudget("dropout-v3", "lab", { epsilon: 1.5, delta: 1e-5 }, "test");
      const first = await train("dropout-v3", { epsilon: 1, delta: 1e-6, seed: 1 });
      expect(first.dp).toMatchObject({ epsilon: 1, delta: 1e-6, mechanism: DP_MECHANISM, seeded: true });
      expect(first.dp.charge).toMatchObject({ epsilon: "1.0", delta: "0.000001", actor: "job-1" });
      expect(await ledger.charges("dropout-v3", "lab")).toHaveLength(1);
      const refused = train("dropout-v3", { epsilon: 1, delta: 1e-6, seed: 2 });
      await expect(refused).rejects.toBeInstanceOf(BudgetExceededError);
      await expect(refused).rejects.toThrow("budget spent: ε 1.0 of 1.5 used; this query needs 1.0");
      expect(await ledger.charges("dropout-v3", "lab")).toHaveLength(1);
      // What remains still buys a smaller run.
      await train("dropout-v3", { epsilon: 0.5, delta: 1e-6, seed: 3 });
      expect((await ledger.status("dropout-v3", "lab"))?.remaining.epsilon).toBe("0.0");
    });

    it("a zCDP budget is charged the training's ρ; no budget refuses before training", async () => {
      await ledger.setBudget("dropout-zcdp", "lab", { rho: 0.1, delta: 1e-6 }, "test");
      const { dp } = await train("dropout-zcdp", { epsilon: 1, delta: 1e-6, seed: 1 });
      expect(Number(dp.charge?.rho)).toBeCloseTo(dp.rho, 12);
      expect(Number(dp.charge?.rho)).toBeGreaterThanOrEqual(dp.rho);
      await expect(train("nothing", { epsilon: 1, delta: 1e-6 })).rejects.toBeInstanceOf(NoBudgetError);
      expect(await ledger.charges("nothing", "lab")).toHaveLength(0);
    });

    it("same seed, same model; another seed, another model", async () => {
      await ledger.setBudget("seeded", "lab", { epsilon: 10, delta: 1e-4 }, "test");
      const a = await train("seeded", { epsilon: 1, delta: 1e-6, seed: 42 });
      const b = await train("seeded", { epsilon: 1, delta: 1e-6, seed: 42 });
      const c = await train("seeded", { epsilon: 1, delta: 1e-6, seed: 43 });
      expect(b.model).toEqual(a.model);
      expect(c.model.coefficients).not.toEqual(a.model.coefficients);
      // Without a seed, the secure source: not reproducible, and said so.
      const d = await train("seeded", { epsilon: 1, delta: 1e-6 });
      expect(d.dp.seeded).toBe(false);
    });
  });
}
