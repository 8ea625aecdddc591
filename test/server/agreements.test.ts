import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AgreementRegistry,
  generateParticipantKey,
  type ParticipantKeyPair,
  revocationStatement,
  signAgreement,
  signEvent,
  terminationStatement,
} from "../../src/contract/agreements/index.js";
import { backends } from "../helpers/databases.js";
import { basic, type TestLrs, testLrs } from "../helpers/server.js";

const iri = (id: string) => `urn:learnpool:participant:${id}`;

for (const backend of await backends()) {
  describe(`contract agreements over HTTP (${backend.name})`, () => {
    let t: TestLrs;
    const auth: Record<string, string> = {};
    const keys: Record<string, ParticipantKeyPair> = {};

    const call = (method: "GET" | "POST", url: string, who?: string, body?: unknown) =>
      t.app.inject({
        method,
        url,
        headers: {
          ...(who && { authorization: auth[who] }),
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });

    beforeEach(async () => {
      t = await testLrs(backend);
      for (const id of ["op", "univ", "lab", "other"]) {
        await t.lrs.tenancy.ensureStore(id, id, "test");
        const made = await t.lrs.tenancy.addCredential({ storeId: id, actor: "test" });
        auth[id] = basic(made.key, made.secret);
        keys[id] = await generateParticipantKey();
      }
      const readOnly = await t.lrs.tenancy.addCredential({
        storeId: "lab",
        scopes: ["all/read"],
        actor: "test",
      });
      auth["lab-read"] = basic(readOnly.key, readOnly.secret);
      // The operator is registered from the command line (the server's administrator); the rest over HTTP.
      const registry = new AgreementRegistry(t.db, t.lrs.audit);
      await registry.participants.register({ id: "op", role: "operator" }, "test");
      await registry.participants.addKey("op", keys.op!.publicJwk, "test");
      for (const [id, role] of [
        ["univ", "provider"],
        ["lab", "consumer"],
        ["other", "provider"],
      ] as const) {
        const res = await call("POST", "/contract/participants", "op", {
          id,
          role,
          title: id,
          keys: [keys[id]!.publicJwk],
        });
        expect(res.statusCode, res.body).toBe(201);
      }
    });
    afterEach(async () => {
      await t.close();
    });

    const draft = {
      parties: [
        { participant: "op", role: "operator" },
        { participant: "univ", role: "provider" },
        { participant: "lab", role: "consumer" },
      ],
      offers: ["urn:learnpool:offer:univ"],
      notAfter: "2099-01-01T00:00:00Z",
      policy: {
        "@context": "http://www.w3.org/ns/odrl.jsonld",
        "@type": "Agreement",
        assigner: iri("univ"),
        assignee: iri("lab"),
        target: "urn:learnpool:dataset:univ",
        permission: [{ action: "use" }],
      },
    };

    async function propose(): Promise<{ id: string; canonical: string; digest: string }> {
      const res = await call("POST", "/contract/agreements", "lab", draft);
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    }
    const sign = async (who: string, id: string, canonical: string) =>
      call("POST", `/contract/agreements/${id}/signatures`, who, {
        jws: await signAgreement(canonical, keys[who]!.privateJwk, keys[who]!.kid),
      });

    it("registers participants only for the operator, and says why not", async () => {
      expect(
        (await call("POST", "/contract/participants", undefined, { id: "x", role: "provider" })).statusCode,
      ).toBe(401);
      const byProvider = await call("POST", "/contract/participants", "univ", { id: "x", role: "provider" });
      expect(byProvider.statusCode).toBe(403);
      expect(byProvider.json().error.message).toBe("only the operator registers participants");
      const noStore = await call("POST", "/contract/participants", "op", { id: "nowhere", role: "provider" });
      expect(noStore.statusCode).toBe(404);
      expect(noStore.json().error.message).toMatch(/no store 'nowhere'/);
      const badRole = await call("POST", "/contract/participants", "op", { id: "x", role: "king" });
      expect(badRole.statusCode).toBe(400);
      const list = await call("GET", "/contract/participants", "lab");
      expect(list.json().map((p: { id: string }) => p.id)).toEqual(["lab", "op", "other", "univ"]);
      const one = await call("GET", "/contract/participants/lab", "univ");
      expect(one.json()).toMatchObject({
        id: "lab",
        iri: iri("lab"),
        role: "consumer",
        keys: [{ kid: keys.lab!.kid }],
      });
    });

    it("publishes each participant's JWKS without credential, and follows key changes", async () => {
      const res = await call("GET", "/contract/participants/lab/jwks.json");
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/application\/jwk-set\+json/);
      expect(res.json()).toEqual({
        keys: [{ ...keys.lab!.publicJwk, kid: keys.lab!.kid, alg: "EdDSA", use: "sig" }],
      });
      expect((await call("GET", "/contract/participants/nobody/jwks.json")).statusCode).toBe(404);

      const next = await generateParticipantKey();
      expect((await call("POST", "/contract/participants/lab/keys", "lab", next.publicJwk)).statusCode).toBe(
        201,
      );
      expect((await call("POST", "/contract/participants/lab/keys", "univ", next.publicJwk)).statusCode).toBe(
        403,
      );
      const revoked = await call("POST", `/contract/participants/lab/keys/${keys.lab!.kid}/revoke`, "lab");
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().revokedAt).toBeTruthy();
      const after = await call("GET", "/contract/participants/lab/jwks.json");
      expect(after.json().keys.map((k: { kid: string }) => k.kid)).toEqual([next.kid]);
    });

    it("takes a proposal from the consumer, signatures from every party, and becomes final", async () => {
      const byProvider = await call("POST", "/contract/agreements", "univ", draft);
      expect(byProvider.statusCode).toBe(403);
      expect(byProvider.json().error.message).toMatch(/operator or its consumer/);
      expect((await call("POST", "/contract/agreements", "lab-read", draft)).statusCode).toBe(403);

      const a = await propose();
      const canonical = await call("GET", `/contract/agreements/${a.id}/canonical`, "univ");
      expect(canonical.body).toBe(a.canonical);
      for (const who of ["lab", "univ"]) expect((await sign(who, a.id, a.canonical)).statusCode).toBe(200);
      let status = (await call("GET", `/contract/agreements/${a.id}/status`, "lab")).json();
      expect(status).toMatchObject({ state: "proposed", valid: false, missing: ["op"] });
      const last = await sign("op", a.id, a.canonical);
      expect(last.json()).toMatchObject({ state: "final", valid: true, signedBy: ["lab", "univ", "op"] });
      status = (
        await call("GET", `/contract/agreements/${a.id}/status?at=2100-01-01T00:00:00Z`, "lab")
      ).json();
      expect(status.state).toBe("expired");
      expect((await call("GET", `/contract/agreements/${a.id}/verify`, "univ")).json()).toMatchObject({
        ok: true,
        events: 4,
      });
      const events = (await call("GET", `/contract/agreements/${a.id}/events`, "op")).json();
      expect(events.map((e: { type: string }) => e.type)).toEqual(["proposed", "signed", "signed", "signed"]);

      const again = await sign("lab", a.id, a.canonical);
      expect(again.statusCode).toBe(409);
      const wrongKey = await call("POST", `/contract/agreements/${a.id}/signatures`, "univ", {
        jws: await signAgreement(a.canonical, keys.lab!.privateJwk, keys.lab!.kid),
      });
      expect(wrongKey.statusCode).toBe(409); // univ has signed already: that comes first
      expect((await call("POST", `/contract/agreements/${a.id}/signatures`, "lab", {})).statusCode).toBe(400);
    });

    it("refuses a signature with someone else's key or over a modified document", async () => {
      const a = await propose();
      const wrongKey = await call("POST", `/contract/agreements/${a.id}/signatures`, "lab", {
        jws: await signAgreement(a.canonical, keys.univ!.privateJwk, keys.univ!.kid),
      });
      expect(wrongKey.statusCode).toBe(422);
      expect(wrongKey.json().error.message).toMatch(/is not participant 'lab''s/);
      const modified = await call("POST", `/contract/agreements/${a.id}/signatures`, "lab", {
        jws: await signAgreement(a.canonical.replace("univ", "unix"), keys.lab!.privateJwk, keys.lab!.kid),
      });
      expect(modified.statusCode).toBe(422);
      expect(modified.json().error.message).toMatch(/does not verify over the agreement's canonical text/);
    });

    it("shows an agreement only to its parties and the operator", async () => {
      const a = await propose();
      for (const who of ["lab", "univ", "op"]) {
        const res = await call("GET", `/contract/agreements/${a.id}`, who);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: a.id, digest: a.digest, status: { state: "proposed" } });
      }
      for (const path of ["", "/status", "/verify", "/events", "/canonical"]) {
        const res = await call("GET", `/contract/agreements/${a.id}${path}`, "other");
        expect(res.statusCode, path).toBe(404);
      }
      const signed = await sign("other", a.id, a.canonical);
      expect(signed.statusCode).toBe(404);
      expect((await call("GET", "/contract/agreements", "other")).json()).toEqual([]);
      expect(
        (await call("GET", "/contract/agreements", "lab")).json().map((x: { id: string }) => x.id),
      ).toEqual([a.id]);
      expect((await call("GET", "/contract/agreements", "op")).json()).toHaveLength(1);
      expect((await call("GET", `/contract/agreements/${a.id}`)).statusCode).toBe(401);
    });

    it("terminates by a party and revokes by the operator only, with the reason in the status", async () => {
      const a = await propose();
      for (const who of ["lab", "univ", "op"]) await sign(who, a.id, a.canonical);
      const byProvider = await call("POST", `/contract/agreements/${a.id}/revocation`, "univ", {
        jws: await signEvent(revocationStatement(a, "no"), keys.univ!.privateJwk, keys.univ!.kid),
      });
      expect(byProvider.statusCode).toBe(403);
      expect(byProvider.json().error.message).toMatch(/only the operator revokes/);
      const ended = await call("POST", `/contract/agreements/${a.id}/termination`, "univ", {
        jws: await signEvent(
          terminationStatement(a, "the dataset is withdrawn"),
          keys.univ!.privateJwk,
          keys.univ!.kid,
        ),
      });
      expect(ended.statusCode).toBe(200);
      expect(ended.json()).toMatchObject({ state: "terminated", valid: false });
      expect(ended.json().reason).toMatch(/terminated by univ .*: the dataset is withdrawn/);

      const b = await propose();
      const revoked = await call("POST", `/contract/agreements/${b.id}/revocation`, "op", {
        jws: await signEvent(
          revocationStatement(b, "the consumer's key leaked"),
          keys.op!.privateJwk,
          keys.op!.kid,
        ),
      });
      expect(revoked.json()).toMatchObject({ state: "revoked", valid: false });
      const status = (await call("GET", `/contract/agreements/${b.id}/status`, "lab")).json();
      expect(status.reason).toMatch(/revoked by op .*: the consumer's key leaked/);
    });
  });
}
