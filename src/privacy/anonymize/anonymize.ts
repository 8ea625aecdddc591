/**
 * The anonymization of a table as one call: encode, search the lattice, apply the chosen
 * transformation (generalized values, suppressed rows' quasi-identifiers as `*`, identifying
 * attributes dropped) and report what was done: the transformation, its score, the suppressed rows,
 * the prosecutor risk before and after (from class sizes only; the full risk analysis lives elsewhere)
 * and the search's effort.
 */
import type { EncodedDataset } from "./dataset.js";
import { type Evaluation, Evaluator, type PrivacyModels } from "./evaluate.js";
import { createMetric, type MetricOptions } from "./metrics.js";
import { type SearchOptions, type SearchResult, search } from "./search.js";

export interface ProsecutorRisk {
  /** 1 / size of the smallest class. */
  highest: number;
  /** Mean over records of 1/|class| = classes / records. */
  average: number;
  /** Records in a class of the highest risk. */
  recordsAtHighestRisk: number;
  /** Records alone in their class. */
  uniqueRecords: number;
  /** Records considered (suppressed rows are not published, so not counted). */
  records: number;
}

export interface AnonymizationReport {
  transformation: Record<string, number> | null;
  score: number | null;
  metric: string;
  suppressed: number;
  rows: number;
  anonymous: boolean;
  riskBefore: ProsecutorRisk;
  riskAfter: ProsecutorRisk | null;
  timeMs: number;
  search: Omit<SearchResult, "levels" | "score" | "suppressed">;
}

export interface AnonymizationResult {
  report: AnonymizationReport;
  /** Output header and rows (identifying attributes removed); empty when no node is anonymous. */
  header: string[];
  rows: string[][];
}

/** Prosecutor risk from class sizes, over the classes not suppressed. */
export function prosecutorRisk(
  size: ArrayLike<number>,
  classes: number,
  suppressed?: ArrayLike<number>,
): ProsecutorRisk {
  let min = Number.POSITIVE_INFINITY;
  let kept = 0;
  let records = 0;
  let unique = 0;
  for (let c = 0; c < classes; c++) {
    if (suppressed?.[c]) continue;
    const s = size[c]!;
    kept++;
    records += s;
    if (s < min) min = s;
    if (s === 1) unique++;
  }
  let atHighest = 0;
  for (let c = 0; c < classes; c++) if (!suppressed?.[c] && size[c] === min) atHighest += min;
  return {
    highest: records === 0 ? 0 : 1 / min,
    average: records === 0 ? 0 : kept / records,
    recordsAtHighestRisk: atHighest,
    uniqueRecords: unique,
    records,
  };
}

function riskOf(e: Evaluation, suppressionCounts: boolean): ProsecutorRisk {
  return prosecutorRisk(e.size, e.classes, suppressionCounts ? e.suppressed : undefined);
}

/** Writes the table under the transformation evaluated in `e`. */
export function applyTransformation(
  data: EncodedDataset,
  e: Evaluation,
): { header: string[]; rows: string[][] } {
  const drop = new Set(data.identifying);
  const keep = data.header.map((_, i) => i).filter((i) => !drop.has(i));
  const qiAt = new Map(data.qis.map((q, c) => [q.column, c]));
  const rows: string[][] = new Array(data.n);
  for (let i = 0; i < data.n; i++) {
    const src = data.rows[i]!;
    const gone = e.suppressed[e.classOf[i]!] === 1;
    rows[i] = keep.map((col) => {
      const c = qiAt.get(col);
      if (c === undefined) return src[col]!;
      if (gone) return "*";
      const q = data.qis[c]!;
      const level = e.levels[c]!;
      return q.labels[level]![q.gen[level]![i]!]!;
    });
  }
  return { header: keep.map((i) => data.header[i]!), rows };
}

export interface AnonymizationConfig {
  models: PrivacyModels;
  metric: MetricOptions;
  search?: SearchOptions;
}

export function anonymize(data: EncodedDataset, config: AnonymizationConfig): AnonymizationResult {
  const t0 = performance.now();
  const evaluator = new Evaluator(data, config.models);
  const metric = createMetric(data, config.metric);
  const found = search(evaluator, metric, config.search);
  const { levels, score, suppressed, ...effort } = found;
  const timeMs = performance.now() - t0;
  // Risk before: the original classes, nothing suppressed (evaluated after the timing).
  const before = new Evaluator(data, { suppressionLimit: 1 }).evaluate(data.qis.map(() => 0));
  const riskBefore = riskOf(before, false);
  const base = {
    metric: metric.name + (metric.monotonic && metric.name !== "height" ? " (monotonic)" : ""),
    rows: data.n,
    riskBefore,
    timeMs,
    search: effort,
  };
  if (!levels) {
    return {
      report: {
        ...base,
        transformation: null,
        score: null,
        suppressed: 0,
        anonymous: false,
        riskAfter: null,
      },
      header: [],
      rows: [],
    };
  }
  const e = evaluator.evaluate(levels);
  const out = applyTransformation(data, e);
  return {
    report: {
      ...base,
      transformation: Object.fromEntries(data.qis.map((q, c) => [q.name, levels[c]!])),
      score: score!,
      suppressed: suppressed!,
      anonymous: true,
      riskAfter: riskOf(e, true),
    },
    ...out,
  };
}
