import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

const activityId = "http://www.example.com/activityId/hashset";
const agent = {
  objectType: "Agent",
  account: { homePage: "http://www.example.com/agentId/1", name: "Rick James" },
};

function query(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === "string" ? v : JSON.stringify(v))}`)
    .join("&");
}

const stateParams = (extra: Record<string, unknown> = {}) => ({
  activityId,
  agent,
  stateId: randomUUID(),
  ...extra,
});

for (const backend of await backends()) {
  describe(`document resources over HTTP on ${backend.name}`, () => {
    let t: TestLrs;
    beforeAll(async () => {
      t = await testLrs(backend);
    });
    afterAll(async () => {
      await t.close();
    });

    type Method = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
    const send = (
      method: Method,
      path: string,
      params: Record<string, unknown>,
      body?: unknown,
      headers: Record<string, string> = {},
      auth = t.headers(),
    ) =>
      t.app.inject({
        method,
        url: `/xapi/${path}?${query(params)}`,
        headers: {
          ...auth,
          ...(body === undefined
            ? {}
            : { "content-type": typeof body === "string" ? "application/octet-stream" : "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
      });

    for (const [path, params] of [
      ["activities/state", () => stateParams()],
      ["activities/profile", () => ({ activityId, profileId: randomUUID() })],
      ["agents/profile", () => ({ agent, profileId: randomUUID() })],
    ] as const) {
      describe(path, () => {
        it("stores with POST (204) and returns the document with Content-Type, quoted SHA-1 ETag, Last-Modified", async () => {
          const p = params();
          const doc = { name: randomUUID(), location: { name: randomUUID() } };
          expect((await send("POST", path, p, doc)).statusCode).toBe(204);
          const res = await send("GET", path, p);
          expect(res.statusCode).toBe(200);
          expect(res.json()).toEqual(doc);
          expect(res.headers["content-type"]).toBe("application/json");
          const sha1 = createHash("sha1").update(JSON.stringify(doc)).digest("hex");
          expect(res.headers.etag).toBe(`"${sha1}"`);
          expect(new Date(String(res.headers["last-modified"])).getTime()).not.toBeNaN();
          const head = await send("HEAD", path, p);
          expect(head.statusCode).toBe(200);
          expect(head.body).toBe("");
          expect(head.headers.etag).toBe(`"${sha1}"`);
        });

        it("merges JSON objects on POST and refuses non-JSON onto JSON (400, unchanged)", async () => {
          const p = params();
          await send("POST", path, p, { car: "Honda" });
          expect((await send("POST", path, p, { type: "Civic" })).statusCode).toBe(204);
          expect((await send("GET", path, p)).json()).toEqual({ car: "Honda", type: "Civic" });
          expect((await send("POST", path, p, "abcdefg", { "content-type": "not/json" })).statusCode).toBe(
            400,
          );
          const broken = await send("POST", path, p, "{", { "content-type": "application/json" });
          expect(broken.statusCode).toBe(400);
          expect((await send("GET", path, p)).json()).toEqual({ car: "Honda", type: "Civic" });
        });

        it("refuses a JSON POST onto a stored non-JSON document (400) and keeps the bytes", async () => {
          const p = params();
          expect((await send("PUT", path, p, "/ asdf / undefined")).statusCode).toBe(204);
          expect((await send("POST", path, p, { a: 1 })).statusCode).toBe(400);
          const res = await send("GET", path, p);
          expect(res.headers["content-type"]).toBe("application/octet-stream");
          expect(res.body).toBe("/ asdf / undefined");
        });

        it("handles If-Match and If-None-Match on PUT, POST and DELETE", async () => {
          const p = params();
          expect((await send("PUT", path, p, { v: 1 }, { "if-none-match": "*" })).statusCode).toBe(204);
          const etag = String((await send("GET", path, p)).headers.etag);
          expect((await send("PUT", path, p, { v: 2 }, { "if-none-match": "*" })).statusCode).toBe(412);
          expect((await send("PUT", path, p, { v: 2 }, { "if-match": '"1234"' })).statusCode).toBe(412);
          expect((await send("POST", path, p, { w: 2 }, { "if-match": '"1234"' })).statusCode).toBe(412);
          expect((await send("DELETE", path, p, undefined, { "if-match": '"1234"' })).statusCode).toBe(412);
          expect((await send("GET", path, p)).json()).toEqual({ v: 1 });
          expect((await send("PUT", path, p, { v: 2 }, { "if-match": etag })).statusCode).toBe(204);
          expect((await send("GET", path, p)).json()).toEqual({ v: 2 });
          const now = String((await send("GET", path, p)).headers.etag);
          expect((await send("DELETE", path, p, undefined, { "if-match": now })).statusCode).toBe(204);
          expect((await send("GET", path, p)).statusCode).toBe(404);
        });

        it("answers a blind PUT onto an existing document with 409 in xAPI 2.0 and leaves it", async () => {
          const p = params();
          await send("POST", path, p, { original: true });
          const res = await send("PUT", path, p, { updated: true });
          expect(res.statusCode).toBe(409);
          expect(res.json().error.message).toMatch(/If-Match/);
          expect((await send("GET", path, p)).json()).toEqual({ original: true });
        });

        it("lists ids without the document id, with since", async () => {
          const p = params();
          const idName = "stateId" in p ? "stateId" : "profileId";
          const id = (p as Record<string, string>)[idName] as string;
          const before = new Date(Date.now() - 60_000).toISOString();
          await send("POST", path, p, { a: 1 });
          const { [idName]: _omit, ...rest } = p as Record<string, unknown>;
          const res = await send("GET", path, { ...rest, since: before });
          expect(res.statusCode).toBe(200);
          expect(res.json()).toContain(id);
          const later = await send("GET", path, {
            ...rest,
            since: new Date(Date.now() + 60_000).toISOString(),
          });
          expect(later.json()).not.toContain(id);
          expect((await send("GET", path, { ...rest, since: "not a timestamp" })).statusCode).toBe(400);
        });

        it("refuses unknown parameters and missing ones, naming them", async () => {
          const p = params();
          expect((await send("GET", path, { ...p, extra: "1" })).statusCode).toBe(400);
          const res = await send("PUT", path, {}, { a: 1 });
          expect(res.statusCode).toBe(400);
          expect(res.json().error.message).toMatch(/needs the parameter/);
        });
      });
    }

    it("checks State parameters the way the suite does", async () => {
      const bad: Record<string, unknown>[] = [
        stateParams({ activityId: 1 }),
        stateParams({ activityId: true }),
        stateParams({ activityId: { key: "value" } }),
        stateParams({ agent: "not JSON" }),
        stateParams({ agent: 1 }),
        stateParams({ agent: true }),
        stateParams({ registration: "not UUID" }),
        stateParams({ registration: true }),
      ];
      for (const p of bad) {
        for (const method of ["GET", "PUT", "POST", "DELETE"] as const) {
          const res = await send(
            method,
            "activities/state",
            p,
            method === "PUT" || method === "POST" ? { a: 1 } : undefined,
          );
          expect(res.statusCode, `${method} ${JSON.stringify(p)}`).toBe(400);
        }
      }
      const { stateId: _s, ...noState } = stateParams();
      expect((await send("PUT", "activities/state", noState, { a: 1 })).statusCode).toBe(400);
      expect((await send("POST", "activities/state", noState, { a: 1 })).statusCode).toBe(400);
      // Broken agent JSON in the URL.
      const url = `/xapi/activities/state?activityId=${encodeURIComponent(activityId)}&stateId=x&agent=%7B%22objectType%22%22%22Agent%22%7D`;
      const res = await t.app.inject({
        method: "POST",
        url,
        headers: { ...t.headers(), "content-type": "application/json" },
        payload: "{}",
      });
      expect(res.statusCode).toBe(400);
    });

    it("stores states per registration and deletes all matching states without stateId", async () => {
      const registration = randomUUID();
      const withoutRegistration = stateParams({ activityId: `${activityId}/${randomUUID()}` });
      const p = { ...withoutRegistration, registration };
      const doc = { x: 1 };
      await send("POST", "activities/state", p, doc);
      expect((await send("GET", "activities/state", withoutRegistration)).statusCode).toBe(404);
      expect((await send("GET", "activities/state", p)).json()).toEqual(doc);
      const { stateId: _s, ...all } = p;
      expect((await send("DELETE", "activities/state", all)).statusCode).toBe(204);
      expect((await send("GET", "activities/state", all)).json()).toEqual([]);
    });

    it("lets xAPI 1.0.3 overwrite a state without concurrency headers but not a profile", async () => {
      const v1 = t.headers("1.0.3");
      const p = stateParams();
      await send("POST", "activities/state", p, { a: 1 }, {}, v1);
      expect((await send("PUT", "activities/state", p, { b: 2 }, {}, v1)).statusCode).toBe(204);
      expect((await send("GET", "activities/state", p, undefined, {}, v1)).json()).toEqual({ b: 2 });
      const profile = { activityId, profileId: randomUUID() };
      await send("POST", "activities/profile", profile, { a: 1 }, {}, v1);
      expect((await send("PUT", "activities/profile", profile, { b: 2 }, {}, v1)).statusCode).toBe(409);
    });

    it("accepts 1.0.3 alternate request syntax for documents", async () => {
      const p = stateParams();
      const form = new URLSearchParams({
        ...Object.fromEntries(
          Object.entries(p).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
        ),
        ...t.headers("1.0.3"),
        "Content-Type": "application/json",
        content: JSON.stringify({ via: "form" }),
      });
      const res = await t.app.inject({
        method: "POST",
        url: "/xapi/activities/state?method=PUT",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: form.toString(),
      });
      expect(res.statusCode).toBe(204);
      expect((await send("GET", "activities/state", p, undefined, {}, t.headers("1.0.3"))).json()).toEqual({
        via: "form",
      });
    });

    it("keeps documents inside their store", async () => {
      const other = await t.credential("other-store");
      const p = stateParams();
      await send("POST", "activities/state", p, { mine: true });
      expect((await send("GET", "activities/state", p, undefined, {}, other())).statusCode).toBe(404);
      const profile = { agent, profileId: randomUUID() };
      await send("POST", "agents/profile", profile, { mine: true });
      const { profileId: _p, ...list } = profile;
      expect((await send("GET", "agents/profile", list, undefined, {}, other())).json()).not.toContain(
        profile.profileId,
      );
    });

    it("requires the state and profile scopes (403)", async () => {
      const reader = await t.credential("s1", ["statements/read"]);
      expect((await send("GET", "activities/state", stateParams(), undefined, {}, reader())).statusCode).toBe(
        403,
      );
      expect(
        (await send("POST", "agents/profile", { agent, profileId: "p" }, { a: 1 }, {}, reader())).statusCode,
      ).toBe(403);
    });

    it("serves the Activities resource from stored statements, or the id alone", async () => {
      const id = `http://www.example.com/verify/complete/${randomUUID()}`;
      const object = {
        objectType: "Activity",
        id,
        definition: {
          type: "http://adlnet.gov/expapi/activities/meeting",
          name: { "en-US": "example meeting" },
        },
      };
      const statement = {
        actor: { objectType: "Agent", name: "xAPI mbox", mbox: "mailto:xapi@adlnet.gov" },
        verb: { id: "http://adlnet.gov/expapi/verbs/attended", display: { "en-US": "attended" } },
        object,
      };
      const stored = await t.app.inject({
        method: "POST",
        url: "/xapi/statements",
        headers: { ...t.headers(), "content-type": "application/json" },
        payload: JSON.stringify([statement]),
      });
      expect(stored.statusCode).toBe(200);
      const res = await send("GET", "activities", { activityId: id });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(object);
      const unknown = `http://www.example.com/unknown/${randomUUID()}`;
      expect((await send("GET", "activities", { activityId: unknown })).json()).toEqual({
        objectType: "Activity",
        id: unknown,
      });
      expect((await send("GET", "activities", {})).statusCode).toBe(400);
      expect((await send("GET", "activities", { activityId: 1 })).statusCode).toBe(400);
      expect((await send("PUT", "activities", { activityId: id }, { a: 1 })).statusCode).toBe(405);

      const person = await send("GET", "agents", { agent: statement.actor });
      expect(person.statusCode).toBe(200);
      expect(person.json()).toEqual({
        objectType: "Person",
        name: ["xAPI mbox"],
        mbox: ["mailto:xapi@adlnet.gov"],
      });
    });

    it("serves the Agents resource for an unknown agent from the agent asked, and checks it", async () => {
      const res = await send("GET", "agents", { agent: { ...agent, name: "Rick James" } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ objectType: "Person", name: ["Rick James"], account: [agent.account] });
      expect((await send("GET", "agents", {})).statusCode).toBe(400);
      expect((await send("GET", "agents", { agent: { not_actor: "yup" } })).statusCode).toBe(400);
      expect((await send("GET", "agents", { agent: "not Actor" })).statusCode).toBe(400);
    });

    it("describes the document resources in the OpenAPI document", async () => {
      const doc = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
      for (const path of [
        "activities/state",
        "activities/profile",
        "agents/profile",
        "activities",
        "agents",
      ]) {
        expect(doc.paths[`/xapi/${path}`]).toBeDefined();
      }
    });
  });
}
