import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATE_NOT_WIRED, parseJobSpec } from "../../src/train/jobs/index.js";
import { backends } from "../helpers/databases.js";
import { jobsOf, jobYaml } from "./fixtures/jobs/jobs.js";
import { type TrainWorld, trainWorld } from "./fixtures/jobs/setup.js";

for (const backend of await backends()) {
  describe(`training jobs (${backend.name})`, () => {
    let t: TrainWorld;
    let version: string;
    beforeAll(async () => {
      t = await trainWorld(await backend.open());
      version = (await t.buildTrainable()).id;
    }, 120_000);
    afterAll(async () => {
      await t?.close();
    });

    it("admits a job, trains it on a worker and reports its metrics; without a gate nothing leaves", async () => {
      const jobs = jobsOf(t);
      const job = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      expect(job.state).toBe("queued");
      const stages: string[] = [];
      const done = await jobs.run(job.id, "lab", (p) => stages.push(p.stage));
      expect(done.state, String(done.reason)).toBe("succeeded");
      console.log(JSON.stringify(done, null, 1).slice(0, 4000));
      expect(stages).toEqual(expect.arrayContaining(["reading", "training", "evaluating", "writing"]));
      expect(done.result!.metrics!.auc).toBeGreaterThan(0.5);
      expect(done.artefacts.every((a) => !a.released && a.reason === GATE_NOT_WIRED)).toBe(true);
    }, 120_000);
  });
}
