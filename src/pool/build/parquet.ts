/** Reading a Parquet shard's rows back, in file order, as the lineage hashes them. */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../views/index.js";

/**
 * The rows of one Parquet file, in its row order (DuckDB keeps insertion order; `file_row_number`
 * makes it explicit), as plain JS values: build and verify read them the same way.
 */
export async function readParquetRecords(
  connection: DuckDBConnection,
  path: string,
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(
    `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${sqlString(path)}, file_row_number = true) ORDER BY file_row_number`,
  );
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}
