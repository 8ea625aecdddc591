/**
 * Reading straight from a Moodle database (PostgreSQL or MariaDB/MySQL), read-only and incremental by
 * log id: the rows of `logstore_standard_log` after a given id, in id order, each with the rows of the
 * tables its event's transformer reads — the same `{event, data}` shape as the JSON export form, so both
 * paths convert alike. Which rows an event needs is learnt by running its transformer against the rows
 * fetched so far and fetching what it looked up, until it asks for nothing new.
 */
import type { SourceRecord } from "../converter.js";
import { ConversionError, Unmapped } from "../converter.js";
import { defaultMoodleConfig, type MoodleConfig } from "./config.js";
import { convertMoodleRecord } from "./index.js";
import type { Lookup, Row } from "./repository.js";

export interface MoodleDatabaseOptions {
  /** `postgres://…` / `postgresql://…` (pg) or `mysql://…` / `mariadb://…` (mysql2). */
  url: string;
  /** Moodle's table prefix (`$CFG->prefix`). */
  prefix?: string;
  /** Read the log rows whose id is greater than this (the last id of the previous run). */
  afterId?: number;
  /** Log rows read per query. */
  batchSize?: number;
  /** The converter's settings, when they change what an event looks up (the plugin's send_* options). */
  config?: MoodleConfig;
  /** Updated after each record is yielded: the id to pass as `afterId` next time. */
  cursor?: MoodleCursor;
}

export interface MoodleCursor {
  lastId: number;
}

/** Rounds of look-ups an event may take before its rows are considered complete (its chain's depth). */
const MAX_ROUNDS = 12;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface Connection {
  /** Rows of `SELECT * FROM table WHERE k = v AND …`, an absent table read as empty. */
  select(table: string, where: Row): Promise<Row[]>;
  logRows(afterId: number, limit: number): Promise<Row[]>;
  close(): Promise<void>;
}

function checkIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new ConversionError(`not a valid SQL identifier: ${name}`, what);
  return name;
}

async function postgres(url: string, prefix: string): Promise<Connection> {
  const pg = await import("pg");
  // Moodle's ids are bigint: read them as numbers, as the JSON export form has them.
  const types = {
    getTypeParser: (oid: number, format?: "text" | "binary") =>
      oid === 20 ? (value: string) => Number(value) : pg.default.types.getTypeParser(oid, format),
  };
  const client = new pg.default.Client({ connectionString: url, types: types as never });
  await client.connect();
  await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
  await client.query("BEGIN TRANSACTION READ ONLY");
  const existing = new Set(
    (
      await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false))",
      )
    ).rows.map((row) => row.table_name),
  );
  return {
    async select(table, where) {
      const name = checkIdentifier(prefix + table, "data");
      if (!existing.has(name)) return [];
      const keys = Object.keys(where).map((key) => checkIdentifier(key, `data.${table}`));
      const clause = keys.length
        ? ` WHERE ${keys.map((key, i) => `"${key}" = $${i + 1}`).join(" AND ")}`
        : "";
      const values = keys.map((key) => where[key]);
      return (await client.query(`SELECT * FROM "${name}"${clause} ORDER BY id`, values)).rows;
    },
    async logRows(afterId, limit) {
      const name = checkIdentifier(`${prefix}logstore_standard_log`, "prefix");
      return (
        await client.query(`SELECT * FROM "${name}" WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit])
      ).rows;
    },
    async close() {
      await client.query("COMMIT").catch(() => undefined);
      await client.end();
    },
  };
}

async function mysql(url: string, prefix: string): Promise<Connection> {
  const mysql2 = await import("mysql2/promise");
  const connection = await mysql2.default.createConnection({
    uri: url.replace(/^mariadb:/, "mysql:"),
    // DECIMAL grades stay strings, as pg returns them; ids are numbers on both.
    decimalNumbers: false,
  });
  await connection.query("SET SESSION TRANSACTION READ ONLY");
  await connection.query("START TRANSACTION READ ONLY");
  const [tables] = await connection.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()",
  );
  const existing = new Set((tables as { name: string }[]).map((row) => row.name));
  return {
    async select(table, where) {
      const name = checkIdentifier(prefix + table, "data");
      if (!existing.has(name)) return [];
      const keys = Object.keys(where).map((key) => checkIdentifier(key, `data.${table}`));
      const clause = keys.length ? ` WHERE ${keys.map((key) => `\`${key}\` = ?`).join(" AND ")}` : "";
      const [rows] = await connection.query(
        `SELECT * FROM \`${name}\`${clause} ORDER BY id`,
        keys.map((key) => where[key]),
      );
      return rows as Row[];
    },
    async logRows(afterId, limit) {
      const name = checkIdentifier(`${prefix}logstore_standard_log`, "prefix");
      const [rows] = await connection.query(`SELECT * FROM \`${name}\` WHERE id > ? ORDER BY id LIMIT ?`, [
        afterId,
        limit,
      ]);
      return rows as Row[];
    },
    async close() {
      await connection.query("COMMIT").catch(() => undefined);
      await connection.end();
    },
  };
}

