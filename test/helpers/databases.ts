import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openDatabase } from "../../src/store/index.js";

/** Where the test PostgreSQL lives; CI sets LEARNPOOL_REQUIRE_POSTGRES=1 so that it is never skipped. */
export const TEST_PG_URL = process.env.LEARNPOOL_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const required = process.env.LEARNPOOL_REQUIRE_POSTGRES === "1";

let available: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch (err) {
      if (required)
        throw new Error(
          `PostgreSQL is required (LEARNPOOL_REQUIRE_POSTGRES=1) but ${TEST_PG_URL} fails: ${err}`,
        );
      console.warn(`SKIPPED: PostgreSQL tests, no server at ${TEST_PG_URL} (${(err as Error).message})`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

/** A URL on the test server whose connections all use a fresh schema of their own. */
export async function freshPostgresUrl(): Promise<string> {
  const schema = `t_${process.env.LEARNPOOL_TEST_RUN ?? "x"}_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(TEST_PG_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

export interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, migrated, empty database. */
  open(): Promise<Database>;
  /** A location string for a fresh database (a file path or a URL), not yet opened. */
  location(): Promise<string>;
}

export const sqliteBackend: Backend = {
  name: "sqlite",
  open: () => openDatabase(":memory:"),
  location: async () => `/tmp/learnpool-test-${randomBytes(6).toString("hex")}.db`,
};

export const postgresBackend: Backend = {
  name: "postgres",
  open: async () => openDatabase(await freshPostgresUrl()),
  location: freshPostgresUrl,
};

/**
 * The backends every storage test runs on. PostgreSQL is skipped, and says so, only when no server
 * answers and CI did not require it.
 */
export async function backends(): Promise<Backend[]> {
  return (await postgresAvailable()) ? [sqliteBackend, postgresBackend] : [sqliteBackend];
}
