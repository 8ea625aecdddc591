/**
 * `npm run bench`: each figure beside a floor measured in the same run on the same machine.
 * - ingestion over HTTP (POST batches of 500) against raw inserts of the same rows into the same kind
 *   of database (no HTTP, no validation);
 * - query latency (agent + verb + since, limit 100) on the store just filled, against the round trip of
 *   the About resource (HTTP without the database);
 * - the server's peak RSS while ingesting.
 * - Open edX conversion throughput beside JSON.parse + JSON.stringify of the same lines, and the peak
 *   RSS of the convert pipeline over a large gzipped log (bench/interop.ts);
 * - privacy: keyed pseudonyms beside raw HMAC, the OPRF over HTTP beside the in-process OPRF, the
 *   de-identification of statements beside JSON.parse + JSON.stringify, CLK matching beside a plain
 *   popcount loop (bench/privacy-*.ts).
 * Options: --statements N (default 1,000,000), --queries N (default 400), --db postgres://… (default a
 * SQLite file in a temporary folder), --only lrs|interop|privacy|anonymization|contract|consent|pool, --interop-events N (300,000),
 * --interop-megabytes N (1,024: the uncompressed size of the generated log).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { indexEntries } from "../src/lrs/statements/indexing.js";
import { idKey } from "../src/lrs/statements/repository.js";
import { migrate, PostgresDatabase, SqliteDatabase } from "../src/store/index.js";
import { benchConsent } from "./consent.js";
import { benchOdrl } from "./contract-odrl.js";
import { benchEnforcement } from "./enforcement.js";
import { benchInterop } from "./interop.js";
import { benchPool } from "./pool.js";
import { benchAnonymize } from "./privacy-anonymize.js";
import { benchAnonymizeHeuristic } from "./privacy-anonymize-heuristic.js";
import { benchDeidentify } from "./privacy-deidentify.js";
import { benchPrivacyDp } from "./privacy-dp.js";
import { benchPrivacyKeys } from "./privacy-keys.js";
import { benchPrivacyLinkage } from "./privacy-linkage.js";
import { benchPrivacyRisk } from "./privacy-risk.js";
import { benchStatements } from "./statements.js";

const { values } = parseArgs({
  options: {
    statements: { type: "string", default: "1000000" },
    queries: { type: "string", default: "400" },
    db: { type: "string" },
    batch: { type: "string", default: "500" },
    concurrency: { type: "string", default: "3" },
    only: { type: "string" },
    "interop-events": { type: "string", default: "300000" },
    "interop-megabytes": { type: "string", default: "1024" },
  },
});
const total = Number(values.statements);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const work = mkdtempSync(join(tmpdir(), "learnpool-bench-"));
const root = new URL("../..", import.meta.url).pathname;

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progress(label: string, done: number, of: number, started: number): void {
  if (!process.stdout.isTTY) return;
  const rate = done / ((performance.now() - started) / 1000);
  process.stdout.write(
    `\r  ${label}: ${done.toLocaleString()} / ${of.toLocaleString()} (${Math.round(rate).toLocaleString()}/s)   `,
  );
  if (done >= of) process.stdout.write("\n");
}

interface FloorRow {
  body: string;
  id: string;
  terms: string[];
}

/** The values of one statement row, in the column order both floors insert. */
function statementValues(row: FloorRow): [string, string, number, string, string, string] {
  return ["bench", row.id, idKey(row.id), new Date().toISOString(), "bench", row.body];
}

/** The rows the LRS would write for `count` statements, in batches, made before the clock starts. */
function floorBatches(count: number): FloorRow[][] {
  const source = benchStatements(count, 11);
  const batches: FloorRow[][] = [];
  for (let i = 0; i < count; i += batchSize) {
    const batch: FloorRow[] = [];
    for (let j = i; j < Math.min(count, i + batchSize); j++) {
      const s = source.next() as Record<string, unknown> & { id: string };
      const stored = {
        ...s,
        stored: new Date().toISOString(),
        authority: { objectType: "Agent", account: { homePage: "http://bench", name: "bench" } },
        version: "2.0.0",
      };
      const terms = indexEntries(stored as never).map((e) => `${e.kind}\u0000${e.value}`);
      batch.push({ body: JSON.stringify(stored), id: s.id, terms });
    }
    batches.push(batch);
  }
  return batches;
}

