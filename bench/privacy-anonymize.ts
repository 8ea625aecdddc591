/**
 * Anonymization figures, each beside its floor measured in the same run:
 * - Adult (../shared/data/adult): the optimal search for ARX's cases (k=5 / 4% / non-uniform entropy,
 *   ARX 3.9.2: about 2.7 s warm, 5.7 s cold; and a few others), warm (second run), beside the
 *   evaluation of the optimum alone (one transformation: the floor of any search);
 * - OULAD studentInfo with 10 quasi-identifiers (hierarchies built by the builders), k=5 / 4% / loss:
 *   time and peak RSS (must stay under 1 GB).
 * `benchAnonymize()` is what the main bench calls; run alone: `node dist/bench/privacy-anonymize.js`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AnonymizationConfig,
  anonymize,
  type EncodedDataset,
  Evaluator,
  encodeDataset,
  type Hierarchy,
  intervalHierarchy,
  orderedHierarchy,
  parseTable,
  readHierarchy,
} from "../src/privacy/anonymize/index.js";

export interface AnonymizeBenchCase {
  name: string;
  ms: number;
  floorMs: number;
  evaluated: number;
  latticeSize: number;
  score: number | null;
}

export interface AnonymizeBenchResult {
  unavailable?: string;
  adult?: AnonymizeBenchCase[];
  oulad?: { ms: number; peakRssMb: number; evaluated: number; latticeSize: number; score: number | null };
}

/**
 * OULAD's studentInfo with its 10 quasi-identifiers (the demographics and the course attributes), with
 * hierarchies built from rules: credit and attempt bands, ordered groupings of 2 then 4 for the rest.
 */
export function ouladStudentInfo(path: string): EncodedDataset {
  const info = parseTable(readFileSync(path, "utf8"));
  const qis = [
    "code_module",
    "code_presentation",
    "gender",
    "region",
    "highest_education",
    "imd_band",
    "age_band",
    "num_of_prev_attempts",
    "studied_credits",
    "disability",
  ];
  const column = (a: string) => info.rows.map((r) => r[info.header.indexOf(a)]!);
  const hierarchyOf = (a: string): Hierarchy => {
    if (a === "studied_credits") return intervalHierarchy(a, column(a), [30, 60, 120]);
    if (a === "num_of_prev_attempts") return intervalHierarchy(a, column(a), [2, 4]);
    return orderedHierarchy(a, column(a), [2, 4]);
  };
  return encodeDataset(info, { quasiIdentifiers: qis }, hierarchyOf);
}

function timeCase(name: string, data: EncodedDataset, config: AnonymizationConfig): AnonymizeBenchCase {
  anonymize(data, config); // warm-up
  const t0 = performance.now();
  const r = anonymize(data, config);
  const ms = performance.now() - t0;
  let floorMs = 0;
  if (r.report.transformation) {
    const levels = Object.values(r.report.transformation);
    const ev = new Evaluator(data, config.models);
    ev.evaluate(levels);
    const rounds = 20;
    const f0 = performance.now();
    for (let i = 0; i < rounds; i++) ev.evaluate(levels);
    floorMs = (performance.now() - f0) / rounds;
  }
  return {
    name,
    ms,
    floorMs,
    evaluated: r.report.search.evaluated,
    latticeSize: r.report.search.latticeSize,
    score: r.report.score,
  };
}

export async function benchAnonymize(
  options: { root?: string; log?: (line: string) => void } = {},
): Promise<AnonymizeBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = options.root ?? join(fileURLToPath(import.meta.url), "../../..");
  const adultDir = join(root, "../shared/data/adult");
  if (!existsSync(join(adultDir, "adult.csv"))) return { unavailable: "../shared/data/adult is absent" };
  const table = parseTable(readFileSync(join(adultDir, "adult.csv"), "utf8"));
  const all = encodeDataset(table, { quasiIdentifiers: table.header }, (a) => readHierarchy(adultDir, a));
  const occupation = encodeDataset(
    table,
    { quasiIdentifiers: table.header.filter((a) => a !== "occupation"), sensitive: "occupation" },
    (a) => readHierarchy(adultDir, a),
  );
  const adult = [
    timeCase("Adult k=5 4% entropy (monotonic)", all, {
      models: { k: 5, suppressionLimit: 0.04 },
      metric: { name: "entropy", monotonic: true },
    }),
    timeCase("Adult k=5 4% entropy (non-monotonic)", all, {
      models: { k: 5, suppressionLimit: 0.04 },
      metric: { name: "entropy" },
    }),
    timeCase("Adult k=100 4% entropy (monotonic)", all, {
      models: { k: 100, suppressionLimit: 0.04 },
      metric: { name: "entropy", monotonic: true },
    }),
    timeCase("Adult k=5 0% entropy (monotonic)", all, {
      models: { k: 5, suppressionLimit: 0 },
      metric: { name: "entropy", monotonic: true },
    }),
    timeCase("Adult entropy-5-diversity 4% entropy", occupation, {
      models: { l: { l: 5, variant: "entropy" }, suppressionLimit: 0.04 },
      metric: { name: "entropy" },
    }),
    timeCase("Adult k=5 equal 0.2-closeness 4% DM*", occupation, {
      models: { k: 5, t: { t: 0.2, distance: "equal" }, suppressionLimit: 0.04 },
      metric: { name: "discernibility", monotonic: true },
    }),
  ];
  for (const c of adult) {
    log(
      `${c.name}: ${c.ms.toFixed(0)} ms warm (${c.evaluated} of ${c.latticeSize} nodes evaluated), floor (one evaluation of the optimum) ${c.floorMs.toFixed(2)} ms; score ${c.score}`,
    );
  }
  const result: AnonymizeBenchResult = { adult };
  const ouladPath = join(root, "../shared/data/oulad/studentInfo.csv");
  if (existsSync(ouladPath)) {
    const t0 = performance.now();
    const data = ouladStudentInfo(ouladPath);
    const r = anonymize(data, { models: { k: 5, suppressionLimit: 0.04 }, metric: { name: "loss" } });
    const ms = performance.now() - t0;
    // The process's peak resident set (kernel maxrss, in kB): the search is synchronous, so sampling
    // with a timer would miss it. It includes the Adult cases run before.
    const peak = process.resourceUsage().maxRSS * 1024;
    result.oulad = {
      ms,
      peakRssMb: peak / 2 ** 20,
      evaluated: r.report.search.evaluated,
      latticeSize: r.report.search.latticeSize,
      score: r.report.score,
    };
    log(
      `OULAD studentInfo, 10 quasi-identifiers, k=5 4% loss: ${ms.toFixed(0)} ms (${r.report.search.evaluated} of ${r.report.search.latticeSize} nodes evaluated), peak RSS ${result.oulad.peakRssMb.toFixed(0)} MB (limit 1024)`,
    );
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchAnonymize();
}
