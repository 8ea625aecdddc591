/**
 * Consent cohort queries: `ConsentRegistry.consentingLearners()` over 1,000,000 learners on a SQLite
 * file — what a dataset build asks ("who consents to purpose P, category C, recipient R under this
 * agreement, now?"). The consents are loaded straight into the derived cohort tables (what the query
 * reads; going through the registry would sign 2,000,000 receipts first), with a realistic mix: 90%
 * given, 4% withdrawn, 3% requested (these two have no member row), 3% given but past their
 * retention, and half the learners also holding a record for a second purpose. A few learners go through the whole registry
 * (request, give with a portal link) so that real rows sit among the loaded ones.
 * Printed beside two floors on the same rows: `SELECT count(*)` of the queried cohort, and a plain
 * scan returning its learner column to JavaScript as row objects (the generic `db.all` path).
 * The same cohort query runs on PostgreSQL too when a URL is given (`--db postgres://…`, as the main
 * bench takes it, or LEARNPOOL_BENCH_PG), in a fresh schema dropped after.
 * Then withdrawal to notification: N learners withdraw, each consumer notification goes through the
 * real path (deletion duty and outbox row in the withdrawal's transaction, the delivery worker woken,
 * a signed webhook POST to a local HTTP server that answers 204, the acknowledgement recorded); the
 * time from each withdrawal to its last acknowledgement (stored with the withdrawal) is printed beside
 * the floor of one local HTTP POST round trip, one at a time and N at once.
 * `benchConsent()` is what the main bench may call; run alone: `node dist/bench/consent.js
 * [--db postgres://…] [--learners N] [--withdrawals N]`.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { AuditLog } from "../src/audit/index.js";
import {
  ConsentNotifier,
  ConsentRegistry,
  DEFAULT_AUDIENCE,
  NotificationDelivery,
  signPortalLink,
} from "../src/consent/index.js";
import {
  AgreementRegistry,
  generateParticipantKey,
  signAgreement,
} from "../src/contract/agreements/index.js";
import { WithdrawalDuties } from "../src/contract/enforcement/index.js";
import { type Database, openDatabase } from "../src/store/index.js";

export interface ConsentBenchResult {
  learners: number;
  /** Consent records the load stands for (one or two per learner). */
  records: number;
  /** Cohort member rows loaded. */
  rows: number;
  consenting: number;
  /** consentingLearners(), best of the runs, ms. */
  queryMs: number;
  /** SELECT count(*) over the queried cohort's rows, ms. */
  floorCountMs: number;
  /** A plain scan of the cohort's learner column into JavaScript objects (db.all), ms. */
  floorScanMs: number;
  /** The same query on PostgreSQL, when a URL was given. */
  postgres?: CohortFigures;
  withdrawals?: WithdrawalFigures;
}

export interface CohortFigures {
  consenting: number;
  queryMs: number;
  floorCountMs: number;
  floorScanMs: number;
  loadMs: number;
}

export interface WithdrawalFigures {
  /** Withdrawals measured one at a time, then as many at once. */
  count: number;
  /** One at a time: withdrawal → last acknowledgement, as stored with the withdrawal (ms). */
  sequential: { medianMs: number; p95Ms: number; maxMs: number };
  /** Floor: one local HTTP POST round trip (median, ms). */
  floorPostMs: number;
  /** `count` at once: from the first withdrawal call to the last acknowledgement (ms). */
  parallelMs: number;
  /** Floor: `count` local POSTs at once (ms). */
  floorParallelPostMs: number;
}

const DAY = 86_400_000;
const DPV = "https://w3id.org/dpv#";
const PD = "https://w3id.org/dpv/pd#";
const EX = "https://example.org/";

async function setUp(db: Database, now: number) {
  const audit = new AuditLog(db);
  const agreements = new AgreementRegistry(db, audit);
  const keys: Record<string, Awaited<ReturnType<typeof generateParticipantKey>>> = {};
  for (const [id, role] of [
    ["operator", "operator"],
    ["univ", "provider"],
    ["lab", "consumer"],
  ] as const) {
    await db.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", [
      id,
      id,
      new Date(now).toISOString(),
    ]);
    await agreements.participants.register({ id, role, iri: `${EX}${id}` }, "bench");
    keys[id] = await generateParticipantKey();
    await agreements.participants.addKey(id, keys[id].publicJwk, "bench");
  }
  const made = await agreements.propose({
    proposedBy: "lab",
    parties: [
      { participant: "operator", role: "operator" },
      { participant: "univ", role: "provider" },
      { participant: "lab", role: "consumer" },
    ],
    policy: {
      "@context": "http://www.w3.org/ns/odrl.jsonld",
      "@type": "Agreement",
      assigner: `${EX}univ`,
      assignee: `${EX}lab`,
      target: `${EX}datasets/traces`,
      permission: [{ action: "derive" }],
    },
    notBefore: new Date(now - 30 * DAY).toISOString(),
    notAfter: new Date(now + 365 * DAY).toISOString(),
    linkageDomain: "bench",
  });
  for (const p of ["operator", "univ", "lab"]) {
    const key = keys[p] as (typeof keys)[string];
    await agreements.sign(made.id, p, await signAgreement(made.canonical, key.privateJwk, key.kid));
  }
  return { audit, agreements, agreementId: made.id, univ: keys.univ as (typeof keys)[string] };
}

