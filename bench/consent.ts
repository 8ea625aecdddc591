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
 * `benchConsent()` is what the main bench may call; run alone: `node dist/bench/consent.js`.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuditLog } from "../src/audit/index.js";
import { ConsentRegistry, DEFAULT_AUDIENCE, signPortalLink } from "../src/consent/index.js";
import {
  AgreementRegistry,
  generateParticipantKey,
  signAgreement,
} from "../src/contract/agreements/index.js";
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

export async function benchConsent(
  options: { log?: (line: string) => void; learners?: number; runs?: number } = {},
): Promise<ConsentBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const learners = options.learners ?? 1_000_000;
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "learnpool-bench-consent-"));
  const db = await openDatabase(join(dir, "consent.db"));
  try {
    const now = Date.now();
    const { audit, agreements, agreementId, univ } = await setUp(db, now);
    const consent = new ConsentRegistry(db, audit, agreements, { masterKey: randomBytes(32) });

    // A few learners through the registry itself.
    const real: string[] = [];
    for (let i = 0; i < 20; i++) {
      const learner = randomBytes(16).toString("base64url");
      real.push(learner);
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
      const iat = Math.floor(Date.now() / 1000);
      const link = await signPortalLink(
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
      await consent.give(link);
    }

    // The bulk: members of the cohort tables, as the registry writes them (a learner is a member
    // while their record is given or renewed; withdrawn and requested records have no member row).
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
    await db.run("ANALYZE");
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
    let sink = 0;
    for (let i = 0; i < runs; i++) {
      const ms = Date.now();
      const where = "FROM consent_cohort_members WHERE cohort = ? AND valid_from <= ? AND valid_until > ?";
      let t = performance.now();
      const c = await db.one<{ n: number }>(`SELECT count(*) AS n ${where}`, [research, ms, ms]);
      floorCountMs = Math.min(floorCountMs, performance.now() - t);
      t = performance.now();
      const all = await db.all<{ learner: string }>(`SELECT learner ${where}`, [research, ms, ms]);
      floorScanMs = Math.min(floorScanMs, performance.now() - t);
      sink += Number(c?.n) + all.length;
    }
    const result: ConsentBenchResult = {
      learners,
      records,
      rows,
      consenting,
      queryMs: best,
      floorCountMs,
      floorScanMs,
    };
    const f = (x: number) => Math.round(x).toLocaleString("en");
    log(
      `consent: consentingLearners() over ${f(learners)} learners (${f(records)} records, ${f(rows)} cohort rows loaded in ${f(loadMs)} ms) on a SQLite file: ` +
        `${f(consenting)} pseudonyms in ${f(best)} ms (best of ${runs}); floors on the same rows: count(*) ${f(floorCountMs)} ms, ` +
        `plain scan of the learner column into row objects ${f(floorScanMs)} ms`,
    );
    if (sink < 0) log("unreachable");
    return result;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchConsent();
}
