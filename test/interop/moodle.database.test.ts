import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outcomeOf, type SourceRecord } from "../../src/interop/converter.js";
import {
  convertMoodleRecord,
  type MoodleCursor,
  moodleConfigOf,
  readMoodleDatabase,
} from "../../src/interop/moodle/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures/moodle");
type Json = Record<string, unknown>;
const read = (file: string): Json => JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
const config = moodleConfigOf(read("config.json"));
const FILES = [
  "page-viewed.json",
  "user-loggedout.json",
  "forum-post-created.json",
  "quiz-attempt-submitted.json",
  "dashboard-viewed.json",
];
const shared = read("shared-rows.json") as Record<string, Json[]>;
const records = FILES.map((file) => {
  const record = read(file) as { event: Json; data: Record<string, Json[]> };
  return { event: record.event, data: { ...shared, ...record.data } };
});

/** Every table the fixtures hold, rows merged by id, and the log itself: a small Moodle. */
function moodleTables(): Record<string, Json[]> {
  const tables: Record<string, Json[]> = { logstore_standard_log: records.map((r) => r.event) };
  for (const record of records) {
    for (const [table, rows] of Object.entries(record.data)) {
      const known = tables[table] ?? [];
      for (const row of rows) if (!known.some((k) => k.id === row.id)) known.push(row);
      tables[table] = known;
    }
  }
  return tables;
}

function columns(rows: Json[], doubleType: string): [string, string][] {
  const types = new Map<string, string>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (value === null) {
        if (!types.has(key)) types.set(key, "");
      } else if (typeof value === "number") {
        types.set(key, Number.isInteger(value) && types.get(key) !== doubleType ? "BIGINT" : doubleType);
      } else types.set(key, "TEXT");
    }
  }
  return [...types].map(([key, type]) => [key, type || "BIGINT"]);
}

async function convertedFromDatabase(source: AsyncIterable<SourceRecord>) {
  const out = [];
  for await (const record of source) {
    out.push(outcomeOf((value) => convertMoodleRecord(value, config), record));
  }
  return out;
}

const expected = records.map((record, index) =>
  outcomeOf((value) => convertMoodleRecord(value, config), {
    value: record,
    position: { file: "", index },
  }),
);

interface Backend {
  name: string;
  env: string;
  url: () => string;
  prefix: string;
  reachable(): Promise<boolean>;
  load(tables: Record<string, Json[]>): Promise<void>;
  drop(): Promise<void>;
}

const unique = `lp${process.pid}${randomBytes(3).toString("hex")}`;

const postgres: Backend = (() => {
  const schema = `moodle_${unique}`;
  const base = "postgres://postgres@127.0.0.1:5432/test";
  const admin = () => new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  return {
    name: "PostgreSQL 127.0.0.1:5432",
    env: "LEARNPOOL_REQUIRE_POSTGRES",
    url: () => `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    prefix: "mdl_",
    async reachable() {
      const client = admin();
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async load(tables) {
      const client = admin();
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      for (const [table, rows] of Object.entries(tables)) {
        const cols = columns(rows, "DOUBLE PRECISION");
        await client.query(
          `CREATE TABLE ${schema}.mdl_${table} (${cols.map(([c, t]) => `"${c}" ${t}`).join(", ")})`,
        );
        for (const row of rows) {
          const values = cols.map(([c]) => row[c] ?? null);
          await client.query(
            `INSERT INTO ${schema}.mdl_${table} (${cols.map(([c]) => `"${c}"`).join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
            values,
          );
        }
      }
      await client.end();
    },
    async drop() {
      const client = admin();
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
})();

const mariadb: Backend = (() => {
  const prefix = `${unique}_`;
  const url = "mysql://root@127.0.0.1:3306/test";
  let created: string[] = [];
  return {
    name: "MariaDB 127.0.0.1:3306",
    env: "LEARNPOOL_REQUIRE_MARIADB",
    url: () => url.replace(/^mysql:/, "mariadb:"),
    prefix,
    async reachable() {
      try {
        const connection = await mysql.createConnection({ uri: url, connectTimeout: 2000 });
        await connection.end();
        return true;
      } catch {
        return false;
      }
    },
    async load(tables) {
      const connection = await mysql.createConnection({ uri: url });
      for (const [table, rows] of Object.entries(tables)) {
        const name = `${prefix}${table}`;
        const cols = columns(rows, "DOUBLE");
        await connection.query(
          `CREATE TABLE \`${name}\` (${cols.map(([c, t]) => `\`${c}\` ${t}`).join(", ")})`,
        );
        created.push(name);
        for (const row of rows) {
          await connection.query(
            `INSERT INTO \`${name}\` (${cols.map(([c]) => `\`${c}\``).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
            cols.map(([c]) => row[c] ?? null),
          );
        }
      }
      await connection.end();
    },
    async drop() {
      const connection = await mysql.createConnection({ uri: url });
      for (const name of created) await connection.query(`DROP TABLE IF EXISTS \`${name}\``);
      created = [];
      await connection.end();
    },
  };
})();

for (const backend of [postgres, mariadb]) {
  const up = await backend.reachable();
  const required = process.env[backend.env] === "1";
  if (!up && required) {
    describe(`moodle database on ${backend.name}`, () => {
      it(`is reachable (${backend.env}=1)`, () => {
        expect.fail(`${backend.name} is unreachable and ${backend.env}=1 requires it`);
      });
    });
    continue;
  }
  describe.skipIf(!up)(`moodle database on ${backend.name} (skipped when unreachable)`, () => {
    beforeAll(async () => {
      await backend.load(moodleTables());
    });
    afterAll(async () => {
      await backend.drop();
    });

    it("converts what it reads exactly as the JSON export form of the same rows", async () => {
      const outcomes = await convertedFromDatabase(
        readMoodleDatabase({ url: backend.url(), prefix: backend.prefix, afterId: 0, batchSize: 2, config }),
      );
      expect(outcomes.map((o) => o.kind)).toEqual([
        "converted",
        "converted",
        "converted",
        "converted",
        "skipped",
      ]);
      for (const [index, outcome] of outcomes.entries()) {
        const { position: _p, ...got } = outcome;
        const { position: _q, ...want } = expected[index]!;
        expect(got).toEqual(want);
      }
      expect(outcomes[3]!.position).toEqual({ file: `${backend.prefix}logstore_standard_log`, index: 1004 });
    });

    it("resumes after the last id it read", async () => {
      const cursor: MoodleCursor = { lastId: 0 };
      const first: number[] = [];
      for await (const record of readMoodleDatabase({
        url: backend.url(),
        prefix: backend.prefix,
        afterId: 0,
        batchSize: 2,
        cursor,
      })) {
        first.push(Number((record.value as { event: Json }).event.id));
        if (first.length === 3) break;
      }
      expect(first).toEqual([1001, 1002, 1003]);
      expect(cursor.lastId).toBe(1003);

      const source = readMoodleDatabase({
        url: backend.url(),
        prefix: backend.prefix,
        afterId: cursor.lastId,
      });
      const rest: number[] = [];
      let step = await source.next();
      while (!step.done) {
        rest.push(Number((step.value.value as { event: Json }).event.id));
        step = await source.next();
      }
      expect(rest).toEqual([1004, 1005]);
      expect(step.value).toEqual({ lastId: 1005 });

      const none = await convertedFromDatabase(
        readMoodleDatabase({ url: backend.url(), prefix: backend.prefix, afterId: 1005 }),
      );
      expect(none).toEqual([]);
    });
  });
}