export async function connectMoodle(url: string, prefix: string): Promise<Connection> {
  checkIdentifier(prefix || "x", "prefix");
  if (/^postgres(ql)?:\/\//i.test(url)) return postgres(url, prefix);
  if (/^(mysql|mariadb):\/\//i.test(url)) return mysql(url, prefix);
  throw new Error(`moodle database: unsupported URL scheme in ${url.replace(/\/\/[^@/]*@/, "//…@")}`);
}

const lookupKey = (lookup: Lookup): string =>
  `${lookup.table}|${Object.entries(lookup.where)
    .map(([key, value]) => `${key}=${String(value)}`)
    .sort()
    .join("&")}`;

/** Plain JSON values: dates as Unix seconds would be Moodle's own, buffers as text. */
function plain(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = Buffer.isBuffer(value)
      ? value.toString("utf8")
      : typeof value === "bigint"
        ? Number(value)
        : value;
  }
  return out;
}

/** The rows an event's transformer reads, fetched round by round until it asks for nothing new. */
async function rowsFor(
  connection: Connection,
  event: Row,
  config: MoodleConfig,
): Promise<Record<string, Row[]>> {
  const data: Record<string, Row[]> = {};
  const fetched = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const lookups: Lookup[] = [];
    try {
      convertMoodleRecord({ event, data }, config, (lookup) => lookups.push(lookup));
    } catch (error) {
      if (error instanceof Unmapped) return data;
      // Other failures may come from rows not fetched yet; they are the converter's to report.
    }
    const fresh = lookups.filter((lookup) => {
      const key = lookupKey(lookup);
      if (fetched.has(key) || Object.values(lookup.where).some((v) => v === undefined || v === null))
        return false;
      fetched.add(key);
      return true;
    });
    if (fresh.length === 0) break;
    for (const lookup of fresh) {
      const rows = await connection.select(lookup.table, lookup.where);
      const table = data[lookup.table] ?? [];
      for (const row of rows.map(plain)) {
        if (!table.some((known) => String(known.id) === String(row.id))) table.push(row);
      }
      data[lookup.table] = table;
    }
  }
  return data;
}

/**
 * The log rows after `afterId`, in id order, each as `{event, data}`. Read-only; the connection is
 * closed when the iteration ends. The generator's return value, and `cursor.lastId` as it goes, is the
 * id to resume from.
 */
export async function* readMoodleDatabase(
  options: MoodleDatabaseOptions,
): AsyncGenerator<SourceRecord, { lastId: number }, undefined> {
  const prefix = options.prefix ?? "mdl_";
  const batchSize = options.batchSize ?? 500;
  const config = options.config ?? defaultMoodleConfig;
  let lastId = options.afterId ?? 0;
  const connection = await connectMoodle(options.url, prefix);
  try {
    for (;;) {
      const batch = await connection.logRows(lastId, batchSize);
      for (const raw of batch) {
        const event = plain(raw);
        const data = await rowsFor(connection, event, config);
        lastId = Number(event.id);
        if (options.cursor) options.cursor.lastId = lastId;
        yield { value: { event, data }, position: { file: `${prefix}logstore_standard_log`, index: lastId } };
      }
      if (batch.length < batchSize) break;
    }
  } finally {
    await connection.close();
  }
  return { lastId };
}
