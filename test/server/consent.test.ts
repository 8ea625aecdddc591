import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyReceipt, verifyWebhookSignature } from "../../src/consent/index.js";
import { generateParticipantKey, type ParticipantKeyPair, signAgreement } from "../../src/contract/index.js";
import { type ConsentServices, consentServices, registerConsentRoutes } from "../../src/server/consent.js";
import type { Database } from "../../src/store/index.js";
import { type DataSpace, dataSpace, PARTICIPANTS, requestBody } from "../consent/notices-fixture.js";
import { backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

const pseudonym = () => randomBytes(16).toString("base64url");

for (const backend of await backends()) {
  describe(`consent over HTTP (${backend.name})`, () => {
    let db: Database;
    let space: DataSpace;
    let app: FastifyInstance;
    let services: ConsentServices;
    let hook: Server;
    let hookUrl: string;
    const received: Array<{ body: string; signature: string }> = [];
    const auth: Record<string, string> = {};
    const keys: Record<string, ParticipantKeyPair> = {};
    let secret: string;

    const call = (
      method: "GET" | "POST" | "PUT",
      url: string,
      who: string | undefined,
      body?: unknown,
      bearer?: string,
    ) =>
      app.inject({
        method,
        url,
        headers: {
          ...(who && { authorization: auth[who]! }),
          ...(bearer && { authorization: `Bearer ${bearer}` }),
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });
    const request = (learner: string, extra: Record<string, unknown> = {}) =>
      call("POST", "/consent/requests", "univ", {
        ...requestBody(space.agreement.id, learner),
        link: {},
        ...extra,
      });
    const link = async (learner: string, extra: Record<string, unknown> = {}) => {
      const r = await call("POST", "/consent/links", "univ", {
        agreement: space.agreement.id,
        learner,
        ...extra,
      });
      expect(r.statusCode).toBe(201);
      return r.json().links as Array<{ role: string; token: string; url: string }>;
    };

    beforeAll(async () => {
      db = await backend.open();
      space = await dataSpace(db);
      for (const id of Object.keys(PARTICIPANTS)) {
        keys[id] = await generateParticipantKey();
        await space.registry.participants.addKey(id, keys[id]!.publicJwk, "test");
        const made = await space.lrs.tenancy.addCredential({ storeId: id, scopes: ["all"], actor: "test" });
        auth[id] = basic(made.key, made.secret);
      }
      await space.lrs.tenancy.ensureStore("stranger", "stranger", "test");
      const s = await space.lrs.tenancy.addCredential({
        storeId: "stranger",
        scopes: ["all"],
        actor: "test",
      });
      auth.stranger = basic(s.key, s.secret);
      for (const id of ["lab", "univ", "mooc", "op"])
        await space.registry.sign(
          space.agreement.id,
          id,
          await signAgreement(space.agreement.canonical, keys[id]!.privateJwk, keys[id]!.kid),
        );

      hook = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          received.push({
            body: Buffer.concat(chunks).toString("utf8"),
            signature: String(req.headers["learnpool-signature"]),
          });
          res.statusCode = 200;
          res.end("ok");
        });
      });
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/consent-events`;

      services = consentServices(
        space.lrs,
        { agreements: space.registry },
        {
          masterKey: randomBytes(32),
          linkKeys: new Map([["univ", { ...keys.univ!.privateJwk, kid: keys.univ!.kid }]]),
          portalUrl: "https://portal.example/consent",
          allowHttpWebhooks: true,
          delivery: { pollMs: 20 },
          settings: { contact: { name: "DPO", email: "dpo@learnpool.example" } },
        },
      );
      app = Fastify({ logger: false });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      registerConsentRoutes(app, space.lrs, services);
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await new Promise<void>((r) => hook.close(() => r()));
      await db.close();
    });

    it("authenticates every route: Basic for participants, the signed link for the portal", async () => {
      expect((await call("GET", "/consent/status?learner=x", undefined)).statusCode).toBe(401);
      expect((await call("GET", "/consent/status?learner=x", "stranger")).statusCode).toBe(403);
      expect((await call("GET", "/consent/status?learner=x", "lab")).statusCode).toBe(403);
      const portal = await call("GET", "/consent/portal", undefined);
      expect(portal.statusCode).toBe(401);
      expect(portal.headers["www-authenticate"]).toMatch(/Bearer/);
      expect((await call("GET", "/consent/portal", undefined, undefined, "not.a.link")).statusCode).toBe(401);
      expect((await call("PUT", "/consent/webhook", "univ", { url: hookUrl })).statusCode).toBe(403);
      expect((await call("GET", "/consent/latency", "lab")).statusCode).toBe(403);
      // The registry's public keys are public.
      const jwks = await call("GET", "/consent/jwks.json", undefined);
      expect(jwks.statusCode).toBe(200);
      expect(Array.isArray(jwks.json().keys)).toBe(true);
    });

    it("runs a learner's consent from notice to withdrawal, and the consumer is notified by signed webhook", async () => {
      const registered = await call("PUT", "/consent/webhook", "lab", { url: hookUrl });
      expect(registered.statusCode).toBe(200);
      secret = registered.json().secret;
      expect((await call("GET", "/consent/webhook", "lab")).json()).not.toHaveProperty("secret");

      // The provider: a notice, then the request, which returns the portal link for the learner.
      const notice = await call("POST", "/consent/notices", "univ", {
        agreement: space.agreement.id,
        lang: "en",
      });
      expect(notice.statusCode).toBe(200);
      expect(notice.json().markdown).toMatch(/one click/);
      const md = await call("GET", `/consent/notices/${notice.json().notice.id}?format=markdown`, "lab");
      expect(md.statusCode).toBe(200);
      expect(md.headers["content-type"]).toMatch(/text\/markdown/);
      expect((await call("GET", `/consent/notices/${notice.json().notice.id}`, "stranger")).statusCode).toBe(
        403,
      );

      const learner = pseudonym();
      const asked = await request(learner);
      expect(asked.statusCode).toBe(201);
      const body = asked.json();
      expect(body.changes).toHaveLength(2);
      expect(body.changes[0]).toMatchObject({ event: "request", state: "requested" });
      expect(body.notice.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(body.links[0].url).toMatch(/^https:\/\/portal\.example\/consent#/);
      const token = body.links[0].token as string;

      // The portal: the records, the notice shown (in French), then one click to give.
      const view = await call("GET", "/consent/portal", undefined, undefined, token);
      expect(view.statusCode).toBe(200);
      expect(view.json().records.map((r: { state: string }) => r.state)).toEqual(["requested", "requested"]);
      const html = await call("GET", "/consent/portal/notice?format=html", undefined, undefined, token);
      expect(html.body).toContain("Entraînement d&#39;un modèle d&#39;IA");
      expect(html.body).toContain(body.notice.id);
      const given = await call("POST", "/consent/portal/give", undefined, undefined, token);
      expect(given.statusCode).toBe(200);
      expect(given.json().changes.map((c: { state: string }) => c.state)).toEqual(["given", "given"]);
      // A link makes one change.
      expect((await call("POST", "/consent/portal/refuse", undefined, undefined, token)).statusCode).toBe(
        409,
      );

      const status = await call(
        "GET",
        `/consent/status?learner=${learner}&agreement=${space.agreement.id}`,
        "univ",
      );
      expect(status.json().records.map((r: { state: string }) => r.state)).toEqual(["given", "given"]);
      const cohort = await call("POST", "/consent/cohort", "univ", {
        agreement: space.agreement.id,
        purpose: "dpv:TrainAIModel",
      });
      expect(cohort.json()).toMatchObject({ count: 1, learners: [learner] });

      // Withdraw one purpose, with one click, through a new link.
      const [again] = await link(learner);
      const withdrawn = await call(
        "POST",
        "/consent/portal/withdraw",
        undefined,
        { purposes: ["dpv:TrainAIModel"] },
        again!.token,
      );
      expect(withdrawn.statusCode).toBe(200);
      expect(withdrawn.json().changes).toEqual([expect.objectContaining({ state: "withdrawn" })]);
      const after = await call("POST", "/consent/cohort", "univ", {
        agreement: space.agreement.id,
        purpose: "dpv:TrainAIModel",
      });
      expect(after.json().count).toBe(0);

      // The consumer's webhook is called, signed; the notification is acknowledged and the latency stored.
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toHaveLength(1);
      expect(verifyWebhookSignature(secret, received[0]!.body, received[0]!.signature)).toBe(true);
      const sent = JSON.parse(received[0]!.body);
      expect(sent).toMatchObject({
        agreement: space.agreement.id,
        pseudonym: learner,
        event: "withdrawn",
        purposes: ["https://w3id.org/dpv#TrainAIModel"],
        // The running services open a real deletion duty for the consumer (contract's WithdrawalDuties).
        deletionDuty: {
          id: expect.any(String),
          due: expect.any(String),
          iri: expect.stringMatching(/^urn:learnpool:withdrawal:.*:delete:lab$/),
        },
      });
      // The webhook's secret is sealed under the master key: the database never holds it in clear.
      const stored = await db.all<{ secret: string }>("SELECT secret FROM consent_webhooks");
      expect(stored).toHaveLength(1);
      expect(stored[0]!.secret.startsWith("sealed:v1:")).toBe(true);
      expect(stored[0]!.secret).not.toContain(secret);
      const everything = JSON.stringify(await db.all("SELECT * FROM audit_events"));
      expect(everything).not.toContain(secret);
      let list = await call("GET", "/consent/notifications", "lab");
      for (let i = 0; i < 100 && list.json().notifications[0]?.state !== "acknowledged"; i++) {
        await new Promise((r) => setTimeout(r, 10));
        list = await call("GET", "/consent/notifications", "lab");
      }
      expect(list.json().notifications).toEqual([
        expect.objectContaining({ state: "acknowledged", acknowledgedBy: "webhook" }),
      ]);
      const wd = await call("GET", `/consent/withdrawals/${sent.withdrawal}`, "lab");
      expect(wd.statusCode).toBe(200);
      expect(wd.json().withdrawal.latencyMs).toBeGreaterThanOrEqual(0);
      expect((await call("GET", `/consent/withdrawals/${sent.withdrawal}`, "stranger")).statusCode).toBe(403);
      const latency = await call("GET", "/consent/latency", "op");
      expect(latency.json()).toMatchObject({ completed: 1, pending: 0 });

      // History and receipts, each receipt verifiable offline with the public JWKS.
      const [reader] = await link(learner);
      const history = await call("GET", "/consent/portal/history", undefined, undefined, reader!.token);
      expect(
        history
          .json()
          .events.map((e: { event: string }) => e.event)
          .sort(),
      ).toEqual(["give", "give", "request", "request", "withdraw"].sort());
      const receipts = await call("GET", "/consent/portal/receipts", undefined, undefined, reader!.token);
      expect(receipts.headers["content-disposition"]).toMatch(/attachment/);
      const { jwks, receipts: all } = receipts.json();
      const published = (await call("GET", "/consent/jwks.json", undefined)).json();
      expect(published).toEqual(jwks);
      expect(published.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519" });
      expect(published.keys[0].d).toBeUndefined();
      expect(all).toHaveLength(5);
      for (const r of all) expect((await verifyReceipt(r.receipt, jwks)).ok).toBe(true);
      // Reading does not use the link: it still makes its one change.
      const rest = await call("POST", "/consent/portal/withdraw", undefined, {}, reader!.token);
      expect(rest.json().changes).toEqual([expect.objectContaining({ state: "withdrawn" })]);
    });

    it("takes a minor's consent jointly with the guardian's", async () => {
      const learner = pseudonym();
      const asked = await request(learner, {
        age: { birthYearMonth: "2014-05" },
        purposes: ["dpv:AcademicResearch"],
        link: { guardian: { pseudonym: pseudonym(), relationship: "parent" } },
      });
      expect(asked.statusCode).toBe(201);
      const links = asked.json().links as Array<{ role: string; token: string }>;
      expect(links.map((l) => l.role)).toEqual(["learner", "guardian"]);
      const notice = await call("GET", "/consent/portal/notice", undefined, undefined, links[1]!.token);
      expect(notice.json().audience).toBe("guardian");
      const minor = await call("POST", "/consent/portal/give", undefined, undefined, links[0]!.token);
      expect(minor.json().changes[0].state).toBe("requested");
      const guardian = await call("POST", "/consent/portal/give", undefined, undefined, links[1]!.token);
      expect(guardian.json().changes[0].state).toBe("given");
    });

    it("lets a consumer acknowledge through the API, and refuses bad input without a change", async () => {
      expect(
        (await call("POST", "/consent/requests", "univ", { agreement: space.agreement.id })).statusCode,
      ).toBe(400);
      const bad = await request(pseudonym(), { purposes: ["dpv:Nonsense"] });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/unknown purpose/);
      expect((await call("POST", "/consent/requests", "lab", {})).statusCode).toBe(403);
      expect((await call("PUT", "/consent/webhook", "lab", { url: "ftp://nowhere" })).statusCode).toBe(400);
      expect((await call("POST", "/consent/notifications/urn:uuid:x/ack", "lab")).statusCode).toBe(404);
      const op = await call("POST", "/consent/notifications/deliver", "op");
      expect(op.statusCode).toBe(200);
    });
  });
}
