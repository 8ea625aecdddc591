export type Dialect = "sqlite" | "postgres";

/** A value bound to a `?` placeholder. Booleans are stored as 0/1 on both backends. */
export type SqlValue = string | number | bigint | null | Buffer;

export type Row = Record<string, unknown>;

/** What every backend offers, inside or outside a transaction. SQL uses `?` placeholders on both. */
export interface Queryable {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  one<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Inserts many rows into `table`. `suffix` is appended to each statement, for example
   * `ON CONFLICT DO NOTHING`.
   */
  insertMany(
    table: string,
    columns: readonly string[],
    rows: readonly SqlValue[][],
    suffix?: string,
  ): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Serializes transactions that take the same lock name across every process sharing the database
   * (PostgreSQL advisory lock; SQLite serializes all writers already).
   */
  lock?: string;
  /**
   * Lets the backend commit this transaction together with others waiting at the same moment, each
   * inside its own savepoint: one durable commit (one fsync) for many small writers. Each caller still
   * sees its own work committed or rolled back alone, and its promise settles after the commit.
   */
  group?: boolean;
}

export interface Database extends Queryable {
  /** Where the data live, with any password removed: safe to log. */
  readonly location: string;
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** Raised for a unique-key violation, on either backend. */
export class UniqueViolation extends Error {
  constructor(cause: unknown) {
    super("unique constraint violated", { cause });
    this.name = "UniqueViolation";
  }
}
