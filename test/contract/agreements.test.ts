import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  type AgreementDraft,
  AgreementError,
  AgreementRegistry,
  computeStatus,
  generateParticipantKey,
  type ParticipantKeyPair,
  revocationStatement,
  signAgreement,
  signEvent,
  terminationStatement,
} from "../../src/contract/agreements/index.js";
import { Tenancy } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

const iri = (id: string) => `urn:learnpool:participant:${id}`;

function draft(overrides: Partial<AgreementDraft> = {}): AgreementDraft {
  return {
    proposedBy: "lab",
    parties: [
      { participant: "op", role: "operator" },
      { participant: "univ", role: "provider" },
      { participant: "mooc", role: "provider" },
      { participant: "lab", role: "consumer" },
    ],
    offers: ["urn:learnpool:offer:univ-traces", "urn:learnpool:offer:mooc-traces"],
    notAfter: "2099-01-01T00:00:00Z",
    linkageDomain: "dropout-2026",
    deidentificationProfile: "strict",
    policy: {
      "@context": ["http://www.w3.org/ns/odrl.jsonld", { dpv: "https://w3id.org/dpv#" }],
      "@type": "Agreement",
      assigner: [iri("univ"), iri("mooc")],
      assignee: iri("lab"),
      target: "urn:learnpool:dataset:dropout",
      permission: [
        {
          action: "derive",
          constraint: [
            {
              leftOperand: "purpose",
              operator: "isA",
              rightOperand: { "@id": "dpv:ResearchAndDevelopment" },
            },
          ],
        },
      ],
    },
    ...overrides,
  };
}

function expectRefusal(promise: Promise<unknown>, status: number, message: RegExp) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    expect(err).toBeInstanceOf(AgreementError);
    expect((err as AgreementError).status).toBe(status);
    expect((err as AgreementError).message).toMatch(message);
    return true;
  });
}

