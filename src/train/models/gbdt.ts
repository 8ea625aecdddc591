import { TrainError } from "../errors.js";
import { sampleIndices, seededRandom } from "../random.js";
import {
  type ClassWeights,
  checkFeatures,
  checkLabels,
  checkTable,
  type FeatureTable,
  rowWeights,
} from "../table.js";
import { ALL_PRESENT, binTable, MISSING_BIN, quantileEdges } from "./binning.js";
import { sigmoid, softplus } from "./linalg.js";

/**
 * Histogram-based gradient-boosted trees for binary classification (log loss), in the manner of
 * LightGBM/XGBoost "hist": features cut into ≤ 255 quantile bins (missing values their own bin, each
 * split learning which way they go), second-order leaf values −G/(H + λ), a histogram built only for
 * the smaller child (the larger is its parent minus it), row and column subsampling per tree under
 * a seed, early stopping on a validation set. Same seed and data → the same model, bit for bit.
 */
export interface GbdtParams {
  readonly trees?: number;
  readonly learningRate?: number;
  readonly maxDepth?: number;
  /** Leaves per tree at most (default 2^maxDepth). */
  readonly maxLeaves?: number;
  /** depthwise: level by level; lossguide: the leaf with the best gain first (LightGBM). */
  readonly growth?: "depthwise" | "lossguide";
  /** Least sum of hessians in a child. */
  readonly minChildWeight?: number;
  /** L2 penalty on leaf values. */
  readonly lambda?: number;
  /** Least gain for a split. */
  readonly gamma?: number;
  /** Share of rows drawn (without replacement) for each tree. */
  readonly subsample?: number;
  /** Share of features drawn for each tree. */
  readonly colsample?: number;
  readonly maxBins?: number;
  readonly classWeights?: ClassWeights;
  readonly seed?: number;
  /** Stop when the validation loss has not improved for this many trees (needs a validation set). */
  readonly earlyStoppingRounds?: number;
}

/** One tree as parallel arrays; node 0 is the root, a leaf has feature −1. */
export interface GbdtTree {
  readonly feature: number[];
  /** float32 threshold: left when fround(x) ≤ threshold. */
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  /** 1 when a missing value goes left. */
  readonly missingLeft: number[];
  /** Leaf value (learning rate applied), 0 on split nodes. */
  readonly value: number[];
  /** Loss reduction of each split, 0 on leaves (feature importance). */
  readonly gain: number[];
}

export interface GbdtModel {
  readonly kind: "gbdt";
  readonly featureNames: readonly string[];
  /** Log-odds every prediction starts from. */
  readonly baseScore: number;
  readonly trees: readonly GbdtTree[];
  readonly params: Required<Omit<GbdtParams, "classWeights" | "earlyStoppingRounds">> & {
    classWeights: ClassWeights | null;
    earlyStoppingRounds: number | null;
  };
  readonly fit: {
    /** Trees grown before stopping, and the count kept (the best validation round). */
    readonly grown: number;
    readonly kept: number;
    readonly stoppedEarly: boolean;
    /** Validation log loss after each tree, when a validation set was given. */
    readonly validationLoss: number[];
  };
}

export interface Validation {
  readonly table: FeatureTable;
  readonly labels: ArrayLike<number>;
}

