/**
 * From a dataset version to what models train on: the learner-level rows of a view (read back from
 * the version's Parquet shards, the split taken from each file's path) turned into a numeric
 * `FeatureTable` with one row per learner, its 0/1 labels, splits and group values (for fairness).
 * Errors name the column and the row's position, never a learner's pseudonym.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { TrainError } from "./errors.js";
import type { FeatureTable } from "./table.js";

/** How a learner's periods become one row: summed (means averaged, maxima kept), one column per period, or the last period. */
export type PeriodMode = "sum" | "wide" | "last";

export interface LearnerTableOptions {
  /** The label's column: 0/1, true/false; a learner whose label is null is left out (counted). */
  readonly label: string;
  /** Default `learner`. */
  readonly learnerColumn?: string;
  /** Default `period`; when the rows have no such column, each learner must have one row. */
  readonly periodColumn?: string;
  /** Default `split` (as `readVersionView` adds it); ignored when absent. */
  readonly splitColumn?: string;
  /** The feature columns to use (default: every column but learner, period, label, split, groups and `period_start`). */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly periods: PeriodMode;
  /** `wide`: periods 0..periodCount-1 (default: the highest period seen + 1). A later period is an error. */
  readonly periodCount?: number;
  /** Text columns one-hot encoded as `{column}={value}`, a missing value as `unknown`. */
  readonly categorical?: readonly string[];
  /** Fixed levels per categorical column (a test table takes its training table's); other values become `unknown`. */
  readonly categories?: Readonly<Record<string, readonly string[]>>;
  /** Columns kept as text per learner (fairness groups), not as features unless also included. */
  readonly groups?: readonly string[];
  /**
   * The output's feature names, in order (a test table aligned to its training table): a name the rows
   * do not give is a column of missing values, a feature not named is left out.
   */
  readonly features?: readonly string[];
}

export interface LearnerTable {
  readonly table: FeatureTable;
  readonly labels: Uint8Array;
  /** The learners' ids (pseudonyms), row by row: for joining, never for printing. */
  readonly learners: string[];
  /** Each learner's split, when the rows carry one. */
  readonly splits?: string[];
  /** Per group column, each learner's value (`unknown` when missing). */
  readonly groups: Record<string, string[]>;
  /** The levels used per categorical column (pass them to the test table's `categories`). */
  readonly categories: Record<string, string[]>;
  /** Learners left out because their label is null. */
  readonly unlabelled: number;
}

export const UNKNOWN = "unknown";

type Row = Readonly<Record<string, unknown>>;

/** A cell as a number: numbers, bigints and booleans; null/undefined/NaN are missing. */
function numeric(value: unknown, column: string, row: number): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new TrainError(
    `feature column "${column}", row ${row}: ${typeof value} is not numeric (exclude the column or declare it categorical)`,
  );
}

function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return UNKNOWN;
  return String(value);
}

function labelOf(value: unknown, column: string, row: number): 0 | 1 | null {
  if (value === null || value === undefined) return null;
  if (value === true || value === 1 || value === 1n) return 1;
  if (value === false || value === 0 || value === 0n) return 0;
  throw new TrainError(`label column "${column}", row ${row}: ${JSON.stringify(String(value))} is not 0/1`);
}

/** How `sum` folds a column's periods, from its name (the views' conventions). */
function foldOf(name: string): "mean" | "max" | "min" | "sum" {
  if (name.endsWith("_mean")) return "mean";
  if (name.endsWith("_max")) return "max";
  if (name.endsWith("_min")) return "min";
  return "sum";
}

function fold(values: number[], how: ReturnType<typeof foldOf>): number {
  const present = values.filter((v) => !Number.isNaN(v));
  if (present.length === 0) return Number.NaN;
  if (how === "max") return Math.max(...present);
  if (how === "min") return Math.min(...present);
  const sum = present.reduce((a, b) => a + b, 0);
  return how === "mean" ? sum / present.length : sum;
}

