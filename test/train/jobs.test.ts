import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivacyLedger } from "../../src/privacy/dp/ledger.js";
import {
  GATE_NOT_WIRED,
  JobError,
  JobSpecError,
  parseJobSpec,
  type ReleaseGate,
  type TrainingJobs,
  WORKING_COPY,
  withholdAll,
} from "../../src/train/jobs/index.js";
import { backends } from "../helpers/databases.js";
import { downloadablePolicy } from "../pool/fixtures/versions/setup.js";
import { jobsOf, jobYaml } from "./fixtures/jobs/jobs.js";
import { type TrainWorld, trainWorld } from "./fixtures/jobs/setup.js";

const refused = (status: number, message: RegExp) => (err: unknown) => {
  expect(err).toBeInstanceOf(JobError);
  expect((err as JobError).message).toMatch(message);
  expect((err as JobError).status).toBe(status);
  return true;
};
const VERSION = "urn:uuid:00000000-0000-4000-8000-000000000001";

describe("training job spec", () => {
  it("applies the defaults and reads snake_case params into the model's", () => {
    const spec = parseJobSpec(
      `version: ${VERSION}\nlabel: dropout\nmodel: {kind: gbdt, params: {trees: 20, learning_rate: 0.2, early_stopping_rounds: 3, class_weights: balanced}}`,
    );
    expect(spec).toEqual({
      version: VERSION,
      view: "learner_periods",
      label: "dropout",
      features: {},
      periods: "sum",
      model: {
        kind: "gbdt",
        params: { trees: 20, learningRate: 0.2, earlyStoppingRounds: 3, classWeights: "balanced" },
      },
      groups: [],
      validation: "validation",
      seed: 0,
      earlyDetection: 8,
      coldStart: false,
      limits: { memoryMb: 1024, seconds: 3600 },
      release: {},
    });
    expect(parseJobSpec(`version: ${VERSION}\nlabel: dropout\nearly_detection: 0`).earlyDetection).toBe(0);
  });

  it("refuses unknown keys and reports every problem with its key path", () => {
    let error: JobSpecError | undefined;
    try {
      parseJobSpec(
        `version: v1\nlabel: dropout\nperiods: monthly\nmodel: {kind: gbdt, params: {trees: 0, depth: 3}}\nlimits: {memory_mb: 0, secs: 5}\nfeatures: {include: [a], exclude: [a]}\nrelease: {dp: {epsilon: 1}, max_advantage: 0.5, min_cohort: 2}\nearly_detection: 53\ncold_start: yes please\ncolour: blue`,
        { source: "job.yaml" },
      );
    } catch (err) {
      error = err as JobSpecError;
    }
    expect(error).toBeInstanceOf(JobSpecError);
    expect(error!.message).toMatch(/^job\.yaml: invalid training job spec/);
    expect(error!.issues.map((i) => i.path).sort()).toEqual(
      [
        "colour",
        "cold_start",
        "early_detection",
        "features",
        "limits.memory_mb",
        "limits.secs",
        "model.params.depth",
        "model.params.trees",
        "periods",
        "release.dp",
        "release.max_advantage",
        "release.min_cohort",
        "version",
      ].sort(),
    );
    expect(error!.issues.find((i) => i.path === "release.dp")!.message).toMatch(/logistic models only/);
    expect(error!.issues.find((i) => i.path === "colour")!.message).toMatch(/unknown key/);
  });

  it("requires the version and the label", () => {
    expect(() => parseJobSpec("view: learner_periods")).toThrow(
      /version: is required[\s\S]*label: is required/,
    );
    expect(() => parseJobSpec("- a list")).toThrow(/\(document\): must be a mapping/);
  });
});

/** A gate that lets every working file out: what only a model-release permit may then release. */
const releaseEverything: ReleaseGate = async (input) => ({
  released: input.result.artefacts.map((a) => a.name),
  withheld: [],
});

