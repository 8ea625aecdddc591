import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import {
  type Database,
  type Queryable,
  type Row,
  type SqlValue,
  type TransactionOptions,
  UniqueViolation,
} from "./database.js";

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

interface GroupMember {
  fn: (tx: Queryable) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * SQLite through better-sqlite3: one connection, WAL, synchronous=FULL so that an acknowledged write
 * survives a crash. better-sqlite3 is synchronous; the async surface only lets callers treat both
 * backends alike. Because `await` yields between statements, an open transaction would otherwise see
 * other requests' queries run inside it: every operation waits for the current transaction to end.
 */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  private readonly conn: BetterSqlite3.Database;
  private readonly cache = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.location = path;
    this.conn = new BetterSqlite3(path);
    this.conn.pragma("journal_mode = WAL");
    this.conn.pragma("synchronous = FULL");
    this.conn.pragma("foreign_keys = ON");
    this.conn.pragma("busy_timeout = 10000");
    this.conn.pragma("cache_size = -65536");
    // Checkpoint every 64 MB of WAL rather than 4 MB: index pages that many commits touch are then
    // copied to the database once, not once per commit (about +50% on sustained ingest).
    this.conn.pragma("wal_autocheckpoint = 16384");
    this.conn.pragma("journal_size_limit = 67108864");
  }

  private prepare(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.conn.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  private readonly direct: Queryable = {
    dialect: "sqlite",
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.allSync<T>(sql, params),
    one: async <T>(sql: string, params: readonly SqlValue[] = []) => this.oneSync<T>(sql, params),
    run: async (sql: string, params: readonly SqlValue[] = []) => this.runSync(sql, params),
    insertMany: async (table, columns, rows, suffix) => this.insertManySync(table, columns, rows, suffix),
    exec: async (script) => {
      this.conn.exec(script);
    },
  };

  allSync<T>(sql: string, params: readonly SqlValue[]): T[] {
    const stmt = this.prepare(sql);
    if (stmt.reader) return stmt.all(...params) as T[];
    stmt.run(...params);
    return [];
  }

  oneSync<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  runSync(sql: string, params: readonly SqlValue[]): { changes: number } {
    try {
      return { changes: this.prepare(sql).run(...params).changes };
    } catch (err) {
      throw translate(err);
    }
  }

  insertManySync(table: string, columns: readonly string[], rows: readonly SqlValue[][], suffix = ""): void {
    if (rows.length === 0) return;
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ${suffix}`;
    const stmt = this.prepare(sql);
    try {
      for (const row of rows) stmt.run(...row);
    } catch (err) {
      throw translate(err);
    }
  }

  /** Waits until no transaction is open, so that a plain query never runs inside someone else's. */
  private async idle(): Promise<void> {
    while (this.inTransaction) await this.queue.catch(() => undefined);
  }

  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    await this.idle();
    return this.allSync<T>(sql, params);
  }
  async one<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    await this.idle();
    return this.oneSync<T>(sql, params);
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    await this.idle();
    return this.runSync(sql, params);
  }
  async insertMany(table: string, columns: readonly string[], rows: readonly SqlValue[][], suffix?: string) {
    await this.idle();
    this.insertManySync(table, columns, rows, suffix);
  }

  async exec(script: string): Promise<void> {
    await this.idle();
    this.conn.exec(script);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (options.group) return this.joinGroup(fn);
    const result = this.queue
      .catch(() => undefined)
      .then(async () => {
        this.inTransaction = true;
        this.conn.prepare("BEGIN IMMEDIATE").run();
        try {
          const value = await fn(this.direct);
          this.conn.prepare("COMMIT").run();
          return value;
        } catch (err) {
          if (this.conn.inTransaction) this.conn.prepare("ROLLBACK").run();
          throw err;
        } finally {
          this.inTransaction = false;
        }
      });
    this.queue = result;
    return result;
  }

  /** Transactions waiting to be committed together (group commit), not yet started. */
  private forming: GroupMember[] | undefined;
  private static readonly MAX_GROUP = 16;

  private joinGroup<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member: GroupMember = {
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      if (this.forming && this.forming.length < SqliteDatabase.MAX_GROUP) {
        this.forming.push(member);
        return;
      }
      const group: GroupMember[] = [member];
      this.forming = group;
      // Start after the event loop's current I/O phase, so that requests already received can join.
      const run = this.queue
        .catch(() => undefined)
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => this.runGroup(group));
      this.queue = run;
    });
  }

  private async runGroup(group: GroupMember[]): Promise<void> {
    if (this.forming === group) this.forming = undefined;
    this.inTransaction = true;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.conn.prepare("BEGIN IMMEDIATE").run();
      for (const member of group) {
        this.conn.prepare("SAVEPOINT member").run();
        try {
          const value = await member.fn(this.direct);
          this.conn.prepare("RELEASE member").run();
          outcomes.push({ ok: true, value });
        } catch (err) {
          this.conn.prepare("ROLLBACK TO member").run();
          this.conn.prepare("RELEASE member").run();
          outcomes.push({ ok: false, value: err });
        }
      }
      this.conn.prepare("COMMIT").run();
    } catch (err) {
      if (this.conn.inTransaction) this.conn.prepare("ROLLBACK").run();
      for (const member of group) member.reject(err);
      return;
    } finally {
      this.inTransaction = false;
    }
    group.forEach((member, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) member.resolve(outcome.value);
      else member.reject(outcome.value);
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.cache.clear();
    this.conn.close();
  }

  /** The raw connection, for benchmarks that measure the floor beneath the LRS. */
  get raw(): BetterSqlite3.Database {
    return this.conn;
  }
}

function translate(err: unknown): unknown {
  if (err instanceof Error && "code" in err && String(err.code).startsWith("SQLITE_CONSTRAINT_PRIMARYKEY")) {
    return new UniqueViolation(err);
  }
  if (err instanceof Error && "code" in err && err.code === "SQLITE_CONSTRAINT_UNIQUE")
    return new UniqueViolation(err);
  return err;
}
