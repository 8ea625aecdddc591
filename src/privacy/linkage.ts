/**
 * Fuzzy linkage of two sets of CLKs: which record of A is which record of B, without either side
 * revealing a learner's identifying fields. Pure; the CLI reads and writes the files.
 *
 * - Similarity: the Dice coefficient 2|A∧B| / (|A| + |B|) of the two filters, counted 32 bits at a time
 *   with a 16-bit popcount table; each filter's own popcount is computed once.
 * - Blocking: Hamming LSH on the CLKs themselves (bit sampling: `bands` groups of `bitsPerBand` bit
 *   positions drawn from a seed; two records are candidates when all the bits of one group agree). It
 *   needs nothing but the CLKs, so no extra key (birth year, postcode prefix) has to leave a provider,
 *   and similar filters collide with a probability that falls steeply with their Hamming distance
 *   (1 − (1 − p^bitsPerBand)^bands for a share p of agreeing bits). `none` compares every pair.
 * - Solving: anonlink's greedy solver — candidate pairs at or above the threshold, best score first
 *   (ties by A then B position), each record matched at most once.
 * - Report: matches, candidate pairs compared, the score distribution (data and text), and precision,
 *   recall, F1 and the blocking's recall when the true pairs are known.
 */
import { seededRandom } from "./seeded.js";

export class ClkSet {
  /** The filters back to back, `words` 32-bit words each (bytes in CLK order; popcounts ignore order). */
  readonly data: Uint32Array;
  readonly bytes: Uint8Array;
  readonly counts: Uint32Array;
  readonly words: number;

  private constructor(
    readonly ids: readonly string[],
    readonly l: number,
    data: Uint32Array,
  ) {
    this.words = Math.ceil(l / 32);
    this.data = data;
    this.bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.counts = new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      let c = 0;
      for (let k = i * this.words, end = k + this.words; k < end; k++) c += popcount32(data[k]!);
      this.counts[i] = c;
    }
  }

  static of(ids: readonly string[], clks: readonly Uint8Array[], l: number): ClkSet {
    if (ids.length !== clks.length) throw new Error("one id per CLK");
    const words = Math.ceil(l / 32);
    const data = new Uint32Array(words * clks.length);
    const bytes = new Uint8Array(data.buffer);
    clks.forEach((clk, i) => {
      if (clk.length !== Math.ceil(l / 8)) throw new Error(`CLK ${i + 1} is not ${l} bits long`);
      bytes.set(clk, i * words * 4);
    });
    return new ClkSet(ids, l, data);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Bit `index` of filter `i`, bit 0 being the most significant bit of the CLK's first byte. */
  bit(i: number, index: number): number {
    return (this.bytes[i * this.words * 4 + (index >>> 3)]! >>> (7 - (index & 7))) & 1;
  }
}

const POP16 = (() => {
  const table = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) table[i] = (i & 1) + table[i >>> 1]!;
  return table;
})();

export function popcount32(x: number): number {
  return POP16[x & 0xffff]! + POP16[x >>> 16]!;
}

/** Dice coefficient of filter i of `a` and filter j of `b` (0 when both are empty). */
export function dice(a: ClkSet, i: number, b: ClkSet, j: number): number {
  const w = a.words;
  const A = a.data;
  const B = b.data;
  let inter = 0;
  for (let k = 0, ao = i * w, bo = j * w; k < w; k++) {
    const x = A[ao + k]! & B[bo + k]!;
    inter += POP16[x & 0xffff]! + POP16[x >>> 16]!;
  }
  const total = a.counts[i]! + b.counts[j]!;
  return total === 0 ? 0 : (2 * inter) / total;
}

// ---------------------------------------------------------------- blocking

export type Blocking =
  | { method: "none" }
  | { method: "lsh"; bands: number; bitsPerBand: number; seed: number };

/** Tuned on generated learner populations (test/privacy/linkage.test.ts): misses < 1% of true pairs. */
export const DEFAULT_BLOCKING: Blocking = { method: "lsh", bands: 80, bitsPerBand: 15, seed: 1 };

