/**
 * `learnpool anonymize …`: command-line wiring of tabular anonymization (privacy/anonymize). Reads the
 * CSV and the hierarchies (`<dir>/*hierarchy_<attr>.csv`), runs the search, writes the anonymized CSV
 * and the JSON report. `anonymizeFile` does the work and returns the report, so tests call it directly.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import {
  type AnonymizationReport,
  anonymize,
  encodeDataset,
  type Hierarchy,
  type LDiversityVariant,
  METRIC_NAMES,
  type MetricName,
  parseTable,
  readHierarchy,
  type TDistance,
} from "../privacy/anonymize/index.js";

export class AnonymizeCommandError extends Error {}

export interface AnonymizeOptions {
  in: string;
  hierarchies: string;
  qi: string[];
  sensitive?: string;
  identifying?: string[];
  delimiter?: string;
  k?: number;
  l?: number;
  lVariant?: LDiversityVariant;
  c?: number;
  t?: number;
  tDistance?: TDistance;
  maxRisk?: number;
  suppression: number;
  metric: MetricName;
  monotonic?: boolean;
  gsFactor?: number;
  heuristic?: boolean;
  out: string;
  report: string;
}

const csvField = (v: string, d: string) =>
  v.includes(d) || v.includes('"') || v.includes("\n") ? `"${v.replaceAll('"', '""')}"` : v;

export function anonymizeFile(o: AnonymizeOptions): AnonymizationReport {
  if (o.k === undefined && o.l === undefined && o.t === undefined && o.maxRisk === undefined) {
    throw new AnonymizeCommandError("no privacy model: give --k, --l, --t or --max-risk");
  }
  const text = readFileSync(o.in, "utf8");
  const table = parseTable(text, o.delimiter, o.in);
  const delimiter =
    o.delimiter ?? (table.header.length > 1 && text.split("\n", 1)[0]!.includes(";") ? ";" : ",");
  const hierarchyOf = (a: string): Hierarchy | undefined => {
    if (a === o.sensitive && o.tDistance !== "hierarchical") return undefined;
    return readHierarchy(o.hierarchies, a);
  };
  const data = encodeDataset(
    table,
    { quasiIdentifiers: o.qi, sensitive: o.sensitive, identifying: o.identifying },
    hierarchyOf,
  );
  const result = anonymize(data, {
    models: {
      k: o.k,
      l: o.l !== undefined ? { l: o.l, variant: o.lVariant ?? "distinct", c: o.c } : undefined,
      t: o.t !== undefined ? { t: o.t, distance: o.tDistance ?? "equal" } : undefined,
      maxAverageRisk: o.maxRisk,
      suppressionLimit: o.suppression,
    },
    metric: { name: o.metric, monotonic: o.monotonic, gsFactor: o.gsFactor },
    search: { heuristic: o.heuristic },
  });
  const lines = [result.header, ...result.rows].map((r) =>
    r.map((v) => csvField(v, delimiter)).join(delimiter),
  );
  writeFileSync(o.out, lines.length > 1 ? `${lines.join("\n")}\n` : "");
  writeFileSync(o.report, `${JSON.stringify(result.report, null, 2)}\n`);
  return result.report;
}

const number = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x)) throw new AnonymizeCommandError(`--${name} ${v}: not a number`);
  return x;
};
const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function anonymizeCommands(): Command[] {
  const cmd = new Command("anonymize")
    .description(
      "anonymize a CSV table: optimal full-domain generalization with record suppression (ARX's models and metrics)",
    )
    .requiredOption("--in <csv>", "input CSV")
    .requiredOption("--hierarchies <dir>", "folder of <prefix>hierarchy_<attribute>.csv files (ARX layout)")
    .requiredOption("--qi <a,b,…>", "quasi-identifying attributes", list)
    .option("--sensitive <attribute>", "sensitive attribute (l-diversity, t-closeness)")
    .option("--identifying <a,b,…>", "identifying attributes, removed from the output", list)
    .option("--delimiter <char>", "CSV delimiter (default: ; or , detected)")
    .option("--k <k>", "k-anonymity", number("k"))
    .option("--l <l>", "l-diversity", number("l"))
    .addOption(
      new Option("--l-variant <variant>", "l-diversity variant").choices([
        "distinct",
        "entropy",
        "recursive",
      ]),
    )
    .option("--c <c>", "c of recursive-(c,l) diversity", number("c"))
    .option("--t <t>", "t-closeness", number("t"))
    .addOption(new Option("--t-distance <distance>", "ground distance").choices(["equal", "hierarchical"]))
    .option("--max-risk <r>", "highest average re-identification risk", number("max-risk"))
    .requiredOption(
      "--suppression <fraction>",
      "fraction of rows that may be suppressed",
      number("suppression"),
    )
    .addOption(new Option("--metric <metric>", "utility metric").choices(METRIC_NAMES).makeOptionMandatory())
    .option("--monotonic", "the monotonic variant of the metric (entropy, discernibility, precision)")
    .option("--gs-factor <f>", "generalization/suppression factor (default 0.5)", number("gs-factor"))
    .option("--heuristic", "heuristic search instead of the optimal one")
    .requiredOption("--out <csv>", "anonymized CSV")
    .requiredOption("--report <json>", "report")
    .action((opts) => {
      try {
        const report = anonymizeFile(opts as AnonymizeOptions);
        const t = report.transformation
          ? JSON.stringify(report.transformation)
          : "none (no anonymous transformation)";
        process.stdout.write(
          `transformation ${t}, score ${report.score}, suppressed ${report.suppressed}/${report.rows}, ${report.timeMs.toFixed(0)} ms\n`,
        );
        if (!report.transformation) process.exitCode = 2;
      } catch (error) {
        process.stderr.write(`anonymize: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  return [cmd];
}
