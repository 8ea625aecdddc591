/**
 * Deletion duties opened by consent withdrawals (contract/enforcement/withdrawal-duties.ts), through the
 * running services: the portal withdraws, the consumer's duty is open and listed by GET
 * /contract/duties, the notification names it, and the consumer fulfils it with signed evidence.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  agreementDeletionDue,
  DEFAULT_WITHDRAWAL_GRACE_MS,
  PolicyEnforcement,
  signDeletion,
  WithdrawalDuties,
  withdrawalGraceMs,
} from "../../src/contract/enforcement/index.js";
import { generateParticipantKey, type ParticipantKeyPair, signAgreement } from "../../src/contract/index.js";
import { type ConsentServices, consentServices, registerConsentRoutes } from "../../src/server/consent.js";
import { registerEnforcementRoutes } from "../../src/server/enforcement.js";
import type { Database } from "../../src/store/index.js";
import { type DataSpace, dataSpace, PARTICIPANTS } from "../consent/notices-fixture.js";
import { backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

const pseudonym = () => randomBytes(16).toString("base64url");
const DAY = 86_400_000;

describe("withdrawal duties (pure parts)", () => {
  it("reads the grace period as an ISO 8601 duration and refuses anything else", () => {
    expect(DEFAULT_WITHDRAWAL_GRACE_MS).toBe(30 * DAY);
    expect(withdrawalGraceMs("P30D")).toBe(30 * DAY);
    expect(withdrawalGraceMs("PT72H")).toBe(3 * DAY);
    expect(() => withdrawalGraceMs("30 days")).toThrow(/ISO 8601 duration/);
    expect(() => withdrawalGraceMs("-P1D")).toThrow(/ISO 8601 duration/);
  });
});

for (const backend of await backends()) {
  describe(`deletion duties on withdrawal (${backend.name})`, () => {
    let db: Database;
    let space: DataSpace;
    let app: FastifyInstance;
    let services: ConsentServices;
    let enforcement: PolicyEnforcement;
    const auth: Record<string, string> = {};
    const keys: Record<string, ParticipantKeyPair> = {};

    const call = (method: "GET" | "POST", url: string, who?: string, body?: unknown, bearer?: string) =>
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
    /** A learner asked and consenting to three purposes; returns a fresh portal link maker. */
    const consenting = async () => {
      const learner = pseudonym();
      const asked = await call("POST", "/consent/requests", "univ", {
        agreement: space.agreement.id,
        learner,
        language: "fr",
        purposes: ["dpv:TrainAIModel", "dpv:AcademicResearch", "lp:BroadResearchInEducation"],
        recipients: ["lab"],
        dataCategories: ["pd:Behavioral"],
        retention: { duration: "P1Y" },
        storageLocations: ["FR"],
        link: {},
      });
      expect(asked.statusCode).toBe(201);
      const given = await call(
        "POST",
        "/consent/portal/give",
        undefined,
        undefined,
        asked.json().links[0].token,
      );
      expect(given.json().changes).toHaveLength(3);
      const link = async () => {
        const r = await call("POST", "/consent/links", "univ", { agreement: space.agreement.id, learner });
        return r.json().links[0].token as string;
      };
      return { learner, link };
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
      for (const id of ["lab", "univ", "mooc", "op"])
        await space.registry.sign(
          space.agreement.id,
          id,
          await signAgreement(space.agreement.canonical, keys[id]!.privateJwk, keys[id]!.kid),
        );
      enforcement = new PolicyEnforcement(db, space.lrs.audit, space.registry, space.registry.participants);
      // As the server builds them: no deletionDuties option, so contract's WithdrawalDuties is used.
      services = consentServices(
        space.lrs,
        { agreements: space.registry },
        {
          masterKey: randomBytes(32),
          linkKeys: new Map([["univ", { ...keys.univ!.privateJwk, kid: keys.univ!.kid }]]),
          delivery: false,
        },
      );
      app = Fastify({ logger: false });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      registerConsentRoutes(app, space.lrs, services);
      registerEnforcementRoutes(app, space.lrs, { agreements: space.registry, enforcement });
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await db.close();
    });

    it("opens the consumer's duty on withdrawal, names it in the notification, and closes it with signed evidence", async () => {
      const { learner, link } = await consenting();
      const before = Date.now();
      const withdrawn = await call("POST", "/consent/portal/withdraw", undefined, {}, await link());
      expect(withdrawn.statusCode).toBe(200);
      expect(withdrawn.json().changes).toHaveLength(3);

      // One notification for the consumer, naming the duty.
      const [notification] = (await call("GET", "/consent/notifications", "lab")).json().notifications;
      expect(notification.body.pseudonym).toBe(learner);
      const duty = notification.body.deletionDuty as { id: string; due: string; iri: string };
      expect(duty.id).toEqual(expect.any(String));
      // Due 30 days after the withdrawal: earlier than the agreement's own deadline (2030-06-30).
      const due = Date.parse(duty.due);
      expect(due).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
      expect(due).toBeLessThanOrEqual(Date.now() + 30 * DAY);

      // The duty is open for the consumer, and listed for it by GET /contract/duties.
      const listed = await call("GET", `/contract/duties?agreement=${space.agreement.id}&state=open`, "lab");
      expect(listed.statusCode).toBe(200);
      const open = listed.json().duties.find((d: { id: string }) => d.id === duty.id);
      expect(open).toMatchObject({
        agreement: space.agreement.id,
        duty: duty.iri,
        kind: "deletion",
        action: "http://www.w3.org/ns/odrl/2/delete",
        origin: notification.withdrawal,
        assignee: "lab",
        due: duty.due,
        state: "open",
      });

      // Audited in the change's transaction, without the learner's pseudonym: the withdrawal leads to it.
      const events = await new AuditLog(db).list({ limit: 100_000 });
      const opened = events.filter((e) => e.action === "contract.duty.opened" && e.details.duty === duty.id);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.details).toMatchObject({
        withdrawal: notification.withdrawal,
        assignee: "lab",
        reason: "withdrawn",
        dueBy: "grace-period",
      });
      expect(JSON.stringify(opened[0])).not.toContain(learner);
      // Each withdrawal has its own duty IRI (contract_duties is UNIQUE per agreement and duty).
      const other = await consenting();
      await call("POST", "/consent/portal/withdraw", undefined, {}, await other.link());
      const duties = (await call("GET", `/contract/duties?agreement=${space.agreement.id}`, "lab")).json()
        .duties as Array<{ duty: string; kind: string }>;
      const iris = duties.filter((d) => d.kind === "deletion").map((d) => d.duty);
      expect(new Set(iris).size).toBe(iris.length);
      expect(iris.length).toBeGreaterThanOrEqual(2);

      // The provider cannot fulfil it; the consumer does, with its signed deletion statement.
      const statement = {
        agreement: space.agreement.id,
        duty: duty.iri,
        deletedAt: new Date().toISOString(),
        deleted: [`pseudonym data of withdrawal ${notification.withdrawal}`],
      };
      const byUniv = await call("POST", `/contract/duties/${duty.id}/evidence`, "univ", {
        jws: await signDeletion(statement, keys.univ!.privateJwk, keys.univ!.kid),
      });
      expect(byUniv.statusCode).toBe(403);
      const wrongDuty = await call("POST", `/contract/duties/${duty.id}/evidence`, "lab", {
        jws: await signDeletion({ ...statement, duty: "urn:other" }, keys.lab!.privateJwk, keys.lab!.kid),
      });
      expect(wrongDuty.statusCode).toBe(422);
      const fulfilled = await call("POST", `/contract/duties/${duty.id}/evidence`, "lab", {
        jws: await signDeletion(statement, keys.lab!.privateJwk, keys.lab!.kid),
      });
      expect(fulfilled.statusCode).toBe(200);
      expect(fulfilled.json().duty).toMatchObject({ id: duty.id, state: "fulfilled" });
      expect((await enforcement.duty(duty.id))?.history.map((h) => h.state)).toEqual(["open", "fulfilled"]);
    });

    it("withdraws several but not all records with one link, in one change with one duty", async () => {
      const { link } = await consenting();
      const token = await link();
      const res = await call(
        "POST",
        "/consent/portal/withdraw",
        undefined,
        { purposes: ["dpv:TrainAIModel", "dpv:AcademicResearch"] },
        token,
      );
      expect(res.statusCode).toBe(200);
      const changes = res.json().changes as Array<{ state: string; receipt: string }>;
      expect(changes.map((c) => c.state)).toEqual(["withdrawn", "withdrawn"]);
      expect(new Set(changes.map((c) => c.receipt)).size).toBe(2);
      // The link made its one change.
      expect((await call("POST", "/consent/portal/withdraw", undefined, {}, token)).statusCode).toBe(409);
      const notifications = (await call("GET", "/consent/notifications", "lab")).json()
        .notifications as Array<{
        body: { purposes: string[]; deletionDuty: { id: string } | null };
      }>;
      const last = notifications.at(-1)!;
      expect(last.body.purposes).toEqual([
        "https://w3id.org/dpv#AcademicResearch",
        "https://w3id.org/dpv#TrainAIModel",
      ]);
      expect(last.body.deletionDuty?.id).toEqual(expect.any(String));
    });

    it("falls due at the agreement's deletion deadline when it comes before the grace period ends", async () => {
      expect(agreementDeletionDue(space.agreement.document)).toBe("2030-06-30T00:00:00.000Z");
      const duties = new WithdrawalDuties(space.lrs.audit, space.registry);
      const opened = await db.transaction((tx) =>
        duties.openDeletionDuty(tx, {
          agreementId: space.agreement.id,
          consumer: "lab",
          learner: pseudonym(),
          reason: "expired",
          withdrawal: "urn:uuid:00000000-0000-4000-8000-0000000000aa",
          purposes: ["https://w3id.org/dpv#TrainAIModel"],
          at: "2030-06-20T00:00:00.000Z",
        }),
      );
      expect(opened.due).toBe("2030-06-30T00:00:00.000Z");
      const short = new WithdrawalDuties(space.lrs.audit, space.registry, { graceMs: 2 * DAY });
      const soon = await db.transaction((tx) =>
        short.openDeletionDuty(tx, {
          agreementId: space.agreement.id,
          consumer: "lab",
          learner: pseudonym(),
          reason: "withdrawn",
          withdrawal: "urn:uuid:00000000-0000-4000-8000-0000000000bb",
          purposes: [],
          at: "2030-06-20T00:00:00.000Z",
        }),
      );
      expect(soon.due).toBe("2030-06-22T00:00:00.000Z");
      // Only a consumer of the agreement is given one; nothing is written when refused.
      const count = async () =>
        Number((await db.one<{ n: number }>("SELECT COUNT(*) AS n FROM contract_duties"))?.n);
      const n = await count();
      await expect(
        db.transaction((tx) =>
          duties.openDeletionDuty(tx, {
            agreementId: space.agreement.id,
            consumer: "univ",
            learner: pseudonym(),
            reason: "withdrawn",
            withdrawal: "urn:uuid:00000000-0000-4000-8000-0000000000cc",
            purposes: [],
            at: "2030-06-20T00:00:00.000Z",
          }),
        ),
      ).rejects.toThrow(/not a consumer/);
      expect(await count()).toBe(n);
    });
  });
}