/** Turns a view's learner-level rows (one or several periods per learner) into a table for training. */
export function learnerTable(rows: readonly Row[], options: LearnerTableOptions): LearnerTable {
  const learnerColumn = options.learnerColumn ?? "learner";
  const periodColumn = options.periodColumn ?? "period";
  const splitColumn = options.splitColumn ?? "split";
  const categorical = options.categorical ?? [];
  const groupColumns = options.groups ?? [];
  if (!["sum", "wide", "last"].includes(options.periods)) {
    throw new TrainError(`learnerTable.periods: "${String(options.periods)}" is not sum, wide or last`);
  }
  if (rows.length === 0) throw new TrainError("learnerTable: no row");
  const present = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) present.add(key);
  const need = (column: string, what: string) => {
    if (!present.has(column)) throw new TrainError(`learnerTable.${what}: no column "${column}" in the rows`);
  };
  need(learnerColumn, "learnerColumn");
  need(options.label, "label");
  for (const c of categorical) need(c, "categorical");
  for (const c of groupColumns) need(c, "groups");
  for (const c of options.include ?? []) need(c, "include");
  const hasPeriods = present.has(periodColumn);
  const hasSplits = present.has(splitColumn);
  const reserved = new Set([learnerColumn, periodColumn, splitColumn, options.label, ...groupColumns]);
  const excluded = new Set(options.exclude ?? []);
  const chosen = options.include ?? [...present].filter((c) => !reserved.has(c) && c !== "period_start");
  const numericColumns = chosen.filter((c) => !excluded.has(c) && !categorical.includes(c));

  // Rows by learner, in first-seen order.
  const byLearner = new Map<string, { rows: number[]; label: 0 | 1 | null }>();
  rows.forEach((row, i) => {
    const id = row[learnerColumn];
    if (id === null || id === undefined || id === "") {
      throw new TrainError(`learner column "${learnerColumn}", row ${i}: missing`);
    }
    const key = String(id);
    const label = labelOf(row[options.label], options.label, i);
    const entry = byLearner.get(key);
    if (!entry) byLearner.set(key, { rows: [i], label });
    else {
      if (entry.label !== label) {
        throw new TrainError(
          `label column "${options.label}", row ${i}: differs from the same learner's earlier row`,
        );
      }
      entry.rows.push(i);
    }
  });
  const periodOf = (i: number): number => {
    if (!hasPeriods) return 0;
    const p = numeric(rows[i]![periodColumn], periodColumn, i);
    if (!(Number.isInteger(p) && p >= 0)) {
      throw new TrainError(`period column "${periodColumn}", row ${i}: ${p} is not an integer ≥ 0`);
    }
    return p;
  };
  const learners: string[] = [];
  const kept: number[][] = [];
  let unlabelled = 0;
  let maxPeriod = 0;
  const labelList: number[] = [];
  for (const [id, entry] of byLearner) {
    if (!hasPeriods && entry.rows.length > 1) {
      throw new TrainError(
        `learnerTable: row ${entry.rows[1]} repeats a learner and the rows have no period column "${periodColumn}"`,
      );
    }
    if (entry.label === null) {
      unlabelled++;
      continue;
    }
    const sorted = [...entry.rows].sort((a, b) => periodOf(a) - periodOf(b));
    for (let k = 1; k < sorted.length; k++) {
      if (periodOf(sorted[k]!) === periodOf(sorted[k - 1]!)) {
        throw new TrainError(
          `learnerTable: row ${sorted[k]} repeats the same learner's period ${periodOf(sorted[k]!)}`,
        );
      }
    }
    maxPeriod = Math.max(maxPeriod, periodOf(sorted[sorted.length - 1]!));
    learners.push(id);
    kept.push(sorted);
    labelList.push(entry.label);
  }
  if (learners.length === 0)
    throw new TrainError(`learnerTable: every learner's label "${options.label}" is null`);
  const n = learners.length;
  const lastRow = (k: number) => rows[kept[k]![kept[k]!.length - 1]!]!;

  const names: string[] = [];
  const columns: Float64Array[] = [];
  const add = (name: string, values: Float64Array) => {
    names.push(name);
    columns.push(values);
  };
  if (options.periods === "wide") {
    const count = options.periodCount ?? maxPeriod + 1;
    if (!(Number.isInteger(count) && count >= 1))
      throw new TrainError("learnerTable.periodCount: an integer ≥ 1");
    if (maxPeriod >= count) {
      throw new TrainError(
        `period column "${periodColumn}": period ${maxPeriod} is beyond periodCount ${count}`,
      );
    }
    for (const c of numericColumns) {
      const zero = foldOf(c) === "sum" ? 0 : Number.NaN;
      const wide = Array.from({ length: count }, () => new Float64Array(n).fill(zero));
      kept.forEach((list, k) => {
        for (const i of list) wide[periodOf(i)]![k] = numeric(rows[i]![c], c, i);
      });
      wide.forEach((values, p) => {
        add(`${c}@${p}`, values);
      });
    }
  } else {
    for (const c of numericColumns) {
      const values = new Float64Array(n);
      const how = foldOf(c);
      kept.forEach((list, k) => {
        values[k] =
          options.periods === "last"
            ? numeric(rows[list[list.length - 1]!]![c], c, list[list.length - 1]!)
            : fold(
                list.map((i) => numeric(rows[i]![c], c, i)),
                how,
              );
      });
      add(c, values);
    }
  }

  // Attributes are per learner: the last period's value stands for the learner.
  const categories: Record<string, string[]> = {};
  for (const c of categorical) {
    if (excluded.has(c)) continue;
    const values = kept.map((_, k) => text(lastRow(k)[c]));
    const fixed = options.categories?.[c];
    const levels = fixed
      ? [...fixed.filter((v) => v !== UNKNOWN), UNKNOWN]
      : [...[...new Set(values)].filter((v) => v !== UNKNOWN).sort(), UNKNOWN];
    categories[c] = levels;
    const known = new Set(levels);
    for (const level of levels) {
      const col = new Float64Array(n);
      values.forEach((v, k) => {
        col[k] = (known.has(v) ? v : UNKNOWN) === level ? 1 : 0;
      });
      add(`${c}=${level}`, col);
    }
  }
  const groups: Record<string, string[]> = {};
  for (const c of groupColumns) groups[c] = kept.map((_, k) => text(lastRow(k)[c]));
  const splits = hasSplits ? kept.map((_, k) => text(lastRow(k)[splitColumn])) : undefined;

  let table: FeatureTable = { names, columns, rows: n };
  if (options.features) table = alignFeatures(table, options.features);
  if (table.names.length === 0) throw new TrainError("learnerTable: no feature column left");
  return {
    table,
    labels: Uint8Array.from(labelList),
    learners,
    ...(splits ? { splits } : {}),
    groups,
    categories,
    unlabelled,
  };
}

