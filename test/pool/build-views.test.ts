import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PolicyEnforcement } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { CohortBudgetRefused } from "../../src/pool/build/cohort-release.js";
import { buildDataset, verifyVersion } from "../../src/pool/build/index.js";
import { checkCroissant } from "../../src/pool/docs/index.js";
import { parseBuildSpec } from "../../src/pool/prepare/index.js";
import { DomainKeys, dp } from "../../src/privacy/index.js";
import type { Database } from "../../src/store/index.js";
import { MASTER_KEY, pseudonym, type World, world } from "../consent/setup.js";
import { backends } from "../helpers/databases.js";
import { storeAt } from "./fixtures/stores.js";

const ANSWERED = "http://adlnet.gov/expapi/verbs/answered";
const EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced";
const HOME = "https://pool.example.org/linkage/dropout-2026";
const DAY = 86_400_000;
const START = Date.parse("2027-01-04T09:00:00Z");
const PROGRAMME = "https://example.org/extensions/programme";

/** One learner's statements on the given days (already pseudonymized): answers on even days, else views. */
function statements(learner: string, days: number[], programme = "licence") {
  return days.map((d, i) => ({
    context: { extensions: { [PROGRAMME]: programme } },
    id: randomUUID(),
    actor: { objectType: "Agent", account: { homePage: HOME, name: learner } },
    verb: { id: d % 2 === 0 ? ANSWERED : EXPERIENCED },
    object: { id: `https://example.org/item/${i % 3}` },
    ...(d % 2 === 0 ? { result: { success: i % 3 !== 1, score: { scaled: (i % 4) / 4 } } } : {}),
    timestamp: new Date(START + d * DAY + i * 60_000).toISOString(),
  }));
}

const specText = (agreement: string, output: string, extra = "") => `
name: views-all
agreement: ${agreement}
providers: [univ, mooc]
span: {from: 2027-01-01, to: 2027-03-01}
views:
  statements: true
  learner_periods: {period: day}
  sequences: {unit: item}
  cohort_statistics:
    budget: {epsilon: 1}
    max_contributions: 10
    keys: {split: [train, validation, test]}
    statistics:
      - count
      - {statistic: count, by: [split]}
      - {statistic: mean, of: statements, bounds: [0, 20], epsilon: 0.2}
cutoff_day: 6
label: {kind: dropout, inactivity_days: 14}
# A handful of learners: the smallest class the risk check allows (one class, k = learners).
risk: {min_k: 2, max_average_risk: 0.5}
seed: 7
${extra}
output: ${output}
`;

type Learners = Record<"shared" | "stays" | "drops" | "refused", string>;

async function seed(lrs: Lrs, w: World): Promise<Learners> {
  await new DomainKeys(w.db, w.audit, { master: MASTER_KEY }).create("dropout-2026", {
    iri: HOME,
    actor: "test",
  });
  const L: Learners = { shared: pseudonym(), stays: pseudonym(), drops: pseudonym(), refused: pseudonym() };
  const univ = [
    ...statements(L.shared, [0, 1, 2, 3, 9]),
    ...statements(L.drops, [0, 2, 4, 5], "master"),
    ...statements(L.refused, [0, 1, 2, 6, 8]),
  ];
  const mooc = [...statements(L.shared, [4, 5, 6, 12]), ...statements(L.stays, [0, 1, 6, 10, 11])];
  await storeAt(lrs, "univ", univ);
  await storeAt(lrs, "mooc", mooc);
  for (const learner of [L.shared, L.stays, L.drops, L.refused]) {
    await w.request(learner);
    const link = await w.link({ sub: learner });
    if (learner === L.refused) await w.consent.refuse(link);
    else await w.consent.give(link);
  }
  return L;
}

