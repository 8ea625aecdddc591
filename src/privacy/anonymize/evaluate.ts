/**
 * Evaluation of one transformation (a vector of hierarchy levels, one per quasi-identifier): group the
 * rows into equivalence classes, check the privacy models on each class, suppress the failing classes,
 * and say whether the suppressed rows stay within the limit. This is the hot loop of the search: rows
 * are grouped by a packed numeric key over typed arrays (no per-row string, no Map), and the scratch
 * buffers are reused from one transformation to the next.
 *
 * Definitions follow ARX: a node is anonymous iff the rows of the classes that fail some model number
 * at most floor(limit × rows); l-diversity and t-closeness are on the sensitive attribute against its
 * distribution over the whole table (EqualDistanceTCloseness: ½ Σ|p−q|; HierarchicalDistanceTCloseness:
 * the hierarchical EMD of Li et al.); the average re-identification risk is the mean over the kept
 * records of 1/|class|, brought under the threshold by suppressing the smallest classes first.
 */
import type { EncodedDataset } from "./dataset.js";

export type LDiversityVariant = "distinct" | "entropy" | "recursive";
export type TDistance = "equal" | "hierarchical";

export interface PrivacyModels {
  k?: number;
  l?: { l: number; variant: LDiversityVariant; c?: number };
  t?: { t: number; distance: TDistance };
  /** Highest average re-identification risk allowed (ARX's AverageReidentificationRisk). */
  maxAverageRisk?: number;
  /** Fraction of rows that may be suppressed. */
  suppressionLimit: number;
}

export class PrivacyModelError extends Error {}

export function checkModels(models: PrivacyModels, data: EncodedDataset): void {
  const { k, l, t, maxAverageRisk, suppressionLimit } = models;
  if (!(suppressionLimit >= 0 && suppressionLimit <= 1)) {
    throw new PrivacyModelError(`suppression limit ${suppressionLimit} must be a fraction between 0 and 1`);
  }
  if (k !== undefined && !(Number.isInteger(k) && k >= 1))
    throw new PrivacyModelError(`k = ${k} must be an integer ≥ 1`);
  if ((l || t) && !data.sensitive)
    throw new PrivacyModelError("l-diversity and t-closeness need a sensitive attribute");
  if (l) {
    if (!(l.l >= 1)) throw new PrivacyModelError(`l = ${l.l} must be ≥ 1`);
    if (l.variant === "recursive" && !(l.c !== undefined && l.c > 0)) {
      throw new PrivacyModelError("recursive-(c,l) diversity needs c > 0");
    }
  }
  if (t) {
    if (!(t.t >= 0 && t.t <= 1)) throw new PrivacyModelError(`t = ${t.t} must be between 0 and 1`);
    if (t.distance === "hierarchical" && !data.sensitive?.ancestors) {
      throw new PrivacyModelError(`hierarchical t-closeness needs a hierarchy for ${data.sensitive?.name}`);
    }
  }
  if (maxAverageRisk !== undefined && !(maxAverageRisk > 0 && maxAverageRisk <= 1)) {
    throw new PrivacyModelError(`the average risk threshold ${maxAverageRisk} must be in (0, 1]`);
  }
}

/** The outcome of one transformation; arrays are views of the evaluator's scratch buffers. */
export interface Evaluation {
  levels: number[];
  anonymous: boolean;
  classes: number;
  /** classOf[row] = equivalence class of the row. */
  classOf: Int32Array;
  /** size[class] */
  size: Int32Array;
  /** suppressed[class] = 1 when the class is suppressed. */
  suppressed: Uint8Array;
  suppressedRows: number;
}

const MAX_EXACT = 2 ** 52;
const DIRECT_LIMIT = 1 << 22;

export class Evaluator {
  readonly n: number;
  readonly maxSuppressed: number;
  private readonly key: Float64Array;
  private readonly classOf: Int32Array;
  private size: Int32Array;
  private suppressed: Uint8Array;
  private readonly hashKeys: Float64Array;
  private readonly hashIds: Int32Array;
  private readonly hashBits: number;
  private direct: Int32Array | undefined;
  private readonly touched: Int32Array;
  // Sensitive attribute scratch.
  private readonly overall: Float64Array | undefined;
  private readonly histogram: Int32Array | undefined;
  private order: Int32Array | undefined;
  private start: Int32Array | undefined;
  private readonly parentOf: Int32Array[] | undefined;
  evaluations = 0;

