import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleUrl, portalUrl } from "../../src/web/index.js";
import { requestBody } from "../consent/notices-fixture.js";
import { backends } from "../helpers/databases.js";
import { type ConsentSpace, consentSpace } from "./fixtures/consent-space.js";

const pseudonym = () => randomBytes(16).toString("base64url");

for (const backend of await backends()) {
  describe(`the portal's continuation links, sign-in and the console's files (${backend.name})`, () => {
    let w: ConsentSpace;
    let keyless: ConsentSpace;
    const assets = mkdtempSync(join(tmpdir(), "learnpool-console-"));
    writeFileSync(join(assets, "index.html"), "<!doctype html><title>t</title>");
    writeFileSync(join(assets, "console.js"), "void 0;");

    beforeAll(async () => {
      w = await consentSpace(await backend.open(), { assetsDir: assets });
      keyless = await consentSpace(await backend.open(), { holdLinkKey: false, assetsDir: assets });
    });
    afterAll(async () => {
      await w?.close();
      await keyless?.close();
    });

    const call = (
      on: ConsentSpace,
      method: "GET" | "POST",
      url: string,
      authorization?: string,
      body?: unknown,
    ) =>
      on.app.inject({
        method,
        url,
        headers: {
          ...(authorization && { authorization }),
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });
    const ask = async (on: ConsentSpace, learner: string, link: Record<string, unknown> = {}) => {
      const r = await call(on, "POST", "/consent/requests", on.auth.univ, {
        ...requestBody(on.space.agreement.id, learner),
        ...(on === w && { link }),
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json();
    };

    it("a change hands back the next link (same learner and agreement, new nonce, no later expiry); the used link still reads", async () => {
      const learner = pseudonym();
      const first = (await ask(w, learner, { ttlSeconds: 300 })).links[0].token as string;
      const given = await call(w, "POST", "/consent/portal/give", `Bearer ${first}`);
      expect(given.statusCode, given.body).toBe(200);
      expect(given.json().changes.map((c: { state: string }) => c.state)).toEqual(["given", "given"]);
      const next = given.json().next.token as string;
      const [a, b] = [decodeJwt(first), decodeJwt(next)];
      expect(b.sub).toBe(a.sub);
      expect(b.agr).toBe(a.agr);
      expect(b.role).toBe("learner");
      expect(b.nonce).not.toBe(a.nonce);
      expect(b.exp).toBe(a.exp);
      expect(given.json().next.expiresAt).toBe(new Date((a.exp as number) * 1000).toISOString());

      // The used link makes no second change, but history and receipts stay readable with it.
      expect((await call(w, "POST", "/consent/portal/withdraw", `Bearer ${first}`)).statusCode).toBe(409);
      expect((await call(w, "GET", "/consent/portal/history", `Bearer ${first}`)).statusCode).toBe(200);

      // The next link withdraws one purpose; the answer carries yet another link.
      const withdrawn = await call(w, "POST", "/consent/portal/withdraw", `Bearer ${next}`, {
        purposes: ["dpv:AcademicResearch"],
      });
      expect(withdrawn.statusCode, withdrawn.body).toBe(200);
      expect(withdrawn.json().changes).toHaveLength(1);
      expect(withdrawn.json().changes[0].state).toBe("withdrawn");
      const third = withdrawn.json().next.token as string;
      const view = (await call(w, "GET", "/consent/portal", `Bearer ${third}`)).json();
      expect(view.records.map((r: { state: string }) => r.state).sort()).toEqual(["given", "withdrawn"]);
      const events = (await call(w, "GET", "/consent/portal/history", `Bearer ${third}`)).json().events;
      expect(events.map((e: { event: string }) => e.event)).toEqual([
        "request",
        "request",
        "give",
        "give",
        "withdraw",
      ]);
    });

    it("hands back no link when the provider's key is not held here", async () => {
      const learner = pseudonym();
      await ask(keyless, learner);
      // The provider signs its own links: the test signs one as it would.
      const { signPortalLink, DEFAULT_AUDIENCE } = await import("../../src/consent/index.js");
      const iat = Math.floor(Date.now() / 1000);
      const token = await signPortalLink(
        {
          iss: "univ",
          sub: learner,
          agr: keyless.space.agreement.id,
          aud: DEFAULT_AUDIENCE,
          iat,
          exp: iat + 300,
          nonce: randomBytes(16).toString("base64url"),
          role: "learner",
          age: { adult: true },
        },
        keyless.keys.univ!.privateJwk,
        keyless.keys.univ!.kid,
      );
      const given = await call(keyless, "POST", "/consent/portal/give", `Bearer ${token}`);
      expect(given.statusCode, given.body).toBe(200);
      expect(given.json()).not.toHaveProperty("next");
    });

    it("shows the notice in the reader's words: young learner, or a refusal naming the audiences", async () => {
      const token = (await ask(w, pseudonym())).links[0].token as string;
      const young = await call(
        w,
        "GET",
        "/consent/portal/notice?lang=en&audience=young-learner",
        `Bearer ${token}`,
      );
      expect(young.statusCode, young.body).toBe(200);
      expect(young.json()).toMatchObject({ audience: "young-learner", language: "en" });
      const bad = await call(w, "GET", "/consent/portal/notice?audience=robot", `Bearer ${token}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/audience is learner, guardian, young-learner/);
    });

    it("GET /contract/me names the participant of a credential; refuses others", async () => {
      const me = await call(w, "GET", "/contract/me", w.auth.lab);
      expect(me.statusCode).toBe(200);
      expect(me.json().participant).toMatchObject({ id: "lab", role: "consumer" });
      expect(me.json().scopes).toEqual(["all"]);
      expect((await call(w, "GET", "/contract/me")).statusCode).toBe(401);
      expect((await call(w, "GET", "/contract/me", w.auth.stranger)).statusCode).toBe(403);
    });

    it("serves the console's files with their types and a strict content policy, and nothing else", async () => {
      const page = await call(w, "GET", "/console/");
      expect(page.statusCode).toBe(200);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
      expect((await call(w, "GET", "/console")).headers.location).toBe("/console/");
      expect((await call(w, "GET", "/console/console.js")).headers["content-type"]).toMatch(/javascript/);
      // Not built: a plain answer that says how to build it.
      const css = await call(w, "GET", "/console/console.css");
      expect(css.statusCode).toBe(503);
      expect(css.body).toMatch(/npm run build/);
      expect((await call(w, "GET", "/console/../package.json")).statusCode).toBe(404);
      expect((await call(w, "GET", "/console/%2e%2e/package.json")).statusCode).toBe(404);
      expect((await call(w, "POST", "/console/")).statusCode).toBe(405);
    });
  });
}

describe("the console's addresses", () => {
  it("puts the portal link in the query string, encoded", () => {
    expect(consoleUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/console/");
    expect(portalUrl("http://h:1", " a.b-c_d.e+f ")).toBe("http://h:1/console/?portal=a.b-c_d.e%2Bf");
  });
});