function resolve(params: GbdtParams): GbdtModel["params"] {
  const maxDepth = params.maxDepth ?? 6;
  const r = {
    trees: params.trees ?? 100,
    learningRate: params.learningRate ?? 0.1,
    maxDepth,
    maxLeaves: params.maxLeaves ?? 2 ** maxDepth,
    growth: params.growth ?? "depthwise",
    minChildWeight: params.minChildWeight ?? 1,
    lambda: params.lambda ?? 1,
    gamma: params.gamma ?? 0,
    subsample: params.subsample ?? 1,
    colsample: params.colsample ?? 1,
    maxBins: params.maxBins ?? 255,
    seed: params.seed ?? 0,
    classWeights: params.classWeights ?? null,
    earlyStoppingRounds: params.earlyStoppingRounds ?? null,
  } as const;
  const integer = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!(Number.isInteger(v) && v >= min && v <= max))
      throw new TrainError(`gbdt.${name}: must be an integer in ${min}..${max}`);
  };
  const share = (name: string, v: number) => {
    if (!(v > 0 && v <= 1)) throw new TrainError(`gbdt.${name}: must be in (0, 1]`);
  };
  const nonNegative = (name: string, v: number) => {
    if (!(v >= 0 && Number.isFinite(v))) throw new TrainError(`gbdt.${name}: must be a number ≥ 0`);
  };
  integer("trees", r.trees, 1);
  integer("maxDepth", r.maxDepth, 1, 30);
  integer("maxLeaves", r.maxLeaves, 2);
  integer("maxBins", r.maxBins, 2, 255);
  integer("seed", r.seed, 0, 2 ** 32 - 1);
  if (r.earlyStoppingRounds !== null) integer("earlyStoppingRounds", r.earlyStoppingRounds, 1);
  if (!(r.learningRate > 0 && r.learningRate <= 1))
    throw new TrainError("gbdt.learningRate: must be in (0, 1]");
  if (r.growth !== "depthwise" && r.growth !== "lossguide")
    throw new TrainError("gbdt.growth: depthwise or lossguide");
  nonNegative("minChildWeight", r.minChildWeight);
  nonNegative("lambda", r.lambda);
  nonNegative("gamma", r.gamma);
  share("subsample", r.subsample);
  share("colsample", r.colsample);
  return r;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  /** Gradient and hessian sums of the left child, read off the histogram. */
  gl: number;
  hl: number;
}

interface Candidate {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array | null;
  split: Split | null;
}

const HIST_STRIDE = 256;

export function fitGbdt(
  table: FeatureTable,
  labels: ArrayLike<number>,
  params: GbdtParams = {},
  validation?: Validation,
): GbdtModel {
  const P = resolve(params);
  checkTable(table, "training table");
  checkLabels(labels, table.rows, "training labels");
  if (validation) {
    checkFeatures(table.names, validation.table);
    checkLabels(validation.labels, validation.table.rows, "validation labels", false);
  }
  if (P.earlyStoppingRounds !== null && !validation) {
    throw new TrainError("gbdt.earlyStoppingRounds: needs a validation set");
  }
  const n = table.rows;
  const p = table.columns.length;
  const random = seededRandom(P.seed);
  const edges = table.columns.map((column) => quantileEdges(column, P.maxBins));
  const binCount = Int32Array.from(edges, (e) => e.length + 1);
  const bins = binTable(table, edges);
  const w = rowWeights(labels, P.classWeights ?? undefined);
  const y = Uint8Array.from(labels as ArrayLike<number>);
  let wPos = 0;
  let wAll = 0;
  for (let i = 0; i < n; i++) {
    wAll += w[i]!;
    if (y[i] === 1) wPos += w[i]!;
  }
  const baseScore = Math.log(wPos / (wAll - wPos));
  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const validBins = validation ? binTable(validation.table, edges) : null;
  const validMargin = validation ? new Float64Array(validation.table.rows).fill(baseScore) : null;
  const validY = validation ? Uint8Array.from(validation.labels as ArrayLike<number>) : null;

  const grower = new Grower(P, bins, p, binCount, edges, grad, hess);
  const trees: GbdtTree[] = [];
  const validationLoss: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestCount = 0;
  let stoppedEarly = false;
  for (let t = 0; t < P.trees; t++) {
    for (let i = 0; i < n; i++) {
      const pi = sigmoid(margin[i]!);
      grad[i] = w[i]! * (pi - y[i]!);
      hess[i] = Math.max(w[i]! * pi * (1 - pi), 1e-16);
    }
    const rows =
      P.subsample < 1 ? sampleIndices(n, Math.max(1, Math.round(n * P.subsample)), random) : identity(n);
    const features =
      P.colsample < 1
        ? Int32Array.from(sampleIndices(p, Math.max(1, Math.round(p * P.colsample)), random))
        : Int32Array.from(identity(p));
    const grown = grower.grow(rows, features);
    const { splitBin: _splitBin, ...tree } = grown;
    trees.push(tree);
    if (P.subsample === 1) {
      // Every row went down the tree while growing it: add each leaf's value to its rows directly.
      const { order, leafRanges } = grower;
      for (let k = 0; k < leafRanges.length; k += 3) {
        const v = grown.value[leafRanges[k]!]!;
        for (let i = leafRanges[k + 1]!; i < leafRanges[k + 2]!; i++)
          margin[order[i]!] = margin[order[i]!]! + v;
      }
    } else {
      addTree(grown, bins, margin);
    }
    if (validBins && validMargin && validY) {
      addTree(grown, validBins, validMargin);
      let loss = 0;
      for (let i = 0; i < validY.length; i++)
        loss += softplus(validMargin[i]!) - validY[i]! * validMargin[i]!;
      loss /= Math.max(1, validY.length);
      validationLoss.push(loss);
      if (loss < best - 1e-12) {
        best = loss;
        bestCount = t + 1;
      } else if (P.earlyStoppingRounds !== null && t + 1 - bestCount >= P.earlyStoppingRounds) {
        stoppedEarly = true;
        break;
      }
    }
  }
  const grown = trees.length;
  const kept = P.earlyStoppingRounds !== null ? bestCount : grown;
  return {
    kind: "gbdt",
    featureNames: [...table.names],
    baseScore,
    trees: trees.slice(0, kept),
    params: P,
    fit: { grown, kept, stoppedEarly, validationLoss },
  };
}