  constructor(
    readonly data: EncodedDataset,
    readonly models: PrivacyModels,
  ) {
    checkModels(models, data);
    const n = data.n;
    this.n = n;
    this.maxSuppressed = Math.floor(models.suppressionLimit * n);
    this.key = new Float64Array(n);
    this.classOf = new Int32Array(n);
    this.size = new Int32Array(1024);
    this.suppressed = new Uint8Array(1024);
    this.touched = new Int32Array(n);
    let bits = 4;
    while (1 << bits < 2 * n) bits++;
    this.hashBits = bits;
    this.hashKeys = new Float64Array(1 << bits);
    this.hashIds = new Int32Array(1 << bits);
    const s = data.sensitive;
    if (s && (models.l || models.t)) {
      this.histogram = new Int32Array(s.labels.length);
      const overall = new Float64Array(s.labels.length);
      for (let i = 0; i < n; i++) overall[s.codes[i]!]!++;
      for (let v = 0; v < overall.length; v++) overall[v]! /= n;
      this.overall = overall;
      if (models.t?.distance === "hierarchical" && s.ancestors) {
        // parentOf[l][node at level l-1] = its node at level l
        this.parentOf = [];
        for (let l = 1; l < s.ancestors.length; l++) {
          const p = new Int32Array(s.levelSizes![l - 1]!);
          for (let v = 0; v < s.labels.length; v++) p[s.ancestors[l - 1]![v]!] = s.ancestors[l]![v]!;
          this.parentOf.push(p);
        }
      }
    }
  }

  /** Groups the rows at `levels` into classes: fills classOf and size, returns the class count. */
  groupify(levels: number[]): number {
    const { n, key } = this;
    const qis = this.data.qis;
    let card = 1;
    for (let c = 0; c < qis.length; c++) {
      const q = qis[c]!;
      const col = q.gen[levels[c]!]!;
      const m = q.labels[levels[c]!]!.length;
      if (c === 0) {
        for (let i = 0; i < n; i++) key[i] = col[i]!;
      } else {
        if (card * m > MAX_EXACT) card = this.densify(card, false);
        for (let i = 0; i < n; i++) key[i] = key[i]! * m + col[i]!;
      }
      card *= m;
    }
    return this.densify(card, true);
  }

