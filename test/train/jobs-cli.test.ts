import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainCommands } from "../../src/cli/train.js";
import { openDatabase } from "../../src/store/index.js";
import { runCommands } from "../helpers/cli.js";
import { backends } from "../helpers/databases.js";
import { jobYaml, TS_LOADER } from "./fixtures/jobs/jobs.js";
import { type TrainWorld, trainWorld } from "./fixtures/jobs/setup.js";

/** Runs `learnpool train …` in process; returns stdout, stderr and the exit code set. */
const runTrain = (args: string[]) => runCommands(trainCommands(), ["train", ...args]);

for (const backend of await backends()) {
  describe(`learnpool train (${backend.name})`, () => {
    let t: TrainWorld;
    let location: string;
    let version: string;
    const dir = mkdtempSync(join(tmpdir(), "learnpool-train-cli-"));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const common = () => ["--db", location, "--jobs-dir", join(dir, "jobs")];
    beforeAll(async () => {
      process.env.LEARNPOOL_WORKER_LOADER = TS_LOADER;
      location = await backend.location();
      t = await trainWorld(await openDatabase(location));
      version = (await t.buildTrainable()).id;
    }, 180_000);
    afterAll(async () => {
      delete process.env.LEARNPOOL_WORKER_LOADER;
      await t?.close();
    });

    it("submits a job, runs it with --wait showing progress, then lists and shows it", async () => {
      const spec = file("job.yaml", jobYaml(version));
      const ran = await runTrain([spec, "--wait", ...common()]);
      expect(ran.code, ran.stderr).toBe(0);
      const job = JSON.parse(ran.stdout);
      expect(job.state).toBe("succeeded");
      expect(job.consumer).toBe("lab");
      expect(ran.stderr).toContain(`${job.id}: training (25 %)`);
      expect(ran.stderr).toMatch(/: partial \(.*README\.md/);
      for (const learner of t.cohort) expect(ran.stdout + ran.stderr).not.toContain(learner);

      const listed = await runTrain(["list", "--state", "succeeded", "--db", location]);
      expect(JSON.parse(listed.stdout).map((j: { id: string }) => j.id)).toContain(job.id);
      const shown = await runTrain(["show", job.id, "--db", location]);
      expect(JSON.parse(shown.stdout).result.rows.test).toBe(13);
    }, 120_000);

    it("queues without --wait and runs with `train run`; a refusal or a bad spec exits 1 with the reason", async () => {
      const queued = await runTrain([file("queued.yaml", jobYaml(version)), ...common()]);
      expect(queued.code).toBe(0);
      const { id, state } = JSON.parse(queued.stdout);
      expect(state).toBe("queued");
      expect(queued.stderr).toContain(`learnpool train run ${id}`);
      const ran = await runTrain(["run", id, ...common()]);
      expect(JSON.parse(ran.stdout).state).toBe("succeeded");
      const again = await runTrain(["run", id, ...common()]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/is succeeded, not queued/);

      const denied = await runTrain([
        file("denied.yaml", jobYaml(version, "purpose: dpv:Marketing")),
        ...common(),
      ]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/refused: training admission denied: /);
      const bad = await runTrain([
        file("bad.yaml", "version: x\nlabel: dropout\nmodel: {kind: svm}"),
        ...common(),
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/bad\.yaml: invalid training job spec \(2 problems\)/);
    }, 120_000);

    it("a job over its time limit fails and exits 1", async () => {
      const slow = jobYaml(version).replace(
        "limits: {memory_mb: 256, seconds: 60}",
        "limits: {seconds: 0.01}",
      );
      const ran = await runTrain([file("slow.yaml", slow), "--wait", ...common()]);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/failed: time limit/);
    }, 60_000);
  });
}