/** P(y = 1) for each row, walking the trees on the raw (float32-rounded) values. */
export function predictGbdt(model: GbdtModel, table: FeatureTable): Float64Array {
  checkFeatures(model.featureNames, table);
  const out = new Float64Array(table.rows).fill(model.baseScore);
  const columns = table.columns;
  for (const tree of model.trees) {
    const { feature, threshold, left, right, missingLeft, value } = tree;
    for (let i = 0; i < table.rows; i++) {
      let node = 0;
      let f = feature[0]!;
      while (f >= 0) {
        const v = columns[f]![i]!;
        const goLeft = Number.isNaN(v) ? missingLeft[node] === 1 : Math.fround(v) <= threshold[node]!;
        node = goLeft ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      out[i] = out[i]! + value[node]!;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(out[i]!);
  return out;
}

/** Total gain of each feature's splits (importance), by feature name. */
export function featureImportance(model: GbdtModel): { feature: string; gain: number; splits: number }[] {
  const gain = new Float64Array(model.featureNames.length);
  const splits = new Int32Array(model.featureNames.length);
  for (const tree of model.trees) {
    tree.feature.forEach((f, node) => {
      if (f < 0) return;
      gain[f] = gain[f]! + tree.gain[node]!;
      splits[f] = splits[f]! + 1;
    });
  }
  return model.featureNames
    .map((feature, f) => ({ feature, gain: gain[f]!, splits: splits[f]! }))
    .sort((a, b) => b.gain - a.gain || a.feature.localeCompare(b.feature));
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Adds a tree's leaf values to the margins of binned rows (bin ≤ split bin ⇔ fround(x) ≤ threshold). */
function addTree(tree: TreeWithBins, bins: readonly Uint8Array[], margin: Float64Array): void {
  const { feature, left, right, missingLeft, value, splitBin } = tree;
  const rows = margin.length;
  for (let i = 0; i < rows; i++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const b = bins[f]![i]!;
      const goLeft = b === MISSING_BIN ? missingLeft[node] === 1 : b <= splitBin[node]!;
      node = goLeft ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    margin[i] = margin[i]! + value[node]!;
  }
}

/** While training, each tree also knows its split bins; they are dropped from the model. */
type TreeWithBins = GbdtTree & { splitBin: number[] };

class Grower {
  private readonly pool: Float64Array[] = [];
  private scratch: Uint32Array;
  /** After `grow`: the rows it was given, grouped by leaf, and each leaf's (node, start, end). */
  order: Uint32Array = new Uint32Array(0);
  leafRanges: number[] = [];
  /** Gradients and hessians gathered in the node's row order, interleaved: read sequentially per feature. */
  private gathered: Float64Array;

  constructor(
    private readonly P: GbdtModel["params"],
    private readonly bins: readonly Uint8Array[],
    private readonly p: number,
    private readonly binCount: Int32Array,
    private readonly edges: readonly Float32Array[],
    private readonly grad: Float64Array,
    private readonly hess: Float64Array,
  ) {
    this.scratch = new Uint32Array(0);
    this.gathered = new Float64Array(0);
  }

  grow(rows: Uint32Array, features: Int32Array): TreeWithBins {
    const P = this.P;
    const order = Uint32Array.from(rows);
    this.order = order;
    this.leafRanges = [];
    if (this.scratch.length < order.length) this.scratch = new Uint32Array(order.length);
    if (this.gathered.length < order.length * 2) this.gathered = new Float64Array(order.length * 2);
    const tree: TreeWithBins = {
      feature: [],
      threshold: [],
      left: [],
      right: [],
      missingLeft: [],
      value: [],
      gain: [],
      splitBin: [],
    };
    const newNode = () => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.missingLeft.push(0);
      tree.value.push(0);
      tree.gain.push(0);
      tree.splitBin.push(0);
      return tree.feature.length - 1;
    };
    const root: Candidate = {
      node: newNode(),
      start: 0,
      end: order.length,
      depth: 0,
      g: 0,
      h: 0,
      hist: null,
      split: null,
    };
    for (let k = 0; k < order.length; k++) {
      root.g += this.grad[order[k]!]!;
      root.h += this.hess[order[k]!]!;
    }
    if (P.maxDepth > 0) {
      root.hist = this.histogram(order, root.start, root.end, features);
      root.split = this.bestSplit(root.hist, root.g, root.h, features);
    }
    const frontier: Candidate[] = [root];
    let leaves = 1;
    while (frontier.length > 0) {
      let pick = 0;
      if (P.growth === "lossguide") {
        for (let k = 1; k < frontier.length; k++) {
          if ((frontier[k]!.split?.gain ?? -1) > (frontier[pick]!.split?.gain ?? -1)) pick = k;
        }
      }
      const c = frontier.splice(pick, 1)[0]!;
      if (!c.split || leaves >= P.maxLeaves) {
        this.makeLeaf(tree, c);
        continue;
      }
      const { feature: f, bin, missingLeft, gain } = c.split;
      const mid = this.partition(order, c.start, c.end, f, bin, missingLeft);
      const l = newNode();
      const r = newNode();
      tree.feature[c.node] = f;
      tree.splitBin[c.node] = bin;
      tree.threshold[c.node] = bin < this.edges[f]!.length ? this.edges[f]![bin]! : ALL_PRESENT;
      tree.missingLeft[c.node] = missingLeft ? 1 : 0;
      tree.left[c.node] = l;
      tree.right[c.node] = r;
      tree.gain[c.node] = gain;
      leaves++;
      const leftC: Candidate = {
        node: l,
        start: c.start,
        end: mid,
        depth: c.depth + 1,
        g: 0,
        h: 0,
        hist: null,
        split: null,
      };
      const rightC: Candidate = {
        node: r,
        start: mid,
        end: c.end,
        depth: c.depth + 1,
        g: 0,
        h: 0,
        hist: null,
        split: null,
      };
      leftC.g = c.split.gl;
      leftC.h = c.split.hl;
      rightC.g = c.g - leftC.g;
      rightC.h = c.h - leftC.h;
      if (c.depth + 1 < P.maxDepth && c.hist) {
        // Histogram subtraction: build the smaller child, the larger is the parent minus it.
        const [small, large] = mid - c.start <= c.end - mid ? [leftC, rightC] : [rightC, leftC];
        small.hist = this.histogram(order, small.start, small.end, features);
        large.hist = c.hist;
        subtract(large.hist, small.hist, features);
        c.hist = null;
        for (const child of [leftC, rightC]) {
          child.split = this.bestSplit(child.hist!, child.g, child.h, features);
          if (!child.split) this.release(child);
        }
      } else if (c.hist) {
        this.release(c);
      }
      frontier.push(leftC, rightC);
    }
    return tree;
  }

  private makeLeaf(tree: TreeWithBins, c: Candidate): void {
    this.release(c);
    this.leafRanges.push(c.node, c.start, c.end);
    tree.value[c.node] = Math.fround((-c.g / (c.h + this.P.lambda)) * this.P.learningRate);
  }

  private release(c: Candidate): void {
    if (c.hist) this.pool.push(c.hist);
    c.hist = null;
  }

  private histogram(order: Uint32Array, start: number, end: number, features: Int32Array): Float64Array {
    const hist = this.pool.pop() ?? new Float64Array(this.p * HIST_STRIDE * 2);
    hist.fill(0);
    const { bins, grad, hess, gathered } = this;
    const count = end - start;
    const rows = order.subarray(start, end);
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      gathered[2 * k] = grad[r]!;
      gathered[2 * k + 1] = hess[r]!;
    }
    // Four features a pass, then two, then one: each row index and gradient pair is read once for all.
    let j = 0;
    for (; j + 3 < features.length; j += 4) {
      const ca = bins[features[j]!]!;
      const cb = bins[features[j + 1]!]!;
      const cc = bins[features[j + 2]!]!;
      const cd = bins[features[j + 3]!]!;
      const oa = features[j]! << 9;
      const ob = features[j + 1]! << 9;
      const oc = features[j + 2]! << 9;
      const od = features[j + 3]! << 9;
      for (let k = 0; k < count; k++) {
        const r = rows[k]!;
        const g = gathered[2 * k]!;
        const h = gathered[2 * k + 1]!;
        const ia = oa + (ca[r]! << 1);
        hist[ia] = hist[ia]! + g;
        hist[ia + 1] = hist[ia + 1]! + h;
        const ib = ob + (cb[r]! << 1);
        hist[ib] = hist[ib]! + g;
        hist[ib + 1] = hist[ib + 1]! + h;
        const ic = oc + (cc[r]! << 1);
        hist[ic] = hist[ic]! + g;
        hist[ic + 1] = hist[ic + 1]! + h;
        const id = od + (cd[r]! << 1);
        hist[id] = hist[id]! + g;
        hist[id + 1] = hist[id + 1]! + h;
      }
    }
    for (; j < features.length; j++) {
      const f = features[j]!;
      const column = bins[f]!;
      const off = f << 9;
      for (let k = 0; k < count; k++) {
        const idx = off + (column[rows[k]!]! << 1);
        hist[idx] = hist[idx]! + gathered[2 * k]!;
        hist[idx + 1] = hist[idx + 1]! + gathered[2 * k + 1]!;
      }
    }
    return hist;
  }

  private bestSplit(hist: Float64Array, g: number, h: number, features: Int32Array): Split | null {
    const { lambda, gamma, minChildWeight } = this.P;
    const minH = Math.max(minChildWeight, 1e-12);
    const parent = (g * g) / (h + lambda);
    let best: Split | null = null;
    let bestGain = 1e-12;
    for (let j = 0; j < features.length; j++) {
      const f = features[j]!;
      const nb = this.binCount[f]!;
      const off = f << 9;
      const gm = hist[off + (MISSING_BIN << 1)]!;
      const hm = hist[off + (MISSING_BIN << 1) + 1]!;
      let gl = 0;
      let hl = 0;
      // The last bin is a split point only when missing values exist to send the other way.
      const last = hm > 0 ? nb - 1 : nb - 2;
      for (let b = 0; b <= last; b++) {
        gl += hist[off + (b << 1)]!;
        hl += hist[off + (b << 1) + 1]!;
        for (let side = 0; side < 2; side++) {
          const missingLeft = side === 0;
          if (!missingLeft && hm === 0) continue;
          const GL = missingLeft ? gl + gm : gl;
          const HL = missingLeft ? hl + hm : hl;
          const GR = g - GL;
          const HR = h - HL;
          if (HL < minH || HR < minH) continue;
          const gain = 0.5 * ((GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parent) - gamma;
          if (gain > bestGain) {
            bestGain = gain;
            best = { gain, feature: f, bin: b, missingLeft, gl: GL, hl: HL };
          }
        }
      }
    }
    return best;
  }

  /** Stable in-place partition of order[start, end): left rows first; returns where the right begin. */
  private partition(
    order: Uint32Array,
    start: number,
    end: number,
    f: number,
    bin: number,
    missingLeft: boolean,
  ): number {
    const { scratch } = this;
    const column = this.bins[f]!;
    let l = start;
    let r = 0;
    for (let k = start; k < end; k++) {
      const row = order[k]!;
      const b = column[row]!;
      const goLeft = b === MISSING_BIN ? missingLeft : b <= bin;
      if (goLeft) order[l++] = row;
      else scratch[r++] = row;
    }
    order.set(scratch.subarray(0, r), l);
    return l;
  }
}

function subtract(into: Float64Array, minus: Float64Array, features: Int32Array): void {
  for (let j = 0; j < features.length; j++) {
    const off = features[j]! << 9;
    for (let k = off; k < off + HIST_STRIDE * 2; k++) into[k] = into[k]! - minus[k]!;
  }
}
