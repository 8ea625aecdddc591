/**
 * The database: SQLite (embedded default) and PostgreSQL (production) behind one small interface,
 * the versioned migrations of every module's tables, and transactions. It knows nothing of xAPI.
 */
import { resolve } from "node:path";
import type { Database } from "./database.js";
import { migrate } from "./migrations.js";
import { PostgresDatabase } from "./postgres.js";
import { SqliteDatabase } from "./sqlite.js";

export type { Database, Dialect, Queryable, Row, SqlValue, TransactionOptions } from "./database.js";
export { UniqueViolation } from "./database.js";
export { whereSql } from "./filters.js";
export { type Migration, migrate, migrations } from "./migrations.js";
export { PostgresDatabase, redact } from "./postgres.js";
export { SqliteDatabase } from "./sqlite.js";

/** The embedded default: a SQLite file under ./data. */
export const DEFAULT_DB = "data/learnpool.db";

/**
 * Opens `location` (a file path, `:memory:`, or a `postgres://` URL) and brings its schema up to date.
 */
export async function openDatabase(location: string, options: { migrate?: boolean } = {}): Promise<Database> {
  const db: Database = /^postgres(ql)?:\/\//.test(location)
    ? new PostgresDatabase(location)
    : new SqliteDatabase(location === ":memory:" ? location : resolve(location));
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }
  return db;
}
