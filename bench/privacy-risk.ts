/**
 * Risk-analysis figures, each beside a floor measured in the same run:
 * - equivalence classes of a table (UCI Adult with its 9 attributes when ../shared is there, else a
 *   generated table of the same shape): rows/s, beside the pass that only builds each row's key (what any
 *   hash grouping must do at least);
 * - the sample measures (prosecutor, journalist, marketer, uniqueness, distributions) from class sizes;
 * - population uniqueness (Pitman, Zayatz, SNB, Dankar) for sampling fractions 0.01, 0.1 and 0.2.
 * `benchPrivacyRisk()` is what the main bench calls; run alone: `node dist/bench/privacy-risk.js`.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { equivalenceClasses, riskProfile } from "../src/privacy/risk/index.js";
import { seededRandom } from "../src/privacy/seeded.js";

export interface RiskBenchOptions {
  /** The Adult CSV; a generated table of 30,162 rows stands in when it is absent. */
  adult?: string;
  log?: (line: string) => void;
}

export interface RiskBenchResult {
  table: "adult" | "generated";
  rows: number;
  classes: number;
  classesRowsPerSecond: number;
  floorRowsPerSecond: number;
  sampleMeasuresMs: number;
  populationUniquenessMs: Record<string, number>;
}

function best(rounds: number, run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

function generatedTable(rows: number): string[][] {
  const random = seededRandom(42);
  const domains = [2, 74, 5, 7, 16, 41, 7, 14, 2];
  return Array.from({ length: rows }, () => domains.map((d) => `v${Math.floor(random() ** 2 * d)}`));
}

export async function benchPrivacyRisk(options: RiskBenchOptions = {}): Promise<RiskBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const path = options.adult ?? "../shared/data/adult/adult.csv";
  const adult = existsSync(path);
  const rows = adult
    ? readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.split(";"))
    : generatedTable(30162);
  const qi = rows[0]!.map((_, i) => i);

  let classes = equivalenceClasses(rows, qi);
  const groupingMs = best(5, () => {
    classes = equivalenceClasses(rows, qi);
  });
  let keyLength = 0;
  const floorMs = best(5, () => {
    for (const row of rows) {
      let key = "";
      for (const c of qi) key += `\u001f${row[c]}`;
      keyLength += key.length;
    }
  });
  const sampleMeasuresMs = best(5, () => riskProfile(classes.sizes));
  const populationUniquenessMs: Record<string, number> = {};
  for (const f of [0.01, 0.1, 0.2]) {
    populationUniquenessMs[String(f)] = best(3, () =>
      riskProfile(classes.sizes, { population: { samplingFraction: f } }),
    );
  }

  const perSecond = (ms: number) => rows.length / (ms / 1000);
  const result: RiskBenchResult = {
    table: adult ? "adult" : "generated",
    rows: rows.length,
    classes: classes.sizes.length,
    classesRowsPerSecond: perSecond(groupingMs),
    floorRowsPerSecond: perSecond(floorMs),
    sampleMeasuresMs,
    populationUniquenessMs,
  };
  log(
    `risk: equivalence classes of ${result.table} (${result.rows} rows, ${qi.length} quasi-identifiers, ` +
      `${result.classes} classes): ${(result.classesRowsPerSecond / 1e6).toFixed(2)} million rows/s ` +
      `(${groupingMs.toFixed(1)} ms; floor, keys only: ${(result.floorRowsPerSecond / 1e6).toFixed(2)} million rows/s)`,
  );
  log(`risk: sample measures from class sizes: ${sampleMeasuresMs.toFixed(2)} ms`);
  log(
    `risk: population uniqueness (all models + Dankar): ${Object.entries(populationUniquenessMs)
      .map(([f, ms]) => `f=${f} ${ms.toFixed(1)} ms`)
      .join(", ")}`,
  );
  if (keyLength < 0) log("unreachable");
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchPrivacyRisk();
}
