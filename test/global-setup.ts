import pg from "pg";

const url = process.env.LEARNPOOL_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Names this test run so that each PostgreSQL schema a test makes carries the run's id, and drops
 * this run's schemas when it ends (another run going on at the same time keeps its own).
 */
export default function setup(): () => Promise<void> {
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  process.env.LEARNPOOL_TEST_RUN = run;
  return async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE $1",
        [`t\\_${run}\\_%`],
      );
      for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    } catch {
      // No PostgreSQL: nothing was made there.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