  /** Replaces each key by a dense id (in order of first appearance); into classOf when final. */
  private densify(card: number, final: boolean): number {
    const { n, key } = this;
    const out = final ? this.classOf : undefined;
    let count = 0;
    if (card <= DIRECT_LIMIT && card <= 8 * n) {
      if (!this.direct || this.direct.length < card) {
        this.direct = new Int32Array(Math.max(card, 1024)).fill(-1);
      }
      const direct = this.direct;
      const touched = this.touched;
      for (let i = 0; i < n; i++) {
        const k = key[i]!;
        let id = direct[k]!;
        if (id < 0) {
          id = count;
          direct[k] = id;
          touched[count++] = k;
        }
        if (out) out[i] = id;
        else key[i] = id;
      }
      for (let j = 0; j < count; j++) direct[touched[j]!] = -1;
    } else {
      const { hashKeys, hashIds, hashBits } = this;
      const mask = (1 << hashBits) - 1;
      const shift = 32 - hashBits;
      hashIds.fill(-1);
      for (let i = 0; i < n; i++) {
        const k = key[i]!;
        const lo = k >>> 0;
        const hi = (k / 4294967296) >>> 0;
        let h = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) >>> shift;
        let id = hashIds[h]!;
        while (id >= 0 && hashKeys[h] !== k) {
          h = (h + 1) & mask;
          id = hashIds[h]!;
        }
        if (id < 0) {
          id = count++;
          hashIds[h] = id;
          hashKeys[h] = k;
        }
        if (out) out[i] = id;
        else key[i] = id;
      }
    }
    return count;
  }

  /**
   * Evaluates the transformation: classes, per-class models, suppression. The check stops at the first
   * class that takes the suppressed rows past the limit (the node is then not anonymous); `complete`
   * checks every class, so that a node past the limit is suppressed as ARX outputs it (ARXResult
   * getOutput of a non-anonymous node suppresses every failing class), and its utility can be scored.
   */
  evaluate(levels: number[], complete = false): Evaluation {
    this.evaluations++;
    const classes = this.groupify(levels);
    if (this.size.length < classes) {
      this.size = new Int32Array(classes * 2);
      this.suppressed = new Uint8Array(classes * 2);
    }
    const { n, classOf, size, suppressed, models } = this;
    size.fill(0, 0, classes);
    suppressed.fill(0, 0, classes);
    for (let i = 0; i < n; i++) size[classOf[i]!]!++;
    let suppressedRows = 0;
    const k = models.k ?? 1;
    for (let c = 0; c < classes; c++) {
      if (size[c]! < k) {
        suppressed[c] = 1;
        suppressedRows += size[c]!;
      }
    }
    if ((complete || suppressedRows <= this.maxSuppressed) && (models.l || models.t)) {
      suppressedRows = this.checkSensitive(classes, suppressedRows, complete);
    }
    if ((complete || suppressedRows <= this.maxSuppressed) && models.maxAverageRisk !== undefined) {
      suppressedRows = this.enforceAverageRisk(classes, suppressedRows, models.maxAverageRisk);
    }
    return {
      levels,
      anonymous: suppressedRows <= this.maxSuppressed,
      classes,
      classOf,
      size,
      suppressed,
      suppressedRows,
    };
  }

  /** Checks l-diversity and t-closeness on every class not yet suppressed. */
  private checkSensitive(classes: number, suppressedRows: number, complete: boolean): number {
    const { n, classOf, size, suppressed, models } = this;
    const s = this.data.sensitive!;
    // Rows sorted by class (counting sort), so that each class's rows are contiguous.
    if (!this.order || this.order.length < n) this.order = new Int32Array(n);
    if (!this.start || this.start.length < classes + 1) this.start = new Int32Array(classes * 2 + 1);
    const order = this.order;
    const start = this.start;
    start.fill(0, 0, classes + 1);
    for (let c = 0; c < classes; c++) start[c + 1] = start[c]! + size[c]!;
    const fill = this.touched; // reused as a cursor per class
    for (let c = 0; c < classes; c++) fill[c] = start[c]!;
    for (let i = 0; i < n; i++) order[fill[classOf[i]!]!++] = i;
    const hist = this.histogram!;
    const values: number[] = [];
    for (let c = 0; c < classes; c++) {
      if (suppressed[c]) continue;
      values.length = 0;
      for (let j = start[c]!; j < start[c + 1]!; j++) {
        const v = s.codes[order[j]!]!;
        if (hist[v]!++ === 0) values.push(v);
      }
      const ok = this.classPasses(values, hist, size[c]!);
      for (const v of values) hist[v] = 0;
      if (!ok) {
        suppressed[c] = 1;
        suppressedRows += size[c]!;
        if (suppressedRows > this.maxSuppressed && !models.maxAverageRisk && !complete) break;
      }
    }
    return suppressedRows;
  }

  private classPasses(values: number[], hist: Int32Array, total: number): boolean {
    const { l, t } = this.models;
    if (l) {
      if (l.variant === "distinct") {
        if (values.length < l.l) return false;
      } else if (l.variant === "entropy") {
        let entropy = 0;
        for (const v of values) {
          const p = hist[v]! / total;
          entropy -= p * Math.log2(p);
        }
        if (entropy < Math.log2(l.l)) return false;
      } else {
        // r1 < c (r_l + … + r_m), counts sorted in decreasing order
        const counts = values.map((v) => hist[v]!).sort((a, b) => b - a);
        const ll = Math.floor(l.l);
        if (counts.length < ll) return false;
        let tail = 0;
        for (let i = ll - 1; i < counts.length; i++) tail += counts[i]!;
        if (!(counts[0]! < l.c! * tail)) return false;
      }
    }
    if (t) {
      const distance =
        t.distance === "equal"
          ? this.equalDistance(values, hist, total)
          : this.hierarchicalDistance(values, hist, total);
      if (distance > t.t) return false;
    }
    return true;
  }

  /** EMD with equal ground distance: ½ Σ |p_i − q_i| over the whole domain. */
  private equalDistance(values: number[], hist: Int32Array, total: number): number {
    const q = this.overall!;
    let sum = 0;
    let qPresent = 0;
    for (const v of values) {
      sum += Math.abs(hist[v]! / total - q[v]!);
      qPresent += q[v]!;
    }
    return (sum + (1 - qPresent)) / 2;
  }

  /** Hierarchical EMD: Σ over inner nodes N of height(N)/H × min(pos_extra(N), neg_extra(N)). */
  private hierarchicalDistance(values: number[], hist: Int32Array, total: number): number {
    const s = this.data.sensitive!;
    const q = this.overall!;
    const parentOf = this.parentOf!;
    const height = parentOf.length;
    if (height === 0) return 0;
    // extra at leaves: p − q over the whole domain (values absent from the class have p = 0)
    let extra = new Float64Array(s.labels.length);
    for (let v = 0; v < extra.length; v++) extra[v] = -q[v]!;
    for (const v of values) extra[v]! += hist[v]! / total;
    let cost = 0;
    for (let l = 1; l <= height; l++) {
      const parent = parentOf[l - 1]!;
      const size = s.levelSizes![l]!;
      const pos = new Float64Array(size);
      const neg = new Float64Array(size);
      const next = new Float64Array(size);
      for (let x = 0; x < extra.length; x++) {
        const e = extra[x]!;
        const p = parent[x]!;
        if (e > 0) pos[p]! += e;
        else neg[p]! -= e;
        next[p]! += e;
      }
      for (let p = 0; p < size; p++) cost += (l / height) * Math.min(pos[p]!, neg[p]!);
      extra = next;
    }
    return cost;
  }

  /** Suppresses the smallest kept classes until the mean of 1/|class| over kept records ≤ threshold. */
  private enforceAverageRisk(classes: number, suppressedRows: number, threshold: number): number {
    const { size, suppressed } = this;
    let keptClasses = 0;
    for (let c = 0; c < classes; c++) if (!suppressed[c]) keptClasses++;
    let keptRows = this.n - suppressedRows;
    if (keptRows === 0 || keptClasses / keptRows <= threshold) return suppressedRows;
    const bySize: number[] = [];
    for (let c = 0; c < classes; c++) if (!suppressed[c]) bySize.push(c);
    bySize.sort((a, b) => size[a]! - size[b]!);
    for (const c of bySize) {
      suppressed[c] = 1;
      suppressedRows += size[c]!;
      keptRows -= size[c]!;
      keptClasses--;
      if (suppressedRows > this.maxSuppressed) break;
      if (keptRows === 0 || keptClasses / keptRows <= threshold) break;
    }
    return suppressedRows;
  }
}
