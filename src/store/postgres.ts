import pg from "pg";
import { type Database, type Queryable, type Row, type SqlValue, UniqueViolation } from "./database.js";

// int8 (bigserial sequence numbers, counts) as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

const placeholderCache = new Map<string, string>();

/** pg sends parameters as text; a bigint becomes its decimal digits. */
function values(params: readonly SqlValue[]): unknown[] {
  return params.map((v) => (typeof v === "bigint" ? v.toString() : v));
}

/** Rewrites `?` placeholders as `$1, $2…`; our SQL never holds a literal `?`. */
function numbered(sql: string): string {
  let out = placeholderCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (placeholderCache.size > 1000) placeholderCache.clear();
    placeholderCache.set(sql, out);
  }
  return out;
}

function translate(err: unknown): unknown {
  if (err && typeof err === "object" && "code" in err && err.code === "23505")
    return new UniqueViolation(err);
  return err;
}

class PgQueryable implements Queryable {
  readonly dialect = "postgres" as const;
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const res = await this.client.query(numbered(sql), values(params));
      return res.rows as T[];
    } catch (err) {
      throw translate(err);
    }
  }
  async one<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    try {
      const res = await this.client.query(numbered(sql), values(params));
      return { changes: res.rowCount ?? 0 };
    } catch (err) {
      throw translate(err);
    }
  }
  async exec(script: string): Promise<void> {
    await this.client.query(script);
  }
  async insertMany(table: string, columns: readonly string[], rows: readonly SqlValue[][], suffix = "") {
    // PostgreSQL takes at most 65,535 parameters a statement.
    const perChunk = Math.max(1, Math.floor(60000 / Math.max(1, columns.length)));
    for (let start = 0; start < rows.length; start += perChunk) {
      const chunk = rows.slice(start, start + perChunk);
      const params: SqlValue[] = [];
      const tuples = chunk.map((row) => {
        const marks = row.map((value) => {
          params.push(value);
          return `$${params.length}`;
        });
        return `(${marks.join(",")})`;
      });
      try {
        await this.client.query(
          `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(",")} ${suffix}`,
          values(params),
        );
      } catch (err) {
        throw translate(err);
      }
    }
  }
}

/** PostgreSQL through a `pg` pool; the production backend, shared by many server processes. */
export class PostgresDatabase extends PgQueryable implements Database {
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(url: string, options: { max?: number } = {}) {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    super(pool);
    this.pool = pool;
    this.location = redact(url);
    // An idle client that loses its connection must not crash the process.
    this.pool.on("error", () => undefined);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: { lock?: string } = {}): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      if (options.lock) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [options.lock]);
      const value = await fn(new PgQueryable(client));
      await client.query("COMMIT");
      return value;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw translate(err);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable url)";
  }
}
