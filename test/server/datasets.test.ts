import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  datasetServices,
  datasetServicesFromEnvironment,
  registerDatasetRoutes,
} from "../../src/server/datasets.js";
import { backends } from "../helpers/databases.js";
import { participantAuth } from "../helpers/server.js";
import { later, specText, type VersionsWorld, versionsWorld } from "../pool/fixtures/versions/setup.js";

const DAY = 86_400_000;

for (const backend of await backends()) {
  describe(`/datasets routes (${backend.name})`, () => {
    let v: VersionsWorld;
    let app: FastifyInstance;
    const as: Record<string, string> = {};

    beforeEach(async () => {
      v = await versionsWorld(await backend.open());
      app = Fastify();
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      const services = datasetServices(
        v.lrs,
        { agreements: v.w.agreements, enforcement: v.enforcement },
        { notifier: v.notifier, registry: v.w.consent },
        { now: () => v.w.clock.now, datasetsDir: join(v.out, "served") },
      );
      registerDatasetRoutes(app, v.lrs, services);
      Object.assign(as, await participantAuth(v.lrs, ["op", "lab", "univ", "other"]));
    });
    afterEach(async () => {
      await app.close();
      await v.close();
    });

    const call = (method: "GET" | "POST", url: string, who?: string, payload?: string) =>
      app.inject({
        method,
        url,
        headers: who ? { authorization: as[who] as string } : {},
        ...(payload !== undefined ? { payload } : {}),
      });
    const path = (id: string, rest = "") => `/datasets/versions/${encodeURIComponent(id)}${rest}`;

    it("every route authenticates, and each party sees only the versions it may", async () => {
      const version = await v.build();
      const derived = await v.build({ name: "derive-only", agreement: v.w.agreementId });
      for (const [method, url] of [
        ["GET", "/datasets/versions"],
        ["GET", path(version.id)],
        ["POST", path(version.id, "/download")],
        ["GET", path(version.id, "/files/lineage.json")],
        ["POST", "/datasets/sweep"],
        ["GET", "/datasets/notifications"],
      ] as const) {
        const res = await call(method, url);
        expect(res.statusCode, url).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Basic/);
      }
      const ids = async (who: string) =>
        ((await call("GET", "/datasets/versions", who)).json().versions as { id: string }[])
          .map((x) => x.id)
          .sort();
      expect(await ids("op")).toEqual([version.id, derived.id].sort());
      expect(await ids("lab")).toEqual([version.id, derived.id].sort());
      expect(await ids("univ")).toEqual([version.id, derived.id].sort());
      expect(await ids("other")).toEqual([]);
      expect((await call("GET", "/datasets/versions?state=nope", "op")).statusCode).toBe(400);

      expect((await call("GET", path(version.id), "other")).statusCode).toBe(404);
      const forLab = (await call("GET", path(version.id), "lab")).json();
      expect(forLab).toMatchObject({ id: version.id, state: "current", events: [{ kind: "recorded" }] });
      expect(forLab.dir).toBeUndefined();
      expect((await call("GET", path(version.id), "op")).json().dir).toBe(version.dir);
    });

    it("a download is the consumer's, decided and audited; its files are served with their SHA-256 while it is open", async () => {
      const version = await v.build();
      const derived = await v.build({ name: "derive-only", agreement: v.w.agreementId });
      const byProvider = await call("POST", path(version.id, "/download"), "univ");
      expect(byProvider.statusCode).toBe(403);
      expect(byProvider.json().error.message).toMatch(/'univ' is not the consumer/);
      expect((await call("POST", path(version.id, "/download"), "labReadOnly")).statusCode).toBe(403);
      expect((await call("GET", path(version.id, "/files/lineage.json"), "lab")).statusCode).toBe(403);

      const denied = await call("POST", path(derived.id, "/download"), "lab");
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error.message).toMatch(/denied: \S/);

      const res = await call("POST", path(version.id, "/download"), "lab");
      expect(res.statusCode).toBe(200);
      const grant = res.json() as {
        decision: { decision: string };
        files: { path: string; sha256: string; url: string }[];
      };
      expect(grant.decision.decision).toBe("Permit");
      const shard = grant.files.find((f) => f.path.startsWith("data/"))!;
      expect(shard.url).toBe(path(version.id, `/files/${encodeURIComponent(shard.path)}`));
      const got = await call("GET", shard.url, "lab");
      expect(got.statusCode).toBe(200);
      expect(got.headers["x-content-sha256"]).toBe(shard.sha256);
      expect(createHash("sha256").update(got.rawPayload).digest("hex")).toBe(shard.sha256);
      expect(got.headers["repr-digest"]).toBe(
        `sha-256=:${Buffer.from(shard.sha256, "hex").toString("base64")}:`,
      );
      expect((await call("GET", path(version.id, "/files/..%2F..%2Fetc%2Fpasswd"), "lab")).statusCode).toBe(
        400,
      );
      expect((await call("GET", path(version.id, "/files/nothing.txt"), "lab")).statusCode).toBe(404);
      expect((await call("GET", shard.url, "univ")).statusCode).toBe(404);

      const actions = (await v.w.audit.list({ limit: 10_000 })).map((e) => [
        e.action,
        e.details.step ?? null,
      ]);
      expect(actions).toContainEqual(["contract.decision", "export-download"]);
      expect(actions.slice(-2)).toEqual([
        ["pool.version.downloaded", null],
        ["pool.version.file-served", null],
      ]);
    });

    it("the operator builds from a spec in the body, into the server's folder, recorded as the next version", async () => {
      const spec = specText("served-set", v.downloadable, ["univ", "mooc"], "/tmp/elsewhere");
      expect((await call("POST", "/datasets/builds", "lab", spec)).statusCode).toBe(403);
      const bad = await call("POST", "/datasets/builds", "op", `${spec}\nunknown_key: 1\n`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/unknown_key/);
      const badName = await call("POST", "/datasets/builds", "op", spec.replace("served-set", "../up"));
      expect(badName.statusCode).toBe(400);
      expect(badName.json().error.message).toMatch(/name/);

      const built = await call("POST", "/datasets/builds", "op", spec);
      expect(built.statusCode).toBe(200);
      const { version } = built.json() as { version: { id: string; name: string; version: string } };
      expect(version).toMatchObject({
        name: "served-set",
        version: "1.0.0",
        state: "current",
        builtBy: "op",
      });
      const shown = (await call("GET", path(version.id), "op")).json();
      expect(shown.dir).toBe(join(v.out, "served", "served-set", "1.0.0"));
      expect(existsSync("/tmp/elsewhere")).toBe(false);
      const second = (await call("POST", "/datasets/builds", "op", spec)).json();
      expect(second.version.version).toBe("1.1.0");
    });

    it("from the environment: the datasets folder, and delivery to holders while the server runs", async () => {
      const contract = { agreements: v.w.agreements, enforcement: v.enforcement };
      const consent = { notifier: v.notifier, registry: v.w.consent };
      const services = datasetServicesFromEnvironment(v.lrs, contract, consent, {
        LEARNPOOL_DATASETS_DIR: join(v.out, "from-env"),
      });
      expect(services.builds?.datasetsDir).toBe(join(v.out, "from-env"));
      expect(services.deliver).toBe(true);
      const version = await v.build();
      later(v, DAY);
      await v.withdraw(v.L.drops);
      await v.versions.supersedeForWithdrawals(v.w.clock.now);
      // The world's clock is in 2027; the server's delivery runs on the real clock: due now.
      await v.db.run("UPDATE dataset_notifications SET next_attempt_at = ?", [new Date(0).toISOString()]);
      const served = Fastify();
      registerDatasetRoutes(served, v.lrs, services);
      await served.ready();
      // No webhook is registered: the running delivery records a failed attempt.
      await expect
        .poll(async () => (await services.notifications.list({ version: version.id }))[0]?.attempts, {
          timeout: 5000,
        })
        .toBeGreaterThan(0);
      await served.close();
      expect((await services.notifications.list({ version: version.id }))[0]?.lastError).toBe(
        "no webhook registered",
      );
    });

    it("after a withdrawal the operator's sweep supersedes the version: not downloadable, its holder notified", async () => {
      const version = await v.build();
      later(v, DAY);
      await v.withdraw(v.L.drops);
      expect((await call("POST", "/datasets/sweep", "lab")).statusCode).toBe(403);
      const swept = await call("POST", "/datasets/sweep", "op");
      expect(swept.statusCode).toBe(200);
      expect(swept.json().superseded.superseded.map((s: { id: string }) => s.id)).toEqual([version.id]);

      const gone = await call("POST", path(version.id, "/download"), "lab");
      expect(gone.statusCode).toBe(410);
      expect(gone.json().error.message).toMatch(/superseded/);
      const notes = (await call("GET", "/datasets/notifications?state=pending", "lab")).json().notifications;
      expect(notes).toHaveLength(1);
      expect((await call("GET", "/datasets/notifications", "univ")).json().notifications).toEqual([]);
      expect(
        (await call("POST", `/datasets/notifications/${encodeURIComponent(notes[0].id)}/ack`, "univ"))
          .statusCode,
      ).toBe(404);
      const acked = await call(
        "POST",
        `/datasets/notifications/${encodeURIComponent(notes[0].id)}/ack`,
        "lab",
      );
      expect(acked.json().notification.state).toBe("acknowledged");
    });
  });
}