/**
 * The SQLite floor: the rows the LRS writes (statement rows, new index terms, (id, seq) and
 * (term, seq) index rows), inserted straight into SQLite with prepared statements, each batch in one
 * transaction with its index rows, as they come.
 */
async function rawInsertFloor(count: number): Promise<number> {
  const db = new SqliteDatabase(join(work, "floor.db"));
  await migrate(db);
  const batches = floorBatches(count);
  const raw = db.raw;
  const insert = raw.prepare(
    "INSERT INTO statements (store_id, id, id_key, stored, credential, voided, body) VALUES (?, ?, ?, ?, ?, 0, ?)",
  );
  const term = raw.prepare("INSERT INTO terms (store_id, kind, value) VALUES (?, ?, ?)");
  const index = raw.prepare("INSERT INTO statement_index (term, seq) VALUES (?, ?) ON CONFLICT DO NOTHING");
  const ids = raw.prepare("INSERT INTO statement_ids (id_key, seq) VALUES (?, ?)");
  const termIds = new Map<string, number | bigint>();
  const started = performance.now();
  for (const batch of batches) {
    raw.transaction(() => {
      for (const row of batch) {
        const seq = insert.run(...statementValues(row)).lastInsertRowid;
        ids.run(idKey(row.id), seq);
        for (const key of row.terms) {
          let id = termIds.get(key);
          if (id === undefined) {
            const [kind, value] = key.split("\u0000");
            id = term.run("bench", kind, value).lastInsertRowid;
            termIds.set(key, id);
          }
          index.run(id, seq);
        }
      }
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return count / seconds;
}

/**
 * The PostgreSQL floor: the same rows with multi-row INSERTs, one transaction a batch, through one
 * `pg` connection, in a schema of its own that is dropped afterwards.
 */
async function rawInsertFloorPostgres(url: string, count: number): Promise<number> {
  const schema = `learnpool_floor_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  const db = new PostgresDatabase(scoped.toString(), { max: 1 });
  try {
    await migrate(db);
    const batches = floorBatches(count);
    const termIds = new Map<string, number>();
    const started = performance.now();
    for (const batch of batches) {
      await db.transaction(async (tx) => {
        const values = batch.flatMap(statementValues);
        const tuples = batch.map(() => "(?, ?, ?, ?, ?, 0, ?)").join(", ");
        const seqs = await tx.all<{ seq: number }>(
          `INSERT INTO statements (store_id, id, id_key, stored, credential, voided, body) VALUES ${tuples} RETURNING seq`,
          values,
        );
        const fresh = [...new Set(batch.flatMap((row) => row.terms))].filter((key) => !termIds.has(key));
        if (fresh.length > 0) {
          const made = await tx.all<{ id: number; kind: string; value: string }>(
            `INSERT INTO terms (store_id, kind, value) VALUES ${fresh.map(() => "(?, ?, ?)").join(", ")} RETURNING id, kind, value`,
            fresh.flatMap((key) => ["bench", ...key.split("\u0000")]),
          );
          for (const t of made) termIds.set(`${t.kind}\u0000${t.value}`, Number(t.id));
        }
        const index = batch.flatMap((row, i) =>
          row.terms.map((key) => [termIds.get(key) as number, Number(seqs[i]?.seq)]),
        );
        await tx.insertMany("statement_index", ["term", "seq"], index, "ON CONFLICT DO NOTHING");
        await tx.insertMany(
          "statement_ids",
          ["id_key", "seq"],
          batch.map((row, i) => [idKey(row.id), Number(seqs[i]?.seq)]),
        );
      });
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  // The command as users run it (its shebang sets Node's heap ceiling).
  const child = spawn(
    join(root, "bin/learnpool.js"),
    [
      "serve",
      "--db",
      db,
      "--port",
      String(port),
      "--credential",
      "bench:bench-secret",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/xapi/about`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server did not start");
}

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

const headers = {
  authorization: `Basic ${Buffer.from("bench:bench-secret").toString("base64")}`,
  "x-experience-api-version": "2.0.0",
  "content-type": "application/json",
};

/**
 * The batches clients send: serialized before the clock starts (the floor's rows are made beforehand
 * too), 50 templates whose statement ids are replaced by fresh UUIDs at each send, so that the client
 * spends its time on the wire rather than on JSON.
 */
function batchTemplates(): { templates: string[][]; actors: string[]; verbs: string[]; source: string } {
  const count = Math.min(total, 50 * batchSize);
  const source = benchStatements(count, 7);
  const actors = new Set<string>();
  const verbs = new Set<string>();
  const templates: string[][] = [];
  for (let i = 0; i < count; i += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - i) }, () => {
      const s = source.next() as { actor: unknown; verb: { id: string } };
      if (actors.size < 2000) actors.add(JSON.stringify(s.actor));
      verbs.add(s.verb.id);
      return { ...s, id: "@ID@" };
    });
    templates.push(JSON.stringify(batch).split('"@ID@"'));
  }
  return { templates, actors: [...actors], verbs: [...verbs], source: source.source };
}

