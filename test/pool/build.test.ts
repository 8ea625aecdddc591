import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyEnforcement } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { BuildDenied, buildDataset, verifyVersion } from "../../src/pool/build/index.js";
import { checkCroissant } from "../../src/pool/docs/index.js";
import { parseBuildSpec } from "../../src/pool/prepare/index.js";
import { DomainKeys } from "../../src/privacy/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { MASTER_KEY, pseudonym, type World, world } from "../consent/setup.js";
import { backends, sqliteBackend } from "../helpers/databases.js";
import { storeAt } from "./fixtures/stores.js";
import { runDataset } from "./fixtures/versions/setup.js";

const VERB = "http://adlnet.gov/expapi/verbs/experienced";
const HOME = "https://pool.example.org/linkage/dropout-2026";
const DAY = 86_400_000;
const START = Date.parse("2027-01-04T09:00:00Z");

/** Statements of one learner on the given days since 2027-01-04 (already pseudonymized: account.name). */
function statements(learner: string, days: number[]) {
  return days.map((d, i) => ({
    id: randomUUID(),
    actor: { objectType: "Agent", account: { homePage: HOME, name: learner } },
    verb: { id: VERB },
    object: { id: `https://example.org/activity/${i % 3}` },
    timestamp: new Date(START + d * DAY + i * 60_000).toISOString(),
  }));
}

const specText = (agreement: string, output: string) => `
name: dropout-slice
agreement: ${agreement}
providers: [univ, mooc]
span: {from: 2027-01-01, to: 2027-03-01}
views:
  learner_periods: {period: day}
cutoff_day: 6
label: {kind: dropout, inactivity_days: 14}
# A handful of learners: the smallest class the risk check allows (one class, k = learners).
risk: {min_k: 2, max_average_risk: 0.5}
seed: 7
output: ${output}
`;

/** Every row of every file of a version, as text (Parquet read by DuckDB, the others as they are). */
async function everyRowText(dir: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const parts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) await walk(path);
      else if (name.endsWith(".parquet"))
        parts.push(JSON.stringify((await c.runAndReadAll(`SELECT * FROM '${path}'`)).getRowObjectsJson()));
      else parts.push(readFileSync(path).toString("latin1"));
    }
  };
  await walk(dir);
  c.closeSync();
  instance.closeSync();
  return parts.join("\n");
}

type Learners = Record<"shared" | "stays" | "drops" | "refused" | "withdrew" | "neverAsked", string>;

/**
 * Two provider stores (univ, mooc) with statements already pseudonymized in the agreement's linkage
 * domain (account.name), and consent: given by three learners, refused by one, given then withdrawn by
 * one, never asked of one. `shared` is at both providers.
 */
async function seed(lrs: Lrs, w: World): Promise<Learners> {
  // The agreement's linkage domain, whose IRI is the homePage of the providers' pseudonyms.
  await new DomainKeys(w.db, w.audit, { master: MASTER_KEY }).create("dropout-2026", {
    iri: HOME,
    actor: "test",
  });
  const L: Learners = {
    shared: pseudonym(),
    stays: pseudonym(),
    drops: pseudonym(),
    refused: pseudonym(),
    withdrew: pseudonym(),
    neverAsked: pseudonym(),
  };
  const univ = [
    ...statements(L.shared, [0, 1, 2, 3, 9]),
    ...statements(L.drops, [0, 2, 4, 5]),
    ...statements(L.refused, [0, 1, 2, 6, 8]),
    ...statements(L.withdrew, [0, 3, 6, 7]),
    ...statements(L.neverAsked, [0, 3, 6, 7]),
  ];
  const mooc = [
    ...statements(L.shared, [4, 5, 6, 12]),
    ...statements(L.stays, [0, 1, 6, 10, 11]),
    ...statements(L.withdrew, [1, 2, 9]),
  ];
  await storeAt(lrs, "univ", univ);
  await storeAt(lrs, "mooc", mooc);
  for (const learner of [L.shared, L.stays, L.drops, L.refused, L.withdrew]) {
    await w.request(learner);
    const link = await w.link({ sub: learner });
    if (learner === L.refused) await w.consent.refuse(link);
    else await w.consent.give(link);
  }
  await w.consent.withdraw(
    { learner: L.withdrew, agreement: w.agreementId },
    { link: await w.link({ sub: L.withdrew }) },
  );
  return L;
}

