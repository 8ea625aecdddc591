import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerTrainRoutes, trainServices } from "../../src/server/train.js";
import { parseJobSpec } from "../../src/train/jobs/index.js";
import { backends } from "../helpers/databases.js";
import { participantAuth } from "../helpers/server.js";
import { TS_LOADER } from "../train/fixtures/jobs/jobs.js";
import { type TrainWorld, trainWorld } from "../train/fixtures/jobs/setup.js";

const job = (version: string, extra = "") => `version: ${version}
label: dropout
groups: [gender]
limits: {memory_mb: 256, seconds: 60}
${extra}`;

for (const backend of await backends()) {
  describe(`/train routes (${backend.name})`, () => {
    let t: TrainWorld;
    let app: FastifyInstance;
    let version: string;
    const as: Record<string, string> = {};
    const services = () =>
      trainServices(
        t.lrs,
        { agreements: t.w.agreements, enforcement: t.enforcement },
        t.versions,
        { notifier: t.notifier },
        {
          jobsDir: mkdtempSync(join(tmpdir(), "learnpool-train-http-")),
          now: () => t.w.clock.now,
          worker: { loader: TS_LOADER },
        },
      );

    beforeAll(async () => {
      t = await trainWorld(await backend.open());
      version = (await t.buildTrainable()).id;
      app = Fastify();
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      registerTrainRoutes(app, t.lrs, services());
      Object.assign(as, await participantAuth(t.lrs, ["op", "lab", "univ", "other"]));
    }, 180_000);
    afterAll(async () => {
      await app?.close();
      await t?.close();
    });

    const call = (method: "GET" | "POST", url: string, who?: string, payload?: string) =>
      app.inject({
        method,
        url,
        headers: who ? { authorization: as[who] as string } : {},
        ...(payload !== undefined ? { payload } : {}),
      });
    const path = (id: string, rest = "") => `/train/jobs/${encodeURIComponent(id)}${rest}`;

    /** Polls the job as its consumer until it has finished. */
    const finished = async (id: string) => {
      for (;;) {
        const res = await call("GET", path(id), "lab");
        const body = res.json();
        if (body.state === "succeeded" || body.state === "failed") return body;
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    it("every route authenticates", async () => {
      for (const [method, url] of [
        ["POST", "/train/jobs"],
        ["GET", "/train/jobs"],
        ["GET", path("urn:uuid:x")],
        ["GET", path("urn:uuid:x", "/artifacts/README.md")],
      ] as const) {
        const res = await call(method, url);
        expect(res.statusCode, url).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Basic/);
      }
    });

    it("a consumer submits a job, follows it, and fetches only released artefacts; others see less or nothing", async () => {
      const submitted = await call("POST", "/train/jobs", "lab", job(version));
      expect(submitted.statusCode, submitted.body).toBe(202);
      const { id } = submitted.json().job;
      expect(submitted.headers.location).toBe(path(id));
      const done = await finished(id);
      expect(done.state, done.reason).toBe("succeeded");
      expect(done.result).toBeUndefined();
      expect(done.dir).toBeUndefined();
      expect(done.release.decision.decision).toBe("Permit");
      const card = done.artefacts.find((a: { name: string }) => a.name === "README.md");
      expect(card.released).toBe(true);

      const fetched = await call("GET", path(id, "/artifacts/README.md"), "lab");
      expect(fetched.statusCode).toBe(200);
      expect(fetched.headers["x-content-sha256"]).toBe(card.sha256);
      expect(createHash("sha256").update(fetched.rawPayload).digest("hex")).toBe(card.sha256);
      const withheld = await call(
        "GET",
        path(id, `/artifacts/${encodeURIComponent("work/model.json")}`),
        "lab",
      );
      expect(withheld.statusCode).toBe(403);
      expect(withheld.json().error.message).toMatch(/withheld/);

      // A provider party to the agreement sees the job, not its artefacts; it cannot fetch one.
      const provider = (await call("GET", path(id), "univ")).json();
      expect(provider.state).toBe("succeeded");
      expect(provider.artefacts).toBeUndefined();
      expect((await call("GET", path(id, "/artifacts/README.md"), "univ")).statusCode).toBe(404);
      // A participant outside the agreement sees nothing.
      expect((await call("GET", path(id), "other")).statusCode).toBe(404);
      expect((await call("GET", path(id, "/artifacts/README.md"), "other")).statusCode).toBe(404);
      expect((await call("GET", "/train/jobs", "other")).json().jobs).toEqual([]);
      // The operator sees the raw evaluation, and the folder.
      const operator = (await call("GET", path(id), "op")).json();
      expect(operator.result.metrics.n).toBe(13);
      expect(typeof operator.dir).toBe("string");
      expect(
        (await call("GET", "/train/jobs", "lab")).json().jobs.map((j: { id: string }) => j.id),
      ).toContain(id);
      const served = (await t.w.audit.list({ limit: 100_000 })).filter(
        (e) => e.action === "train.job.artefact-served",
      );
      expect(served.map((e) => e.details.name)).toEqual(["README.md"]);
    }, 120_000);

    it("refuses bad specs with every problem, jobs from non-consumers, and answers a denied admission with the refused job", async () => {
      const bad = await call("POST", "/train/jobs", "lab", "version: nope\nmodel: {kind: forest}\nextra: 1");
      expect(bad.statusCode).toBe(400);
      const message = bad.json().error.message;
      for (const key of ["version", "label", "model.kind", "extra"]) expect(message).toContain(`  ${key}: `);
      expect((await call("POST", "/train/jobs", "univ", job(version))).statusCode).toBe(403);
      expect((await call("POST", "/train/jobs", "labReadOnly", job(version))).statusCode).toBe(403);
      const denied = await call("POST", "/train/jobs", "lab", job(version, "purpose: dpv:Marketing"));
      expect(denied.statusCode).toBe(403);
      expect(denied.json().job.state).toBe("refused");
      expect(denied.json().error.message).toMatch(/^training admission denied: /);
      const unknown = await call(
        "POST",
        "/train/jobs",
        "lab",
        job("urn:uuid:00000000-0000-4000-8000-00000000000f"),
      );
      expect(unknown.statusCode).toBe(404);
    });

    it("when ready, a resuming server starts the jobs left queued", async () => {
      const resuming = { ...services(), resume: true };
      const queued = await resuming.jobs.submit(parseJobSpec(job(version)), {
        consumer: "lab",
        actor: "lab",
      });
      const other = Fastify();
      registerTrainRoutes(other, t.lrs, resuming);
      await other.ready();
      await resuming.jobs.idle();
      expect((await resuming.jobs.get(queued.id))!.state).toBe("succeeded");
      await other.close();
    }, 120_000);
  });
}
