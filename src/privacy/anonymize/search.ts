/**
 * Search of the lattice of transformations (level vectors, ordered componentwise) for the anonymous
 * node of least information loss.
 * - Optimal: nodes are visited in order of the metric's lower bound (then lattice level); the search
 *   stops when the bound exceeds the best score found. Predictive tagging prunes the rest: when the
 *   privacy models are monotone (k-anonymity and distinct l-diversity, or any model without
 *   suppression), an anonymous node makes all its successors anonymous and a non-anonymous node makes
 *   all its predecessors non-anonymous; successors of an anonymous node are not evaluated when the
 *   metric is monotone (or the node suppressed nothing, so its successors suppress nothing either).
 *   For metrics whose bound is the score (monotonic entropy, height, monotonic precision) the first
 *   anonymous node reached is the optimum.
 * - Heuristic, for lattices too large to list: ARX's Lightning (heuristic.ts), best-first by information
 *   loss with periodic greedy climbs, within a step and time budget.
 */
import type { Evaluation, Evaluator, PrivacyModels } from "./evaluate.js";
import { lightningSearch } from "./heuristic.js";
import type { UtilityMetric } from "./metrics.js";

export interface SearchResult {
  /** Levels of the optimum, or undefined when no node is anonymous. */
  levels?: number[];
  score?: number;
  suppressed?: number;
  latticeSize: number;
  /** Transformations checked. */
  evaluated: number;
  /** Nodes not checked because tagging or a lower bound decided them. */
  pruned: number;
  /** True when the result is the optimum: the whole lattice was decided (within the budget). */
  optimal: boolean;
  /** The heuristic's budget ran out: on checks or on time. */
  stoppedBy?: "steps" | "time";
  algorithm: "optimal" | "heuristic";
}

export interface SearchOptions {
  /** Lattices larger than this use the heuristic search (default 2,000,000 nodes). */
  heuristicAbove?: number;
  heuristic?: boolean;
  /** Heuristic budget: evaluations (default 100,000) and milliseconds (default 30,000). */
  maxSteps?: number;
  maxMs?: number;
  /** Heuristic: one expansion in `stepping` is a greedy depth-first climb (default the top's level). */
  stepping?: number;
  /** Heuristic's clock in milliseconds (tests); default Date.now. */
  clock?: () => number;
}

export function latticeSize(heights: number[]): number {
  return heights.reduce((p, h) => p * (h + 1), 1);
}

/** Models whose anonymity is monotone under generalization, suppression included. */
export function modelsMonotone(models: PrivacyModels): boolean {
  if (models.maxAverageRisk !== undefined) return false;
  if (models.suppressionLimit === 0) return true;
  if (models.t) return false;
  if (models.l && models.l.variant !== "distinct") return false;
  return true;
}

const UNKNOWN = 0;
const ANONYMOUS = 1; // tagged anonymous
const SKIP = 2; // tagged anonymous, and cannot score better than a node already evaluated
const NOT_ANONYMOUS = 3;

interface Best {
  levels: number[];
  score: number;
  levelSum: number;
  suppressed: number;
}

function better(score: number, levelSum: number, best: Best | undefined): boolean {
  return !best || score < best.score || (score === best.score && levelSum < best.levelSum);
}

