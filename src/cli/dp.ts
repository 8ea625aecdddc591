/**
 * `learnpool dp …`: command-line wiring of differential privacy (privacy/dp). `budget set|show` manage
 * the agreement's privacy budget per dataset and consumer; `query` answers one statistic over a CSV of
 * pooled rows (each carrying a learner pseudonym) with discrete noise, charged to the ledger first, and
 * prints the noisy result with the budget that remains. A budget is (ε, δ) or ρ (zCDP, `--rho`); `budget
 * show` prints the accounting, the rule of composition and, for ρ, the (ε, δ) it implies. Each action is an exported function returning
 * what it did, so that tests call it without a process.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { parse } from "csv-parse/sync";
import {
  type BudgetStatus,
  type Charge,
  dpCount,
  dpHistogram,
  dpMean,
  dpSum,
  dpTable,
  type NoiseKind,
  PrivacyLedger,
  queryCost,
  type Release,
  type StatisticKind,
} from "../privacy/dp/index.js";
import { openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

export class DpCommandError extends Error {}

function number(flag: string, check: (x: number) => boolean, what: string) {
  return (text: string): number => {
    const x = Number(text);
    if (text.trim() === "" || !Number.isFinite(x) || !check(x))
      throw new DpCommandError(`${flag}: ${what} (got "${text}")`);
    return x;
  };
}

const positive = (flag: string) => number(flag, (x) => x > 0, "a positive number");
const probability = (flag: string) => number(flag, (x) => x >= 0 && x < 1, "a number in [0, 1)");
const count = (flag: string) => number(flag, (x) => Number.isSafeInteger(x) && x >= 1, "a positive integer");

function numbers(flag: string, text: string): number[] {
  return text.split(",").map((part) => number(flag, () => true, "comma-separated numbers")(part.trim()));
}

async function withLedger<T>(db: string, fn: (ledger: PrivacyLedger) => Promise<T>): Promise<T> {
  const database = await openDatabase(db);
  try {
    return await fn(new PrivacyLedger(database));
  } finally {
    await database.close();
  }
}

export interface BudgetOptions {
  db: string;
  dataset: string;
  consumer: string;
  epsilon?: number;
  delta?: number;
  /** A zCDP budget instead of (ε, δ); δ is then the δ of its (ε, δ) view (default 10⁻⁶). */
  rho?: number;
}

export async function setBudget(o: BudgetOptions): Promise<BudgetStatus> {
  if ((o.rho === undefined) === (o.epsilon === undefined))
    throw new DpCommandError("budget set: give either --epsilon (with --delta) or --rho, not both");
  const budget =
    o.rho !== undefined
      ? { rho: o.rho, ...(o.delta !== undefined && { delta: o.delta }) }
      : { epsilon: o.epsilon as number, delta: o.delta ?? 0 };
  return withLedger(o.db, (ledger) => ledger.setBudget(o.dataset, o.consumer, budget, cliActor()));
}

export function showBudget(o: {
  db: string;
  dataset: string;
  consumer: string;
}): Promise<BudgetStatus & { history: Charge[] }> {
  return withLedger(o.db, async (ledger) => {
    const status = await ledger.status(o.dataset, o.consumer);
    if (!status)
      throw new DpCommandError(`no privacy budget for dataset ${o.dataset} and consumer ${o.consumer}`);
    return { ...status, history: await ledger.charges(o.dataset, o.consumer) };
  });
}

export interface QueryOptions {
  db: string;
  dataset: string;
  consumer: string;
  in: string;
  learnerColumn: string;
  statistic: StatisticKind;
  column?: string;
  bounds?: string;
  granularity?: number;
  bins?: string;
  groupBy?: string;
  /** `column=v1|v2|…`, one per group-by column, to declare a table's keys. */
  keys?: string[];
  epsilon: number;
  delta?: number;
  noise: NoiseKind;
  maxContributions: number;
  maxPartitions?: number;
  maxPerPartition?: number;
}

export interface QueryResult {
  dataset: string;
  consumer: string;
  statistic: StatisticKind;
  column?: string;
  result: Release<unknown>["value"];
  charged: { epsilon: string; delta: string; rho?: string };
  remaining: BudgetStatus["remaining"];
  mechanisms: Release<unknown>["mechanisms"];
  guarantee: string;
}

type CsvRow = Record<string, string>;

function readRows(o: QueryOptions): { rows: CsvRow[]; lines: number[] } {
  let text: string;
  try {
    text = readFileSync(o.in, "utf8");
  } catch (error) {
    throw new DpCommandError(`${o.in}: cannot read (${(error as Error).message})`);
  }
  let records: { record: CsvRow; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, info: true, bom: true }) as typeof records;
  } catch (error) {
    throw new DpCommandError(`${o.in}: not a CSV file (${(error as Error).message})`);
  }
  const rows = records.map((r) => r.record);
  const lines = records.map((r) => r.info.lines);
  const header = rows[0] ? Object.keys(rows[0]) : [];
  const needed = [o.learnerColumn, ...(o.column ? [o.column] : []), ...groupColumns(o)];
  for (const column of needed)
    if (rows.length > 0 && !header.includes(column))
      throw new DpCommandError(`${o.in}: no column "${column}" (columns: ${header.join(", ")})`);
  rows.forEach((row, i) => {
    if ((row[o.learnerColumn] ?? "") === "")
      throw new DpCommandError(`${o.in} line ${lines[i]}: column ${o.learnerColumn}: no learner pseudonym`);
  });
  return { rows, lines };
}