/** A learner asked and consenting through the registry itself (request, give with a portal link). */
async function consentingLearner(
  consent: ConsentRegistry,
  agreementId: string,
  univ: Awaited<ReturnType<typeof generateParticipantKey>>,
): Promise<{ learner: string; link: () => Promise<string> }> {
  const learner = randomBytes(16).toString("base64url");
  await consent.request(
    {
      agreement: agreementId,
      learner,
      notice: { id: "bench-notice", digest: "ab".repeat(32) },
      language: "fr",
      jurisdiction: "FR",
      purposes: ["dpv:AcademicResearch"],
      recipients: ["lab"],
      dataCategories: ["pd:EducationExperience"],
      retention: { duration: "P2Y" },
      storageLocations: ["FR"],
      age: { adult: true },
    },
    "univ",
  );
  const link = () => {
    const iat = Math.floor(Date.now() / 1000);
    return signPortalLink(
      {
        iss: "univ",
        sub: learner,
        agr: agreementId,
        aud: DEFAULT_AUDIENCE,
        iat,
        exp: iat + 600,
        nonce: randomBytes(16).toString("base64url"),
        role: "learner",
        age: { adult: true },
      },
      univ.privateJwk,
      univ.kid,
    );
  };
  await consent.give(await link());
  return { learner, link };
}

/**
 * Loads `learners` into the cohort tables (see the file's comment) and times consentingLearners()
 * beside count(*) and a plain scan; `real` learners (given through the registry) must be found.
 */
async function cohortQuery(
  db: Database,
  consent: ConsentRegistry,
  agreementId: string,
  learners: number,
  runs: number,
  real: readonly string[],
  now: number,
): Promise<CohortFigures & { records: number; rows: number }> {
  const loadStarted = performance.now();
  const cohortOf = async (purpose: string) => {
    const key = [agreementId, `${DPV}${purpose}`, `${PD}EducationExperience`, "lab"];
    await db.run(
      "INSERT INTO consent_cohorts (agreement_id, purpose, data_category, recipient) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      key,
    );
    const row = await db.one<{ id: number }>(
      "SELECT id FROM consent_cohorts WHERE agreement_id = ? AND purpose = ? AND data_category = ? AND recipient = ?",
      key,
    );
    return Number(row?.id);
  };
  const research = await cohortOf("AcademicResearch");
  const training = await cohortOf("TrainAIModel");
  const given = now - 10 * DAY;
  const until = now + 300 * DAY;
  const past = now - DAY;
  let rows = 0;
  let records = 0;
  const batch = 50_000;
  for (let start = 0; start < learners; start += batch) {
    const values: (string | number)[][] = [];
    for (let i = start; i < Math.min(learners, start + batch); i++) {
      const learner = randomBytes(16).toString("base64url");
      const r = i % 100;
      records += i % 2 === 0 ? 2 : 1;
      // 90% given, 4% withdrawn, 3% requested (no member row), 3% given but past their retention.
      if (r < 90) values.push([research, learner, given, until]);
      else if (r >= 97) values.push([research, learner, given, past]);
      if (i % 2 === 0) values.push([training, learner, given, until]);
    }
    rows += values.length;
    await db.transaction(async (tx) => {
      await tx.insertMany(
        "consent_cohort_members",
        ["cohort", "learner", "valid_from", "valid_until"],
        values,
      );
    });
  }
  // What an operator runs after a bulk load (and autovacuum does later): statistics, and on PostgreSQL
  // the visibility map, without which an index-only scan still visits every heap page.
  await db.run(db.dialect === "postgres" ? "VACUUM ANALYZE consent_cohort_members" : "ANALYZE");
  const loadMs = performance.now() - loadStarted;

  const filter = {
    purpose: "dpv:AcademicResearch",
    dataCategory: "pd:EducationExperience",
    recipient: "lab",
  };
  let best = Number.POSITIVE_INFINITY;
  let consenting = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const set = await consent.consentingLearners(agreementId, new Date(), filter);
    best = Math.min(best, performance.now() - t);
    consenting = set.size;
    if (i === 0 && !real.every((l) => set.has(l)))
      throw new Error("a learner given through the registry is missing");
  }
  let floorCountMs = Number.POSITIVE_INFINITY;
  let floorScanMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const ms = Date.now();
    const where = "FROM consent_cohort_members WHERE cohort = ? AND valid_from <= ? AND valid_until > ?";
    let t = performance.now();
    const c = await db.one<{ n: number }>(`SELECT count(*) AS n ${where}`, [research, ms, ms]);
    floorCountMs = Math.min(floorCountMs, performance.now() - t);
    t = performance.now();
    const all = await db.all<{ learner: string }>(`SELECT learner ${where}`, [research, ms, ms]);
    floorScanMs = Math.min(floorScanMs, performance.now() - t);
    if (Number(c?.n) < 0 || all.length < 0) throw new Error("unreachable");
  }
  return { consenting, queryMs: best, floorCountMs, floorScanMs, loadMs, records, rows };
}

