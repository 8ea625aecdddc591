import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lrs } from "../../src/lrs/index.js";
import { DomainKeys } from "../../src/privacy/domains.js";
import { type Identifier, normalizeIdentifier } from "../../src/privacy/identifiers.js";
import { HttpOprfTransport, OprfPseudonymizer, OprfService } from "../../src/privacy/oprf.js";
import { pseudonymText } from "../../src/privacy/pseudonymizer.js";
import { buildServer } from "../../src/server/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

/** Two providers' rosters: different local ids, some learners in common (by e-mail or INE). */
const roster1: [string, string, string][] = [
  ["u-1001", "email", "ada@example.org"],
  ["u-1002", "email", "bob@example.org"],
  ["u-1003", "ine", "123456789AB"],
  ["u-1004", "phone", "06 12 34 56 78"],
];
const roster2: [string, string, string][] = [
  ["77", "email", "  ADA@Example.org"],
  ["78", "email", "dan@example.org"],
  ["79", "ine", "1234 5678 9ab"],
  ["80", "phone", "+33612345678"],
];
const SHARED: [string, string][] = [
  ["u-1001", "77"],
  ["u-1003", "79"],
  ["u-1004", "80"],
];

async function pseudonymsOf(p: OprfPseudonymizer, roster: [string, string, string][]) {
  const ids: [string, Identifier][] = roster.map(([local, kind, raw]) => [
    local,
    normalizeIdentifier(kind, raw),
  ]);
  const secrets = await p.derive(
    ids.map(([, id]) => id),
    "pseudonym",
  );
  const { identifierText } = await import("../../src/privacy/identifiers.js");
  return new Map(ids.map(([local, id]) => [local, pseudonymText(secrets.get(identifierText(id)) as Buffer)]));
}