function groupColumns(o: QueryOptions): string[] {
  return (o.groupBy ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Each row's number in `column`, checked before anything is charged: a bad value names its line. */
function numericValues(o: QueryOptions, rows: CsvRow[], lines: number[]): Map<CsvRow, number> {
  const column = o.column as string;
  const values = new Map<CsvRow, number>();
  rows.forEach((row, i) => {
    const text = (row[column] ?? "").trim();
    const x = Number(text);
    if (text === "" || !Number.isFinite(x))
      throw new DpCommandError(`${o.in} line ${lines[i]}: column ${column}: "${text}" is not a number`);
    values.set(row, x);
  });
  return values;
}

function declaredKeys(o: QueryOptions, columns: string[]): string[][] | undefined {
  if (!o.keys || o.keys.length === 0) return undefined;
  const byColumn = new Map<string, string[]>();
  for (const spec of o.keys) {
    const eq = spec.indexOf("=");
    if (eq < 1) throw new DpCommandError(`--keys: expected column=value1|value2|… (got "${spec}")`);
    byColumn.set(spec.slice(0, eq), spec.slice(eq + 1).split("|"));
  }
  for (const column of byColumn.keys())
    if (!columns.includes(column)) throw new DpCommandError(`--keys: ${column} is not a --group-by column`);
  return columns.map((column) => {
    const values = byColumn.get(column);
    if (!values)
      throw new DpCommandError(
        `--keys: no values declared for ${column} (declare every --group-by column, or none)`,
      );
    return values;
  });
}

/** Checks the options, reads the CSV, charges the ledger and computes the release inside its transaction. */
export async function runQuery(o: QueryOptions): Promise<QueryResult> {
  const statistics: StatisticKind[] = ["count", "sum", "mean", "histogram", "table"];
  if (!statistics.includes(o.statistic))
    throw new DpCommandError(`--statistic: one of ${statistics.join(", ")} (got "${o.statistic}")`);
  const numeric = o.statistic === "sum" || o.statistic === "mean" || o.statistic === "histogram";
  if (numeric && !o.column) throw new DpCommandError(`--statistic ${o.statistic} needs --column`);
  const bounds = o.bounds ? numbers("--bounds", o.bounds) : undefined;
  if ((o.statistic === "sum" || o.statistic === "mean") && bounds?.length !== 2)
    throw new DpCommandError(`--statistic ${o.statistic} needs --bounds lo,hi`);
  const edges = o.bins ? numbers("--bins", o.bins) : undefined;
  if (o.statistic === "histogram" && !edges)
    throw new DpCommandError("--statistic histogram needs --bins e0,e1,…");
  const columns = groupColumns(o);
  if (o.statistic === "table" && columns.length === 0)
    throw new DpCommandError("--statistic table needs --group-by a,b");
  const declared = o.statistic === "table" ? declaredKeys(o, columns) : undefined;
  const cost = (() => {
    try {
      return queryCost(o.statistic, {
        epsilon: o.epsilon,
        noise: o.noise,
        declared: declared !== undefined,
        ...(o.delta !== undefined && { delta: o.delta }),
      });
    } catch (error) {
      throw new DpCommandError((error as Error).message);
    }
  })();

  const { rows, lines } = readRows(o);
  const values = numeric ? numericValues(o, rows, lines) : undefined;
  const common = {
    learnerOf: (row: CsvRow) => row[o.learnerColumn] as string,
    epsilon: cost.epsilon,
    delta: cost.delta,
    noise: o.noise,
    maxContributions: o.maxContributions,
    ...(o.maxPartitions !== undefined && { maxPartitions: o.maxPartitions }),
    ...(o.maxPerPartition !== undefined && { maxPerPartition: o.maxPerPartition }),
  };
  const valueOfRow = (row: CsvRow) => values?.get(row) as number;
  const release = (rows: CsvRow[]): Release<unknown> => {
    switch (o.statistic) {
      case "count":
        return dpCount(rows, common);
      case "sum":
        return dpSum(rows, {
          ...common,
          valueOf: valueOfRow,
          bounds: bounds as [number, number],
          ...(o.granularity && { granularity: o.granularity }),
        });
      case "mean":
        return dpMean(rows, {
          ...common,
          valueOf: valueOfRow,
          bounds: bounds as [number, number],
          ...(o.granularity && { granularity: o.granularity }),
        });
      case "histogram":
        return dpHistogram(rows, { ...common, valueOf: valueOfRow, edges: edges as number[] });
      case "table":
        return dpTable(rows, {
          ...common,
          keysOf: (row) => columns.map((c) => row[c] ?? ""),
          ...(declared && { declared }),
        });
    }
  };
  // The ρ the release costs in zCDP: its mechanisms depend on the options only, so a release over no
  // rows (never shown) names them before anything is charged. Partition selection has no ρ.
  const rho = (() => {
    if (o.noise !== "gaussian") return undefined;
    const dry = release([]);
    let total = 0;
    for (const m of dry.mechanisms) {
      if (m.rho !== undefined) total += m.rho;
      else if (m.delta === 0) total += (m.epsilon * m.epsilon) / 2;
      else return undefined;
    }
    return total;
  })();
  const what =
    o.statistic === "table"
      ? `table by ${columns.join(",")}`
      : o.column
        ? `${o.statistic} of ${o.column}`
        : o.statistic;
  return withLedger(o.db, async (ledger) => {
    const { result, charge, status } = await ledger.spend(
      {
        dataset: o.dataset,
        consumer: o.consumer,
        epsilon: cost.epsilon,
        delta: cost.delta,
        ...(rho !== undefined && { rho }),
        statistic: what,
        mechanism: o.noise === "gaussian" ? "discrete-gaussian" : "discrete-laplace",
        actor: cliActor(),
      },
      () => release(rows),
    );
    return {
      dataset: o.dataset,
      consumer: o.consumer,
      statistic: o.statistic,
      ...(o.column && { column: o.column }),
      result: result.value,
      charged: { epsilon: charge.epsilon, delta: charge.delta, ...(charge.rho && { rho: charge.rho }) },
      remaining: status.remaining,
      mechanisms: result.mechanisms,
      guarantee: result.guarantee,
    };
  });
}

export function dpCommands(): Command[] {
  const dp = new Command("dp").description(
    "differential privacy: budgets per dataset and consumer, noisy statistics",
  );
  const budget = dp
    .command("budget")
    .description("the privacy budget, (ε, δ) or ρ (zCDP), an agreement grants a consumer on a dataset");
  budget
    .command("set")
    .description("set or change the budget (audited)")
    .requiredOption("--dataset <id>", "the dataset")
    .requiredOption("--consumer <id>", "the consumer")
    .option("--epsilon <ε>", "total ε (basic composition: Σε, Σδ)", positive("--epsilon"))
    .option(
      "--delta <δ>",
      "total δ; with --rho, the δ at which the (ε, δ) view is shown (default 0, or 1e-6 with --rho)",
      probability("--delta"),
    )
    .option("--rho <ρ>", "a zCDP budget instead: total ρ (Σρ; Laplace ε costs ε²/2)", positive("--rho"))
    .addOption(dbOption())
    .action(async (o: BudgetOptions) => {
      printJson(await setBudget(o));
    });
  budget
    .command("show")
    .description("the budget, what is spent, what remains (in ρ and in (ε, δ) for zCDP), every charge")
    .requiredOption("--dataset <id>", "the dataset")
    .requiredOption("--consumer <id>", "the consumer")
    .addOption(dbOption())
    .action(async (o: { db: string; dataset: string; consumer: string }) => {
      printJson(await showBudget(o));
    });
  dp.command("query")
    .description("one noisy statistic over a CSV of pooled rows, charged to the consumer's budget")
    .requiredOption("--dataset <id>", "the dataset whose budget is charged")
    .requiredOption("--consumer <id>", "the consumer asking")
    .requiredOption("--in <csv>", "the pooled rows, with a header")
    .requiredOption("--learner-column <name>", "the column of learner pseudonyms (the unit of privacy)")
    .addOption(
      new Option("--statistic <kind>", "what to release")
        .choices(["count", "sum", "mean", "histogram", "table"])
        .makeOptionMandatory(),
    )
    .option("--column <name>", "the numeric column (sum, mean, histogram)")
    .option("--bounds <lo,hi>", "clamping bounds of --column (sum, mean)")
    .option("--granularity <g>", "the grid values are rounded to (sum, mean)", positive("--granularity"))
    .option("--bins <e0,e1,…>", "ascending bin edges (histogram)")
    .option("--group-by <a,b>", "the columns of a contingency table")
    .option(
      "--keys <column=v1|v2>",
      "declared values of a --group-by column (repeat for each; none: partition selection, needs --delta)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .requiredOption("--epsilon <ε>", "ε this query spends", positive("--epsilon"))
    .option(
      "--delta <δ>",
      "δ this query spends (Gaussian noise, partition selection)",
      probability("--delta"),
    )
    .addOption(new Option("--noise <kind>", "the noise").choices(["laplace", "gaussian"]).default("laplace"))
    .option("--max-contributions <m>", "rows kept per learner", count("--max-contributions"), 1)
    .option(
      "--max-partitions <n>",
      "partitions per learner (histogram, table; default m)",
      count("--max-partitions"),
    )
    .option(
      "--max-per-partition <n>",
      "rows per learner in one partition (default m)",
      count("--max-per-partition"),
    )
    .addOption(dbOption())
    .action(async (o: QueryOptions) => {
      printJson(await runQuery(o));
    });
  return [dp];
}