async function ingest(
  url: string,
  pid: number,
): Promise<{ rate: number; peakRss: number; actors: string[]; verbs: string[]; source: string }> {
  const { templates, actors, verbs, source } = batchTemplates();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(pid));
  }, 200);
  let sent = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < total) {
      const template = templates[next++ % templates.length] as string[];
      const n = Math.min(template.length - 1, total - sent);
      sent += n;
      // A batch cut short at the end keeps its first n statements.
      let body = template[0] as string;
      for (let k = 1; k < template.length; k++) body += `"${randomUUID()}"${template[k]}`;
      if (n < template.length - 1) body = JSON.stringify((JSON.parse(body) as unknown[]).slice(0, n));
      const res = await fetch(`${url}/xapi/statements`, { method: "POST", headers, body });
      if (res.status !== 200) throw new Error(`POST /statements answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
      progress("ingest over HTTP", sent, total, started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssMb(pid));
  return { rate: total / seconds, peakRss, actors, verbs, source };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timeRequests(count: number, url: () => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(url(), { headers });
    if (res.status !== 200) throw new Error(`GET answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  line(`Learnpool benchmarks — ${new Date().toISOString()} — node ${process.version}`);
  const runs = (part: string) => values.only === undefined || values.only === part;
  if (runs("lrs")) await lrsBenchmarks();
  if (runs("interop")) {
    line("\n[interop] Open edX conversion, and the convert pipeline's memory over a large gzipped log");
    const result = await benchInterop({
      events: Number(values["interop-events"]),
      megabytes: Number(values["interop-megabytes"]),
      log: (text) => line(`  ${text.replace(/^interop: /, "")}`),
    });
    line(`\n${JSON.stringify({ interop: result })}`);
  }
  if (runs("privacy")) {
    const log = (text: string) => line(`  ${text}`);
    line("\n[privacy] keyed pseudonyms and the OPRF over HTTP");
    const keys = await benchPrivacyKeys({ log });
    line("\n[privacy] de-identification of statements");
    const deidentify = await benchDeidentify({ log });
    line("\n[privacy] CLK encoding and Dice matching");
    const linkage = await benchPrivacyLinkage({ log });
    line(`\n${JSON.stringify({ privacy: { keys, deidentify, linkage } })}`);
  }
  if (runs("anonymization")) {
    const log = (text: string) => line(`  ${text}`);
    line("\n[anonymization] UCI Adult cases and OULAD, beside one evaluation of the optimum");
    const anonymize = await benchAnonymize({ log });
    line("\n[anonymization] the heuristic search (ARX's Lightning) beside the optimal search");
    const heuristic = await benchAnonymizeHeuristic({ log });
    line("\n[anonymization] re-identification risk on UCI Adult");
    const risk = await benchPrivacyRisk({ log });
    line("\n[anonymization] differential privacy: samplers, a bounded mean, the budget ledger");
    const dp = await benchPrivacyDp({ log });
    line(`\n${JSON.stringify({ anonymization: { anonymize, heuristic, risk, dp } })}`);
  }
  if (runs("contract")) {
    line("\n[contract] ODRL decisions on a pooling agreement, beside parsing the request alone");
    const odrl = await benchOdrl({ log: (text: string) => line(`  ${text}`) });
    line("\n[contract] decisions end to end (agreement status, counters, duties, audit) on SQLite");
    const enforcement = await benchEnforcement({ log: (text: string) => line(`  ${text}`) });
    line(`\n${JSON.stringify({ contract: { odrl, enforcement } })}`);
  }
  if (runs("consent")) {
    line(
      "\n[consent] cohort query for dataset builds: 1,000,000 learners on SQLite, beside count(*) and a plain scan",
    );
    const consent = await benchConsent({ log: (text: string) => line(`  ${text}`) });
    line(`\n${JSON.stringify({ consent })}`);
  }
  if (runs("pool")) {
    line("\n[pool] learner_periods from a synthetic pool in DuckDB, beside one hand-written DuckDB query");
    const pool = await benchPool({ log: (text: string) => line(`  ${text}`) });
    line(`\n${JSON.stringify({ pool })}`);
  }
}

async function lrsBenchmarks(): Promise<void> {
  const backend = values.db?.startsWith("postgres") ? "PostgreSQL" : "SQLite";
  // On PostgreSQL the LRS works in a schema of its own, dropped afterwards: the database is left as found.
  const schema = `learnpool_bench_${process.pid}`;
  let db = values.db ?? join(work, "lrs.db");
  if (backend === "PostgreSQL") {
    const admin = new pg.Client({ connectionString: db });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await admin.end();
    const scoped = new URL(db);
    scoped.searchParams.set("options", `-c search_path=${schema}`);
    db = scoped.toString();
  }
  const results: Record<string, unknown> = { statements: total, backend };

  const floorCount = Math.min(total, 200_000);
  line(
    `\n[floor] raw inserts into ${backend}, ${floorCount.toLocaleString()} statements, batches of ${batchSize}`,
  );
  const floor = db.startsWith("postgres")
    ? await rawInsertFloorPostgres(db, floorCount)
    : await rawInsertFloor(floorCount);
  line(`  floor: ${Math.round(floor).toLocaleString()} statements/s`);

  const { child, url } = await startServer(db);
  try {
    line(
      `\n[ingest] ${total.toLocaleString()} statements over HTTP into ${backend}, POST batches of ${batchSize}, ${concurrency} clients`,
    );
    const ingestResult = await ingest(url, child.pid as number);
    line(`  source: ${ingestResult.source}`);
    line(
      `  ingestion: ${Math.round(ingestResult.rate).toLocaleString()} statements/s = ${((100 * ingestResult.rate) / floor).toFixed(0)}% of the floor (target ≥ 20,000/s and ≥ 40%)`,
    );
    line(`  server peak RSS: ${ingestResult.peakRss.toFixed(0)} MB (target < 500 MB)`);
    Object.assign(results, {
      floor,
      ingestion: ingestResult.rate,
      ratio: ingestResult.rate / floor,
      peakRssMb: ingestResult.peakRss,
    });

    const queries = Number(values.queries);
    line(
      `\n[query] GET /statements?agent&verb&since&limit=100 on ${total.toLocaleString()} statements, ${queries} queries`,
    );
    const aboutTimes = await timeRequests(queries, () => `${url}/xapi/about`);
    let k = 0;
    const since = "2000-01-01T00:00:00Z";
    const queryTimes = await timeRequests(queries, () => {
      const actor = ingestResult.actors[k % ingestResult.actors.length] as string;
      const verb = ingestResult.verbs[(k * 7) % ingestResult.verbs.length] as string;
      k++;
      return `${url}/xapi/statements?agent=${encodeURIComponent(actor)}&verb=${encodeURIComponent(verb)}&since=${since}&limit=100`;
    });
    const q = { p50: percentile(queryTimes, 50), p99: percentile(queryTimes, 99) };
    const a = { p50: percentile(aboutTimes, 50), p99: percentile(aboutTimes, 99) };
    line(`  query: p50 ${q.p50.toFixed(2)} ms, p99 ${q.p99.toFixed(2)} ms (target p50 < 10 ms, p99 < 50 ms)`);
    line(
      `  floor (GET /xapi/about, HTTP without the database): p50 ${a.p50.toFixed(2)} ms, p99 ${a.p99.toFixed(2)} ms`,
    );
    Object.assign(results, { queryP50: q.p50, queryP99: q.p99, aboutP50: a.p50, aboutP99: a.p99 });
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(work, { recursive: true, force: true });
    if (backend === "PostgreSQL" && values.db) {
      const admin = new pg.Client({ connectionString: values.db });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }
  line(`\n${JSON.stringify(results)}`);
}

await main();
