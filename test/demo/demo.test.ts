// `learnpool demo --no-serve`, end to end on a temp folder (SQLite): what it made is checked in the
// database and on disk against the generated data and the plan — the agreement signed by every party,
// consent as the learners chose, every provider's statements, linkage against the ground truth, a
// version that `dataset verify` accepts, a released model with its AUC, withdrawals recorded — and
// the folder's rules (reuse a finished demonstration, start afresh otherwise, never delete foreign files).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { datasetCommands } from "../../src/cli/dataset.js";
import { program } from "../../src/cli/main.js";
import { ConsentRegistry } from "../../src/consent/index.js";
import { AgreementRegistry } from "../../src/contract/index.js";
import {
  clearFolder,
  consentPlan,
  type DemoResult,
  type DemoSecrets,
  type DemoSummary,
  generateDataSpace,
  judgeFolder,
  runDemo,
  signIns,
} from "../../src/demo/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { runCommands } from "../helpers/cli.js";
import { TS_LOADER } from "../train/fixtures/jobs/jobs.js";

const LEARNERS = 100;
const SEED = 11;

describe("learnpool demo --no-serve (SQLite)", () => {
  const root = mkdtempSync(join(tmpdir(), "learnpool-demo-e2e-"));
  const dir = join(root, "data");
  let run: { code: number; stdout: string; stderr: string };
  let summary: DemoSummary;
  let db: Database;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.one<{ n: number | string }>(sql, params as never))?.n ?? 0);

  beforeAll(async () => {
    process.env.LEARNPOOL_WORKER_LOADER = TS_LOADER;
    const started = performance.now();
    run = await runCommands(program().commands, [
      "demo",
      "--dir",
      dir,
      "--learners",
      String(LEARNERS),
      "--seed",
      String(SEED),
      "--no-serve",
      "--no-progress",
    ]);
    console.log(`demo of ${LEARNERS} learners: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(run.code, run.stderr).toBe(0);
    summary = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8")).summary as DemoSummary;
    db = await openDatabase(join(dir, "learnpool.db"));
  }, 180_000);
  afterAll(async () => {
    delete process.env.LEARNPOOL_WORKER_LOADER;
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("prints the figures and leaves a finished demonstration in its folder", async () => {
    expect(run.stdout).toContain(`Demonstration data space: ${LEARNERS} learners (seed ${SEED})`);
    expect(run.stdout).toMatch(/Merkle root [0-9a-f]{64}\s+lineage verified/);
    expect(run.stdout).toMatch(/test AUC (0\.\d{3}|1\.000)/);
    expect(run.stderr).toContain("▸ Building the dataset");
    const marker = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8"));
    expect(marker).toMatchObject({ state: "complete", learners: LEARNERS, seed: SEED });
    expect(judgeFolder(dir, { learners: LEARNERS, seed: SEED, db: join(dir, "learnpool.db") }).action).toBe(
      "reuse",
    );
  });

  it("registers the participants and has the agreement proposed from the six offers, signed by all eight parties, in force", async () => {
    const audit = new AuditLog(db);
    const agreements = new AgreementRegistry(db, audit);
    const participants = await agreements.participants.list();
    expect(participants.map((p) => `${p.id}:${p.role}`).sort()).toEqual(
      [
        "operator:operator",
        "school:provider",
        "reading:provider",
        "mooc:provider",
        "university:provider",
        "training:provider",
        "employment:provider",
        "lab:consumer",
      ].sort(),
    );
    const agreement = (await agreements.get(summary.agreement.id))!;
    expect(agreement.parties).toHaveLength(8);
    expect(agreement.document.offers).toHaveLength(6);
    expect(agreement.linkageDomain).toBe("demo-dropout");
    const status = await agreements.status(agreement.id);
    expect(status).toMatchObject({ state: "final", valid: true });
    const verified = await agreements.verify(agreement.id);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
    expect(await count("SELECT COUNT(*) AS n FROM catalog_entries")).toBe(6);
    expect((await audit.verify()).ok).toBe(true);
  });

  it("records consent exactly as the learners chose: given, refused, withdrawn later, minors with their guardians", async () => {
    const plan = consentPlan(generateDataSpace({ learners: LEARNERS, seed: SEED }), SEED);
    const chose = (c: string) => plan.filter((e) => e.choice === c).length;
    const state = (s: string) => count("SELECT COUNT(*) AS n FROM consent_current WHERE state = ?", [s]);
    expect(await state("given")).toBe(chose("give"));
    expect(await state("refused")).toBe(chose("refuse"));
    expect(await state("withdrawn")).toBe(chose("withdraw"));
    expect(chose("refuse")).toBeGreaterThan(0);
    expect(chose("withdraw")).toBeGreaterThan(0);
    expect(summary.consent).toMatchObject({
      asked: plan.length,
      given: chose("give"),
      refused: chose("refuse"),
      withdrawn: chose("withdraw"),
      withdrawalsRecorded: chose("withdraw"),
    });
    // Young minors: the guardian's give completed the learner's own.
    const guardians = await count(
      "SELECT COUNT(*) AS n FROM consent_events WHERE by_role = 'guardian' AND event = 'give'",
    );
    expect(guardians).toBe(summary.consent.jointWithGuardian);
    expect(guardians).toBeGreaterThan(0);
    // Withdrawals are recorded for the consumer, and the withdrawn are in no version.
    expect(await count("SELECT COUNT(*) AS n FROM consent_withdrawals WHERE kind = 'withdrawn'")).toBe(
      chose("withdraw"),
    );
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM dataset_version_members m JOIN consent_current c ON c.learner = m.learner WHERE c.state <> 'given'",
      ),
    ).toBe(0);
  });

  it("stores every provider's converted statements in its own store, none rejected", async () => {
    const space = generateDataSpace({ learners: LEARNERS, seed: SEED });
    expect(summary.providers.map((p) => p.provider)).toEqual(space.providers.map((p) => p.provider));
    for (const p of summary.providers) {
      const generated = space.providers.find((g) => g.provider === p.provider)!;
      expect(p.records, p.provider).toBe(generated.records);
      expect(p.rejected, p.provider).toBe(0);
      expect(p.statements, p.provider).toBeGreaterThanOrEqual(p.records);
      expect(
        await count("SELECT COUNT(*) AS n FROM statements WHERE store_id = ?", [p.provider]),
        p.provider,
      ).toBe(p.statements);
      expect(p.kept, p.provider).toBeGreaterThan(0);
      expect(p.kept, p.provider).toBeLessThanOrEqual(p.statements);
    }
  });

  it("links learners across providers by their OPRF pseudonyms exactly as the ground truth does", () => {
    const { linked, expected, agreeing, byPair } = summary.linkage;
    expect(linked).toBeGreaterThan(10);
    expect(linked).toBe(expected);
    expect(agreeing).toBe(linked);
    // The declared overlaps: school and reading app (INE), MOOC and training centre (e-mail).
    expect(byPair["reading+school"]).toBeGreaterThan(0);
    expect(Object.keys(byPair).some((pair) => pair.includes("mooc") && pair.includes("training"))).toBe(true);
  });

  it("records a dataset version that `dataset verify` accepts, with its risk report", async () => {
    const verified = await runCommands(datasetCommands(), ["dataset", "verify", summary.dataset.dir]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, records: summary.dataset.records });
    const row = await db.one<{ merkle_root: string; state: string; learners: number | string }>(
      "SELECT merkle_root, state, learners FROM dataset_versions WHERE id = ?",
      [summary.dataset.id],
    );
    expect(row).toMatchObject({ merkle_root: summary.dataset.merkleRoot, state: "current" });
    expect(Number(row!.learners)).toBe(summary.dataset.learners);
    const risk = JSON.parse(readFileSync(join(summary.dataset.dir, "risk.json"), "utf8"));
    expect(risk.passed).toBe(true);
    expect(risk.after.k).toBe(summary.risk.after.k);
    // Measured on the age band and region the school, training centre and employment service declare.
    expect(risk.quasiIdentifiers).toEqual(["age_band", "region"]);
    expect(risk.after.k).toBeGreaterThanOrEqual(5);
    expect(risk.after.averageRisk).toBeLessThanOrEqual(0.1);
    expect(risk.before.averageRisk).toBeGreaterThan(risk.after.averageRisk);
    expect(summary.dataset.labelled).toBeGreaterThan(0);
  });

  it("trains the lab's model through admission and the release gate: succeeded, an AUC, the card released", async () => {
    const job = await db.one<{ state: string; result: string | null }>(
      "SELECT state, result FROM training_jobs WHERE id = ?",
      [summary.training.job],
    );
    expect(job?.state).toBe("succeeded");
    expect(summary.training.auc).toBeGreaterThan(0.5);
    expect(summary.training.auc).toBeLessThanOrEqual(1);
    expect(["released", "partial"]).toContain(summary.training.release);
    expect(summary.training.released).toContain("README.md");
    expect(summary.training.released).toContain("metrics.json");
    const steps = (await new AuditLog(db).list({ limit: 100_000 }))
      .filter((e) => e.action === "contract.decision")
      .map((e) => e.details.step);
    expect(steps).toEqual(expect.arrayContaining(["dataset-build", "training-admission", "model-release"]));
    expect(summary.coldStart.rows.length + summary.coldStart.skipped.length).toBeGreaterThan(0);
  });

  it("keeps secrets to its owner: keys and sign-ins mode 0600, none in the summary; portal links the registry accepts", async () => {
    const secrets = JSON.parse(readFileSync(join(dir, "demo-secrets.json"), "utf8")) as DemoSecrets;
    for (const file of ["demo-secrets.json", "master.key", "keys/lab.jwk", "keys/school.jwk"])
      expect(statSync(join(dir, file)).mode & 0o077, file).toBe(0);
    const shown = readFileSync(join(dir, "demo.json"), "utf8") + run.stdout;
    for (const c of Object.values(secrets.credentials)) expect(shown).not.toContain(c.secret);
    expect(shown).not.toMatch(/@[a-z-]+\.example/); // no learner's e-mail address
    const result = { ...(await reused()), secrets } as DemoResult;
    const entries = await signIns(result, "http://127.0.0.1:8080/console/");
    expect(entries.map((e) => e.role)).toEqual(
      expect.arrayContaining(["operator", "provider", "consumer", "learner", "guardian"]),
    );
    const registry = new ConsentRegistry(db, new AuditLog(db), new AgreementRegistry(db, new AuditLog(db)));
    for (const e of entries.filter((s) => s.role === "learner" || s.role === "guardian")) {
      const link = new URL(e.enter).searchParams.get("portal")!;
      const verified = await registry.verifyLink(link);
      expect(verified.role).toBe(e.role);
      expect(verified.agreement).toBe(summary.agreement.id);
    }
  });

  /** A second run with the same options reuses the folder at once. */
  const reused = () =>
    runDemo({ dir, learners: LEARNERS, seed: SEED, reporter: { step: () => undefined } }).then((r) => {
      expect(r.reused).toBe(true);
      expect(r.summary.dataset.merkleRoot).toBe(summary.dataset.merkleRoot);
      return r;
    });

  it("reuses a finished demonstration with the same options, in well under a second", async () => {
    const started = performance.now();
    await reused();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("the demonstration's folder", () => {
  const root = mkdtempSync(join(tmpdir(), "learnpool-demo-folder-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const options = { learners: 50, seed: 1, db: "x.db" };

  it("starts afresh where a run was stopped or other options were used, and moves foreign files aside", async () => {
    const stopped = join(root, "stopped");
    mkdirSync(stopped);
    writeFileSync(
      join(stopped, "demo.json"),
      JSON.stringify({ format: "learnpool-demo/1", state: "building", ...options }),
    );
    expect(judgeFolder(stopped, options)).toMatchObject({
      action: "rebuild",
      reason: /stopped before it finished/,
    });

    const other = join(root, "other");
    mkdirSync(other);
    writeFileSync(
      join(other, "demo.json"),
      JSON.stringify({
        format: "learnpool-demo/1",
        state: "complete",
        summary: {},
        ...options,
        learners: 60,
      }),
    );
    expect(judgeFolder(other, options)).toMatchObject({
      action: "rebuild",
      reason: /other options \(learners 60\)/,
    });

    expect(judgeFolder(join(root, "absent"), options)).toEqual({ action: "create" });

    // A folder that is not a demonstration's (an earlier `npm start`'s database) is never deleted.
    const foreign = join(root, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "learnpool.db"), "not ours");
    expect(judgeFolder(foreign, options).action).toBe("move-aside");
    // Bad input is refused before the folder is touched.
    await expect(runDemo({ dir: foreign, learners: 10, seed: 1 })).rejects.toThrow(
      /--learners must be an integer from 20/,
    );
    expect(readFileSync(join(foreign, "learnpool.db"), "utf8")).toBe("not ours");
    const aside = clearFolder(foreign, judgeFolder(foreign, options), new Date("2026-11-27T12:00:00Z"));
    expect(aside).toBe(`${foreign}.before-demo-20261127T120000`);
    expect(readFileSync(join(aside!, "learnpool.db"), "utf8")).toBe("not ours");
    expect(readdirSync(foreign)).toEqual([]);
    // A stopped run's folder is emptied (it was the demonstration's own).
    clearFolder(stopped, judgeFolder(stopped, options), new Date());
    expect(readdirSync(stopped)).toEqual([]);
  });
});
