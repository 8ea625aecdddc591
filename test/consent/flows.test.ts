import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { ConsentError, ConsentRegistry, verifyReceipt } from "../../src/consent/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { pseudonym, query, refusal, type World, world } from "./setup.js";

const G = { pseudonym: "guardian-pseudonym-0001", relationship: "parent" as const };

for (const backend of await backends()) {
  describe(`consent flows (${backend.name})`, () => {
    let db: Database;
    let w: World;
    beforeEach(async () => {
      db = await backend.open();
      w = await world(db);
    });
    afterEach(async () => {
      await db.close();
    });

    const eventCount = async () =>
      Number((await db.one<{ n: number }>("SELECT count(*) AS n FROM consent_events"))?.n);

    it("is granular: one record per purpose × recipient × category, each decided on its own", async () => {
      const learner = pseudonym();
      const { changes } = await w.request(learner, {
        purposes: ["dpv:AcademicResearch", "dpv:TrainAIModel"],
        recipients: ["lab", "lp:PublicResearchInEducation"],
        dataCategories: ["pd:EducationExperience", "pd:EducationQualification"],
      });
      expect(changes).toHaveLength(8);
      const research = changes.filter((c) => c.record && c.state === "requested");
      const records = await w.consent.records(learner, w.agreementId);
      const wanted = records
        .filter((r) => r.record.purpose.endsWith("AcademicResearch") && r.record.recipient.id === "lab")
        .map((r) => r.record.id);
      const others = records.map((r) => r.record.id).filter((id) => !wanted.includes(id));
      const answered = await w.consent.respond(await w.link({ sub: learner }), {
        give: wanted,
        refuse: others,
      });
      expect(answered.map((c) => c.state).sort()).toEqual(
        [...Array(2).fill("given"), ...Array(6).fill("refused")].sort(),
      );
      expect(research).toHaveLength(8);
      expect((await w.consent.isPermitted(query(w, learner))).permitted).toBe(true);
      expect(
        (await w.consent.isPermitted(query(w, learner, { purpose: "dpv:TrainAIModel" }))).permitted,
      ).toBe(false);
      expect(
        (await w.consent.isPermitted(query(w, learner, { recipient: "lp:PublicResearchInEducation" })))
          .permitted,
      ).toBe(false);
      expect(
        new Set(
          await w.consent.consentingLearners(w.agreementId, w.clock.now, { purpose: "dpv:TrainAIModel" }),
        ),
      ).toEqual(new Set());
      expect(
        new Set(
          await w.consent.consentingLearners(w.agreementId, w.clock.now, {
            purpose: "dpv:AcademicResearch",
            dataCategory: "pd:EducationQualification",
            recipient: "lab",
          }),
        ),
      ).toEqual(new Set([learner]));
      const iso = await w.consent.iso27560(wanted[0] as string);
      expect(iso).toMatchObject({
        "dpv:hasConsentStatus": "https://w3id.org/dpv#ConsentGiven",
        "dpv:hasLegalBasis": "https://w3id.org/dpv#Consent",
        "dpv:hasJurisdiction": "FR",
        language: "fr",
        notice: { digest: "ab".repeat(32) },
      });
    });

    it("consent is specific: a broader purpose never covers a narrower one, nor broad research a named one", async () => {
      const learner = pseudonym();
      await w.request(learner, { purposes: ["dpv:ResearchAndDevelopment", "lp:BroadResearchInEducation"] });
      await w.consent.give(await w.link({ sub: learner }));
      expect(
        (await w.consent.isPermitted(query(w, learner, { purpose: "dpv:ResearchAndDevelopment" }))).permitted,
      ).toBe(true);
      expect(
        (await w.consent.isPermitted(query(w, learner, { purpose: "lp:BroadResearchInEducation" })))
          .permitted,
      ).toBe(true);
      expect(
        (await w.consent.isPermitted(query(w, learner, { purpose: "dpv:AcademicResearch" }))).permitted,
      ).toBe(false);
    });

    it("refuses bad requests: unknown purpose or category, dpv:Purpose, a clear identifier, a stranger recipient", async () => {
      const learner = pseudonym();
      const before = await eventCount();
      await expect(w.request(learner, { purposes: ["dpv:Snooping"] })).rejects.toSatisfy(
        refusal(400, /unknown purpose/),
      );
      await expect(w.request(learner, { purposes: ["dpv:Purpose"] })).rejects.toSatisfy(
        refusal(400, /too broad/),
      );
      await expect(w.request(learner, { dataCategories: ["pd:Shoes"] })).rejects.toSatisfy(
        refusal(400, /category/),
      );
      await expect(w.request("alice@example.org")).rejects.toSatisfy(refusal(400, /identifier in clear/));
      await expect(w.request(learner, { recipients: ["other"] })).rejects.toSatisfy(refusal(400, /neither/));
      await expect(w.consent.request({} as never, "univ")).rejects.toBeInstanceOf(ConsentError);
      await expect(w.consent.isPermitted(query(w, learner, { purpose: "dpv:Unknown" }))).rejects.toSatisfy(
        refusal(400, /unknown purpose/),
      );
      expect(await eventCount()).toBe(before);
    });

    it("refuses unsigned, forged, expired, wrong-audience, replayed and foreign links, with no state change", async () => {
      const learner = pseudonym();
      await w.request(learner);
      const before = await eventCount();
      const good = await w.link({ sub: learner });
      const [h, p] = good.split(".");
      const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "learnpool-portal-link+jwt" })).toString("base64url")}.${p}.`;
      await expect(w.consent.give(unsigned)).rejects.toSatisfy(refusal(401, /not signed/));
      const forgedPayload = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(p as string, "base64url").toString()), sub: pseudonym() }),
      ).toString("base64url");
      await expect(w.consent.give(`${h}.${forgedPayload}.${good.split(".")[2]}`)).rejects.toSatisfy(
        refusal(401, /signature/),
      );
      const iat = Math.floor(w.clock.now.getTime() / 1000) - 1200;
      await expect(w.consent.give(await w.link({ sub: learner, iat, exp: iat + 600 }))).rejects.toSatisfy(
        refusal(401, /expired/),
      );
      await expect(
        w.consent.give(await w.link({ sub: learner, aud: "https://other.example" })),
      ).rejects.toSatisfy(refusal(401, /meant for/));
      // Signed by another provider's key, or naming a provider that is not a party.
      await expect(w.consent.give(await w.link({ sub: learner }, "mooc"))).rejects.toSatisfy(
        refusal(401, /not provider 'univ'/),
      );
      await expect(w.consent.give(await w.link({ sub: learner, iss: "other" }, "other"))).rejects.toSatisfy(
        refusal(403, /not a provider of agreement/),
      );
      expect(await eventCount()).toBe(before);
      // A link changes state once.
      await w.consent.give(good);
      await expect(
        w.consent.withdraw({ learner, agreement: w.agreementId }, { link: good }),
      ).rejects.toSatisfy(refusal(409, /used already/));
      // Someone else's record.
      const other = pseudonym();
      const { changes } = await w.request(other);
      await expect(
        w.consent.give(await w.link({ sub: learner }), [changes[0]?.record as string]),
      ).rejects.toSatisfy(refusal(403, /not the link's learner/));
      expect(await eventCount()).toBe(before + 2);
    });

    it("minors: joint consent with a guardian, recorded; the guardian cannot act for an adult", async () => {
      const minor = pseudonym();
      const age = { birthYearMonth: "2013-06" }; // FR: of age from 2028-07-01
      await w.request(minor, { age });
      const [own] = await w.consent.give(await w.link({ sub: minor, age }));
      expect(own).toMatchObject({ state: "requested", event: "give", by: "learner" });
      expect((await w.consent.isPermitted(query(w, minor))).permitted).toBe(false);
      expect(new Set(await w.consent.consentingLearners(w.agreementId))).toEqual(new Set());
      const [joint] = await w.consent.give(await w.link({ sub: minor, age, role: "guardian", guardian: G }));
      expect(joint).toMatchObject({ state: "given", by: "guardian" });
      expect((await w.consent.status(joint?.record as string)).guardian).toEqual(G);
      expect((await w.consent.isPermitted(query(w, minor))).permitted).toBe(true);
      const events = await w.consent.events(joint?.record as string);
      expect(events.at(-1)).toMatchObject({
        actor: "guardian",
        details: { guardian: G, consentAgeOn: "2028-07-01" },
      });
      // Birth data are not stored: only the day the learner comes of age.
      expect(JSON.stringify(events)).not.toContain("2013-06");

      const adult = pseudonym();
      await w.request(adult, { age: { adult: true } });
      await expect(
        w.consent.give(await w.link({ sub: adult, role: "guardian", guardian: G })),
      ).rejects.toSatisfy(refusal(403, /guardian cannot act/));

      // Coming of age: the joint consent stops counting at once, the sweep asks the learner alone.
      w.clock.now = new Date("2028-07-01T08:00:00.000Z");
      expect(await w.consent.isPermitted(query(w, minor))).toMatchObject({
        permitted: false,
        reason: /come of age/,
      });
      const swept = await w.consent.sweep();
      expect(swept.requested.map((c) => c.record)).toEqual([joint?.record]);
      expect(swept.requested[0]).toMatchObject({ by: "system", state: "requested" });
      await expect(
        w.consent.give(await w.link({ sub: minor, age, role: "guardian", guardian: G })),
      ).rejects.toSatisfy(refusal(403, /guardian cannot act/));
      const [renewed] = await w.consent.give(await w.link({ sub: minor, age }));
      expect(renewed).toMatchObject({ state: "renewed" });
      expect((await w.consent.isPermitted(query(w, minor))).permitted).toBe(true);
      expect((await w.consent.sweep()).requested).toHaveLength(0);
    });

    it("expiry by retention and by the agreement's end: not permitted at once, expired by the sweep", async () => {
      const learner = pseudonym();
      await w.request(learner, { retention: { duration: "P30D" } });
      await w.consent.give(await w.link({ sub: learner }));
      w.clock.now = new Date("2027-04-15T10:00:00.000Z");
      expect(await w.consent.isPermitted(query(w, learner))).toMatchObject({
        permitted: false,
        reason: /ended/,
      });
      expect(new Set(await w.consent.consentingLearners(w.agreementId))).toEqual(new Set());
      const { expired } = await w.consent.sweep();
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ event: "expire", state: "expired", by: "system" });
      expect((await w.consent.sweep()).expired).toHaveLength(0);

      // An agreement that ends soon ends the consent asked under it.
      const shortId = await w.agree({ notAfter: "2027-06-01T00:00:00Z" });
      const other = pseudonym();
      await w.consent.request(
        {
          agreement: shortId,
          learner: other,
          notice: { id: "n", digest: "cd".repeat(32) },
          language: "en",
          jurisdiction: "DE",
          purposes: ["dpv:TrainAIModel"],
          recipients: ["lab"],
          dataCategories: ["pd:Behavioral"],
          retention: { until: "2035-01-01T00:00:00Z" },
          storageLocations: ["DE"],
        },
        "univ",
      );
      await w.consent.give(await w.link({ sub: other, agr: shortId }));
      const q = {
        learner: other,
        agreement: shortId,
        purpose: "dpv:TrainAIModel",
        recipient: "lab",
        dataCategory: "pd:Behavioral",
      };
      expect((await w.consent.isPermitted(q)).permitted).toBe(true);
      w.clock.now = new Date("2027-06-01T00:00:00.000Z");
      expect(await w.consent.isPermitted(q)).toMatchObject({
        permitted: false,
        reason: /agreement is not in force/,
      });
      expect((await w.consent.sweep()).expired.map((c) => c.learner)).toEqual([other]);
    });

    it("answers for a past instant from the events", async () => {
      const learner = pseudonym();
      await w.request(learner);
      const t0 = new Date(w.clock.now);
      w.clock.now = new Date("2027-03-16T10:00:00.000Z");
      await w.consent.give(await w.link({ sub: learner }));
      w.clock.now = new Date("2027-03-17T10:00:00.000Z");
      await w.consent.withdraw(
        { learner, agreement: w.agreementId },
        { link: await w.link({ sub: learner }) },
      );
      expect((await w.consent.isPermitted(query(w, learner, { at: t0 }))).permitted).toBe(false);
      expect(
        (await w.consent.isPermitted(query(w, learner, { at: new Date("2027-03-16T12:00:00Z") }))).permitted,
      ).toBe(true);
      expect((await w.consent.isPermitted(query(w, learner))).permitted).toBe(false);
    });

    it("concurrent give and withdraw on the same record end in one well-defined state", async () => {
      for (let round = 0; round < 6; round++) {
        const learner = pseudonym();
        const { changes } = await w.request(learner);
        const record = changes[0]?.record as string;
        const [giveLink, withdrawLink] = [await w.link({ sub: learner }), await w.link({ sub: learner })];
        const results = await Promise.allSettled([
          w.consent.give(giveLink, [record]),
          w.consent.withdraw(record, { link: withdrawLink }),
        ]);
        const events = (await w.consent.events(record)).map((e) => e.event);
        const state = (await w.consent.status(record)).state;
        expect(results[0].status).toBe("fulfilled");
        if (results[1].status === "fulfilled") {
          expect(events).toEqual(["request", "give", "withdraw"]);
          expect(state).toBe("withdrawn");
        } else {
          expect(results[1].reason).toBeInstanceOf(ConsentError);
          expect(events).toEqual(["request", "give"]);
          expect(state).toBe("given");
        }
        const seqs = (await w.consent.events(record)).map((e) => e.n);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }
    });

    it("changes for different learners run in parallel and keep the audit chain whole", async () => {
      const learners = Array.from({ length: 8 }, pseudonym);
      await Promise.all(learners.map((l) => w.request(l)));
      const links = await Promise.all(learners.map((l) => w.link({ sub: l })));
      await Promise.all(links.map((link) => w.consent.give(link)));
      expect((await w.consent.consentingLearners(w.agreementId)).size).toBe(8);
      expect((await w.consent.jwks()).keys).toHaveLength(1);
      expect((await w.audit.verify()).ok).toBe(true);
    });

    it("receipts chain per record and verify with the published JWKS; every change is audited", async () => {
      const learner = pseudonym();
      const r1 = (await w.request(learner)).changes[0];
      const r2 = (await w.consent.give(await w.link({ sub: learner })))[0];
      const r3 = (
        await w.consent.withdraw(r2?.record as string, { link: await w.link({ sub: learner }) })
      )[0];
      const jwks = await w.consent.jwks();
      expect(jwks.keys).toHaveLength(1);
      const v3 = await verifyReceipt(r3?.receipt as string, jwks, { previous: r2?.receipt as string });
      expect(v3).toMatchObject({
        ok: true,
        payload: {
          seq: 3,
          state: "https://w3id.org/dpv#ConsentWithdrawn",
          agreement: w.agreementId,
          subject: learner,
        },
      });
      expect(
        await verifyReceipt(r2?.receipt as string, jwks, { previous: r1?.receipt as string }),
      ).toMatchObject({ ok: true });
      const audit = (await w.audit.list({ limit: 10000 })).filter((e) => e.action.startsWith("consent."));
      expect(audit.map((e) => e.action)).toEqual(["consent.request", "consent.give", "consent.withdraw"]);
      expect(audit[2]?.details).toMatchObject({ receipt: r3?.receiptHash, state: "withdrawn" });
      expect((await w.audit.verify()).ok).toBe(true);
    });

    it("writes an outbox row and calls listeners in the change's transaction (a throw rolls it back)", async () => {
      const seen: string[] = [];
      const off = w.consent.onChange(async (change, tx) => {
        const n = await tx.one<{ n: number }>(
          "SELECT count(*) AS n FROM consent_events WHERE record_id = ?",
          [change.record],
        );
        seen.push(`${change.event}:${change.stateBefore}->${change.state}:${Number(n?.n)}`);
      });
      const learner = pseudonym();
      await w.request(learner);
      await w.consent.give(await w.link({ sub: learner }));
      off();
      expect(seen).toEqual(["request:unknown->requested:1", "give:requested->given:2"]);
      const outbox = await w.consent.outbox();
      expect(outbox.map((r) => `${r.event}:${r.state_before}->${r.state}`)).toEqual([
        "request:unknown->requested",
        "give:requested->given",
      ]);
      w.consent.onChange(() => {
        throw new Error("listener failed");
      });
      const before = await eventCount();
      await expect(
        w.consent.withdraw({ learner, agreement: w.agreementId }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/listener failed/);
      expect(await eventCount()).toBe(before);
    });

    it("never updates nor deletes records, events or the outbox (triggers on both backends)", async () => {
      const learner = pseudonym();
      await w.request(learner);
      for (const sql of [
        "UPDATE consent_events SET state = 'given'",
        "DELETE FROM consent_events",
        "UPDATE consent_records SET learner = 'x'",
        "DELETE FROM consent_records",
        "UPDATE consent_outbox SET state = 'given'",
        "DELETE FROM consent_outbox",
      ])
        await expect(db.run(sql)).rejects.toThrow(/append-only|never/);
    });

    it("the current table is an index: rebuilt from the events it gives the same answers", async () => {
      const learners = Array.from({ length: 6 }, pseudonym);
      for (const [i, l] of learners.entries()) {
        await w.request(l, { purposes: ["dpv:AcademicResearch", "dpv:TrainAIModel"] });
        if (i % 3 !== 2) await w.consent.give(await w.link({ sub: l }));
        if (i % 3 === 1)
          await w.consent.withdraw(
            { learner: l, agreement: w.agreementId },
            { link: await w.link({ sub: l }) },
          );
      }
      const before = new Set(await w.consent.consentingLearners(w.agreementId));
      const snapshot = await db.all("SELECT * FROM consent_current ORDER BY record_id");
      const members = await db.all("SELECT * FROM consent_cohort_members ORDER BY cohort, learner");
      await db.run("DELETE FROM consent_current");
      await db.run("DELETE FROM consent_cohort_members");
      expect(new Set(await w.consent.consentingLearners(w.agreementId))).toEqual(new Set());
      const rebuilt = await w.consent.rebuildCurrent();
      expect(rebuilt).toEqual({ records: 12, differed: 12 });
      expect(await db.all("SELECT * FROM consent_current ORDER BY record_id")).toEqual(snapshot);
      expect(await db.all("SELECT * FROM consent_cohort_members ORDER BY cohort, learner")).toEqual(members);
      expect(new Set(await w.consent.consentingLearners(w.agreementId))).toEqual(before);
      expect(before).toEqual(new Set([learners[0], learners[3]]));
      expect(await w.consent.rebuildCurrent()).toEqual({ records: 12, differed: 0 });
    });

    it("refuses to record any change without a master key, and says how to make one", async () => {
      const keyless = new ConsentRegistry(db, new AuditLog(db), w.agreements, {
        now: () => w.clock.now,
        masterKey: () => undefined,
      });
      const input = {
        agreement: w.agreementId,
        learner: pseudonym(),
        notice: { id: "n", digest: "ab".repeat(32) },
        language: "fr",
        jurisdiction: "FR",
        purposes: ["dpv:AcademicResearch"],
        recipients: ["lab"],
        dataCategories: ["pd:EducationExperience"],
        retention: { duration: "P1Y" },
        storageLocations: ["FR"],
      };
      const before = await eventCount();
      await expect(keyless.request(input, "univ")).rejects.toSatisfy(refusal(503, /no master key/));
      expect(await eventCount()).toBe(before);
      // The key is sealed: its private half is not in the table in clear.
      await w.request(pseudonym());
      const row = await db.one<{ sealed_private: Buffer }>(
        "SELECT sealed_private FROM consent_registry_keys",
      );
      expect(Buffer.from(row?.sealed_private as Buffer).length).toBeGreaterThan(32);
      // Under another master key the sealed key does not open: no change either.
      const wrong = new ConsentRegistry(db, new AuditLog(db), w.agreements, {
        now: () => w.clock.now,
        masterKey: randomBytes(32),
      });
      const count = await eventCount();
      await expect(wrong.request({ ...input, learner: pseudonym() }, "univ")).rejects.toThrow(
        /wrong master key/,
      );
      expect(await eventCount()).toBe(count);
    });
  });
}
