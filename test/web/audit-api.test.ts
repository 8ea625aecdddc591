import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAuditRoutes } from "../../src/server/audit.js";
import { auditPaths } from "../../src/server/audit.openapi.js";
import type { Database } from "../../src/store/index.js";
import { type DataSpace, dataSpace } from "../consent/notices-fixture.js";
import { backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

for (const backend of await backends()) {
  describe(`/audit routes for the operator's console (${backend.name})`, () => {
    let db: Database;
    let space: DataSpace;
    let app: FastifyInstance;
    const auth: Record<string, string> = {};

    beforeAll(async () => {
      db = await backend.open();
      space = await dataSpace(db);
      for (const id of ["op", "univ"]) {
        const made = await space.lrs.tenancy.addCredential({ storeId: id, scopes: ["all"], actor: "test" });
        auth[id] = basic(made.key, made.secret);
      }
      app = Fastify({ logger: false });
      registerAuditRoutes(app, space.lrs, space.registry.participants);
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const get = (url: string, who?: string) =>
      app.inject({ method: "GET", url, headers: who ? { authorization: auth[who]! } : {} });

    it("authenticates, and only the operator reads the trail", async () => {
      for (const url of ["/audit/events", "/audit/verify"]) {
        const anonymous = await get(url);
        expect(anonymous.statusCode).toBe(401);
        expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic/);
        const provider = await get(url, "univ");
        expect(provider.statusCode).toBe(403);
        expect(provider.json().error.message).toMatch(/operator/);
      }
    });

    it("pages the events oldest first, and the pages join up to the whole trail", async () => {
      const all = await space.lrs.audit.list({ limit: 100_000 });
      expect(all.length).toBeGreaterThan(3);
      const seen: number[] = [];
      let after = 0;
      for (;;) {
        const page = (await get(`/audit/events?after=${after}&limit=2`, "op")).json();
        seen.push(...page.events.map((e: { seq: number }) => e.seq));
        expect(page.events.length).toBeLessThanOrEqual(2);
        if (page.next === null) break;
        after = page.next;
      }
      expect(seen).toEqual(all.map((e) => e.seq));
      const first = (await get("/audit/events?limit=1", "op")).json().events[0];
      expect(first).toMatchObject({ seq: 1, prevHash: "0".repeat(64) });
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      for (const bad of ["limit=1001", "limit=-1", "after=x"]) {
        const r = await get(`/audit/events?${bad}`, "op");
        expect(r.statusCode, bad).toBe(400);
        expect(r.json().error.message).toMatch(/^(after|limit) must be an integer/);
      }
    });

    it("verifies the chain", async () => {
      const v = (await get("/audit/verify", "op")).json();
      expect(v.ok).toBe(true);
      expect(v.events).toBe((await space.lrs.audit.list({ limit: 100_000 })).length);
    });

    it("has an OpenAPI description of each route", () => {
      expect(Object.keys(auditPaths).sort()).toEqual(["/audit/events", "/audit/verify"]);
      for (const item of Object.values(auditPaths)) expect(item.get.responses["401"]).toBeDefined();
    });
  });
}
