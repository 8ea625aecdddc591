/**
 * The Lightning heuristic (src/privacy/anonymize/heuristic.ts) beside the optimal search on the same
 * data, which is its floor for the score (the optimum) and its yardstick for time:
 * - Adult (../shared/data/adult), k=5 / 4%: monotonic entropy (ARX's optimum 255559.85455731067) and
 *   loss, with the default budget and with step limits of 100 and 1,000 checks;
 * - OULAD studentInfo with 10 quasi-identifiers (hierarchies built as bench/privacy-anonymize.ts does),
 *   k=5 / 4% / loss, with the default budget and with time limits of 1 s and 5 s.
 * `benchAnonymizeHeuristic()` returns the figures; run alone:
 * `node dist/bench/privacy-anonymize-heuristic.js`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createMetric,
  type EncodedDataset,
  Evaluator,
  encodeDataset,
  type MetricOptions,
  type PrivacyModels,
  parseTable,
  readHierarchy,
  type SearchOptions,
  search,
} from "../src/privacy/anonymize/index.js";
import { ouladStudentInfo } from "./privacy-anonymize.js";

export interface HeuristicBenchRun {
  name: string;
  ms: number;
  evaluated: number;
  score: number | null;
  optimal: boolean;
  stoppedBy?: string;
}

export interface HeuristicBenchCase {
  name: string;
  latticeSize: number;
  optimum: HeuristicBenchRun;
  heuristic: HeuristicBenchRun[];
}

export interface HeuristicBenchResult {
  unavailable?: string;
  cases: HeuristicBenchCase[];
}

function run(
  name: string,
  data: EncodedDataset,
  models: PrivacyModels,
  metric: MetricOptions,
  options: SearchOptions,
) {
  const evaluator = new Evaluator(data, models);
  const m = createMetric(data, metric);
  const t0 = performance.now();
  const r = search(evaluator, m, options);
  const ms = performance.now() - t0;
  return {
    run: {
      name,
      ms,
      evaluated: r.evaluated,
      score: r.score ?? null,
      optimal: r.optimal,
      stoppedBy: r.stoppedBy,
    },
    latticeSize: r.latticeSize,
  };
}

function compare(
  name: string,
  data: EncodedDataset,
  models: PrivacyModels,
  metric: MetricOptions,
  budgets: [string, SearchOptions][],
  log: (line: string) => void,
): HeuristicBenchCase {
  const optimal = run("optimal", data, models, metric, { heuristicAbove: Number.POSITIVE_INFINITY });
  const c: HeuristicBenchCase = {
    name,
    latticeSize: optimal.latticeSize,
    optimum: optimal.run,
    heuristic: [],
  };
  log(
    `${name} (${c.latticeSize} nodes): optimal search ${optimal.run.ms.toFixed(0)} ms, ${optimal.run.evaluated} checks, score ${optimal.run.score}`,
  );
  for (const [label, options] of budgets) {
    const h = run(label, data, models, metric, { ...options, heuristic: true }).run;
    c.heuristic.push(h);
    const gap =
      h.score !== null && optimal.run.score ? ((h.score - optimal.run.score) / optimal.run.score) * 100 : NaN;
    log(
      `  Lightning ${label}: ${h.ms.toFixed(0)} ms, ${h.evaluated} checks, score ${h.score} (${gap.toFixed(2)}% above the optimum)${h.optimal ? ", proven optimal" : ""}${h.stoppedBy ? `, stopped by ${h.stoppedBy}` : ""}`,
    );
  }
  return c;
}

export async function benchAnonymizeHeuristic(
  options: { root?: string; log?: (line: string) => void } = {},
): Promise<HeuristicBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = options.root ?? join(fileURLToPath(import.meta.url), "../../..");
  const adultDir = join(root, "../shared/data/adult");
  if (!existsSync(join(adultDir, "adult.csv")))
    return { unavailable: "../shared/data/adult is absent", cases: [] };
  const cases: HeuristicBenchCase[] = [];
  const table = parseTable(readFileSync(join(adultDir, "adult.csv"), "utf8"));
  const adult = encodeDataset(table, { quasiIdentifiers: table.header }, (a) => readHierarchy(adultDir, a));
  const steps: [string, SearchOptions][] = [
    ["default budget", {}],
    ["1,000 checks", { maxSteps: 1000 }],
    ["100 checks", { maxSteps: 100 }],
  ];
  const k5 = { k: 5, suppressionLimit: 0.04 };
  cases.push(
    compare("Adult k=5 4% entropy (monotonic)", adult, k5, { name: "entropy", monotonic: true }, steps, log),
  );
  cases.push(compare("Adult k=5 4% loss", adult, k5, { name: "loss" }, steps, log));

  const ouladPath = join(root, "../shared/data/oulad/studentInfo.csv");
  if (existsSync(ouladPath)) {
    const oulad = ouladStudentInfo(ouladPath);
    cases.push(
      compare(
        "OULAD studentInfo 10 QIs k=5 4% loss",
        oulad,
        k5,
        { name: "loss" },
        [
          ["default budget", {}],
          ["5 s", { maxMs: 5000 }],
          ["1 s", { maxMs: 1000 }],
        ],
        log,
      ),
    );
  }
  return { cases };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchAnonymizeHeuristic();
}