/** The bit positions of each band: distinct within a band, drawn from the seed. */
export function lshBands(l: number, bands: number, bitsPerBand: number, seed: number): number[][] {
  if (bitsPerBand < 1 || bitsPerBand > 30 || bitsPerBand > l) throw new Error("bitsPerBand must be 1 to 30");
  if (bands < 1) throw new Error("bands must be at least 1");
  const random = seededRandom(seed);
  return Array.from({ length: bands }, () => {
    const picked = new Set<number>();
    while (picked.size < bitsPerBand) picked.add(Math.floor(random() * l));
    return [...picked];
  });
}

/** Each record's key in each band: `keys[band * size + i]`. */
function bandKeys(set: ClkSet, bands: readonly (readonly number[])[]): Int32Array {
  const keys = new Int32Array(bands.length * set.size);
  const bytes = set.bytes;
  const stride = set.words * 4;
  bands.forEach((positions, k) => {
    for (let i = 0, base = 0; i < set.size; i++, base += stride) {
      let key = 0;
      for (const p of positions) key = (key << 1) | ((bytes[base + (p >>> 3)]! >>> (7 - (p & 7))) & 1);
      keys[k * set.size + i] = key;
    }
  });
  return keys;
}

/** Candidate pairs: which B records each A record is compared with. */
export interface Blocker {
  /** Writes the B records that are candidates for A record i (each once) into `out`; returns how many. */
  candidates(i: number, out: Int32Array): number;
  isCandidate(i: number, j: number): boolean;
}

export function blocker(a: ClkSet, b: ClkSet, blocking: Blocking): Blocker {
  if (blocking.method === "none") {
    return {
      candidates(_i, out) {
        for (let j = 0; j < b.size; j++) out[j] = j;
        return b.size;
      },
      isCandidate: () => true,
    };
  }
  const bands = lshBands(a.l, blocking.bands, blocking.bitsPerBand, blocking.seed);
  const keysA = bandKeys(a, bands);
  const keysB = bandKeys(b, bands);
  const buckets = bands.map((_, k) => {
    const map = new Map<number, number[]>();
    for (let j = 0; j < b.size; j++) {
      const key = keysB[k * b.size + j]!;
      const list = map.get(key);
      if (list) list.push(j);
      else map.set(key, [j]);
    }
    return map;
  });
  const seen = new Int32Array(b.size).fill(-1);
  return {
    candidates(i, out) {
      let n = 0;
      for (let k = 0; k < bands.length; k++) {
        const list = buckets[k]!.get(keysA[k * a.size + i]!);
        if (!list) continue;
        for (const j of list) {
          if (seen[j] === i) continue;
          seen[j] = i;
          out[n++] = j;
        }
      }
      return n;
    },
    isCandidate(i, j) {
      for (let k = 0; k < bands.length; k++) if (keysA[k * a.size + i] === keysB[k * b.size + j]) return true;
      return false;
    },
  };
}

// ---------------------------------------------------------------- scoring and solving

export interface ScoredPair {
  a: number;
  b: number;
  score: number;
}

export interface Scores {
  /** Distinct pairs whose Dice coefficient was computed. */
  compared: number;
  /** Pairs at or above the threshold. */
  pairs: ScoredPair[];
  /** Compared pairs per score bin of width 1/bins (the last bin holds 1.0). */
  histogram: number[];
}

export function binOf(score: number, bins: number): number {
  return Math.min(bins - 1, Math.floor(score * bins));
}

/** Scores the candidate pairs, keeping those at or above `threshold`. */
export function scorePairs(a: ClkSet, b: ClkSet, threshold: number, block: Blocker, bins = 20): Scores {
  if (a.l !== b.l) throw new Error(`the CLKs differ in length (${a.l} and ${b.l} bits)`);
  const histogram = new Uint32Array(bins);
  const pairs: ScoredPair[] = [];
  let compared = 0;
  const w = a.words;
  const A = a.data;
  const B = b.data;
  const cb = b.counts;
  const out = new Int32Array(b.size);
  for (let i = 0; i < a.size; i++) {
    const ao = i * w;
    const ca = a.counts[i]!;
    const n = block.candidates(i, out);
    compared += n;
    for (let c = 0; c < n; c++) {
      const j = out[c]!;
      let inter = 0;
      for (let k = 0, bo = j * w; k < w; k++) {
        const x = A[ao + k]! & B[bo + k]!;
        inter += POP16[x & 0xffff]! + POP16[x >>> 16]!;
      }
      const total = ca + cb[j]!;
      const score = total === 0 ? 0 : (2 * inter) / total;
      const bin = (score * bins) | 0;
      histogram[bin < bins ? bin : bins - 1]!++;
      if (score >= threshold) pairs.push({ a: i, b: j, score });
    }
  }
  return { compared, pairs, histogram: Array.from(histogram) };
}

