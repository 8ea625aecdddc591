import type { GbdtModel } from "../models/gbdt.js";
import type { Model } from "../models/json.js";
import type { LogisticModel } from "../models/logistic.js";
import { ProtoWriter } from "./proto.js";

/**
 * ONNX export of our models, so that a consumer runs them with onnxruntime anywhere. One input
 * `features` (float32, [N, F], NaN for missing, the features in `featureNames` order, which is also
 * written in the metadata) and one output `probability` (float32, [N, 1], P(y = 1)).
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto); IR version 8, opsets ai.onnx 13 and ai.onnx.ml 3.
 */
export const ONNX_INPUT = "features";
export const ONNX_OUTPUT = "probability";

const IR_VERSION = 8;
const OPSET = 13;
const ML_OPSET = 3;
const FLOAT = 1;

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

type Attribute =
  | { name: string; float: number }
  | { name: string; int: number }
  | { name: string; string: string }
  | { name: string; floats: ArrayLike<number> }
  | { name: string; ints: ArrayLike<number> }
  | { name: string; strings: readonly string[] };

interface Node {
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attribute[];
}

interface Initializer {
  name: string;
  dims: number[];
  values: ArrayLike<number>;
}

export function toOnnx(model: Model): Uint8Array {
  return model.kind === "logistic" ? logisticGraph(model) : gbdtGraph(model);
}

/** (x − mean) / sd, missing → 0, then z·β + b and the sigmoid: the same arithmetic as predictLogistic. */
function logisticGraph(model: LogisticModel): Uint8Array {
  const p = model.featureNames.length;
  return modelBytes(model, {
    initializers: [
      { name: "mean", dims: [p], values: model.means },
      { name: "sd", dims: [p], values: model.sds },
      { name: "zero", dims: [], values: [0] },
      { name: "coefficients", dims: [p, 1], values: model.coefficients },
      { name: "intercept", dims: [1], values: [model.intercept] },
    ],
    nodes: [
      { op: "Sub", inputs: [ONNX_INPUT, "mean"], outputs: ["centred"] },
      { op: "Div", inputs: ["centred", "sd"], outputs: ["standardized"] },
      { op: "IsNaN", inputs: ["standardized"], outputs: ["missing"] },
      { op: "Where", inputs: ["missing", "zero", "standardized"], outputs: ["filled"] },
      { op: "MatMul", inputs: ["filled", "coefficients"], outputs: ["linear"] },
      { op: "Add", inputs: ["linear", "intercept"], outputs: ["logit"] },
      { op: "Sigmoid", inputs: ["logit"], outputs: [ONNX_OUTPUT] },
    ],
  });
}

/** ai.onnx.ml TreeEnsembleRegressor (sum of leaf values + base score) then Sigmoid. */
function gbdtGraph(model: GbdtModel): Uint8Array {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetWeight: number[] = [];
  model.trees.forEach((tree, t) => {
    tree.feature.forEach((f, node) => {
      treeIds.push(t);
      nodeIds.push(node);
      if (f < 0) {
        featureIds.push(0);
        modes.push("LEAF");
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        targetTree.push(t);
        targetNode.push(node);
        targetWeight.push(tree.value[node]!);
      } else {
        // BRANCH_LEQ: x ≤ threshold goes to the "true" child, our left.
        featureIds.push(f);
        modes.push("BRANCH_LEQ");
        values.push(tree.threshold[node]!);
        trueIds.push(tree.left[node]!);
        falseIds.push(tree.right[node]!);
        missingTrue.push(tree.missingLeft[node]!);
      }
    });
  });
  return modelBytes(model, {
    initializers: [],
    nodes: [
      {
        op: "TreeEnsembleRegressor",
        domain: "ai.onnx.ml",
        inputs: [ONNX_INPUT],
        outputs: ["logit"],
        attributes: [
          { name: "n_targets", int: 1 },
          { name: "aggregate_function", string: "SUM" },
          { name: "post_transform", string: "NONE" },
          { name: "base_values", floats: [model.baseScore] },
          { name: "nodes_treeids", ints: treeIds },
          { name: "nodes_nodeids", ints: nodeIds },
          { name: "nodes_featureids", ints: featureIds },
          { name: "nodes_modes", strings: modes },
          { name: "nodes_values", floats: values },
          { name: "nodes_truenodeids", ints: trueIds },
          { name: "nodes_falsenodeids", ints: falseIds },
          { name: "nodes_missing_value_tracks_true", ints: missingTrue },
          { name: "target_treeids", ints: targetTree },
          { name: "target_nodeids", ints: targetNode },
          { name: "target_ids", ints: targetTree.map(() => 0) },
          { name: "target_weights", floats: targetWeight },
        ],
      },
      { op: "Sigmoid", inputs: ["logit"], outputs: [ONNX_OUTPUT] },
    ],
  });
}

function modelBytes(model: Model, graph: { initializers: Initializer[]; nodes: Node[] }): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, "learnpool");
  w.string(3, "1");
  w.string(
    6,
    `Learnpool ${model.kind} model: input "${ONNX_INPUT}" [N, ${model.featureNames.length}], output "${ONNX_OUTPUT}" [N, 1] = P(y = 1)`,
  );
  w.message(7, (g) => {
    graph.nodes.forEach((node, k) => {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `${node.op.toLowerCase()}_${k}`);
        n.string(4, node.op);
        for (const a of node.attributes ?? []) n.message(5, (m) => attribute(m, a));
        if (node.domain) n.string(7, node.domain);
      });
    });
    g.string(2, `learnpool_${model.kind}`);
    for (const init of graph.initializers) {
      g.message(5, (t) => {
        for (const d of init.dims) t.int(1, d);
        t.int(2, FLOAT);
        t.packedFloats(4, init.values);
        t.string(8, init.name);
      });
    }
    g.message(11, (v) => valueInfo(v, ONNX_INPUT, ["N", model.featureNames.length]));
    g.message(12, (v) => valueInfo(v, ONNX_OUTPUT, ["N", 1]));
  });
  w.message(8, (o) => o.string(1, "").int(2, OPSET));
  if (model.kind === "gbdt") w.message(8, (o) => o.string(1, "ai.onnx.ml").int(2, ML_OPSET));
  w.message(14, (e) => e.string(1, "feature_names").string(2, JSON.stringify(model.featureNames)));
  return w.finish();
}

function valueInfo(w: ProtoWriter, name: string, dims: (number | string)[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of dims)
          shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function attribute(w: ProtoWriter, a: Attribute): void {
  w.string(1, a.name);
  if ("float" in a) w.float(2, a.float).int(20, AttributeType.FLOAT);
  else if ("int" in a) w.int(3, a.int).int(20, AttributeType.INT);
  else if ("string" in a) w.string(4, a.string).int(20, AttributeType.STRING);
  else if ("floats" in a) w.packedFloats(7, a.floats).int(20, AttributeType.FLOATS);
  else if ("ints" in a) w.packedInts(8, a.ints).int(20, AttributeType.INTS);
  else {
    for (const s of a.strings) w.string(9, s);
    w.int(20, AttributeType.STRINGS);
  }
}
