/**
 * Writing a view in the Hugging Face layout: `data/{split}-{i:05}-of-{n:05}.{ext}`, Parquet with
 * zstd by default, CSV and JSON Lines on request. Builds must be reproducible, so rows are numbered
 * by an explicit total order (refused when the order has ties), row groups have a fixed size, and
 * DuckDB writes on one thread (several threads may cut row groups differently from run to run).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlIdentifier, sqlString } from "./sql.js";

export type ShardFormat = "parquet" | "csv" | "jsonl";

export interface WriteOptions {
  /** The dataset version's folder; files go under `{dir}/data/`. */
  dir: string;
  /** Columns giving a total order of the rows (checked). */
  orderBy: string[];
  /** The column naming each row's split; absent: every row is in `split` (default `train`). */
  splitColumn?: string;
  split?: string;
  /** Rows per shard (default 1,000,000). */
  shardRows?: number;
  /** Rows per Parquet row group (default 122,880, DuckDB's own default, fixed so output is stable). */
  rowGroupRows?: number;
  formats?: ShardFormat[];
  /** Prefixed to file names when a version holds several views: `{prefix}{split}-…` (default none). */
  prefix?: string;
}

export interface WrittenShard {
  split: string;
  format: ShardFormat;
  /** Relative to `dir`, with `/`. */
  path: string;
  rows: number;
}

export function shardName(prefix: string, split: string, index: number, count: number, ext: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(split))
    throw new RangeError(`split name not usable in a file name: ${split}`);
  const pad = (n: number) => String(n).padStart(5, "0");
  return `data/${prefix}${split}-${pad(index)}-of-${pad(count)}.${ext}`;
}

const EXTENSION: Record<ShardFormat, string> = { parquet: "parquet", csv: "csv", jsonl: "jsonl" };

function copyOptions(format: ShardFormat, rowGroupRows: number): string {
  if (format === "parquet") return `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows}`;
  if (format === "csv") return "FORMAT csv, HEADER true";
  return "FORMAT json";
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  return (await connection.runAndReadAll(sql)).getRowsJS()[0]?.[0];
}

/** Writes `relation` (a table or view name) as shards; returns the files in split and shard order. */
export async function writeShards(
  connection: DuckDBConnection,
  relation: string,
  options: WriteOptions,
): Promise<WrittenShard[]> {
  const shardRows = options.shardRows ?? 1_000_000;
  const rowGroupRows = options.rowGroupRows ?? 122_880;
  if (!(shardRows >= 1 && Number.isInteger(shardRows)))
    throw new RangeError("shardRows must be a positive integer");
  if (options.orderBy.length === 0) throw new RangeError("orderBy needs at least one column");
  const formats = options.formats ?? ["parquet"];
  const prefix = options.prefix ?? "";
  const table = sqlIdentifier(relation);
  const order = options.orderBy.map(sqlIdentifier).join(", ");
  const splitExpr = options.splitColumn
    ? sqlIdentifier(options.splitColumn)
    : sqlString(options.split ?? "train");

  const ties = Number(
    await scalar(
      connection,
      `SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT ${order} FROM ${table})) FROM ${table}`,
    ),
  );
  if (ties !== 0) throw new RangeError(`orderBy (${options.orderBy.join(", ")}) leaves ${ties} rows tied`);

  const numbered = "__learnpool_numbered";
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${numbered} AS SELECT *, ${splitExpr} AS __split,
      row_number() OVER (PARTITION BY ${splitExpr} ORDER BY ${order}) - 1 AS __row FROM ${table}`,
  );
  const splits = (
    await connection.runAndReadAll(`SELECT __split, count(*) FROM ${numbered} GROUP BY 1 ORDER BY 1`)
  )
    .getRowsJS()
    .map((r) => ({ split: String(r[0]), rows: Number(r[1]) }));

  mkdirSync(join(options.dir, "data"), { recursive: true });
  const threads = await scalar(connection, "SELECT current_setting('threads')");
  const written: WrittenShard[] = [];
  try {
    await connection.run("SET threads = 1");
    for (const { split, rows } of splits) {
      const count = Math.max(1, Math.ceil(rows / shardRows));
      for (let i = 0; i < count; i++) {
        const from = i * shardRows;
        const to = Math.min(rows, from + shardRows);
        const select = `SELECT * EXCLUDE (__split, __row) FROM ${numbered}
          WHERE __split = ${sqlString(split)} AND __row >= ${from} AND __row < ${to} ORDER BY __row`;
        for (const format of formats) {
          const path = shardName(prefix, split, i, count, EXTENSION[format]);
          await connection.run(
            `COPY (${select}) TO ${sqlString(join(options.dir, path))} (${copyOptions(format, rowGroupRows)})`,
          );
          written.push({ split, format, path, rows: to - from });
        }
      }
    }
  } finally {
    await connection.run(`SET threads = ${Number(threads) || 1}`);
    await connection.run(`DROP TABLE IF EXISTS ${numbered}`);
  }
  return written;
}