/** anonlink's greedy solver: best pairs first, each record used at most once. */
export function greedySolve(pairs: readonly ScoredPair[]): ScoredPair[] {
  const sorted = [...pairs].sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const matches: ScoredPair[] = [];
  for (const p of sorted) {
    if (usedA.has(p.a) || usedB.has(p.b)) continue;
    usedA.add(p.a);
    usedB.add(p.b);
    matches.push(p);
  }
  return matches;
}

// ---------------------------------------------------------------- evaluation and report

export interface LinkageQuality {
  /** True pairs whose two ids are in the CLK files. */
  truePairs: number;
  /** True pairs naming an id absent from either file (not counted below). */
  unknownPairs: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of the true pairs that blocking made candidates: the ceiling of recall. */
  blockingRecall: number;
  /** Scores of the true pairs (all of them, candidates or not), per bin. */
  truePairScores: number[];
}

export function evaluateLinkage(
  a: ClkSet,
  b: ClkSet,
  matches: readonly ScoredPair[],
  truth: readonly (readonly [string, string])[],
  block: Blocker,
  bins = 20,
): LinkageQuality {
  const indexA = new Map(a.ids.map((id, i) => [id, i]));
  const indexB = new Map(b.ids.map((id, j) => [id, j]));
  const truePairs = new Set<number>();
  let unknownPairs = 0;
  let candidates = 0;
  const truePairScores = new Array<number>(bins).fill(0);
  for (const [ida, idb] of truth) {
    const i = indexA.get(ida);
    const j = indexB.get(idb);
    if (i === undefined || j === undefined) {
      unknownPairs++;
      continue;
    }
    const key = i * b.size + j;
    if (truePairs.has(key)) continue;
    truePairs.add(key);
    if (block.isCandidate(i, j)) candidates++;
    truePairScores[binOf(dice(a, i, b, j), bins)]!++;
  }
  const tp = matches.filter((m) => truePairs.has(m.a * b.size + m.b)).length;
  const precision = matches.length === 0 ? 0 : tp / matches.length;
  const recall = truePairs.size === 0 ? 0 : tp / truePairs.size;
  return {
    truePairs: truePairs.size,
    unknownPairs,
    truePositives: tp,
    falsePositives: matches.length - tp,
    falseNegatives: truePairs.size - tp,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    blockingRecall: truePairs.size === 0 ? 0 : candidates / truePairs.size,
    truePairScores,
  };
}

export interface HistogramBin {
  from: number;
  to: number;
  /** Candidate pairs compared with a score in [from, to). */
  count: number;
  /** Of which kept as matches. */
  matched: number;
  /** True pairs in the bin, when the truth is known. */
  truePairs?: number;
}

export interface LinkageReport {
  report: "learnpool-linkage/1";
  threshold: number;
  records: { a: number; b: number };
  schema?: string;
  blocking: Blocking;
  crossProduct: number;
  candidatePairs: number;
  /** 1 − candidatePairs / crossProduct. */
  reductionRatio: number;
  pairsAboveThreshold: number;
  matches: number;
  scores: { binWidth: number; bins: HistogramBin[] };
  quality?: Omit<LinkageQuality, "truePairScores">;
  timing: { seconds: number; comparisonsPerSecond: number };
}

export interface LinkageOptions {
  threshold?: number;
  blocking?: Blocking;
  truth?: readonly (readonly [string, string])[];
  bins?: number;
  /** The schema fingerprint both CLK files were made under, recorded in the report. */
  schema?: string;
}

export const DEFAULT_THRESHOLD = 0.8;

