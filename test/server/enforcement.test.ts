import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgreementRegistry,
  generateParticipantKey,
  type ParticipantKeyPair,
  signAgreement,
} from "../../src/contract/agreements/index.js";
import { signDeletion } from "../../src/contract/enforcement/index.js";
import { backends } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

const EX = "https://example.org/";
const DAY = 86_400_000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString();

const policy = {
  "@context": [
    "http://www.w3.org/ns/odrl.jsonld",
    { dpv: "https://w3id.org/dpv#", lp: "https://w3id.org/learnpool/odrl/", ex: EX },
  ],
  "@type": "Agreement",
  assigner: "ex:univ-lyon",
  assignee: "ex:lab-ai",
  target: "ex:datasets/moodle-traces",
  permission: [
    {
      uid: "ex:rules/train",
      action: "derive",
      constraint: [
        { leftOperand: "purpose", operator: "isA", rightOperand: { "@id": "dpv:ResearchAndDevelopment" } },
      ],
      duty: [
        {
          uid: "ex:duties/delete",
          action: "delete",
          constraint: [
            {
              leftOperand: "dateTime",
              operator: "lteq",
              rightOperand: { "@value": inDays(30), "@type": "xsd:dateTime" },
            },
          ],
        },
      ],
    },
  ],
};

for (const backend of await backends()) {
  describe(`enforcement over HTTP (${backend.name})`, () => {
    let t: TestLrs;
    let agreementId: string;
    let outsiderAgreement: string;
    const headers: Record<string, Record<string, string>> = {};
    const keys: Record<string, ParticipantKeyPair> = {};

    beforeAll(async () => {
      t = await testLrs(backend);
      const registry = new AgreementRegistry(t.db, t.lrs.audit);
      for (const [id, role, iri] of [
        ["op", "operator", `${EX}operator`],
        ["univ", "provider", `${EX}univ-lyon`],
        ["lab", "consumer", `${EX}lab-ai`],
        ["other", "consumer", `${EX}other-lab`],
      ] as const) {
        headers[id] = (await t.credential(id))();
        await registry.participants.register({ id, role, iri }, "test");
        keys[id] = await generateParticipantKey();
        await registry.participants.addKey(id, keys[id]!.publicJwk, "test");
      }
      headers.stranger = (await t.credential("stranger"))();
      // The lab's read-only credential: it reads, it does not change state.
      headers.labRead = (await t.credential("lab", ["all/read"]))();
      const make = async (consumer: string) => {
        const made = await registry.propose({
          proposedBy: consumer,
          parties: [
            { participant: "op", role: "operator" },
            { participant: "univ", role: "provider" },
            { participant: consumer, role: "consumer" },
          ],
          policy: consumer === "lab" ? policy : { ...policy, assignee: "ex:other-lab" },
          notAfter: inDays(365),
        });
        for (const p of ["op", "univ", consumer])
          await registry.sign(
            made.id,
            p,
            await signAgreement(made.canonical, keys[p]!.privateJwk, keys[p]!.kid),
          );
        return made.id;
      };
      agreementId = await make("lab");
      outsiderAgreement = await make("other");
    });
    afterAll(async () => {
      await t.close();
    });

    const decide = (who: string, body: unknown, id = agreementId) =>
      t.app.inject({
        method: "POST",
        url: `/contract/agreements/${encodeURIComponent(id)}/decisions`,
        headers: { ...(headers[who] ?? {}), "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
    const derive = {
      action: "derive",
      target: `${EX}datasets/moodle-traces`,
      context: { purpose: "dpv:AcademicResearch" },
    };

    it("every endpoint authenticates", async () => {
      expect((await decide("nobody", { step: "transfer", request: derive })).statusCode).toBe(401);
      expect((await t.app.inject({ method: "GET", url: "/contract/duties" })).statusCode).toBe(401);
      const r = await t.app.inject({ method: "POST", url: "/contract/duties/x/evidence", payload: "{}" });
      expect(r.statusCode).toBe(401);
      expect(r.headers["www-authenticate"]).toContain("Basic");
    });

    it("a party asks a decision for a step: decision, reason, opened duties", async () => {
      const r = await decide("lab", { step: "dataset-build", request: derive });
      expect(r.statusCode).toBe(200);
      const body = r.json();
      expect(body.decision).toBe("Permit");
      expect(body.rule).toBe(`${EX}rules/train`);
      expect(body.duties).toHaveLength(1);
      expect(body.duties[0]).toMatchObject({
        kind: "deletion",
        assignee: "lab",
        due: expect.any(String),
      });
      const denied = (
        await decide("lab", {
          step: "dataset-build",
          request: { ...derive, context: { purpose: "dpv:Marketing" } },
        })
      ).json();
      expect(denied.decision).toBe("Deny");
      expect(denied.constraint).toBeTruthy();
    });

    it("a non-party gets a 404, a non-participant a 403, an unknown step a 400", async () => {
      expect((await decide("other", { step: "transfer", request: derive })).statusCode).toBe(404);
      expect((await decide("stranger", { step: "transfer", request: derive })).statusCode).toBe(403);
      expect((await decide("lab", { step: "sell", request: derive })).statusCode).toBe(400);
      // No stepping back before an expiry or a termination: a decision over HTTP is for now.
      expect(
        (await decide("lab", { step: "transfer", request: derive, at: "2026-01-01T00:00:00Z" })).statusCode,
      ).toBe(400);
      expect((await decide("lab", { step: "transfer", request: { context: {} } })).statusCode).toBe(400);
    });

    it("a party other than the operator asks only as itself", async () => {
      const r = await decide("lab", { step: "transfer", request: { ...derive, assignee: `${EX}univ-lyon` } });
      expect(r.statusCode).toBe(403);
      const op = await decide("op", {
        step: "training-admission",
        request: { ...derive, assignee: `${EX}lab-ai` },
      });
      expect(op.json().decision).toBe("Permit");
    });

    it("duties are listed to the parties of their agreement only", async () => {
      const mine = await t.app.inject({
        method: "GET",
        url: `/contract/duties?agreement=${agreementId}`,
        headers: headers.univ!,
      });
      expect(mine.statusCode).toBe(200);
      expect(mine.json().duties).toHaveLength(1);
      const theirs = await t.app.inject({
        method: "GET",
        url: `/contract/duties?agreement=${agreementId}`,
        headers: headers.other!,
      });
      expect(theirs.statusCode).toBe(404);
      const all = await t.app.inject({
        method: "GET",
        url: "/contract/duties?state=open",
        headers: headers.other!,
      });
      expect(all.json().duties).toEqual([]);
    });

    it("the assignee submits evidence; others are refused", async () => {
      const [duty] = (
        await t.app.inject({
          method: "GET",
          url: `/contract/duties?agreement=${agreementId}`,
          headers: headers.lab!,
        })
      ).json().duties;
      const statement = {
        agreement: agreementId,
        duty: `${EX}duties/delete`,
        deletedAt: new Date().toISOString(),
        deleted: ["dataset v1"],
      };
      const submit = (who: string, body: unknown) =>
        t.app.inject({
          method: "POST",
          url: `/contract/duties/${duty.id}/evidence`,
          headers: { ...headers[who]!, "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
      expect((await submit("other", { jws: "x.y.z" })).statusCode).toBe(404);
      expect(
        (await submit("univ", { jws: await signDeletion(statement, keys.univ!.privateJwk) })).statusCode,
      ).toBe(403);
      const forged = await submit("lab", { jws: await signDeletion(statement, keys.univ!.privateJwk) });
      expect(forged.statusCode).toBe(422);
      expect(forged.json().error.message).toMatch(/assignee/);
      const ok = await submit("lab", { jws: await signDeletion(statement, keys.lab!.privateJwk) });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().duty.state).toBe("fulfilled");
      expect(
        (await submit("lab", { jws: await signDeletion(statement, keys.lab!.privateJwk) })).statusCode,
      ).toBe(409);
    });

    it("asking a decision and submitting evidence change state: scope 'all' is needed", async () => {
      const count = async () =>
        (await t.lrs.audit.list({ limit: 100_000 })).filter((e) => e.action === "contract.decision").length;
      const before = await count();
      const r = await decide("labRead", { step: "dataset-build", request: derive });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.message).toMatch(/scope 'all'/);
      // Refused before the engine: no decision taken, no use counted, no duty opened.
      expect(await count()).toBe(before);
      const [duty] = (
        await t.app.inject({
          method: "GET",
          url: `/contract/duties?agreement=${agreementId}`,
          headers: headers.labRead!,
        })
      ).json().duties;
      expect(duty).toBeDefined();
      const evidence = await t.app.inject({
        method: "POST",
        url: `/contract/duties/${duty.id}/evidence`,
        headers: { ...headers.labRead!, "content-type": "application/json" },
        payload: JSON.stringify({ note: "done" }),
      });
      expect(evidence.statusCode).toBe(403);
      expect(evidence.json().error.message).toMatch(/scope 'all'/);
    });

    it("the outsider's own agreement is its to ask about", async () => {
      const r = await decide("other", { step: "dataset-build", request: derive }, outsiderAgreement);
      expect(r.json().decision).toBe("Permit");
    });
    it("the operator reads the duties of every agreement, party or not; decisions stay the parties'", async () => {
      // Every agreement names the operator of its day: hand the role over to a participant that is
      // party to none of the agreements made so far.
      await t.credential("newop");
      headers.newop = (await t.credential("newop"))();
      await t.db.run("UPDATE participants SET role = 'consumer' WHERE id = 'op'");
      const registry = new AgreementRegistry(t.db, t.lrs.audit);
      await registry.participants.register(
        { id: "newop", role: "operator", iri: `${EX}new-operator` },
        "test",
      );
      try {
        const list = (url: string) => t.app.inject({ method: "GET", url, headers: headers.newop! });
        // As for the agreements themselves, which the operator reads all of.
        expect((await list(`/contract/agreements/${agreementId}`)).statusCode).toBe(200);
        const one = await list(`/contract/duties?agreement=${agreementId}`);
        expect(one.statusCode, one.body).toBe(200);
        expect(one.json().duties.map((d: { agreement: string }) => d.agreement)).toEqual([agreementId]);
        const every = (await list("/contract/duties")).json().duties as { agreement: string }[];
        expect(new Set(every.map((d) => d.agreement))).toEqual(new Set([agreementId, outsiderAgreement]));
        expect((await list("/contract/duties?agreement=urn:uuid:none")).statusCode).toBe(404);
        // Deciding is for the parties.
        expect((await decide("newop", { step: "dataset-build", request: derive })).statusCode).toBe(404);
      } finally {
        await t.db.run("UPDATE participants SET role = 'consumer' WHERE id = 'newop'");
        await t.db.run("UPDATE participants SET role = 'operator' WHERE id = 'op'");
      }
    });
  });
}