/** The table with exactly `names`, in that order: absent ones as missing values. */
export function alignFeatures(table: FeatureTable, names: readonly string[]): FeatureTable {
  const index = new Map(table.names.map((name, j) => [name, j]));
  const seen = new Set<string>();
  const columns = names.map((name) => {
    if (seen.has(name)) throw new TrainError(`features: "${name}" appears twice`);
    seen.add(name);
    const j = index.get(name);
    return j === undefined ? new Float64Array(table.rows).fill(Number.NaN) : table.columns[j]!;
  });
  return { names: [...names], columns, rows: table.rows };
}

/** A version's Parquet shards of one view, with their split (from the lineage, else from the file names). */
export function versionViewFiles(dir: string, view: string): { path: string; split: string }[] {
  if (!/^[a-z_]+$/.test(view)) throw new TrainError(`view "${view}": not a view name`);
  const lineagePath = join(dir, "lineage.json");
  if (existsSync(lineagePath)) {
    const manifest = JSON.parse(readFileSync(lineagePath, "utf8")) as {
      files?: { path: string; split?: string; format: string; recordSet: string }[];
    };
    const files = (manifest.files ?? []).filter((f) => f.recordSet === view && f.format === "parquet");
    if (files.length === 0) {
      const views = [...new Set((manifest.files ?? []).map((f) => f.recordSet))].join(", ");
      throw new TrainError(`${lineagePath}: no Parquet file of view "${view}" (the version holds: ${views})`);
    }
    return files.map((f) => ({ path: join(dir, f.path), split: f.split ?? "all" }));
  }
  // Without a lineage (a folder of shards only): data/{view}/ or, for a one-view version, data/.
  const shard = /^([A-Za-z0-9_.-]+)-\d{5}-of-\d{5}\.parquet$/;
  for (const folder of [join(dir, "data", view), join(dir, "data")]) {
    if (!existsSync(folder)) continue;
    const files = readdirSync(folder)
      .sort()
      .flatMap((name) => {
        const m = shard.exec(name);
        return m ? [{ path: join(folder, name), split: m[1]! }] : [];
      });
    if (files.length > 0) return files;
  }
  throw new TrainError(
    `${dir}: no Parquet shard of view "${view}" (no lineage.json, no data/${view}/ nor data/*.parquet)`,
  );
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The rows of one view of a version, each with its `split`, in split then file order. BIGINT
 * columns come back as numbers when they fit exactly (counts do), else as bigint. `memoryMb` bounds
 * DuckDB's own memory (outside the V8 heap a worker's resource limits cover).
 */
export async function readVersionView(
  dir: string,
  view: string,
  options: { memoryMb?: number } = {},
): Promise<Record<string, unknown>[]> {
  const files = versionViewFiles(dir, view);
  const instance = await DuckDBInstance.create(
    ":memory:",
    options.memoryMb === undefined ? {} : { memory_limit: `${options.memoryMb}MB`, threads: "1" },
  );
  const connection = await instance.connect();
  try {
    const out: Record<string, unknown>[] = [];
    for (const file of files) {
      if (!existsSync(file.path))
        throw new TrainError(`${file.path}: missing (listed in the version's lineage)`);
      const reader = await connection.runAndReadAll(
        `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${quote(file.path)}, file_row_number = true) ORDER BY file_row_number`,
      );
      for (const row of reader.getRowObjectsJS() as Record<string, unknown>[]) {
        for (const [key, value] of Object.entries(row)) {
          if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) row[key] = Number(value);
        }
        if ("split" in row && row.split !== file.split) {
          throw new TrainError(
            `${file.path}: has a column "split" of its own, besides the split in its path`,
          );
        }
        row.split = file.split;
        out.push(row);
      }
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