for (const backend of await backends()) {
  describe(`agreements registry (${backend.name})`, () => {
    let db: Database;
    let audit: AuditLog;
    let registry: AgreementRegistry;
    let clock: Date;
    const keys: Record<string, ParticipantKeyPair> = {};

    beforeEach(async () => {
      db = await backend.open();
      audit = new AuditLog(db);
      clock = new Date();
      registry = new AgreementRegistry(db, audit, { now: () => clock });
      const tenancy = new Tenancy(db, audit, "http://lrs.test");
      const roles = {
        op: "operator",
        univ: "provider",
        mooc: "provider",
        lab: "consumer",
        other: "provider",
      } as const;
      for (const [id, role] of Object.entries(roles)) {
        await tenancy.createStore(id, id, "test");
        await registry.participants.register({ id, role, title: id.toUpperCase() }, "test");
        keys[id] = await generateParticipantKey();
        await registry.participants.addKey(id, keys[id]!.publicJwk, "test");
      }
    });
    afterEach(async () => {
      await db.close();
    });

    const signAs = async (id: string, agreementId: string, participant = id) => {
      const agreement = (await registry.get(agreementId))!;
      const key = keys[id]!;
      return registry.sign(
        agreementId,
        participant,
        await signAgreement(agreement.canonical, key.privateJwk, key.kid),
      );
    };
    const allSign = async (agreementId: string) => {
      for (const id of ["lab", "univ", "mooc", "op"]) await signAs(id, agreementId);
    };

    it("registers participants with default IRIs, one operator, and publishes their unrevoked keys", async () => {
      const lab = await registry.participants.get("lab");
      expect(lab).toMatchObject({ id: "lab", iri: iri("lab"), role: "consumer", title: "LAB" });
      expect((await registry.participants.list()).map((p) => p.id)).toEqual([
        "lab",
        "mooc",
        "op",
        "other",
        "univ",
      ]);
      await expectRefusal(
        registry.participants.register({ id: "lab", role: "consumer" }, "t"),
        409,
        /registered already/,
      );
      await expectRefusal(
        registry.participants.register({ id: "nostore", role: "provider" }, "t"),
        404,
        /no store/,
      );
      await new Tenancy(db, audit, "x").createStore("op2", "op2", "t");
      await expectRefusal(
        registry.participants.register({ id: "op2", role: "operator" }, "t"),
        409,
        /one operator/,
      );

      const second = await generateParticipantKey();
      await registry.participants.addKey("lab", second.publicJwk, "test");
      let jwks = await registry.participants.jwks("lab");
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([keys.lab!.kid, second.kid].sort());
      expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      expect(JSON.stringify(jwks)).not.toContain('"d"');
      await registry.participants.revokeKey("lab", keys.lab!.kid, "test");
      jwks = await registry.participants.jwks("lab");
      expect(jwks.keys.map((k) => k.kid)).toEqual([second.kid]);
      await expectRefusal(registry.participants.revokeKey("lab", keys.lab!.kid, "t"), 409, /revoked at/);
      await expectRefusal(registry.participants.addKey("lab", keys.lab!.privateJwk, "t"), 400, /private key/);
      await expectRefusal(
        registry.participants.addKey("univ", second.publicJwk, "t"),
        409,
        /another participant/,
      );
      // The key table refuses anything but a single revocation.
      await expect(
        db.run("UPDATE participant_keys SET public_jwk = ? WHERE kid = ?", ["{}", second.kid]),
      ).rejects.toThrow(/only ever revoked/);
    });

    it("fixes the document at proposal: canonical text, digest, id as the ODRL uid, parties' IRIs", async () => {
      const agreement = await registry.propose(draft());
      expect(agreement.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(agreement.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.parse(agreement.canonical)).toEqual(agreement.document);
      expect(agreement.document.policy.uid).toBe(agreement.id);
      expect(agreement.parties).toContainEqual({ participant: "lab", iri: iri("lab"), role: "consumer" });
      expect(agreement).toMatchObject({ linkageDomain: "dropout-2026", deidentificationProfile: "strict" });
      const again = await registry.get(agreement.id);
      expect(again?.canonical).toBe(agreement.canonical);
      expect(again?.digest).toBe(agreement.digest);
      const policy = await registry.policyOf(agreement.id);
      expect(policy.type).toBe("Agreement");
      expect(policy.id).toBe(agreement.id);
      expect(policy.permissions[0]?.assignees).toEqual([iri("lab")]);
      expect(policy.permissions[0]?.assigners.sort()).toEqual([iri("mooc"), iri("univ")]);
      const status = await registry.status(agreement.id);
      expect(status).toMatchObject({ state: "proposed", valid: false, signedBy: [] });
      expect(status.missing.sort()).toEqual(["lab", "mooc", "op", "univ"]);
      expect((await registry.list({ participant: "univ" })).map((a) => a.id)).toEqual([agreement.id]);
      expect(await registry.list({ participant: "other" })).toEqual([]);
    });

    it("refuses malformed drafts with what is wrong", async () => {
      await expectRefusal(registry.propose(draft({ proposedBy: "univ" })), 403, /operator or its consumer/);
      await expectRefusal(
        registry.propose(draft({ parties: draft().parties.filter((p) => p.role !== "consumer") })),
        400,
        /exactly one consumer/,
      );
      await expectRefusal(
        registry.propose(
          draft({ parties: [...draft().parties, { participant: "ghost", role: "provider" }] }),
        ),
        400,
        /'ghost' is not registered/,
      );
      await expectRefusal(
        registry.propose(
          draft({ parties: [...draft().parties.slice(0, 3), { participant: "op", role: "consumer" }] }),
        ),
        400,
        /named twice|registered as operator/,
      );
      await expectRefusal(
        registry.propose(draft({ notAfter: "2000-01-01T00:00:00Z" })),
        400,
        /notAfter must be later/,
      );
      await expectRefusal(registry.propose(draft({ notAfter: "soon" })), 400, /ISO 8601/);
      const policy = { ...draft().policy, assignee: "https://example.org/stranger" };
      await expectRefusal(registry.propose(draft({ policy })), 400, /not the IRI of any party/);
      await expectRefusal(
        registry.propose(draft({ policy: { ...draft().policy, "@type": "Offer" } })),
        400,
        /ODRL Agreement/,
      );
      await expectRefusal(
        registry.propose(
          draft({
            policy: { ...draft().policy, uid: "urn:uuid:00000000-0000-4000-8000-000000000001" },
            id: "urn:uuid:00000000-0000-4000-8000-000000000002",
          }),
        ),
        400,
        /is not the agreement's id/,
      );
    });

    it("is final only once every party has signed, and then valid within its dates", async () => {
      const agreement = await registry.propose(draft());
      let status = await signAs("lab", agreement.id);
      expect(status).toMatchObject({ state: "proposed", valid: false, signedBy: ["lab"] });
      status = await signAs("univ", agreement.id);
      status = await signAs("mooc", agreement.id);
      expect(status.state).toBe("proposed");
      expect(status.missing).toEqual(["op"]);
      expect(status.reason).toMatch(/waiting for the signature of op/);
      status = await signAs("op", agreement.id);
      expect(status).toMatchObject({ state: "final", valid: true, missing: [] });
      expect(status.signedBy).toEqual(["lab", "univ", "mooc", "op"]);
      await expectRefusal(signAs("lab", agreement.id), 409, /signed agreement .* already/);

      const events = await registry.events(agreement.id);
      expect(events.map((e) => e.type)).toEqual(["proposed", "signed", "signed", "signed", "signed"]);
      expect(events[0]!.prevHash).toBe(agreement.digest);
      for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
      // A detached payload: the JWS carries only the header and the signature.
      expect(events[1]!.jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
      expect(await registry.verify(agreement.id)).toEqual({
        ok: true,
        agreementId: agreement.id,
        digest: agreement.digest,
        events: 5,
      });
      const trail = (await audit.list()).filter((e) => e.subject === `agreement:${agreement.id}`);
      expect(trail.map((e) => e.action)).toEqual([
        "agreement.proposed",
        "agreement.signed",
        "agreement.signed",
        "agreement.signed",
        "agreement.signed",
      ]);
      expect((await audit.verify()).ok).toBe(true);
    });

    it("goes from not yet valid to final to expired with the dates", async () => {
      const agreement = await registry.propose(
        draft({ notBefore: "2090-01-01T00:00:00Z", notAfter: "2091-01-01T00:00:00Z" }),
      );
      await allSign(agreement.id);
      expect(await registry.status(agreement.id)).toMatchObject({ state: "not-yet-valid", valid: false });
      expect(await registry.status(agreement.id, new Date("2090-06-01T00:00:00Z"))).toMatchObject({
        state: "final",
        valid: true,
      });
      const expired = await registry.status(agreement.id, new Date("2091-01-01T00:00:00Z"));
      expect(expired).toMatchObject({
        state: "expired",
        valid: false,
        reason: "expired at 2091-01-01T00:00:00.000Z",
      });
      // Before any signature was recorded, it was only proposed.
      const before = await registry.status(agreement.id, new Date(clock.getTime() - 1));
      expect(before.state).toBe("proposed");
      // No signature once expired.
      const late = await registry.propose(
        draft({ notAfter: new Date(clock.getTime() + 60_000).toISOString() }),
      );
      clock = new Date(clock.getTime() + 120_000);
      await expectRefusal(signAs("lab", late.id), 409, /cannot be signed: expired/);
    });

    it("rejects a wrong key, a non-party, a revoked key and a modified payload, saying which", async () => {
      const agreement = await registry.propose(draft());
      // The lab signs with the university's key.
      const univKey = keys.univ!;
      const jwsByUniv = await signAgreement(agreement.canonical, univKey.privateJwk, univKey.kid);
      await expectRefusal(registry.sign(agreement.id, "lab", jwsByUniv), 422, /is not participant 'lab''s/);
      // A key that claims the lab's kid but is another.
      const forged = await signAgreement(agreement.canonical, keys.mooc!.privateJwk, keys.lab!.kid);
      await expectRefusal(registry.sign(agreement.id, "lab", forged), 422, /does not verify/);
      // An unregistered key.
      const stranger = await generateParticipantKey();
      await expectRefusal(
        registry.sign(
          agreement.id,
          "lab",
          await signAgreement(agreement.canonical, stranger.privateJwk, stranger.kid),
        ),
        422,
        /no registered key/,
      );
      // Not a party.
      await expectRefusal(signAs("other", agreement.id), 403, /'other' is not a party/);
      await expectRefusal(
        registry.sign("urn:uuid:00000000-0000-4000-8000-000000000000", "lab", jwsByUniv),
        404,
        /no agreement/,
      );
      // A modified payload: signed over a text that is not the stored one.
      const modified = agreement.canonical.replace("dropout-2026", "dropout-2027");
      await expectRefusal(
        registry.sign(
          agreement.id,
          "lab",
          await signAgreement(modified, keys.lab!.privateJwk, keys.lab!.kid),
        ),
        422,
        /does not verify over the agreement's canonical text/,
      );
      // An embedded payload is not the detached form.
      const [h, , s] = (await signAgreement(agreement.canonical, keys.lab!.privateJwk, keys.lab!.kid)).split(
        ".",
      );
      await expectRefusal(registry.sign(agreement.id, "lab", `${h}.eyJ9.${s}`), 422, /detached payload/);
      await expectRefusal(registry.sign(agreement.id, "lab", "not a jws"), 400, /three parts/);
      // A revoked key signs no more; a new key does.
      await registry.participants.revokeKey("lab", keys.lab!.kid, "test");
      await expectRefusal(signAs("lab", agreement.id), 422, /was revoked at/);
      keys.lab = await generateParticipantKey();
      await registry.participants.addKey("lab", keys.lab.publicJwk, "test");
      expect((await signAs("lab", agreement.id)).signedBy).toEqual(["lab"]);
      expect((await registry.verify(agreement.id)).ok).toBe(true);
    });

    it("keeps signatures made before a key's revocation verifiable", async () => {
      const agreement = await registry.propose(draft());
      await allSign(agreement.id);
      clock = new Date(clock.getTime() + 1000);
      await registry.participants.revokeKey("univ", keys.univ!.kid, "test");
      expect(await registry.verify(agreement.id)).toMatchObject({ ok: true, events: 5 });
      expect((await registry.status(agreement.id)).state).toBe("final");
    });

    it("termination by any party ends it, with the reason, and nothing follows", async () => {
      const agreement = await registry.propose(draft());
      await allSign(agreement.id);
      clock = new Date(clock.getTime() + 1000);
      const statement = terminationStatement(agreement, "the study ended early", clock);
      const jws = await signEvent(statement, keys.mooc!.privateJwk, keys.mooc!.kid);
      // Someone else's key, or the statement presented as someone else's act, is refused.
      await expectRefusal(registry.terminate(agreement.id, "univ", jws), 422, /is not participant 'univ''s/);
      const status = await registry.terminate(agreement.id, "mooc", jws);
      expect(status).toMatchObject({ state: "terminated", valid: false });
      expect(status.reason).toMatch(/^terminated by mooc at .*: the study ended early$/);
      await expectRefusal(signAs("lab", agreement.id), 409, /already/);
      const again = await signEvent(
        terminationStatement(agreement, "twice", clock),
        keys.lab!.privateJwk,
        keys.lab!.kid,
      );
      await expectRefusal(
        registry.terminate(agreement.id, "lab", again),
        409,
        /cannot be terminated: terminated by mooc/,
      );
      const events = await registry.events(agreement.id);
      expect(events.at(-1)).toMatchObject({ type: "terminated", participant: "mooc" });
      expect(events.at(-1)?.statement).toEqual(statement);
      expect((await registry.verify(agreement.id)).ok).toBe(true);
      // Before the termination, it was valid.
      expect((await registry.status(agreement.id, new Date(clock.getTime() - 1))).state).toBe("final");
      const trail = await audit.list();
      expect(trail.at(-1)).toMatchObject({
        action: "agreement.terminated",
        details: { reason: "the study ended early" },
      });
    });

    it("checks what a termination or revocation statement says", async () => {
      const agreement = await registry.propose(draft());
      const other = await registry.propose(draft());
      const sign = (s: ReturnType<typeof terminationStatement>, id = "lab") =>
        signEvent(s, keys[id]!.privateJwk, keys[id]!.kid);
      await expectRefusal(
        registry.terminate(agreement.id, "lab", await sign(terminationStatement(other, "x", clock))),
        422,
        /is for agreement/,
      );
      await expectRefusal(
        registry.terminate(
          agreement.id,
          "lab",
          await sign({ ...terminationStatement(agreement, "x", clock), digest: "0".repeat(64) }),
        ),
        422,
        /digest/,
      );
      await expectRefusal(
        registry.terminate(agreement.id, "lab", await sign(revocationStatement(agreement, "x", clock))),
        422,
        /is a revoked, not a terminated/,
      );
      await expectRefusal(
        registry.terminate(
          agreement.id,
          "lab",
          await sign(terminationStatement(agreement, "x", new Date(clock.getTime() - 3_600_000))),
        ),
        422,
        /more than 10 minutes/,
      );
      expect(() => terminationStatement(agreement, "  ")).toThrow(/needs a reason/);
      // A proposal may be withdrawn by terminating it.
      const status = await registry.terminate(
        agreement.id,
        "lab",
        await sign(terminationStatement(agreement, "changed our mind", clock)),
      );
      expect(status.state).toBe("terminated");
    });

    it("revocation is the operator's: it ends the agreement for every party", async () => {
      const agreement = await registry.propose(draft());
      await allSign(agreement.id);
      const byProvider = await signEvent(
        revocationStatement(agreement, "mine", clock),
        keys.univ!.privateJwk,
        keys.univ!.kid,
      );
      await expectRefusal(
        registry.revoke(agreement.id, "univ", byProvider),
        403,
        /only the operator revokes/,
      );
      const jws = await signEvent(
        revocationStatement(agreement, "breach of the deletion duty", clock),
        keys.op!.privateJwk,
        keys.op!.kid,
      );
      const status = await registry.revoke(agreement.id, "op", jws);
      expect(status).toMatchObject({ state: "revoked", valid: false });
      expect(status.reason).toMatch(/revoked by op at .*: breach of the deletion duty/);
      expect((await registry.verify(agreement.id)).ok).toBe(true);
    });

    it("never updates an agreement, its parties or its events", async () => {
      const agreement = await registry.propose(draft());
      await signAs("lab", agreement.id);
      await expect(
        db.run("UPDATE agreements SET document = ? WHERE id = ?", ["{}", agreement.id]),
      ).rejects.toThrow(/immutable/);
      await expect(
        db.run("DELETE FROM agreement_events WHERE agreement_id = ?", [agreement.id]),
      ).rejects.toThrow(/append-only|immutable/);
      await expect(
        db.run("UPDATE agreement_parties SET role = 'operator' WHERE participant = 'lab'"),
      ).rejects.toThrow(/immutable/);
      expect((await registry.get(agreement.id))?.canonical).toBe(agreement.canonical);
    });

    /** Lets a test write past the guards, as someone with the database's files would. */
    async function tamper(table: string, sql: string, params: (string | number)[]) {
      if (db.dialect === "sqlite") {
        const triggers = await db.all<{ name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
          [table],
        );
        for (const t of triggers) await db.exec(`DROP TRIGGER ${t.name}`);
        await db.run(sql, params);
        for (const t of triggers) await db.exec(t.sql);
      } else {
        await db.exec(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
        await db.run(sql, params);
        await db.exec(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
      }
    }

    it("verify detects a tampered document, digest, event or key", async () => {
      const a = await registry.propose(draft());
      await allSign(a.id);
      const tampered = a.canonical.replace('"strict"', '"none"');
      await tamper("agreements", "UPDATE agreements SET document = ? WHERE id = ?", [tampered, a.id]);
      expect(await registry.verify(a.id)).toMatchObject({
        ok: false,
        failure: { reason: "the stored document does not match its digest" },
      });
      // Digest recomputed too: the chain's first link and the signatures no longer hold.
      await tamper("agreements", "UPDATE agreements SET digest = ? WHERE id = ?", [
        (await import("../../src/contract/agreements/index.js")).digestOf(tampered),
        a.id,
      ]);
      expect(await registry.verify(a.id)).toMatchObject({ ok: false, failure: { seq: 1, reason: /link/ } });

      const b = await registry.propose(draft());
      await allSign(b.id);
      await tamper(
        "agreement_events",
        "UPDATE agreement_events SET participant = ? WHERE agreement_id = ? AND seq = ?",
        ["mooc", b.id, 3],
      );
      expect(await registry.verify(b.id)).toMatchObject({
        ok: false,
        failure: { seq: 3, reason: /does not match its hash/ },
      });

      const c = await registry.propose(draft());
      await allSign(c.id);
      await tamper("agreement_events", "DELETE FROM agreement_events WHERE agreement_id = ? AND seq = ?", [
        c.id,
        5,
      ]);
      // A dropped tail leaves a valid chain, but the audit trail recorded the event.
      expect((await registry.status(c.id)).state).toBe("proposed");
      expect(await registry.verify(c.id)).toMatchObject({
        ok: false,
        failure: { seq: 5, reason: "event 5 is not the one the audit trail recorded" },
      });
      await tamper("agreement_events", "DELETE FROM agreement_events WHERE agreement_id = ? AND seq = ?", [
        c.id,
        2,
      ]);
      expect(await registry.verify(c.id)).toMatchObject({
        ok: false,
        failure: { seq: 2, reason: "event 2 is missing" },
      });

      const d = await registry.propose(draft());
      await allSign(d.id);
      const swapped = await generateParticipantKey();
      await tamper("participant_keys", "UPDATE participant_keys SET public_jwk = ? WHERE kid = ?", [
        JSON.stringify(swapped.publicJwk),
        keys.univ!.kid,
      ]);
      const result = await registry.verify(d.id);
      expect(result.ok).toBe(false);
      expect(result.failure?.reason).toMatch(/not the key of that thumbprint/);
    });

    it("computes status purely from events and dates", () => {
      const document = {
        type: "LearnpoolAgreement" as const,
        version: 1 as const,
        id: "urn:uuid:00000000-0000-4000-8000-000000000000",
        createdAt: "2030-01-01T00:00:00.000Z",
        proposedBy: "lab",
        parties: [
          { participant: "lab", iri: iri("lab"), role: "consumer" as const },
          { participant: "op", iri: iri("op"), role: "operator" as const },
        ],
        offers: [],
        validity: { notBefore: "2030-01-01T00:00:00.000Z", notAfter: "2031-01-01T00:00:00.000Z" },
        policy: {},
      };
      const ev = (seq: number, type: "proposed" | "signed", participant: string, at: string) => ({
        agreementId: document.id,
        seq,
        type,
        participant,
        kid: null,
        jws: null,
        at,
        prevHash: "",
        hash: "",
      });
      const events = [
        ev(1, "proposed", "lab", "2030-01-01T00:00:00.000Z"),
        ev(2, "signed", "lab", "2030-01-02T00:00:00.000Z"),
        ev(3, "signed", "op", "2030-01-03T00:00:00.000Z"),
      ];
      expect(computeStatus(document, "d", events, new Date("2030-01-02T12:00:00Z"))).toMatchObject({
        state: "proposed",
        missing: ["op"],
      });
      expect(computeStatus(document, "d", events, new Date("2030-01-04T00:00:00Z")).state).toBe("final");
      expect(computeStatus(document, "d", events, new Date("2031-01-04T00:00:00Z")).state).toBe("expired");
    });
  });
}