for (const backend of await backends()) {
  describe(`OPRF over HTTP (${backend.name})`, () => {
    let db: Database;
    let lrs: Lrs;
    let app: FastifyInstance;
    let endpoint: string;
    const logs: string[] = [];
    const cred: Record<string, { key: string; secret: string }> = {};

    beforeAll(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      for (const s of ["p1", "p2", "p3", "p4"]) {
        await lrs.tenancy.createStore(s, s, "test");
        const made = await lrs.tenancy.addCredential({ storeId: s, actor: "test" });
        cred[s] = { key: made.key, secret: made.secret };
      }
      const domains = new DomainKeys(db, lrs.audit, { master: randomBytes(32) });
      await domains.create("agreement-a", { members: ["p1", "p2", "p4"], actor: "t" });
      await domains.create("agreement-b", { members: ["p1", "p2"], actor: "t" });
      const privacy = new OprfService(domains, lrs.audit, { identifiersPerPeriod: 30 });
      const stream = new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      });
      app = await buildServer({ lrs, privacy, logger: { level: "debug", stream } });
      await app.listen({ port: 0, host: "127.0.0.1" });
      const address = app.server.address();
      endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    });
    afterAll(async () => {
      await app.close();
      await lrs.close();
      await db.close();
    });

    const connect = (store: string, domain: string) =>
      OprfPseudonymizer.connect(
        new HttpOprfTransport(endpoint, cred[store] as { key: string; secret: string }),
        domain,
      );

    it("two providers get identical pseudonyms for shared learners, unlinkable ones under another agreement", async () => {
      const a1 = await pseudonymsOf(await connect("p1", "agreement-a"), roster1);
      const a2 = await pseudonymsOf(await connect("p2", "agreement-a"), roster2);
      for (const [l1, l2] of SHARED) expect(a1.get(l1)).toBe(a2.get(l2));
      expect(new Set([...a1.values(), ...a2.values()]).size).toBe(5);
      const b1 = await pseudonymsOf(await connect("p1", "agreement-b"), roster1);
      const b2 = await pseudonymsOf(await connect("p2", "agreement-b"), roster2);
      for (const [l1, l2] of SHARED) expect(b1.get(l1)).toBe(b2.get(l2));
      const inA = new Set([...a1.values(), ...a2.values()]);
      for (const p of [...b1.values(), ...b2.values()]) expect(inA.has(p)).toBe(false);
    });

    it("publishes the public key; unknown domain 404, non-member 403, no credential 401, bad batch 400", async () => {
      const key = await app.inject({ method: "GET", url: "/privacy/domains/agreement-a/oprf-key" });
      expect(key.statusCode).toBe(200);
      expect(key.json()).toMatchObject({ suite: "ristretto255-SHA512", keyId: "k1", domain: "agreement-a" });
      const auth = (s: string) =>
        `Basic ${Buffer.from(`${cred[s]?.key}:${cred[s]?.secret}`).toString("base64")}`;
      const post = (domain: string, body: unknown, who = "p1") =>
        app.inject({
          method: "POST",
          url: `/privacy/domains/${domain}/oprf`,
          headers: { authorization: auth(who), "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
      expect((await app.inject({ method: "GET", url: "/privacy/domains/nope/oprf-key" })).statusCode).toBe(
        404,
      );
      expect((await post("nope", { blinded: ["AA=="] })).statusCode).toBe(404);
      const forbidden = await post("agreement-a", { blinded: ["AA=="] }, "p3");
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().error.message).toMatch(/not a member/);
      const anonymous = await app.inject({
        method: "POST",
        url: "/privacy/domains/agreement-a/oprf",
        payload: "{}",
      });
      expect(anonymous.statusCode).toBe(401);
      expect((await post("agreement-a", { blinded: "x" })).statusCode).toBe(400);
      expect((await post("agreement-a", { blinded: [] })).statusCode).toBe(400);
      expect((await post("agreement-a", { blinded: Array(1001).fill("AA==") })).statusCode).toBe(400);
      const bad = await post("agreement-a", { blinded: [Buffer.alloc(32, 0xff).toString("base64")] }, "p4");
      expect(bad.statusCode).toBe(400);
      // The identity element is refused as input (RFC 9497 §2.1), not evaluated.
      const identity = await post("agreement-a", { blinded: [Buffer.alloc(32).toString("base64")] }, "p4");
      expect(identity.statusCode).toBe(400);
      expect(identity.json().error.message).toMatch(
        /blinded\[0\] is not a ristretto255-SHA512 group element/,
      );
      await expect(
        connect("p3", "agreement-a").then((p) => p.derive([normalizeIdentifier("email", "a@b.fr")], "x")),
      ).rejects.toThrow(/403/);
      expect(
        (await app.inject({ method: "GET", url: "/openapi.json" })).json().paths[
          "/privacy/domains/{id}/oprf"
        ],
      ).toBeDefined();
    });

    it("rate-limits each store: 429 with Retry-After", async () => {
      // p4 has used 2 of its 30 identifiers (the two elements refused above counted); 28 pass, then 429.
      const p4 = await connect("p4", "agreement-a");
      const many = Array.from({ length: 28 }, (_, i) =>
        normalizeIdentifier("email", `learner${i}@example.org`),
      );
      expect((await p4.derive(many, "pseudonym")).size).toBe(28);
      const refused = await p4
        .derive([normalizeIdentifier("email", "one.more@example.org")], "pseudonym")
        .catch((e) => e);
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBeGreaterThan(0);
    });

    it("the audit trail has every batch (store, domain, count), never an element; logs hold no identifier", async () => {
      const events = (await lrs.audit.list({ limit: 10_000 })).filter(
        (e) => e.action === "privacy.oprf.evaluate",
      );
      expect(events.length).toBeGreaterThanOrEqual(5);
      expect(events.find((e) => e.details.store === "p4" && e.details.count === 28)).toMatchObject({
        subject: "agreement-a",
        actor: cred.p4?.key,
        details: { keyId: "k1" },
      });
      for (const e of events) expect(Object.keys(e.details).sort()).toEqual(["count", "keyId", "store"]);
      const text = logs.join("");
      expect(text).toContain("/privacy/domains/agreement-a/oprf");
      for (const [, , raw] of [...roster1, ...roster2]) expect(text).not.toContain(raw.trim());
      expect(text).not.toContain("example.org");
      expect(text).not.toMatch(/[A-Za-z0-9+/]{43}=/);
      expect(text).not.toContain("blinded");
    });
  });
}
