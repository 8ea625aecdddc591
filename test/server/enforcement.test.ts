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

    it("the outsider's own agreement is its to ask about", async () => {
      const r = await decide("other", { step: "dataset-build", request: derive }, outsiderAgreement);
      expect(r.json().decision).toBe("Permit");
    });
  });
}
