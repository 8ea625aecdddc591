// `learnpool demo --no-serve --db postgres://…`: the same data space on PostgreSQL (a fresh schema of
// the test server), smaller, checked on what differs by database: the agreement in force, consent as
// planned, statements per store, linkage against the truth, a verified version, a trained job; and a
// database that already holds a data space is refused, by name, before anything is written to it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { datasetCommands } from "../../src/cli/dataset.js";
import { program } from "../../src/cli/main.js";
import { AgreementRegistry } from "../../src/contract/index.js";
import { consentPlan, type DemoSummary, generateDataSpace, runDemo } from "../../src/demo/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { runCommands } from "../helpers/cli.js";
import { freshPostgresUrl, postgresAvailable } from "../helpers/databases.js";
import { TS_LOADER } from "../train/fixtures/jobs/jobs.js";

const LEARNERS = 40;
const SEED = 3;

describe.skipIf(!(await postgresAvailable()))("learnpool demo --no-serve (PostgreSQL)", () => {
  const root = mkdtempSync(join(tmpdir(), "learnpool-demo-pg-"));
  let url: string;
  let run: { code: number; stdout: string; stderr: string };
  let summary: DemoSummary;
  let db: Database;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.one<{ n: number | string }>(sql, params as never))?.n ?? 0);

  beforeAll(async () => {
    process.env.LEARNPOOL_WORKER_LOADER = TS_LOADER;
    url = await freshPostgresUrl();
    run = await runCommands(program().commands, [
      "demo",
      ...["--dir", join(root, "data"), "--db", url, "--learners", String(LEARNERS), "--seed", String(SEED)],
      "--no-serve",
      "--no-progress",
    ]);
    expect(run.code, run.stderr).toBe(0);
    summary = JSON.parse(readFileSync(join(root, "data", "demo.json"), "utf8")).summary as DemoSummary;
    db = await openDatabase(url);
  }, 180_000);
  afterAll(async () => {
    delete process.env.LEARNPOOL_WORKER_LOADER;
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("makes the same data space there: agreement in force, consent as planned, statements per store, linkage as the truth", async () => {
    const agreements = new AgreementRegistry(db, new AuditLog(db));
    expect(await agreements.status(summary.agreement.id)).toMatchObject({ state: "final", valid: true });
    expect((await agreements.verify(summary.agreement.id)).ok).toBe(true);
    const plan = consentPlan(generateDataSpace({ learners: LEARNERS, seed: SEED }), SEED);
    for (const [state, choice] of [
      ["given", "give"],
      ["refused", "refuse"],
      ["withdrawn", "withdraw"],
    ] as const)
      expect(await count("SELECT COUNT(*) AS n FROM consent_current WHERE state = ?", [state]), state).toBe(
        plan.filter((e) => e.choice === choice).length,
      );
    for (const p of summary.providers)
      expect(await count("SELECT COUNT(*) AS n FROM statements WHERE store_id = ?", [p.provider])).toBe(
        p.statements,
      );
    expect(summary.linkage.linked).toBeGreaterThan(0);
    expect(summary.linkage.linked).toBe(summary.linkage.expected);
    expect(summary.linkage.agreeing).toBe(summary.linkage.linked);
    expect((await new AuditLog(db).verify()).ok).toBe(true);
  });

  it("records a version `dataset verify` accepts and a succeeded training job", async () => {
    const verified = await runCommands(datasetCommands(), ["dataset", "verify", summary.dataset.dir]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(
      await count("SELECT COUNT(*) AS n FROM dataset_versions WHERE merkle_root = ?", [
        summary.dataset.merkleRoot,
      ]),
    ).toBe(1);
    expect(summary.training.state).toBe("succeeded");
    expect(summary.training.auc).toBeGreaterThan(0);
    // The printed hint serves the same data space again: its --db, without a password.
    expect(run.stdout).toContain(`--learners ${LEARNERS} --seed ${SEED} --db postgres://`);
  });

  it("refuses a database that already holds a data space, naming it, and leaves it as it was", async () => {
    const before = await count("SELECT COUNT(*) AS n FROM stores");
    await expect(runDemo({ dir: join(root, "again"), db: url, learners: 20, seed: 1 })).rejects.toThrow(
      /the database given by --db already holds a data space: the demonstration needs an empty one/,
    );
    expect(await count("SELECT COUNT(*) AS n FROM stores")).toBe(before);
  });
});