for (const backend of await backends()) {
  describe(`training jobs (${backend.name})`, () => {
    let t: TrainWorld;
    let version: string;
    let jobs: TrainingJobs;
    beforeAll(async () => {
      t = await trainWorld(await backend.open());
      version = (await t.buildTrainable()).id;
      jobs = jobsOf(t);
    }, 180_000);
    afterAll(async () => {
      await t?.close();
    });

    const audited = async (job: string) =>
      (await t.w.audit.list({ limit: 100_000 })).filter((e) => e.details.job === job).map((e) => e.action);

    it("admits a job, trains it on a worker, reports its metrics, and releases only what the gate and a permit let out", async () => {
      const job = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      expect(job).toMatchObject({ state: "queued", consumer: "lab", version, agreement: t.downloadable });
      const stages: string[] = [];
      const done = await jobs.run(job.id, "lab", (p) => stages.push(p.stage));
      expect(done.state, String(done.reason)).toBe("succeeded");
      // "early detection" reports once per cut-off: its fraction moves.
      expect(stages.filter((s, i) => s !== stages[i - 1])).toEqual([
        "reading",
        "table",
        "training",
        "evaluating",
        "early detection",
        "writing",
        "written",
      ]);
      expect(done.progress).toEqual({ stage: "done", fraction: 1 });
      const result = done.result!;
      expect(result.rows).toEqual({ train: 22, validation: 8, test: 13 });
      expect(result.metrics!.n).toBe(13);
      expect(result.metrics!.auc).toBeGreaterThan(0.6);
      expect(result.groups.map((g) => g.attribute)).toEqual(["gender"]);
      expect(result.features).toContain("statements");
      // The early-detection curve: a model per cut-off on the periods before it, the last the job's own.
      expect(result.early.length).toBeGreaterThanOrEqual(2);
      expect(result.earlyReason).toBeNull();
      const days = result.early.map((p) => p.day);
      expect(days).toEqual([...days].sort((a, b) => a - b));
      expect(result.early.at(-1)!.auc).toBe(result.metrics!.auc);
      for (const p of result.early) expect(p.n).toBe(13);
      expect(new Set(result.early.map((p) => p.auc)).size).toBeGreaterThan(1);

      // The working files stay; the gate's copies (the card at least) leave under a model-release permit.
      const work = done.artefacts.filter((a) => a.name.startsWith("work/"));
      expect(work.map((a) => a.name)).toEqual(
        expect.arrayContaining([
          "work/model.json",
          "work/model.onnx",
          "work/metrics.json",
          "work/roc.svg",
          "work/roc.png",
        ]),
      );
      expect(work.every((a) => !a.released && a.reason === WORKING_COPY)).toBe(true);
      const released = done.artefacts.filter((a) => a.released).map((a) => a.name);
      expect(released).toContain("README.md");
      expect(released).toContain("roc.png");
      expect(released).toContain("early-detection.svg");
      expect(done.release!.decision!.decision).toBe("Permit");
      const model = (done.release!.gate as { model: { released: boolean; reason: string } }).model;
      expect(released.includes("model.onnx")).toBe(model.released);
      if (!model.released) {
        const onnx = done.release!.withheld.find((w) => w.name === "model.onnx");
        expect(onnx!.reason).toContain(model.reason);
      }
      expect(done.release!.outcome).toBe("partial");
      for (const a of done.artefacts) {
        const bytes = readFileSync(join(done.dir!, a.path));
        expect(bytes.byteLength).toBe(a.bytes);
      }
      const card = readFileSync(join(done.dir!, "README.md"), "utf8");
      for (const learner of t.cohort) expect(card).not.toContain(learner);

      expect(done.events.map((e) => e.kind)).toEqual([
        "submitted",
        "admitted",
        "started",
        "progress",
        "progress",
        "progress",
        "progress",
        "progress",
        "progress",
        "progress",
        "succeeded",
        "released",
      ]);
      expect(await audited(job.id)).toEqual([
        "train.job.submitted",
        "train.job.started",
        "train.job.succeeded",
        "train.job.released",
      ]);
      const steps = (await t.w.audit.list({ limit: 100_000 }))
        .filter((e) => e.action === "contract.decision" && e.subject === t.downloadable)
        .map((e) => e.details.step);
      expect(steps).toEqual(expect.arrayContaining(["training-admission", "model-release"]));

      // The consumer fetches a released artefact; a withheld one is refused with its reason.
      const card2 = await jobs.artefact(job.id, "README.md", { consumer: "lab" });
      expect(card2.sha256).toMatch(/^[0-9a-f]{64}$/);
      await expect(jobs.artefact(job.id, "work/model.json", { consumer: "lab" })).rejects.toSatisfy(
        refused(403, /withheld: a working file/),
      );
    }, 120_000);

    it("withholds every artefact without a gate's release, and asks no release decision", async () => {
      const unwired = jobsOf(t, { gate: withholdAll });
      const job = await unwired.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      const done = await unwired.run(job.id, "lab");
      expect(done.state).toBe("succeeded");
      expect(done.artefacts.length).toBeGreaterThan(0);
      expect(done.artefacts.every((a) => !a.released && a.reason === GATE_NOT_WIRED)).toBe(true);
      expect(done.release).toMatchObject({ outcome: "withheld", decision: null });
      expect(done.events.at(-1)!.kind).toBe("withheld");
      expect(await audited(job.id)).toContain("train.job.withheld");
      await expect(unwired.artefact(job.id, "work/model.onnx", { consumer: "lab" })).rejects.toSatisfy(
        refused(403, /the release gate is not wired/),
      );
    }, 120_000);

    it("withholds what the gate would release when the agreement does not permit the model's release", async () => {
      // An agreement that permits training (derive) but not distribution.
      const deriveOnly = await t.agreeWithCohort({
        policy: {
          ...downloadablePolicy(),
          permission: [(downloadablePolicy().permission as unknown[])[0]],
        } as never,
      });
      const v = await t.buildTrainable({ agreement: deriveOnly, name: "derive-only" });
      const open = jobsOf(t, { gate: releaseEverything });
      const job = await open.submit(parseJobSpec(jobYaml(v.id)), { consumer: "lab", actor: "lab" });
      expect(job.state).toBe("queued");
      const done = await open.run(job.id, "lab");
      // No permission covers distribution: the engine answers NotApplicable, which is no permit.
      expect(done.release!.decision!.decision).toBe("NotApplicable");
      expect(done.artefacts.every((a) => !a.released && /^model release denied: /.test(a.reason!))).toBe(
        true,
      );
      expect(done.release!.outcome).toBe("withheld");
    }, 180_000);

    it("records a job refused at admission, with the reason: purpose not permitted, runs exhausted", async () => {
      const marketing = await jobs.submit(parseJobSpec(jobYaml(version, "purpose: dpv:Marketing")), {
        consumer: "lab",
        actor: "lab",
      });
      expect(marketing.state).toBe("refused");
      expect(marketing.reason).toMatch(/^training admission denied: /);
      const shown = await jobs.show(marketing.id);
      expect(shown.events.map((e) => e.kind)).toEqual(["submitted", "refused"]);
      expect(shown.finishedAt).not.toBeNull();
      expect(await audited(marketing.id)).toEqual(["train.job.refused"]);
      await expect(jobs.run(marketing.id)).rejects.toSatisfy(refused(409, /is refused, not queued/));

      // Two runs of derive: the build takes one, one job the other; the next is refused.
      const policy = downloadablePolicy();
      const [derive, distribute] = policy.permission as Record<string, unknown>[];
      const counted = await t.agreeWithCohort({
        policy: {
          ...policy,
          permission: [
            {
              ...derive,
              constraint: [
                ...(derive!.constraint as unknown[]),
                { leftOperand: "count", operator: "lteq", rightOperand: 2 },
              ],
            },
            distribute,
          ],
        } as never,
      });
      const v = await t.buildTrainable({ agreement: counted, name: "counted" });
      const first = await jobs.submit(parseJobSpec(jobYaml(v.id)), { consumer: "lab", actor: "lab" });
      expect(first.state).toBe("queued");
      const second = await jobs.submit(parseJobSpec(jobYaml(v.id)), { consumer: "lab", actor: "lab" });
      expect(second.state).toBe("refused");
      expect(second.reason).toMatch(/^training admission denied: .*count/);
    }, 180_000);

    it("stops a job at its time limit and at its memory limit: failed, with the reason", async () => {
      const slow = await jobs.submit(
        parseJobSpec(
          jobYaml(version, "").replace("limits: {memory_mb: 256, seconds: 60}", "limits: {seconds: 0.05}"),
        ),
        { consumer: "lab", actor: "lab" },
      );
      const timedOut = await jobs.run(slow.id, "lab");
      expect(timedOut.state).toBe("failed");
      expect(timedOut.reason).toMatch(/^time limit: the job ran past its 0.05 s/);
      expect(timedOut.artefacts).toEqual([]);
      expect(await audited(slow.id)).toEqual([
        "train.job.submitted",
        "train.job.started",
        "train.job.failed",
      ]);

      const big = await jobs.submit(
        parseJobSpec(
          jobYaml(version, "periods: wide").replace(
            "limits: {memory_mb: 256, seconds: 60}",
            "limits: {memory_mb: 4}",
          ),
        ),
        { consumer: "lab", actor: "lab" },
      );
      const oom = await jobs.run(big.id, "lab");
      expect(oom.state).toBe("failed");
      expect(oom.reason).toMatch(/^memory limit: the job needed more than its 4 MB heap/);
    }, 120_000);

    it("shows a running job's stage and fraction while it runs", async () => {
      const job = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      jobs.start(job.id, "lab");
      const seen: { state: string; stage: string | null; fraction: number }[] = [];
      for (;;) {
        const now = (await jobs.get(job.id))!;
        seen.push({ state: now.state, ...now.progress });
        if (now.state === "succeeded" || now.state === "failed") break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const running = seen.filter((s) => s.state === "running");
      expect(running.length).toBeGreaterThan(0);
      expect(running.some((s) => s.stage !== "starting" && s.fraction > 0 && s.fraction < 1)).toBe(true);
      expect(seen.at(-1)).toEqual({ state: "succeeded", stage: "done", fraction: 1 });

      // Jobs left queued (submitted without running them, here and by earlier tests) start in submission order.
      const a = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      const b = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      const started = await jobs.startQueued();
      await jobs.idle();
      expect(started.slice(-2)).toEqual([a.id, b.id]);
      expect(await jobs.list({ state: "queued" })).toEqual([]);
      const [ra, rb] = [(await jobs.get(a.id))!, (await jobs.get(b.id))!];
      expect([ra.state, rb.state]).toEqual(["succeeded", "succeeded"]);
      expect(ra.finishedAt! <= rb.startedAt!).toBe(true);
    }, 120_000);

    it("keeps another consumer from submitting on, listing or fetching a job", async () => {
      await expect(
        jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "univ", actor: "univ" }),
      ).rejects.toSatisfy(refused(404, /no dataset version/));
      const [latest] = await jobs.list({ consumer: "lab", state: "succeeded" });
      expect(latest).toBeDefined();
      expect(await jobs.list({ consumer: "univ" })).toEqual([]);
      await expect(jobs.artefact(latest!.id, "README.md", { consumer: "univ" })).rejects.toSatisfy(
        refused(404, /no training job/),
      );
      expect((await t.w.audit.list({ limit: 100_000 })).map((e) => e.action)).toContain(
        "train.job.submission-refused",
      );
    });

    it("keeps a job's history append-only and a finished job fixed; fails jobs left running past their limit", async () => {
      const done = await jobs.submit(parseJobSpec(jobYaml(version, "purpose: dpv:Marketing")), {
        consumer: "lab",
        actor: "lab",
      });
      await expect(
        t.db.run("UPDATE training_job_events SET actor = 'x' WHERE job_id = ?", [done.id]),
      ).rejects.toThrow(/append-only/);
      await expect(t.db.run("DELETE FROM training_job_events WHERE job_id = ?", [done.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(
        t.db.run("UPDATE training_jobs SET state = 'failed' WHERE id = ?", [done.id]),
      ).rejects.toThrow(/a finished training job is fixed/);
      // A job its process left running (as after a crash): failed once its time limit and grace have passed.
      const stuck = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      await t.db.run("UPDATE training_jobs SET state = 'running', started_at = ? WHERE id = ?", [
        t.w.clock.now.toISOString(),
        stuck.id,
      ]);
      const soon = new Date(t.w.clock.now.getTime() + 60_000);
      expect(await jobs.failInterrupted(soon)).toEqual([]);
      const late = new Date(t.w.clock.now.getTime() + 3 * 60_000);
      expect(await jobs.failInterrupted(late)).toEqual([stuck.id]);
      const shown = await jobs.show(stuck.id);
      expect(shown).toMatchObject({ state: "failed", finishedAt: late.toISOString() });
      expect(shown.reason).toMatch(/^interrupted: /);
    });

    it("trains gradient-boosted trees with early stopping on the validation split", async () => {
      const spec = parseJobSpec(
        jobYaml(version, "periods: last\ncold_start: true").replace(
          "model: {kind: logistic, params: {l2: 0.01}}",
          "model: {kind: gbdt, params: {trees: 200, max_depth: 2, early_stopping_rounds: 3}}",
        ),
      );
      const done = await jobs.run((await jobs.submit(spec, { consumer: "lab", actor: "lab" })).id);
      expect(done.state, String(done.reason)).toBe("succeeded");
      const fit = done.result!.model.fit as { grown: number; kept: number; stoppedEarly: boolean };
      expect(done.result!.model.kind).toBe("gbdt");
      expect(fit.stoppedEarly).toBe(true);
      expect(fit.grown).toBeLessThan(200);
      expect(fit.kept).toBeLessThanOrEqual(fit.grown);
      const model = JSON.parse(readFileSync(join(done.dir!, "work/model.json"), "utf8"));
      expect(model.trees).toHaveLength(fit.kept);
      // The cold-start study: the cohort's provider studied, the one with 3 learners skipped; the gate
      // lets out the row whose counts reach the minimum cohort, and its picture.
      const cold = done.result!.coldStart!;
      expect(cold.rows.map((r) => r.provider)).toEqual(["univ"]);
      // Every test learner counts for exactly one provider.
      expect(cold.rows[0]!.n_test + cold.skipped[0]!.n_test).toBe(done.result!.rows.test);
      expect(cold.skipped.map((k) => k.provider)).toEqual(["mooc"]);
      expect(cold.skipped[0]!.reason).toMatch(/fewer than 5/);
      expect(done.release!.gate).toMatchObject({ coldStart: { released: 1, withheld: 0 } });
      expect(done.artefacts.filter((a) => a.released).map((a) => a.name)).toContain("cold-start.svg");
    }, 120_000);

    it("trains a DP logistic model: its ε charged to the ledger before the gate, else the model stays", async () => {
      const ledger = new PrivacyLedger(t.db, t.w.audit);
      const dpJobs = jobsOf(t, { ledger });
      const dp = jobYaml(version, "release: {dp: {epsilon: 1, delta: 0.00001}}");
      const unfunded = await dpJobs.run(
        (await dpJobs.submit(parseJobSpec(dp), { consumer: "lab", actor: "lab" })).id,
      );
      expect(unfunded.state).toBe("succeeded");
      expect(unfunded.release!.gate.dp).toMatchObject({ epsilon: 1, charged: false });
      expect(unfunded.artefacts.find((a) => a.name === "model.onnx")).toBeUndefined();
      // Withheld: uncharged, unless the membership test (checked first, on a noisy model) already refused it.
      expect(unfunded.release!.withheld.find((w) => w.name === "model.onnx")!.reason).toMatch(
        /not charged|membership-inference advantage/,
      );
      expect(await ledger.charges("dropout-train", "lab")).toEqual([]);

      await ledger.setBudget("dropout-train", "lab", { epsilon: 3, delta: 0.001 }, "op");
      const funded = await dpJobs.run(
        (await dpJobs.submit(parseJobSpec(dp), { consumer: "lab", actor: "lab" })).id,
      );
      expect(funded.release!.gate.dp).toMatchObject({ epsilon: 1, charged: true });
      const charges = await ledger.charges("dropout-train", "lab");
      expect(charges).toHaveLength(1);
      expect(charges[0]!.statistic).toContain(funded.id);
    }, 120_000);

    it("a released model carries the agreement's next policy: its duty is fulfilled by the release", async () => {
      const NEXT = "urn:learnpool:policies:model-terms";
      const policy = downloadablePolicy();
      const [derive, distribute] = policy.permission as Record<string, unknown>[];
      const carried = await t.agreeWithCohort({
        policy: {
          ...policy,
          permission: [derive, { ...distribute, duty: [{ action: "nextPolicy", target: NEXT }] }],
        } as never,
      });
      const v = await t.buildTrainable({ agreement: carried, name: "carried" });
      const done = await jobs.run(
        (await jobs.submit(parseJobSpec(jobYaml(v.id)), { consumer: "lab", actor: "lab" })).id,
      );
      expect(done.release!.decision!.decision).toBe("Permit");
      expect(done.release!.nextPolicies).toEqual([{ policy: NEXT, fulfilled: true }]);
      const duties = await t.enforcement.nextPolicyFor(carried);
      expect(duties.map((d) => [d.policy, d.state])).toEqual([[NEXT, "fulfilled"]]);
      expect(readFileSync(join(done.dir!, "README.md"), "utf8")).toContain(NEXT);
    }, 180_000);

    it("the agreement's lp:maxAdvantage bounds the release: the gate reads it, the decision point checks the measured advantage", async () => {
      const bounded = (bound: number, operator = "lteq") => {
        const policy = downloadablePolicy();
        const [derive, distribute] = policy.permission as Record<string, unknown>[];
        const constraint = [
          ...((distribute!.constraint as unknown[] | undefined) ?? []),
          { leftOperand: "lp:releaseType", operator: "isAnyOf", rightOperand: [{ "@id": "lp:Model" }] },
          { leftOperand: "lp:maxAdvantage", operator, rightOperand: bound },
        ];
        return t.agreeWithCohort({
          policy: { ...policy, permission: [derive, { ...distribute, constraint }] } as never,
        });
      };
      const loose = await t.buildTrainable({ agreement: await bounded(0.5), name: "adv-loose" });
      const done = await jobs.run(
        (await jobs.submit(parseJobSpec(jobYaml(loose.id)), { consumer: "lab", actor: "lab" })).id,
      );
      const gate = done.release!.gate as {
        thresholds: { maxAdvantage: number };
        membership: { advantage: number };
      };
      expect(gate.thresholds.maxAdvantage).toBe(0.5); // the agreement, not the default, sets the bound
      expect(done.release!.decision!.decision).toBe("Permit");
      expect(done.artefacts.some((a) => a.released && a.name.endsWith("model.onnx"))).toBe(true);

      // Below 0, which no attack's advantage is: the gate holds the model to 0 (it withholds it unless
      // the attack gained nothing), and whatever it would let out the decision point denies, because
      // the measured advantage breaks the agreement's constraint.
      const strict = await t.buildTrainable({ agreement: await bounded(0, "lt"), name: "adv-strict" });
      const held = await jobs.run(
        (await jobs.submit(parseJobSpec(jobYaml(strict.id)), { consumer: "lab", actor: "lab" })).id,
      );
      const heldGate = held.release!.gate as typeof gate;
      expect(heldGate.thresholds.maxAdvantage).toBe(0);
      expect(heldGate.membership.advantage).toBeGreaterThanOrEqual(0);
      expect(held.release!.decision!.decision).not.toBe("Permit");
      expect(held.release!.decision!.reason).toMatch(/maxAdvantage/);
      expect(held.artefacts.every((a) => !a.released)).toBe(true);
      expect(held.release!.outcome).toBe("withheld");
    }, 240_000);

    it("records a withdrawal after training against the jobs whose version held the learner, never the pseudonym", async () => {
      const trained = await jobs.list({ version, state: "succeeded" });
      expect(trained.length).toBeGreaterThan(0);
      const [first, second] = t.cohort;
      t.w.clock.now = new Date(t.w.clock.now.getTime() + 60_000);
      await t.withdraw(first!);
      // By sweep: each trained job gets it once.
      const swept = await jobs.recordWithdrawals();
      expect(swept.map((s) => s.job).sort()).toEqual(trained.map((j) => j.id).sort());
      expect(await jobs.recordWithdrawals()).toEqual([]);
      // In the withdrawal's own transaction, once the listener is registered.
      t.w.consent.onChange(jobs.listener());
      t.w.clock.now = new Date(t.w.clock.now.getTime() + 60_000);
      await t.withdraw(second!);
      const shown = await jobs.show(trained[0]!.id);
      expect(shown.withdrawalsAfterTraining).toHaveLength(2);
      const events = shown.events.filter((e) => e.kind === "withdrawal-after-training");
      expect(events.map((e) => e.details.withdrawal)).toEqual(
        shown.withdrawalsAfterTraining.map((w) => w.withdrawal),
      );
      expect(await jobs.recordWithdrawals()).toEqual([]);
      const trail = JSON.stringify(
        (await t.w.audit.list({ limit: 100_000 })).filter((e) => e.action.startsWith("train.job")),
      );
      const history = JSON.stringify(shown);
      for (const learner of [first!, second!]) {
        expect(history).not.toContain(learner);
        expect(trail).not.toContain(learner);
      }
      // The version now holds learners who left: a new job on it is refused.
      const late = await jobs.submit(parseJobSpec(jobYaml(version)), { consumer: "lab", actor: "lab" });
      expect(late.state).toBe("refused");
      expect(late.reason).toMatch(/2 learner\(s\) of dataset version .* withdrew after its build/);
      expect(existsSync(shown.dir!)).toBe(true);
    }, 120_000);
  });
}