export function search(
  evaluator: Evaluator,
  metric: UtilityMetric,
  options: SearchOptions = {},
): SearchResult {
  const heights = evaluator.data.qis.map((q) => q.depth - 1);
  const size = latticeSize(heights);
  if (options.heuristic || size > (options.heuristicAbove ?? 2_000_000)) {
    return lightningSearch(evaluator, metric, options);
  }
  const dims = heights.length;
  const stride: number[] = [];
  let st = 1;
  for (let c = dims - 1; c >= 0; c--) {
    stride[c] = st;
    st *= heights[c]! + 1;
  }
  const levelsOf = (index: number): number[] => {
    const out = new Array<number>(dims);
    for (let c = 0; c < dims; c++) out[c] = Math.floor(index / stride[c]!) % (heights[c]! + 1);
    return out;
  };
  const bound = new Float64Array(size);
  const levelSum = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const lv = levelsOf(i);
    bound[i] = metric.lowerBound(lv);
    levelSum[i] = lv.reduce((a, b) => a + b, 0);
  }
  const order = Int32Array.from({ length: size }, (_, i) => i).sort(
    (a, b) => bound[a]! - bound[b]! || levelSum[a]! - levelSum[b]! || a - b,
  );
  const tag = new Uint8Array(size);
  const monotoneModels = modelsMonotone(evaluator.models);
  const stack: number[] = [];
  // Tags every successor (up) or predecessor (down) of `from` with `value` unless already as strong.
  const propagate = (from: number, up: boolean, value: number) => {
    stack.push(from);
    while (stack.length > 0) {
      const x = stack.pop()!;
      for (let c = 0; c < dims; c++) {
        const level = Math.floor(x / stride[c]!) % (heights[c]! + 1);
        if (up ? level === heights[c] : level === 0) continue;
        const y = up ? x + stride[c]! : x - stride[c]!;
        if (value === NOT_ANONYMOUS ? tag[y] === NOT_ANONYMOUS : tag[y]! >= value && tag[y] !== NOT_ANONYMOUS)
          continue;
        tag[y] = value;
        stack.push(y);
      }
    }
  };
  let best: Best | undefined;
  let evaluated = 0;
  const indexOf = (levels: number[]) => levels.reduce((a, l, c) => a + l * stride[c]!, 0);
  // Evaluates a node, keeps it when it is the best anonymous one, tags what monotonicity implies.
  const check = (x: number, levels: number[]): boolean => {
    const e: Evaluation = evaluator.evaluate(levels);
    evaluated++;
    if (e.anonymous) {
      const score = metric.score(e);
      if (better(score, levelSum[x]!, best)) {
        best = { levels, score, levelSum: levelSum[x]!, suppressed: e.suppressedRows };
      }
      if (monotoneModels) {
        const value = metric.monotonic || e.suppressedRows === 0 ? SKIP : ANONYMOUS;
        if (tag[x] !== SKIP) tag[x] = value;
        propagate(x, true, value);
      }
      return true;
    }
    if (monotoneModels) {
      tag[x] = NOT_ANONYMOUS;
      propagate(x, false, NOT_ANONYMOUS);
    }
    return false;
  };
  // From a non-anonymous node, climbs to a maximal non-anonymous node (one dimension at a time, by
  // binary search on its level) so that one tag prunes a large down-set: the idea of Flash's paths.
  let rotation = 0;
  const climb = (levels: number[]) => {
    const cur = levels.slice();
    rotation = (rotation + 1) % dims;
    for (let step = 0; step < dims; step++) {
      const c = (step + rotation) % dims;
      let lo = cur[c]!;
      let hi = heights[c]!;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        cur[c] = mid;
        const y = indexOf(cur);
        const known = tag[y];
        const anonymous = known === NOT_ANONYMOUS ? false : known !== UNKNOWN ? true : check(y, cur.slice());
        if (anonymous) hi = mid - 1;
        else lo = mid;
      }
      cur[c] = lo;
    }
  };
  for (let o = 0; o < size; o++) {
    const x = order[o]!;
    if (best && (bound[x]! > best.score || (bound[x] === best.score && levelSum[x]! >= best.levelSum))) {
      break;
    }
    if (tag[x] === NOT_ANONYMOUS || tag[x] === SKIP) continue;
    const levels = levelsOf(x);
    if (!check(x, levels) && monotoneModels) climb(levels);
  }
  return {
    levels: best?.levels,
    score: best?.score,
    suppressed: best?.suppressed,
    latticeSize: size,
    evaluated,
    pruned: size - evaluated,
    optimal: true,
    algorithm: "optimal",
  };
}
