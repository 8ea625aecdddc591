import * as ort from "onnxruntime-web";
import { beforeAll, describe, expect, it } from "vitest";
import { fitGbdt } from "../../src/train/models/gbdt.js";
import { type Model, predict } from "../../src/train/models/json.js";
import { fitLogistic } from "../../src/train/models/logistic.js";
import { ONNX_INPUT, ONNX_OUTPUT, toOnnx } from "../../src/train/onnx/export.js";
import { ProtoWriter } from "../../src/train/onnx/proto.js";
import { syntheticTable } from "../../src/train/synthetic.js";
import type { FeatureTable } from "../../src/train/table.js";

// The WASM runtime on one thread: no worker, same answers on any machine.
beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

async function runOnnx(model: Model, table: FeatureTable): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(toOnnx(model));
  const p = table.columns.length;
  const input = new Float32Array(table.rows * p);
  table.columns.forEach((column, j) => {
    for (let i = 0; i < table.rows; i++) input[i * p + j] = column[i]!;
  });
  const out = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", input, [table.rows, p]) });
  const probability = out[ONNX_OUTPUT]!;
  expect(probability.dims).toEqual([table.rows, 1]);
  await session.release();
  return probability.data as Float32Array;
}

/** The inputs as float32, as the runtime sees them: both sides then read the same numbers. */
function asFloat32(table: FeatureTable): FeatureTable {
  return { ...table, columns: table.columns.map((c) => Float64Array.from(Float32Array.from(c))) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const { table, labels } = syntheticTable({ rows: 3000, features: 20, seed: 5 });
const data = asFloat32(table);

describe("ONNX export, run by onnxruntime", () => {
  it("logistic regression: same probabilities (missing values included)", async () => {
    const model = fitLogistic(data, labels, { l2: 0.01 });
    const ours = predict(model, data);
    const theirs = await runOnnx(model, data);
    expect(theirs.length).toBe(data.rows);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
  });

  it("gradient-boosted trees: same probabilities (missing values routed the learned way)", async () => {
    const model = fitGbdt(data, labels, { trees: 40, maxDepth: 5, seed: 3, subsample: 0.8, colsample: 0.8 });
    expect(model.trees.some((t) => t.missingLeft.some((m, node) => m === 1 && t.feature[node]! >= 0))).toBe(
      true,
    );
    const ours = predict(model, data);
    const theirs = await runOnnx(model, data);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
  });

  it("names its input and output, and carries the feature names in its metadata", async () => {
    const model = fitLogistic(data, labels);
    const bytes = toOnnx(model);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["features"]);
    expect(session.outputNames).toEqual(["probability"]);
    await session.release();
    expect(Buffer.from(bytes).includes(JSON.stringify(model.featureNames))).toBe(true);
  });
});

describe("protobuf writer", () => {
  it("writes varints, negative int64s on ten bytes, packed floats", () => {
    expect([...new ProtoWriter().int(1, 300).finish()]).toEqual([0x08, 0xac, 0x02]);
    expect([...new ProtoWriter().int(3, -1).finish()]).toEqual([0x18, ...Array(9).fill(0xff), 0x01]);
    expect([...new ProtoWriter().packedFloats(7, [1]).finish()]).toEqual([
      0x3a, 0x04, 0x00, 0x00, 0x80, 0x3f,
    ]);
    expect([...new ProtoWriter().string(2, "é").finish()]).toEqual([0x12, 0x02, 0xc3, 0xa9]);
  });
});