export interface LinkageResult {
  matches: ScoredPair[];
  report: LinkageReport;
}

/** Blocking, scoring, greedy solving and the report, in one call. */
export function link(a: ClkSet, b: ClkSet, options: LinkageOptions = {}): LinkageResult {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new Error("the threshold must be in (0, 1]");
  const blocking = options.blocking ?? DEFAULT_BLOCKING;
  const bins = options.bins ?? 20;
  const started = process.hrtime.bigint();
  const block = blocker(a, b, blocking);
  const scores = scorePairs(a, b, threshold, block, bins);
  const matches = greedySolve(scores.pairs);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const matchedPerBin = new Array<number>(bins).fill(0);
  for (const m of matches) matchedPerBin[binOf(m.score, bins)]!++;
  const quality = options.truth ? evaluateLinkage(a, b, matches, options.truth, block, bins) : undefined;
  const crossProduct = a.size * b.size;
  const report: LinkageReport = {
    report: "learnpool-linkage/1",
    threshold,
    records: { a: a.size, b: b.size },
    blocking,
    crossProduct,
    candidatePairs: scores.compared,
    reductionRatio: crossProduct === 0 ? 0 : 1 - scores.compared / crossProduct,
    pairsAboveThreshold: scores.pairs.length,
    matches: matches.length,
    scores: {
      binWidth: 1 / bins,
      bins: scores.histogram.map((count, k) => {
        const bin: HistogramBin = { from: k / bins, to: (k + 1) / bins, count, matched: matchedPerBin[k]! };
        if (quality) bin.truePairs = quality.truePairScores[k]!;
        return bin;
      }),
    },
    timing: { seconds, comparisonsPerSecond: seconds > 0 ? scores.compared / seconds : 0 },
  };
  if (options.schema) report.schema = options.schema;
  if (quality) {
    const { truePairScores: _, ...rest } = quality;
    report.quality = rest;
  }
  return { matches, report };
}

/** The score distribution as text: one line per bin, bars on a log scale (non-matches dominate). */
export function histogramText(report: LinkageReport, width = 40): string[] {
  const bins = report.scores.bins;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const withTruth = bins.some((b) => b.truePairs !== undefined);
  const lines = [
    `score        pairs${withTruth ? "  true" : ""}  matched  (bar: log scale)`,
    ...bins.map((b) => {
      const bar =
        b.count === 0
          ? ""
          : "#".repeat(Math.max(1, Math.round((Math.log1p(b.count) / Math.log1p(max)) * width)));
      const mark = b.to > report.threshold && b.from <= report.threshold ? " ← threshold" : "";
      const truth = withTruth ? ` ${String(b.truePairs ?? 0).padStart(5)}` : "";
      return `${b.from.toFixed(2)}–${b.to.toFixed(2)} ${String(b.count).padStart(9)}${truth} ${String(b.matched).padStart(8)}  ${bar}${mark}`;
    }),
  ];
  return lines;
}

/** The summary lines the CLI prints. */
export function summaryText(report: LinkageReport): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `records: A ${report.records.a}, B ${report.records.b}; threshold ${report.threshold}`,
    `blocking: ${report.blocking.method === "lsh" ? `LSH ${report.blocking.bands}×${report.blocking.bitsPerBand} bits` : "none"}; ` +
      `${report.candidatePairs} candidate pairs compared of ${report.crossProduct} (reduction ${pct(report.reductionRatio)})`,
    `matches: ${report.matches} (${report.pairsAboveThreshold} pairs at or above the threshold)`,
    `time: ${report.timing.seconds.toFixed(3)} s, ${Math.round(report.timing.comparisonsPerSecond)} comparisons/s`,
  ];
  const q = report.quality;
  if (q) {
    lines.push(
      `quality: precision ${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)}, F1 ${q.f1.toFixed(4)} ` +
        `(${q.truePositives} true, ${q.falsePositives} false, ${q.falseNegatives} missed of ${q.truePairs} true pairs; ` +
        `blocking kept ${pct(q.blockingRecall)} of them)`,
    );
    if (q.unknownPairs > 0) lines.push(`truth: ${q.unknownPairs} pairs name ids absent from the CLK files`);
  }
  return lines;
}
