/**
 * ARX's own expected optima on UCI Adult, ported from arx-deidentifier/arx
 * (TestAnonymizationKAnonymity, TestAnonymizationLDiversity, TestAnonymizationTCloseness; the cases with
 * practical monotonicity off, as the optimum of those is the true optimum). As in ARX's tests, every
 * attribute with a hierarchy is quasi-identifying except the sensitive one, in the header's order.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  anonymize,
  type EncodedDataset,
  encodeDataset,
  type MetricOptions,
  type PrivacyModels,
  parseTable,
  readHierarchy,
} from "../../src/privacy/anonymize/index.js";

const dir = join(import.meta.dirname, "../../../shared/data/adult");
const present = existsSync(join(dir, "adult.csv"));

interface ArxCase {
  name: string;
  sensitive?: string;
  models: PrivacyModels;
  metric: MetricOptions;
  score: number | null;
  levels?: number[];
}

const entropyMono: MetricOptions = { name: "entropy", monotonic: true };
const entropyNm: MetricOptions = { name: "entropy", monotonic: false };
const dmStar: MetricOptions = { name: "discernibility", monotonic: true };
const hier = { t: 0.2, distance: "hierarchical" as const };
const equal = { t: 0.2, distance: "equal" as const };

const cases: ArxCase[] = [
  // TestAnonymizationKAnonymity 0-3
  {
    name: "k=5 4% entropy",
    models: { k: 5, suppressionLimit: 0.04 },
    metric: entropyMono,
    score: 255559.85455731067,
    levels: [1, 0, 1, 1, 3, 2, 2, 0, 1],
  },
  {
    name: "k=100 4% entropy",
    models: { k: 100, suppressionLimit: 0.04 },
    metric: entropyMono,
    score: 379417.3460570988,
    levels: [1, 1, 1, 1, 3, 2, 2, 1, 1],
  },
  {
    name: "k=5 0% entropy",
    models: { k: 5, suppressionLimit: 0 },
    metric: entropyMono,
    score: 407289.5388925293,
    levels: [1, 2, 1, 1, 3, 2, 2, 1, 1],
  },
  {
    name: "k=100 0% entropy",
    models: { k: 100, suppressionLimit: 0 },
    metric: entropyMono,
    score: 453196.8932458743,
    levels: [0, 4, 1, 1, 3, 2, 2, 1, 1],
  },
  // TestAnonymizationLDiversity 0-3
  {
    name: "entropy-l=5 4% NM entropy",
    sensitive: "occupation",
    models: { l: { l: 5, variant: "entropy" }, suppressionLimit: 0.04 },
    metric: entropyNm,
    score: 228878.2039109517,
    levels: [1, 0, 1, 1, 2, 2, 2, 1],
  },
  {
    name: "entropy-l=100 4% NM entropy",
    sensitive: "occupation",
    models: { l: { l: 100, variant: "entropy" }, suppressionLimit: 0.04 },
    metric: entropyNm,
    score: null,
  },
  {
    name: "entropy-l=5 0% NM entropy",
    sensitive: "occupation",
    models: { l: { l: 5, variant: "entropy" }, suppressionLimit: 0 },
    metric: entropyNm,
    score: 324620.5269918692,
    levels: [1, 1, 1, 1, 3, 2, 2, 1],
  },
  {
    name: "entropy-l=100 0% NM entropy",
    sensitive: "occupation",
    models: { l: { l: 100, variant: "entropy" }, suppressionLimit: 0 },
    metric: entropyNm,
    score: null,
  },
  // TestAnonymizationTCloseness 0-7
  {
    name: "equal t=0.2 k=5 4% DM*",
    sensitive: "occupation",
    models: { k: 5, t: equal, suppressionLimit: 0.04 },
    metric: dmStar,
    score: 3.11880088e8,
    levels: [1, 4, 1, 0, 3, 2, 2, 1],
  },
  {
    name: "equal t=0.2 k=100 4% DM*",
    sensitive: "occupation",
    models: { k: 100, t: equal, suppressionLimit: 0.04 },
    metric: dmStar,
    score: 3.11880088e8,
    levels: [1, 4, 1, 0, 3, 2, 2, 1],
  },
  {
    name: "hierarchical t=0.2 k=5 4% entropy",
    sensitive: "occupation",
    models: { k: 5, t: hier, suppressionLimit: 0.04 },
    metric: entropyMono,
    score: 377622.78458729305,
    levels: [1, 4, 0, 0, 3, 2, 2, 1],
  },
  {
    name: "hierarchical t=0.2 k=100 4% entropy",
    sensitive: "occupation",
    models: { k: 100, t: hier, suppressionLimit: 0.04 },
    metric: entropyMono,
    // ARX's tests up to 2017 stated 390436.40440636466 here, a score no transformation of the lattice
    // has under the monotonic entropy (which ignores suppression); ARX's later TestAnonymizationTCloseness
    // states 390765.61326019815 for the same transformation.
    score: 390765.61326019815,
    levels: [1, 4, 1, 0, 3, 1, 2, 1],
  },
  {
    name: "equal t=0.2 k=5 0% DM*",
    sensitive: "occupation",
    models: { k: 5, t: equal, suppressionLimit: 0 },
    metric: dmStar,
    score: 4.56853172e8,
    levels: [1, 4, 1, 1, 3, 2, 2, 1],
  },
  {
    name: "equal t=0.2 k=100 0% DM*",
    sensitive: "occupation",
    models: { k: 100, t: equal, suppressionLimit: 0 },
    metric: dmStar,
    score: 4.56853172e8,
    levels: [1, 4, 1, 1, 3, 2, 2, 1],
  },
  {
    name: "hierarchical t=0.2 k=5 0% entropy",
    sensitive: "occupation",
    models: { k: 5, t: hier, suppressionLimit: 0 },
    metric: entropyMono,
    score: 398400.0741806447,
    levels: [0, 4, 1, 1, 3, 2, 2, 1],
  },
  {
    name: "hierarchical t=0.2 k=100 0% entropy",
    sensitive: "occupation",
    models: { k: 100, t: hier, suppressionLimit: 0 },
    metric: entropyMono,
    score: 398400.0741806447,
    levels: [0, 4, 1, 1, 3, 2, 2, 1],
  },
];

describe.skipIf(!present)(`ARX's expected optima on Adult${present ? "" : " (needs ../shared)"}`, () => {
  const table = present ? parseTable(readFileSync(join(dir, "adult.csv"), "utf8")) : { header: [], rows: [] };
  const encoded = new Map<string, EncodedDataset>();
  const dataFor = (sensitive?: string) => {
    const key = sensitive ?? "";
    if (!encoded.has(key)) {
      const qis = table.header.filter((a) => a !== sensitive);
      encoded.set(
        key,
        encodeDataset(table, { quasiIdentifiers: qis, sensitive }, (a) => readHierarchy(dir, a)),
      );
    }
    return encoded.get(key)!;
  };
  for (const c of cases) {
    it(c.name, () => {
      const { report } = anonymize(dataFor(c.sensitive), { models: c.models, metric: c.metric });
      if (c.score === null) {
        expect(report.transformation).toBeNull();
        return;
      }
      expect(Math.abs(report.score! - c.score) / c.score).toBeLessThan(1e-9);
      expect(Object.values(report.transformation!)).toEqual(c.levels);
    });
  }
});