for (const backend of await backends()) {
  describe(`dataset build, first slice (${backend.name})`, () => {
    let db: Database;
    let w: World;
    let lrs: Lrs;
    let out: string;
    let enforcement: PolicyEnforcement;
    let L: Learners;

    beforeEach(async () => {
      out = mkdtempSync(join(tmpdir(), "learnpool-build-test-"));
      db = await backend.open();
      w = await world(db);
      lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      enforcement = new PolicyEnforcement(db, w.audit, w.agreements, w.agreements.participants, {
        clock: () => w.clock.now,
      });
      L = await seed(lrs, w);
    });
    afterEach(async () => {
      await lrs.close();
      await db.close();
      rmSync(out, { recursive: true, force: true });
    });

    const services = () => ({ db, agreements: w.agreements, consent: w.consent, enforcement });
    const spec = (dir = join(out, "v1")) => parseBuildSpec(specText(w.agreementId, dir));

    it("builds a version with consenting learners only, linked across providers, read by DuckDB, documented and verifiable", async () => {
      const dir = join(out, "v1");
      const result = await buildDataset(services(), spec(dir), { actor: "lab", at: w.clock.now });
      const none = { refused: 0, withdrew: 0, neverAsked: 0, other: 0 };
      expect(result.consent).toEqual([
        {
          provider: "univ",
          asked: 5,
          consented: 2,
          notConsenting: 3,
          ...none,
          refused: 1,
          withdrew: 1,
          neverAsked: 1,
        },
        { provider: "mooc", asked: 3, consented: 2, notConsenting: 1, ...none, withdrew: 1 },
      ]);
      // Taken as pseudonymized by the providers: nothing de-identified, nothing rejected.
      expect(result.rejected).toEqual([]);
      expect(result.leakCheck).toBeNull();
      expect(result.members).toEqual([L.shared, L.stays, L.drops].sort());
      expect(result.learners).toBe(3);
      expect(result.labels).toMatchObject({ labelled: 3, positive: 1 });

      // No trace of the refused, the withdrawn or the never-asked learner in any file of the version.
      const text = await everyRowText(dir);
      for (const gone of [L.refused, L.withdrew, L.neverAsked]) expect(text).not.toContain(gone);
      for (const kept of [L.shared, L.stays, L.drops]) expect(text).toContain(kept);

      // DuckDB reads every shard; the shared learner is one learner, with both providers side by side.
      const instance = await DuckDBInstance.create(":memory:");
      const c = await instance.connect();
      const shards = result.files.filter((f) => f.format === "parquet").map((f) => join(dir, f.path));
      expect(shards.length).toBeGreaterThan(0);
      for (const shard of shards) {
        const n = (await c.runAndReadAll(`SELECT count(*) FROM '${shard}'`)).getRowsJS()[0]?.[0];
        expect(Number(n)).toBe(result.files.find((f) => join(dir, f.path) === shard)?.rows);
      }
      const list = `[${shards.map((s) => `'${s}'`).join(", ")}]`;
      const learners = (
        await c.runAndReadAll(
          `SELECT learner, count(DISTINCT regexp_extract(filename, 'data/([a-z_]+)-', 1)) AS splits, max(period) AS last, sum(univ__statements) AS u, sum(mooc__statements) AS m, min(dropout) AS label FROM read_parquet(${list}, filename = true) GROUP BY learner ORDER BY learner`,
        )
      ).getRowObjectsJS();
      expect(learners.map((r) => r.learner)).toEqual([L.shared, L.stays, L.drops].sort());
      const shared = learners.find((r) => r.learner === L.shared)!;
      expect(Number(shared.splits)).toBe(1);
      expect([Number(shared.u), Number(shared.m)]).toEqual([4, 3]);
      // Features stop at the cut-off day (6): the activity on days 9 and 12 is not a feature.
      for (const r of learners) expect(Number(r.last)).toBeLessThanOrEqual(6);
      expect(Number(learners.find((r) => r.learner === L.drops)!.label)).toBe(1);
      c.closeSync();
      instance.closeSync();

      const croissant = JSON.parse(readFileSync(join(dir, "croissant.json"), "utf8"));
      expect(checkCroissant(croissant)).toEqual([]);
      for (const f of ["README.md", "DATASHEET.md", "lineage.json", "lineage.leaves"])
        expect(existsSync(join(dir, f)), f).toBe(true);

      expect(await verifyVersion(dir)).toMatchObject({ ok: true, records: result.records });
      const shard = join(dir, result.files[0]!.path);
      const bytes = readFileSync(shard);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] as number) ^ 0x01;
      writeFileSync(shard, bytes);
      const broken = await verifyVersion(dir);
      expect(broken.ok).toBe(false);
      expect(broken.mismatch).toMatchObject({ kind: "file-hash", path: result.files[0]!.path });
      expect(broken.message).toContain(result.files[0]!.path);
    });

    it("gives byte-identical files for the same inputs and seed", async () => {
      const a = await buildDataset(services(), spec(join(out, "a")), { actor: "lab", at: w.clock.now });
      const b = await buildDataset(services(), spec(join(out, "b")), { actor: "lab", at: w.clock.now });
      expect(b.files).toEqual(a.files);
      expect(b.root).toBe(a.root);
      for (const f of ["croissant.json", "lineage.json", "DATASHEET.md"])
        expect(readFileSync(join(out, "b", f), "utf8").replaceAll("/b/", "/a/")).toBe(
          readFileSync(join(out, "a", f), "utf8"),
        );
    });

    it("a denied decision (purpose not permitted) stops the build with the reason and writes nothing", async () => {
      const dir = join(out, "denied");
      const error = await buildDataset(services(), spec(dir), {
        actor: "lab",
        at: w.clock.now,
        purpose: "dpv:Marketing",
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BuildDenied);
      expect((error as BuildDenied).reason.length).toBeGreaterThan(0);
      expect((error as BuildDenied).message).toContain((error as BuildDenied).reason);
      expect(existsSync(dir)).toBe(false);
    });
  });
}