/** Every file under `dir`, by relative path. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

const NOISE_KEY = Buffer.alloc(32, 7);

for (const backend of await backends()) {
  describe(`dataset build, every view (${backend.name})`, () => {
    let db: Database;
    let w: World;
    let lrs: Lrs;
    let out: string;
    let ledger: dp.PrivacyLedger;
    let L: Learners;

    beforeEach(async () => {
      out = mkdtempSync(join(tmpdir(), "learnpool-views-test-"));
      db = await backend.open();
      w = await world(db);
      lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      ledger = new dp.PrivacyLedger(db, w.audit);
      L = await seed(lrs, w);
    });
    afterEach(async () => {
      await lrs.close();
      await db.close();
      rmSync(out, { recursive: true, force: true });
    });

    const services = () => ({
      db,
      agreements: w.agreements,
      consent: w.consent,
      enforcement: new PolicyEnforcement(db, w.audit, w.agreements, w.agreements.participants, {
        clock: () => w.clock.now,
      }),
      ledger,
      noiseKey: NOISE_KEY,
    });
    const spec = (dir: string, extra = "") => parseBuildSpec(specText(w.agreementId, dir, extra));
    const build = (dir: string, extra = "") =>
      buildDataset(services(), spec(dir, extra), { actor: "lab", at: w.clock.now });

    it("writes all four views as record sets and configs, read by DuckDB, documented, charged and verifiable", async () => {
      await ledger.setBudget("views-all", "lab", { epsilon: 1, delta: 1e-6 }, "test");
      const dir = join(out, "v1");
      const result = await build(dir);
      expect(result.views).toEqual(["learner_periods", "sequences", "statements", "cohort_statistics"]);
      expect(result.cohort).toMatchObject({ releases: 3 });

      const paths = result.files.map((f) => f.path);
      for (const view of ["learner_periods", "sequences", "statements"])
        expect(
          paths.some((p) =>
            new RegExp(`^data/${view}/(train|validation|test)-\\d{5}-of-\\d{5}\\.parquet$`).test(p),
          ),
          view,
        ).toBe(true);
      expect(paths).toContain("data/cohort_statistics.parquet");
      expect(result.files.find((f) => f.path === "data/cohort_statistics.parquet")?.split).toBeUndefined();

      // DuckDB reads every shard, by one glob.
      const instance = await DuckDBInstance.create(":memory:");
      const c = await instance.connect();
      const q = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS();
      const total = await q(
        `SELECT count(*) AS n FROM read_parquet('${dir}/data/**/*.parquet', union_by_name = true)`,
      );
      expect(Number(total[0]?.n)).toBe(result.files.reduce((n, f) => n + f.rows, 0));

      // statements: the whole span of the version's learners, the refused one absent, cut-off marked.
      const st = await q(
        `SELECT learner, count(*) AS n, count(*) FILTER (WHERE NOT before_cutoff) AS late, count(DISTINCT json) AS j
         FROM read_parquet('${dir}/data/statements/*.parquet') GROUP BY learner ORDER BY learner`,
      );
      expect(st.map((r) => r.learner)).toEqual([L.shared, L.stays, L.drops].sort());
      const shared = st.find((r) => r.learner === L.shared)!;
      expect(Number(shared.n)).toBe(9);
      expect(Number(shared.late)).toBe(2); // days 9 and 12, after cut-off day 6
      expect(Number(shared.j)).toBe(9);

      // sequences: answered items before the cut-off only, positions from 1, with the label.
      const sq = await q(
        `SELECT learner, max(position) AS last, count(*) AS n, max(timestamp) AS latest, min(dropout) AS label
         FROM read_parquet('${dir}/data/sequences/*.parquet') GROUP BY learner ORDER BY learner`,
      );
      expect(sq.find((r) => r.learner === L.shared)).toMatchObject({ n: 4n, last: 4 });
      for (const r of sq) expect((r.latest as Date).getTime()).toBeLessThan(START + 7 * DAY);
      expect(Number(sq.find((r) => r.learner === L.drops)!.label)).toBe(1);

      // learner_periods as before: features up to day 6, label column.
      const lp = await q(
        `SELECT max(period) AS last FROM read_parquet('${dir}/data/learner_periods/*.parquet')`,
      );
      expect(Number(lp[0]?.last)).toBeLessThanOrEqual(6);

      // cohort_statistics: the plan's releases, each charged to the ledger.
      const cs = await q(`SELECT * FROM read_parquet('${dir}/data/cohort_statistics.parquet')`);
      expect(cs.map((r) => r.statistic)).toEqual([
        "count",
        "count by split",
        "count by split",
        "count by split",
        "mean of statements",
      ]);
      expect(cs.filter((r) => r.group !== null).map((r) => r.group)).toEqual([
        "split=train",
        "split=validation",
        "split=test",
      ]);
      c.closeSync();
      instance.closeSync();
      const status = await ledger.status("views-all", "lab");
      expect(status?.charges).toBe(3);
      expect(Number(status?.spent.epsilon)).toBeCloseTo(1, 9);

      // The documents: one record set (and config) per view; Croissant valid.
      const croissant = JSON.parse(readFileSync(join(dir, "croissant.json"), "utf8"));
      expect(checkCroissant(croissant)).toEqual([]);
      expect((croissant.recordSet as { name: string }[]).map((r) => r.name)).toEqual([
        "splits",
        "learner_periods",
        "sequences",
        "statements",
        "cohort_statistics",
      ]);
      const card = readFileSync(join(dir, "README.md"), "utf8");
      const fm = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as {
        configs: { config_name: string; default?: boolean; data_files: unknown }[];
      };
      expect(fm.configs.map((x) => x.config_name)).toEqual([
        "learner_periods",
        "sequences",
        "statements",
        "cohort_statistics",
      ]);
      expect(fm.configs[0]?.default).toBe(true);
      expect(fm.configs[1]?.data_files).toContainEqual({
        split: "train",
        path: "data/sequences/train-*.parquet",
      });
      expect(fm.configs[3]?.data_files).toBe("data/cohort_statistics.parquet");
      const sheet = readFileSync(join(dir, "DATASHEET.md"), "utf8");
      for (const view of ["learner_periods", "sequences", "statements", "cohort_statistics"])
        expect(sheet).toContain(`### \`${view}\``);
      expect(sheet).toContain("before_cutoff");

      // The lineage lists the documents; verify checks them and the shards.
      const lineage = JSON.parse(readFileSync(join(dir, "lineage.json"), "utf8"));
      expect(lineage.documents.map((d: { path: string }) => d.path)).toEqual([
        "croissant.json",
        "README.md",
        "DATASHEET.md",
        "risk.json",
      ]);
      expect(await verifyVersion(dir)).toMatchObject({ ok: true, records: result.records });
      const sheetPath = join(dir, "DATASHEET.md");
      writeFileSync(sheetPath, `${sheet}\nEdited.\n`);
      expect(await verifyVersion(dir)).toMatchObject({
        ok: false,
        mismatch: { kind: "file-hash", path: "DATASHEET.md" },
      });
      writeFileSync(sheetPath, sheet);
      rmSync(join(dir, "README.md"));
      expect((await verifyVersion(dir)).message).toBe("README.md: missing");
      writeFileSync(join(dir, "README.md"), card);
      const shard = result.files.find((f) => f.path.startsWith("data/sequences/"))!.path;
      const bytes = readFileSync(join(dir, shard));
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] as number) ^ 0x01;
      writeFileSync(join(dir, shard), bytes);
      const broken = await verifyVersion(dir);
      expect(broken.mismatch).toMatchObject({ kind: "file-hash", path: shard });
      expect(broken.message).toContain(shard);
    });

    it("refuses a build beyond the privacy budget with the figures, writing nothing and charging nothing", async () => {
      await ledger.setBudget("views-all", "lab", { epsilon: 1.5, delta: 1e-6 }, "test");
      await build(join(out, "v1"));
      const dir = join(out, "v2");
      const error = await build(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CohortBudgetRefused);
      expect((error as Error).message).toMatch(
        /needs ε 1, δ 0 .*ε 0\.5 and δ 0\.000001 left of \(1\.5, 0\.000001\)/,
      );
      expect(existsSync(dir)).toBe(false);
      expect((await ledger.status("views-all", "lab"))?.charges).toBe(3);
      for (const l of Object.values(L)) expect((error as Error).message).not.toContain(l);
    });

    it("refuses cohort statistics without a budget, and names a column the rows do not have", async () => {
      const none = await build(join(out, "v0")).catch((e: unknown) => e);
      expect(none).toBeInstanceOf(CohortBudgetRefused);
      expect((none as Error).message).toContain("no privacy budget for dataset views-all");
      await ledger.setBudget("views-all", "lab", { epsilon: 1, delta: 1e-6 }, "test");
      const text = specText(w.agreementId, join(out, "v1")).replace("of: statements", "of: programme");
      const error = await buildDataset(services(), parseBuildSpec(text), {
        actor: "lab",
        at: w.clock.now,
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(
        /^views\.cohort_statistics\.statistics\[2\]\.of: no column programme in the learner-level rows \(learner, period, /,
      );
      expect((await ledger.status("views-all", "lab"))?.charges).toBe(0);
      expect(existsSync(join(out, "v1"))).toBe(false);
    });

    it("groups cohort statistics by a declared learner attribute; a version of aggregates only is one file, valid and verifiable", async () => {
      await ledger.setBudget("cohort-only", "lab", { epsilon: 1, delta: 1e-6 }, "test");
      const dir = join(out, "c1");
      const text = `
name: cohort-only
agreement: ${w.agreementId}
providers: [univ, mooc]
span: {from: 2027-01-01, to: 2027-03-01}
attributes: {programme: {extension: "${PROGRAMME}"}}
# Two licence learners and one master: the master learner is suppressed (k 2 reached).
risk: {min_k: 2, max_average_risk: 0.5, action: suppress, max_suppressed_fraction: 0.34}
views:
  cohort_statistics:
    budget: {epsilon: 1}
    max_contributions: 10
    keys: {programme: [licence, master]}
    statistics: [{statistic: count, by: [programme]}]
output: ${dir}
`;
      const result = await buildDataset(services(), parseBuildSpec(text), { actor: "lab", at: w.clock.now });
      expect(result.views).toEqual(["cohort_statistics"]);
      expect(result.files.map((f) => f.path)).toEqual(["data/cohort_statistics.parquet"]);
      // The risk check suppressed the one master learner before any statistic saw the rows.
      expect(result.risk).toMatchObject({ applied: "suppress", suppressed: 1, passed: true });
      expect(result.members).toHaveLength(2);
      const risk = JSON.parse(readFileSync(join(dir, "risk.json"), "utf8"));
      expect(risk).toMatchObject({ before: { k: 1 }, after: { k: 2 }, quasiIdentifiers: ["programme"] });
      const instance = await DuckDBInstance.create(":memory:");
      const c = await instance.connect();
      const cs = (
        await c.runAndReadAll(`SELECT "group", value FROM '${dir}/data/cohort_statistics.parquet'`)
      ).getRowObjectsJS();
      c.closeSync();
      instance.closeSync();
      expect(cs.map((r) => r.group)).toEqual(["programme=licence", "programme=master"]);
      for (const r of cs) expect(Number.isFinite(r.value)).toBe(true);
      const croissant = JSON.parse(readFileSync(join(dir, "croissant.json"), "utf8"));
      expect(checkCroissant(croissant)).toEqual([]);
      const fields = (croissant.recordSet as { name: string; field: { name: string }[] }[])[1]!.field;
      expect(fields.map((f) => f.name)).not.toContain("split");
      expect(await verifyVersion(dir)).toMatchObject({ ok: true, records: 2 });
    });

    it("keeps the Hub's default layout for a single view (statements, with the label and the cut-off marked)", async () => {
      const dir = join(out, "s1");
      const text = specText(w.agreementId, dir)
        .replace(/ {2}learner_periods[\s\S]*?(?=cutoff_day)/, "")
        .replace("name: views-all", "name: statements-only");
      const result = await buildDataset(services(), parseBuildSpec(text), { actor: "lab", at: w.clock.now });
      expect(result.views).toEqual(["statements"]);
      for (const f of result.files)
        expect(f.path).toMatch(/^data\/(train|validation|test)-\d{5}-of-\d{5}\.parquet$/);
      const croissant = JSON.parse(readFileSync(join(dir, "croissant.json"), "utf8"));
      expect(checkCroissant(croissant)).toEqual([]);
      const label = (
        croissant.recordSet as { field: { name: string; dataType: unknown }[] }[]
      )[1]!.field.find((f) => f.name === "dropout");
      expect(label?.dataType).toEqual(["sc:Integer", "cr:Label"]);
      expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("config_name: default");
      expect(await verifyVersion(dir)).toMatchObject({ ok: true });
    });

    it("leaves out a view without rows (skills nobody has), saying so, and stays valid", async () => {
      const dir = join(out, "k1");
      const text = specText(w.agreementId, dir)
        .replace("sequences: {unit: item}", "sequences: {unit: skill}")
        .replace(/ {2}statements: true\n/, "")
        .replace(/ {2}cohort_statistics:[\s\S]*?(?=cutoff_day)/, "")
        .replace("name: views-all", "name: no-skills");
      const result = await buildDataset(services(), parseBuildSpec(text), { actor: "lab", at: w.clock.now });
      expect(result.views).toEqual(["learner_periods", "sequences"]);
      expect(result.files.every((f) => f.path.startsWith("data/learner_periods/"))).toBe(true);
      const croissant = JSON.parse(readFileSync(join(dir, "croissant.json"), "utf8"));
      expect(checkCroissant(croissant)).toEqual([]);
      expect((croissant.recordSet as { name: string }[]).map((r) => r.name)).toEqual([
        "splits",
        "learner_periods",
      ]);
      expect(readFileSync(join(dir, "DATASHEET.md"), "utf8")).toContain(
        "The sequences view has no rows in this version",
      );
    });

    it("gives byte-identical files for the same inputs, seed and noise key, in every format", async () => {
      await ledger.setBudget("views-all", "lab", { epsilon: 2, delta: 1e-6 }, "test");
      const formats = "formats: [parquet, csv, jsonl]";
      const a = await build(join(out, "a"), formats);
      const b = await build(join(out, "b"), formats);
      expect(b.root).toBe(a.root);
      const fa = filesOf(join(out, "a"));
      const fb = filesOf(join(out, "b"));
      expect([...fb.keys()]).toEqual([...fa.keys()]);
      for (const ext of ["parquet", "csv", "jsonl"])
        for (const view of ["learner_periods", "sequences", "statements"])
          expect(
            [...fa.keys()].some((p) => p.startsWith(`data/${view}/`) && p.endsWith(`.${ext}`)),
            `${view} ${ext}`,
          ).toBe(true);
      expect(fa.has("data/cohort_statistics.csv")).toBe(true);
      for (const [path, bytes] of fa) expect(fb.get(path)?.equals(bytes), path).toBe(true);
    });
  });
}
