/**
 * The heuristic search for lattices too large to explore: a port of ARX's Lightning
 * (org.deidentifier.arx.algorithm.LIGHTNINGAlgorithm, Prasser, Bild, Eicher, Spengler).
 * - Best-first from the bottom node: a priority queue of checked transformations ordered by their own
 *   information loss (anonymous or not: a non-anonymous node is scored with its failing classes
 *   suppressed, as ARX does with "suppression always enabled"). Expanding a node checks every successor
 *   not yet expanded nor tagged, and queues it.
 * - Every `stepping`-th expansion (default: the level of the top node) is a greedy depth-first climb
 *   without backtracking: from the node, always to its successor of least loss, until none is left.
 * - Tagging: a node whose lower bound is not below the best anonymous score found is tagged
 *   "insufficient utility", and so are all its successors (ARX's predictive property with direction
 *   up; the lower bounds only grow upward). Tagged and expanded nodes are neither queued nor expanded.
 * - Budget: stops when the checks reach `maxSteps` or the time exceeds `maxMs`, and returns the best
 *   anonymous node checked, never a non-anonymous one. It is optimal only when the queue ran empty
 *   within the budget (every node not pruned by its bound was then checked).
 * Departures from ARX: a successor is not checked once the budget is spent (ARX checks one more);
 * ties in the queue go to the node queued first; a covered lattice without any anonymous node is
 * reported as optimal (proven empty), where ARX says "no optimum".
 */
import type { Evaluator } from "./evaluate.js";
import type { UtilityMetric } from "./metrics.js";
import type { SearchResult } from "./search.js";

export interface LightningOptions {
  /** Checks (evaluated transformations) allowed, default 100,000. */
  maxSteps?: number;
  /** Milliseconds allowed, default 30,000. */
  maxMs?: number;
  /** One expansion in `stepping` is a depth-first climb; default the top node's level (as ARX). */
  stepping?: number;
  /** Clock in milliseconds (tests); default Date.now. */
  clock?: () => number;
}

/** A search result (see search.ts) that the heuristic produced. */
export type LightningResult = SearchResult & { algorithm: "heuristic" };

type Key = number | string;

interface Checked {
  levels: number[];
  levelSum: number;
  loss: number;
  bound: number;
  anonymous: boolean;
  suppressed: number;
  expanded: boolean;
  /** Order of first queueing, to break ties in the queue. */
  seq: number;
}

