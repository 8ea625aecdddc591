import { describe, expect, it } from "vitest";
import { logLoss, rocAuc } from "../../src/train/evaluate/metrics.js";
import { featureImportance, fitGbdt, predictGbdt } from "../../src/train/models/gbdt.js";
import { modelFromJson, modelToJson, predict } from "../../src/train/models/json.js";
import { fitLogistic, predictLogistic } from "../../src/train/models/logistic.js";
import { seededRandom } from "../../src/train/random.js";
import { syntheticTable } from "../../src/train/synthetic.js";
import { type FeatureTable, tableFromRows } from "../../src/train/table.js";

/** y = [x1 · x2 > 0], 10 % of labels flipped: no single feature, and no linear combination, tells. */
function xor(n: number, seed: number): { table: FeatureTable; labels: Uint8Array } {
  const random = seededRandom(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = random() * 2 - 1;
    x2[i] = random() * 2 - 1;
    const y = x1[i]! * x2[i]! > 0 ? 1 : 0;
    labels[i] = random() < 0.1 ? 1 - y : y;
  }
  return { table: { names: ["x1", "x2"], columns: [x1, x2], rows: n }, labels };
}

describe("gradient-boosted trees", () => {
  it("learn an XOR-like interaction that logistic regression cannot", () => {
    const train = xor(4000, 1);
    const test = xor(2000, 2);
    const trees = fitGbdt(train.table, train.labels, { trees: 60, maxDepth: 3, learningRate: 0.2 });
    const linear = fitLogistic(train.table, train.labels);
    const treesAuc = rocAuc(predictGbdt(trees, test.table), test.labels);
    const linearAuc = rocAuc(predictLogistic(linear, test.table), test.labels);
    expect(treesAuc).toBeGreaterThan(0.85);
    expect(linearAuc).toBeLessThan(0.6);
    expect(treesAuc - linearAuc).toBeGreaterThan(0.3);
  });

  it("early stopping stops once the validation loss stops improving, and keeps the best round", () => {
    // Labels unrelated to the features: every tree after the first few only fits noise.
    const random = seededRandom(4);
    const make = (n: number) => {
      const { table } = syntheticTable({ rows: n, features: 16, seed: Math.floor(random() * 1e6) });
      return { table, labels: Uint8Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0)) };
    };
    const train = make(1500);
    const valid = make(1500);
    const model = fitGbdt(
      train.table,
      train.labels,
      { trees: 200, learningRate: 0.3, earlyStoppingRounds: 5 },
      valid,
    );
    expect(model.fit.stoppedEarly).toBe(true);
    expect(model.fit.grown).toBeLessThan(200);
    expect(model.fit.grown - model.fit.kept).toBe(5);
    expect(model.trees.length).toBe(model.fit.kept);
    const losses = model.fit.validationLoss;
    const best = losses.indexOf(Math.min(...losses));
    expect(model.fit.kept).toBe(best + 1);
  });

  it("training (on bins) and prediction (on raw values) walk the trees alike", () => {
    const { table, labels } = syntheticTable({ rows: 2000, features: 16, seed: 12 });
    const model = fitGbdt(table, labels, { trees: 15, maxDepth: 4 }, { table, labels });
    expect(model.fit.validationLoss.at(-1)).toBeCloseTo(logLoss(predictGbdt(model, table), labels), 6);
  });

  it("same seed → identical model JSON; another seed → another model under subsampling", () => {
    const { table, labels } = syntheticTable({ rows: 3000, features: 20, seed: 9 });
    const params = { trees: 20, maxDepth: 4, subsample: 0.7, colsample: 0.6 };
    const a = JSON.stringify(modelToJson(fitGbdt(table, labels, { ...params, seed: 1 })));
    const b = JSON.stringify(modelToJson(fitGbdt(table, labels, { ...params, seed: 1 })));
    const c = JSON.stringify(modelToJson(fitGbdt(table, labels, { ...params, seed: 2 })));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("missing values get their own direction, learned from the data", () => {
    // Missing x means positive; present x is noise.
    const random = seededRandom(6);
    const rows: (number | null)[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const missing = random() < 0.3;
      rows.push([missing ? null : random(), random()]);
      labels.push(missing ? 1 : random() < 0.2 ? 1 : 0);
    }
    const model = fitGbdt(tableFromRows(["x", "z"], rows), labels, { trees: 20, maxDepth: 2 });
    const p = predictGbdt(
      model,
      tableFromRows(
        ["x", "z"],
        [
          [null, 0.5],
          [0.5, 0.5],
        ],
      ),
    );
    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[1]).toBeLessThan(0.35);
  });

  it("balanced class weights raise the predictions of a rare class", () => {
    const { table, labels } = syntheticTable({ rows: 3000, features: 16, seed: 2 });
    const rare = labels.map((y, i) => (y === 1 && i % 4 === 0 ? 1 : 0));
    const plain = predictGbdt(fitGbdt(table, rare, { trees: 20, maxDepth: 3 }), table);
    const weighted = predictGbdt(
      fitGbdt(table, rare, { trees: 20, maxDepth: 3, classWeights: "balanced" }),
      table,
    );
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(plain)).toBeLessThan(0.15);
    expect(mean(weighted)).toBeGreaterThan(0.35);
  });

  it("leaf-wise growth respects the leaf budget; depth-wise the depth", () => {
    const { table, labels } = syntheticTable({ rows: 2000, features: 16, seed: 3 });
    const leafwise = fitGbdt(table, labels, { trees: 10, growth: "lossguide", maxLeaves: 7, maxDepth: 10 });
    for (const tree of leafwise.trees)
      expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(7);
    expect(leafwise.trees.some((t) => t.feature.filter((f) => f < 0).length === 7)).toBe(true);
    const depthwise = fitGbdt(table, labels, { trees: 10, maxDepth: 2 });
    for (const tree of depthwise.trees) expect(tree.feature.length).toBeLessThanOrEqual(7);
  });

  it("the JSON form reads back to the same predictions, and a damaged one is refused with its path", () => {
    const { table, labels } = syntheticTable({ rows: 1000, features: 16, seed: 8 });
    const model = fitGbdt(table, labels, { trees: 5, maxDepth: 3 });
    const json = JSON.parse(JSON.stringify(modelToJson(model)));
    expect(json.format).toBe("learnpool.model");
    expect(json.version).toBe(1);
    expect(json.featureNames[0]).toBe("x00");
    expect(predict(modelFromJson(json), table)).toEqual(predictGbdt(model, table));
    expect(() => modelFromJson({ ...json, version: 2 })).toThrow(/model.version: 2 is not supported/);
    const loop = structuredClone(json);
    loop.trees[1].left[0] = 0;
    expect(() => modelFromJson(loop)).toThrow(/model.trees\[1\].left\[0\]: not a later node/);
    const linear = modelToJson(fitLogistic(table, labels));
    expect(predict(modelFromJson(JSON.parse(JSON.stringify(linear))), table)).toEqual(predict(linear, table));
  });

  it("feature importance ranks the strongest signal first", () => {
    const { table, labels } = syntheticTable({ rows: 4000, features: 20, seed: 1 });
    const ranking = featureImportance(fitGbdt(table, labels, { trees: 20, maxDepth: 3 }));
    expect(["x00", "x10", "x11", "x12"]).toContain(ranking[0]!.feature);
    expect(ranking.at(-1)!.gain).toBeLessThan(ranking[0]!.gain / 10);
  });

  it("refuses bad parameters by name", () => {
    const { table, labels } = syntheticTable({ rows: 100, features: 16 });
    expect(() => fitGbdt(table, labels, { maxBins: 256 })).toThrow(
      /gbdt.maxBins: must be an integer in 2..255/,
    );
    expect(() => fitGbdt(table, labels, { subsample: 0 })).toThrow(/gbdt.subsample/);
    expect(() => fitGbdt(table, labels, { earlyStoppingRounds: 3 })).toThrow(/needs a validation set/);
  });
});