describe("learnpool dataset build|verify (SQLite file)", () => {
  it("builds from a spec file, verifies, names the changed shard, and exits 1 on a denial", async () => {
    const out = mkdtempSync(join(tmpdir(), "learnpool-build-cli-"));
    const file = await sqliteBackend.location();
    try {
      const db = await openDatabase(file);
      const w = await world(db);
      w.clock.now = new Date(Date.now() - 60_000); // the command judges consent now
      const lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      const L = await seed(lrs, w);
      await lrs.close();
      await db.close();
      writeFileSync(join(out, "spec.yaml"), specText(w.agreementId, "v1"));

      const built = await runDataset(["build", join(out, "spec.yaml"), "--db", file, "--actor", "lab"]);
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      const result = JSON.parse(built.stdout) as { dir: string; learners: number; files: { path: string }[] };
      expect(result.dir).toBe(join(out, "v1"));
      expect(result.learners).toBe(3);
      expect(await everyRowText(result.dir)).not.toContain(L.refused);

      const ok = await runDataset(["verify", result.dir]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
      const shard = join(result.dir, result.files[0]?.path as string);
      const bytes = readFileSync(shard);
      bytes[10] = (bytes[10] as number) ^ 0xff;
      writeFileSync(shard, bytes);
      const bad = await runDataset(["verify", result.dir]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(result.files[0]?.path as string);

      writeFileSync(join(out, "spec2.yaml"), specText(w.agreementId, "v2"));
      const denied = await runDataset([
        "build",
        join(out, "spec2.yaml"),
        "--db",
        file,
        "--purpose",
        "dpv:Marketing",
      ]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/dataset build denied: \S/);
      expect(existsSync(join(out, "v2"))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
      for (const s of ["", "-wal", "-shm"]) rmSync(file + s, { force: true });
    }
  });
});