/** Priority queue of checked nodes, least loss first (ties: queued first). */
class Queue {
  private readonly heap: Checked[] = [];
  get size() {
    return this.heap.length;
  }
  private less(a: Checked, b: Checked) {
    return a.loss < b.loss || (a.loss === b.loss && a.seq < b.seq);
  }
  push(x: Checked) {
    const h = this.heap;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }
  pop(): Checked {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && this.less(h[c + 1]!, h[c]!)) c++;
        if (!this.less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/**
 * Nodes tagged with a property that holds for all their successors (an up-set of the lattice), kept as
 * a trie over the dimensions: a node is covered when some tagged node is at or below it everywhere.
 */
class UpSet {
  private readonly root: unknown[] = [];
  count = 0;
  constructor(private readonly dims: number) {}
  add(levels: number[]) {
    let node = this.root;
    for (let c = 0; c < this.dims; c++) {
      node[levels[c]!] ??= [];
      node = node[levels[c]!] as unknown[];
    }
    this.count++;
  }
  covers(levels: number[]): boolean {
    return this.count > 0 && this.find(this.root, levels, 0);
  }
  private find(node: unknown[], levels: number[], c: number): boolean {
    if (c === this.dims) return true;
    const top = Math.min(levels[c]!, node.length - 1);
    for (let v = 0; v <= top; v++) {
      const child = node[v] as unknown[] | undefined;
      if (child && this.find(child, levels, c + 1)) return true;
    }
    return false;
  }
}

export function lightningSearch(
  evaluator: Evaluator,
  metric: UtilityMetric,
  options: LightningOptions = {},
): LightningResult {
  const heights = evaluator.data.qis.map((q) => q.depth - 1);
  const dims = heights.length;
  const size = heights.reduce((p, h) => p * (h + 1), 1);
  const maxSteps = options.maxSteps ?? 100_000;
  const maxMs = options.maxMs ?? 30_000;
  if (!(maxSteps > 0)) throw new Error(`heuristic step limit ${maxSteps} must be greater than zero`);
  if (!(maxMs > 0)) throw new Error(`heuristic time limit ${maxMs} ms must be greater than zero`);
  const topLevel = heights.reduce((a, b) => a + b, 0);
  const stepping = options.stepping ?? (topLevel > 0 ? topLevel : 1);
  if (!(Number.isInteger(stepping) && stepping >= 1)) {
    throw new Error(`heuristic stepping ${stepping} must be an integer ≥ 1`);
  }
  const clock = options.clock ?? Date.now;

  // Node identifiers: the index in the lattice while it is exact as a number, else the levels as text.
  const stride: number[] = [];
  let st = 1;
  for (let c = dims - 1; c >= 0; c--) {
    stride[c] = st;
    st *= heights[c]! + 1;
  }
  const keyOf =
    size <= Number.MAX_SAFE_INTEGER
      ? (levels: number[]): Key => {
          let k = 0;
          for (let c = 0; c < dims; c++) k += levels[c]! * stride[c]!;
          return k;
        }
      : (levels: number[]): Key => levels.join(",");

  const checked = new Map<Key, Checked>();
  const insufficient = new UpSet(dims);
  const queue = new Queue();
  let best: Checked | undefined;
  let checks = 0;
  let seq = 0;
  let stoppedBy: "steps" | "time" | undefined;
  const start = clock();

  const mustStop = (): boolean => {
    if (stoppedBy) return true;
    if (checks >= maxSteps) stoppedBy = "steps";
    else if (clock() - start > maxMs) stoppedBy = "time";
    return stoppedBy !== undefined;
  };
  // ARX's assureChecked + trackOptimum: evaluates once, keeps the best anonymous node (ties: lower level).
  const check = (levels: number[], key: Key): Checked => {
    const known = checked.get(key);
    if (known) return known;
    const e = evaluator.evaluate(levels);
    checks++;
    let levelSum = 0;
    for (const l of levels) levelSum += l;
    const node: Checked = {
      levels,
      levelSum,
      loss: metric.score(e),
      bound: metric.lowerBound(levels),
      anonymous: e.anonymous,
      suppressed: e.suppressedRows,
      expanded: false,
      seq: seq++,
    };
    checked.set(key, node);
    if (
      node.anonymous &&
      (!best || node.loss < best.loss || (node.loss === best.loss && levelSum < best.levelSum))
    ) {
      best = node;
    }
    return node;
  };
  // Checks and queues the successors not expanded nor tagged; returns the one of least loss, or
  // undefined when there is none or the budget ran out (the node then stays unexpanded).
  const expand = (node: Checked): Checked | undefined => {
    let result: Checked | undefined;
    for (let c = 0; c < dims; c++) {
      if (node.levels[c] === heights[c]) continue;
      const levels = node.levels.slice();
      levels[c]!++;
      const key = keyOf(levels);
      const known = checked.get(key);
      if (known?.expanded || insufficient.covers(levels)) continue;
      if (!known && mustStop()) return undefined;
      const successor = known ?? check(levels, key);
      queue.push(successor);
      if (!result || successor.loss < result.loss) result = successor;
      if (mustStop()) return undefined;
    }
    node.expanded = true;
    return result;
  };
  // Greedy climb without backtracking (ARX's dfs); the nodes climbed through are expanded, so their
  // entries left in the queue are skipped when polled.
  const dfs = (node: Checked) => {
    let current: Checked | undefined = node;
    while (current && !mustStop()) current = expand(current);
  };
  const prune = (node: Checked): boolean => {
    if (node.expanded || insufficient.covers(node.levels)) return true;
    if (best && node.bound >= best.loss) {
      insufficient.add(node.levels);
      return true;
    }
    return false;
  };

  const bottom = heights.map(() => 0);
  queue.push(check(bottom, keyOf(bottom)));
  let step = 0;
  while (queue.size > 0) {
    const next = queue.pop();
    if (prune(next)) continue;
    step++;
    if (step % stepping === 0) dfs(next);
    else expand(next);
    if (mustStop()) break;
  }
  return {
    levels: best?.levels,
    score: best?.loss,
    suppressed: best?.suppressed,
    latticeSize: size,
    evaluated: checks,
    pruned: insufficient.count,
    optimal: stoppedBy === undefined,
    stoppedBy,
    algorithm: "heuristic",
  };
}
