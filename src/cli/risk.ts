/**
 * `learnpool risk`: command-line wiring of the re-identification risk analysis (privacy/risk). Reads one
 * CSV (and optionally the same table after anonymization, or the population it was sampled from), prints
 * the measures and text charts, and writes the JSON report and an SVG chart when asked. `riskCommand`
 * does the work and returns the report, so that tests call it without a process.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { parse } from "csv-parse/sync";
import {
  chartsSvg,
  DEFAULT_THRESHOLD,
  PopulationModelError,
  RiskInputError,
  type RiskReport,
  riskReport,
  riskReportText,
  type Table,
  tableRisk,
} from "../privacy/risk/index.js";

type Print = (line: string) => void;

export class RiskCommandError extends Error {}

export interface RiskCommandOptions {
  in: string;
  qi: string[];
  delimiter?: string;
  populationFraction?: number;
  threshold?: number;
  report?: string;
  /** The same table after anonymization: reported beside the input. */
  after?: string;
  /** The population the input was sampled from (journalist and marketer risk). */
  population?: string;
  svg?: string;
  /** The value of a suppressed quasi-identifier (a row with it everywhere is a suppressed record). */
  suppressed?: string;
}

/** `;` when the header line has more semicolons than commas, `,` otherwise. */
export function sniffDelimiter(text: string): string {
  const header = text.slice(0, text.indexOf("\n") >>> 0);
  const count = (c: string) => header.split(c).length - 1;
  return count(";") > count(",") ? ";" : ",";
}

export function readTable(path: string, delimiter?: string): Table {
  const text = readFileSync(path, "utf8");
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: delimiter ?? sniffDelimiter(text),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }) as string[][];
  } catch (error) {
    throw new RiskCommandError(`${path}: not a readable CSV (${(error as Error).message})`);
  }
  const [header, ...rows] = records;
  if (!header) throw new RiskCommandError(`${path}: empty file (a header row is needed)`);
  return { header, rows };
}

export function riskCommand(options: RiskCommandOptions, print: Print = () => {}): RiskReport {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const settings = { qi: options.qi, threshold, populationFraction: options.populationFraction };
  const analyse = (path: string, population?: Table) => {
    try {
      return tableRisk({
        table: readTable(path, options.delimiter),
        qi: options.qi,
        threshold,
        populationFraction: options.populationFraction,
        population,
        suppressedValue: options.suppressed,
      });
    } catch (error) {
      if (error instanceof RiskInputError || error instanceof PopulationModelError) {
        throw new RiskCommandError(`${path}: ${error.message}`);
      }
      throw error;
    }
  };
  const population = options.population ? readTable(options.population, options.delimiter) : undefined;
  const tables = [{ name: options.after ? "before" : "input", risk: analyse(options.in, population) }];
  if (options.after) tables.push({ name: "after", risk: analyse(options.after, population) });

  const report = riskReport(tables, settings);
  print(riskReportText(report));
  if (options.report) writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
  if (options.svg) writeFileSync(options.svg, chartsSvg(report.charts));
  return report;
}

function fraction(name: string, allowZero: boolean): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n > 1 || n < 0 || (!allowZero && n === 0)) {
      throw new InvalidArgumentError(`${name} must be a number in ${allowZero ? "[0, 1]" : "(0, 1]"}`);
    }
    return n;
  };
}

function columns(v: string): string[] {
  const names = v.split(",").map((s) => s.trim());
  if (names.some((s) => s === ""))
    throw new InvalidArgumentError("--qi takes column names separated by commas");
  return names;
}

export function riskCommands(): Command[] {
  const risk = new Command("risk")
    .description(
      "re-identification risk of a table on its quasi-identifiers: prosecutor, journalist and marketer risk, " +
        "sample and population uniqueness (Pitman, Zayatz, SNB, Dankar), with charts",
    )
    .requiredOption("--in <file.csv>", "the table, with a header row")
    .requiredOption("--qi <a,b,…>", "the quasi-identifier columns", columns)
    .option("--delimiter <c>", "field delimiter (default: ; or , guessed from the header)")
    .option(
      "--population-fraction <f>",
      "sampling fraction, for population uniqueness",
      fraction("--population-fraction", false),
    )
    .option(
      "--threshold <r>",
      "a record is at risk above this risk",
      fraction("--threshold", true),
      DEFAULT_THRESHOLD,
    )
    .option("--after <file.csv>", "the same table after anonymization, reported beside it")
    .option(
      "--population <file.csv>",
      "the population the table was sampled from (journalist, marketer risk)",
    )
    .option("--suppressed <value>", "value of a suppressed quasi-identifier", "*")
    .option("--report <file.json>", "write the report (all numbers and the histograms)")
    .option("--svg <file.svg>", "write the charts as SVG")
    .action((o: RiskCommandOptions) => {
      try {
        riskCommand(o, (line) => process.stdout.write(`${line}\n`));
      } catch (error) {
        if (error instanceof RiskCommandError || (error as NodeJS.ErrnoException).code === "ENOENT") {
          process.stderr.write(`error: ${(error as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
  return [risk];
}