/** The PostgreSQL URL to bench on: the option, LEARNPOOL_BENCH_PG, or the bench's `--db postgres://…`. */
function postgresUrl(given?: string | false): string | undefined {
  if (given === false) return undefined;
  if (given) return given;
  if (process.env.LEARNPOOL_BENCH_PG) return process.env.LEARNPOOL_BENCH_PG;
  const i = process.argv.indexOf("--db");
  const db = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith("--db="))?.slice(5);
  return db?.startsWith("postgres") ? db : undefined;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/**
 * Withdrawal → last acknowledged webhook notification, `count` times one at a time and then `count`
 * at once, against a local HTTP server answering 204; beside the floor of local POST round trips.
 */
async function withdrawalLatency(
  db: Database,
  audit: AuditLog,
  agreements: AgreementRegistry,
  agreementId: string,
  univ: Awaited<ReturnType<typeof generateParticipantKey>>,
  count: number,
  masterKey: Buffer,
): Promise<WithdrawalFigures> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/consent-events`;
  const consent = new ConsentRegistry(db, audit, agreements, { masterKey });
  const notifier = new ConsentNotifier(db, audit, agreements, {
    allowHttp: true,
    masterKey,
    deletionDuties: new WithdrawalDuties(audit, agreements),
  });
  consent.onChange(notifier.listener());
  const delivery = new NotificationDelivery(db, notifier, { pollMs: 1000, jitter: false });
  consent.onChange((change) => {
    if (change.state === "withdrawn") setImmediate(() => delivery.wake());
  });
  try {
    await notifier.registerWebhook("lab", { url }, "bench");
    const learners = [];
    for (let i = 0; i < 2 * count; i++) learners.push(await consentingLearner(consent, agreementId, univ));
    await delivery.start();
    const done = async (withdrawal: string) => {
      for (;;) {
        const w = await notifier.withdrawal(withdrawal);
        if (w?.completedAt) return w;
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    const withdrawalOf = async (learner: string) =>
      (await notifier.withdrawals({ agreement: agreementId, learner })).at(-1)!.id;

    // One at a time.
    const latencies: number[] = [];
    for (const l of learners.slice(0, count)) {
      await consent.withdraw({ learner: l.learner, agreement: agreementId }, { link: await l.link() });
      latencies.push(Number((await done(await withdrawalOf(l.learner))).latencyMs));
    }
    latencies.sort((a, b) => a - b);
    // The floor: a POST of a notification-sized body to the same server, one at a time, then all at once.
    const body = JSON.stringify({ type: "learnpool.consent.withdrawn", pad: "x".repeat(420) });
    const post = () =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }).then((r) =>
        r.body?.cancel(),
      );
    const trips: number[] = [];
    for (let i = 0; i < Math.max(50, count); i++) {
      const t = performance.now();
      await post();
      trips.push(performance.now() - t);
    }
    trips.sort((a, b) => a - b);
    let t = performance.now();
    await Promise.all(Array.from({ length: count }, post));
    const floorParallelPostMs = performance.now() - t;

    // All at once: each with its own link, issued together.
    const batch = learners.slice(count);
    const links = await Promise.all(batch.map((l) => l.link()));
    t = performance.now();
    await Promise.all(
      batch.map((l, i) =>
        consent.withdraw({ learner: l.learner, agreement: agreementId }, { link: links[i]! }),
      ),
    );
    for (const l of batch) await done(await withdrawalOf(l.learner));
    const parallelMs = performance.now() - t;
    if (received < 2 * count) throw new Error(`only ${received} webhook calls for ${2 * count} withdrawals`);
    return {
      count,
      sequential: {
        medianMs: quantile(latencies, 0.5),
        p95Ms: quantile(latencies, 0.95),
        maxMs: latencies.at(-1) ?? Number.NaN,
      },
      floorPostMs: quantile(trips, 0.5),
      parallelMs,
      floorParallelPostMs,
    };
  } finally {
    await delivery.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export async function benchConsent(
  options: {
    log?: (line: string) => void;
    learners?: number;
    runs?: number;
    /** A PostgreSQL URL to run the cohort query on as well (default LEARNPOOL_BENCH_PG or `--db`); false: none. */
    postgres?: string | false;
    /** Withdrawals measured (one at a time, then as many at once); 0: none. Default 50. */
    withdrawals?: number;
  } = {},
): Promise<ConsentBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const learners = options.learners ?? 1_000_000;
  const runs = options.runs ?? 5;
  const withdrawals = options.withdrawals ?? 50;
  const f = (x: number) => Math.round(x).toLocaleString("en");
  const f1 = (x: number) => x.toFixed(1);
  const dir = mkdtempSync(join(tmpdir(), "learnpool-bench-consent-"));
  const db = await openDatabase(join(dir, "consent.db"));
  let result: ConsentBenchResult;
  try {
    const now = Date.now();
    const { audit, agreements, agreementId, univ } = await setUp(db, now);
    const masterKey = randomBytes(32);
    const consent = new ConsentRegistry(db, audit, agreements, { masterKey });
    // A few learners through the registry itself.
    const real: string[] = [];
    for (let i = 0; i < 20; i++) real.push((await consentingLearner(consent, agreementId, univ)).learner);
    const q = await cohortQuery(db, consent, agreementId, learners, runs, real, now);
    result = {
      learners,
      records: q.records,
      rows: q.rows,
      consenting: q.consenting,
      queryMs: q.queryMs,
      floorCountMs: q.floorCountMs,
      floorScanMs: q.floorScanMs,
    };
    log(
      `consent: consentingLearners() over ${f(learners)} learners (${f(q.records)} records, ${f(q.rows)} cohort rows loaded in ${f(q.loadMs)} ms) on a SQLite file: ` +
        `${f(q.consenting)} pseudonyms in ${f(q.queryMs)} ms (best of ${runs}); floors on the same rows: count(*) ${f(q.floorCountMs)} ms, ` +
        `plain scan of the learner column into row objects ${f(q.floorScanMs)} ms`,
    );
    if (withdrawals > 0) {
      const w = await withdrawalLatency(db, audit, agreements, agreementId, univ, withdrawals, masterKey);
      result.withdrawals = w;
      log(
        `consent: withdrawal → acknowledged webhook notification (deletion duty, outbox, signed POST to a local server, acknowledgement), ${w.count} one at a time: ` +
          `median ${f1(w.sequential.medianMs)} ms, p95 ${f1(w.sequential.p95Ms)} ms, max ${f1(w.sequential.maxMs)} ms; floor: one local HTTP POST round trip ${f1(w.floorPostMs)} ms (median). ` +
          `${w.count} withdrawals at once: the last acknowledged ${f(w.parallelMs)} ms after the first call; floor: ${w.count} local POSTs at once ${f1(w.floorParallelPostMs)} ms`,
      );
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const url = postgresUrl(options.postgres);
  if (url) {
    const schema = `bench_consent_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      const scoped = new URL(url);
      scoped.searchParams.set("options", `-c search_path=${schema}`);
      const pgdb = await openDatabase(scoped.toString());
      try {
        const now = Date.now();
        const { audit, agreements, agreementId, univ } = await setUp(pgdb, now);
        const consent = new ConsentRegistry(pgdb, audit, agreements, { masterKey: randomBytes(32) });
        const real: string[] = [];
        for (let i = 0; i < 20; i++) real.push((await consentingLearner(consent, agreementId, univ)).learner);
        const q = await cohortQuery(pgdb, consent, agreementId, learners, runs, real, now);
        result.postgres = {
          consenting: q.consenting,
          queryMs: q.queryMs,
          floorCountMs: q.floorCountMs,
          floorScanMs: q.floorScanMs,
          loadMs: q.loadMs,
        };
        log(
          `consent: consentingLearners() over ${f(learners)} learners on PostgreSQL (${f(q.rows)} cohort rows loaded in ${f(q.loadMs)} ms): ` +
            `${f(q.consenting)} pseudonyms in ${f(q.queryMs)} ms (best of ${runs}); floors on the same rows: count(*) ${f(q.floorCountMs)} ms, ` +
            `plain scan of the learner column into row objects ${f(q.floorScanMs)} ms`,
        );
      } finally {
        await pgdb.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      learners: { type: "string" },
      withdrawals: { type: "string" },
      runs: { type: "string" },
    },
    strict: false,
  });
  await benchConsent({
    ...(typeof values.db === "string" && { postgres: values.db }),
    ...(typeof values.learners === "string" && { learners: Number(values.learners) }),
    ...(typeof values.withdrawals === "string" && { withdrawals: Number(values.withdrawals) }),
    ...(typeof values.runs === "string" && { runs: Number(values.runs) }),
  });
}
