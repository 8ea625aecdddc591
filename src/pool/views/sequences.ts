/**
 * The `sequences` view, for knowledge tracing: each learner's interactions in time order, one row per
 * interaction with an item (the statement's object) or a skill (each competency the statement is
 * evidence of), with its outcome. Only statements with an outcome enter: `correct` is result.success
 * when present, else whether result.score.scaled reaches the threshold.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlDay, sqlIdentifier, sqlNumber } from "./sql.js";

export interface SequencesOptions {
  unit: "item" | "skill";
  /** A scaled score at or above this counts as correct when success is absent (default 0.5). */
  threshold?: number;
  /** When given, only statements before this day (YYYY-MM-DD, UTC), as for features. */
  cutoff?: string;
  /** A relation with the `statements` view's columns (default `statements`). */
  source?: string;
}

export function sequencesSql(options: SequencesOptions): string {
  const source = options.source ?? "statements";
  const threshold = sqlNumber(options.threshold ?? 0.5);
  if (options.unit !== "item" && options.unit !== "skill")
    throw new RangeError(`unknown unit: ${String(options.unit)}`);
  const unit = options.unit === "item" ? "object_id" : "unnest(skills)";
  const cutoff = options.cutoff === undefined ? "" : ` AND timestamp < ${sqlDay(options.cutoff)}`;
  // The id and then the unit break ties in time, so positions never depend on read order.
  return `SELECT learner,
      CAST(row_number() OVER (PARTITION BY learner ORDER BY timestamp, provider, id, ${options.unit}) AS INTEGER)
        AS position,
      ${options.unit}, correct, score_scaled, success, timestamp, provider, id AS statement_id
    FROM (
      SELECT learner, provider, id, timestamp, score_scaled, success, ${unit} AS ${options.unit},
        coalesce(success, score_scaled >= ${threshold}) AS correct
      FROM ${source}
      WHERE learner IS NOT NULL AND timestamp IS NOT NULL AND (success IS NOT NULL OR score_scaled IS NOT NULL)${cutoff}
    )
    WHERE ${options.unit} IS NOT NULL
    ORDER BY learner, position`;
}

export async function buildSequences(
  connection: DuckDBConnection,
  options: SequencesOptions,
  table = "sequences",
): Promise<void> {
  await connection.run(`CREATE OR REPLACE TABLE ${sqlIdentifier(table)} AS ${sequencesSql(options)}`);
}
