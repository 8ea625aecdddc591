import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lrs, LrsError, type Principal } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

const activityId = "https://example.org/activities/intro";
const ada = JSON.stringify({ objectType: "Agent", mbox: "mailto:ada@example.org" });
const json = (value: unknown) => ({
  contentType: "application/json",
  content: Buffer.from(JSON.stringify(value)),
});
const text = (value: string, contentType = "text/plain") => ({ contentType, content: Buffer.from(value) });

/** The status of the LrsError a call rejects with. */
async function status(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (err) {
    if (err instanceof LrsError) return err.status;
    throw err;
  }
  return 0;
}

for (const backend of await backends()) {
  describe(`document services on ${backend.name}`, () => {
    let db: Database;
    let lrs: Lrs;
    const principals: Record<string, Principal> = {};

    const principal = async (storeId: string, scopes: string[]) => {
      await lrs.tenancy.ensureStore(storeId, storeId, "test");
      const made = await lrs.tenancy.addCredential({ storeId, scopes, actor: "test" });
      const found = await lrs.tenancy.authenticate(made.key, made.secret);
      if (!found) throw new Error("credential not found");
      return found;
    };

    beforeAll(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      principals.all = await principal("s1", ["all"]);
      principals.other = await principal("s2", ["all"]);
      principals.readOnly = await principal("s1", ["statements/read"]);
      principals.state = await principal("s1", ["state"]);
    });
    afterAll(async () => {
      await db.close();
    });

    const state = (stateId = randomUUID(), extra: Record<string, string> = {}) => ({
      activityId,
      agent: ada,
      stateId,
      ...extra,
    });
    const docs = () => lrs.documents;
    const p = () => principals.all as Principal;

    it("stores a state document and reads it back with its ETag, the quoted SHA-1 of its bytes", async () => {
      const params = state();
      const etag = await docs().put(p(), "state", "2.0.0", params, json({ a: 1 }));
      expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
      const read = await docs().read(p(), "state", "2.0.0", params);
      expect(read.kind).toBe("document");
      if (read.kind !== "document") return;
      expect(JSON.parse(read.document.content.toString())).toEqual({ a: 1 });
      expect(read.document.contentType).toBe("application/json");
      expect(read.document.etag).toBe(etag);
    });

    it("keeps any bytes with their content type", async () => {
      const params = state();
      const bytes = Buffer.from([0, 1, 2, 255]);
      await docs().put(p(), "state", "2.0.0", params, {
        contentType: "application/octet-stream",
        content: bytes,
      });
      const read = await docs().read(p(), "state", "2.0.0", params);
      if (read.kind !== "document") throw new Error("expected a document");
      expect(read.document.content.equals(bytes)).toBe(true);
      expect(read.document.contentType).toBe("application/octet-stream");
    });

    it("merges POSTed JSON objects one level deep, and stores a POST when absent", async () => {
      const params = state();
      await docs().post(p(), "state", "2.0.0", params, json({ car: { make: "Ford" }, driver: "Dale" }));
      await docs().post(p(), "state", "2.0.0", params, json({ car: { model: "Ram" }, series: 1 }));
      const read = await docs().read(p(), "state", "2.0.0", params);
      if (read.kind !== "document") throw new Error("expected a document");
      expect(JSON.parse(read.document.content.toString())).toEqual({
        car: { model: "Ram" },
        driver: "Dale",
        series: 1,
      });
    });

    it("refuses to merge when either document is not a JSON object, and keeps the stored one", async () => {
      const params = state();
      await docs().post(p(), "state", "2.0.0", params, json({ a: 1 }));
      expect(await status(docs().post(p(), "state", "2.0.0", params, text("abc")))).toBe(400);
      expect(await status(docs().post(p(), "state", "2.0.0", params, text("{", "application/json")))).toBe(
        400,
      );
      const other = state();
      await docs().put(p(), "state", "2.0.0", other, text("plain"));
      expect(await status(docs().post(p(), "state", "2.0.0", other, json({ b: 2 })))).toBe(400);
      const read = await docs().read(p(), "state", "2.0.0", params);
      if (read.kind !== "document") throw new Error("expected a document");
      expect(JSON.parse(read.document.content.toString())).toEqual({ a: 1 });
    });

    it("accepts a POST of non-JSON content when nothing is stored yet", async () => {
      const params = state();
      await docs().post(p(), "state", "2.0.0", params, text("1", "application/x-www-form-urlencoded"));
      expect(await status(docs().read(p(), "state", "2.0.0", params))).toBe(0);
    });

    it("checks If-Match and If-None-Match on PUT, POST and DELETE (412)", async () => {
      const params = state();
      const etag = await docs().put(p(), "state", "2.0.0", params, json({ v: 1 }));
      const put = (pre: Record<string, string>) =>
        status(docs().put(p(), "state", "2.0.0", params, { ...json({ v: 2 }), ...pre }));
      expect(await put({ ifMatch: '"1234"' })).toBe(412);
      expect(await put({ ifNoneMatch: "*" })).toBe(412);
      expect(await put({ ifNoneMatch: etag })).toBe(412);
      expect(
        await status(docs().post(p(), "state", "2.0.0", params, { ...json({ w: 1 }), ifMatch: '"0"' })),
      ).toBe(412);
      expect(await status(docs().remove(p(), "state", "2.0.0", params, { ifMatch: '"0"' }))).toBe(412);
      expect(await put({ ifMatch: etag })).toBe(0);
      expect(await put({ ifMatch: "*" })).toBe(0);
      const fresh = state();
      expect(await status(docs().put(p(), "state", "2.0.0", fresh, { ...json({}), ifMatch: "*" }))).toBe(412);
      expect(await status(docs().put(p(), "state", "2.0.0", fresh, { ...json({}), ifNoneMatch: "*" }))).toBe(
        0,
      );
    });

    it("refuses a PUT without If-Match/If-None-Match onto an existing profile (409), on both versions", async () => {
      for (const version of ["1.0.3", "2.0.0"] as const) {
        const params = { activityId, profileId: randomUUID() };
        expect(await status(docs().put(p(), "activityProfile", version, params, json({ a: 1 })))).toBe(0);
        expect(await status(docs().put(p(), "activityProfile", version, params, json({ a: 2 })))).toBe(409);
        const agentParams = { agent: ada, profileId: randomUUID() };
        await docs().put(p(), "agentProfile", version, agentParams, json({ a: 1 }));
        expect(await status(docs().put(p(), "agentProfile", version, agentParams, json({ a: 2 })))).toBe(409);
      }
    });

    it("lets a 1.0.3 State PUT overwrite without headers, and refuses it in 2.0 as the 2.0 suite expects", async () => {
      const params = state();
      await docs().put(p(), "state", "1.0.3", params, json({ a: 1 }));
      expect(await status(docs().put(p(), "state", "1.0.3", params, json({ a: 2 })))).toBe(0);
      expect(await status(docs().put(p(), "state", "2.0.0", params, json({ a: 3 })))).toBe(409);
    });

    it("lists ids, with since, per registration or across them, and deletes every state at once", async () => {
      const activity = `${activityId}/${randomUUID()}`;
      const registration = randomUUID();
      const base = { activityId: activity, agent: ada };
      await docs().put(p(), "state", "2.0.0", { ...base, stateId: "a" }, json({}));
      await docs().put(p(), "state", "2.0.0", { ...base, stateId: "b", registration }, json({}));
      const ids = async (params: Record<string, string>) => {
        const read = await docs().read(p(), "state", "2.0.0", params);
        return read.kind === "ids" ? read.ids : [];
      };
      expect(await ids(base)).toEqual(["a", "b"]);
      expect(await ids({ ...base, registration })).toEqual(["b"]);
      expect(await ids({ ...base, since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect(await ids({ ...base, since: new Date(Date.now() - 60_000).toISOString() })).toEqual(["a", "b"]);
      await docs().remove(p(), "state", "2.0.0", { ...base, registration }, {});
      expect(await ids(base)).toEqual(["a"]);
      await docs().remove(p(), "state", "2.0.0", base, {});
      expect(await ids(base)).toEqual([]);
    });

    it("reads a missing document as 404 and deletes it quietly", async () => {
      const params = state();
      expect(await status(docs().read(p(), "state", "2.0.0", params))).toBe(404);
      expect(await status(docs().remove(p(), "state", "2.0.0", params, {}))).toBe(0);
    });

    it("checks parameters: missing ones named, unknown ones, bad IRIs, agents, registrations, since", async () => {
      const missing = docs().put(p(), "state", "2.0.0", { stateId: "x" }, json({}));
      await expect(missing).rejects.toThrow(/activityId, agent/);
      const bad: [Record<string, string>, string][] = [
        [{ ...state(), extra: "1" }, "unknown parameter extra"],
        [{ ...state(), activityId: "1" }, "activityId must be an IRI"],
        [{ ...state(), agent: "not JSON" }, "agent"],
        [{ ...state(), agent: "true" }, "agent"],
        [{ ...state(), agent: JSON.stringify({ name: "no ifi" }) }, "agent"],
        [{ ...state(), registration: "not UUID" }, "registration must be a UUID"],
        [{ ...state(), stateId: "" }, "must not be empty"],
      ];
      for (const [params, message] of bad) {
        await expect(docs().put(p(), "state", "2.0.0", params, json({}))).rejects.toThrow(message);
      }
      await expect(docs().read(p(), "state", "2.0.0", { ...state(), since: "yesterday" })).rejects.toThrow(
        /since/,
      );
      await expect(
        docs().put(p(), "state", "2.0.0", { ...state(), since: "2024-01-01T00:00:00Z" }, json({})),
      ).rejects.toThrow(/unknown parameter since/);
      await expect(docs().remove(p(), "agentProfile", "2.0.0", { agent: ada }, {})).rejects.toThrow(
        /profileId/,
      );
      await expect(docs().read(p(), "activityProfile", "2.0.0", { activityId, agent: ada })).rejects.toThrow(
        /unknown parameter agent/,
      );
    });

    it("keeps each store's documents to itself", async () => {
      const params = state();
      await docs().put(p(), "state", "2.0.0", params, json({ mine: true }));
      const other = principals.other as Principal;
      expect(await status(docs().read(other, "state", "2.0.0", params))).toBe(404);
      const list = await docs().read(other, "state", "2.0.0", { activityId, agent: ada });
      expect(list.kind === "ids" && list.ids.includes(params.stateId)).toBe(false);
      // A blind PUT in the other store creates its own document instead of conflicting with ours.
      expect(await status(docs().put(other, "state", "2.0.0", params, json({ theirs: true })))).toBe(0);
      await docs().remove(other, "state", "2.0.0", { activityId, agent: ada }, {});
      const read = await docs().read(p(), "state", "2.0.0", params);
      if (read.kind !== "document") throw new Error("expected a document");
      expect(JSON.parse(read.document.content.toString())).toEqual({ mine: true });
    });

    it("needs the state scope for states and the profile scope for profiles (403)", async () => {
      const readOnly = principals.readOnly as Principal;
      const stateOnly = principals.state as Principal;
      expect(await status(docs().read(readOnly, "state", "2.0.0", state()))).toBe(403);
      expect(await status(docs().put(stateOnly, "state", "2.0.0", state(), json({})))).toBe(0);
      const profile = { activityId, profileId: randomUUID() };
      expect(await status(docs().put(stateOnly, "activityProfile", "2.0.0", profile, json({})))).toBe(403);
    });

    it("answers the Activities resource with the canonical definition, or the id alone", async () => {
      const id = `https://example.org/activities/${randomUUID()}`;
      expect(await lrs.activities.get(p(), { activityId: id })).toEqual({ objectType: "Activity", id });
      await db.run("INSERT INTO activities (store_id, id, definition, updated) VALUES (?, ?, ?, ?)", [
        "s1",
        id,
        JSON.stringify({ name: { "en-US": "Intro" } }),
        new Date().toISOString(),
      ]);
      expect(await lrs.activities.get(p(), { activityId: id })).toEqual({
        objectType: "Activity",
        id,
        definition: { name: { "en-US": "Intro" } },
      });
      expect(await lrs.activities.get(principals.other as Principal, { activityId: id })).toEqual({
        objectType: "Activity",
        id,
      });
      expect(await status(lrs.activities.get(p(), {}))).toBe(400);
      expect(await status(lrs.activities.get(p(), { activityId: "true" }))).toBe(400);
      expect(await status(lrs.activities.get(p(), { activityId: id, extra: "1" }))).toBe(400);
    });

    it("answers the Agents resource with a Person, from what the store knows and the agent asked", async () => {
      const asked = { objectType: "Agent", name: "Ada L.", mbox: "mailto:ada@example.org" };
      await db.run("INSERT INTO agents (store_id, ifi, agent) VALUES (?, ?, ?)", [
        "s1",
        "mbox:mailto:ada@example.org",
        JSON.stringify({ objectType: "Agent", name: "Ada Lovelace", mbox: "mailto:ada@example.org" }),
      ]);
      expect(await lrs.agents.person(p(), "2.0.0", { agent: JSON.stringify(asked) })).toEqual({
        objectType: "Person",
        name: ["Ada Lovelace", "Ada L."],
        mbox: ["mailto:ada@example.org"],
      });
      const account = { account: { homePage: "https://example.org", name: "u1" } };
      expect(
        await lrs.agents.person(principals.other as Principal, "2.0.0", { agent: JSON.stringify(account) }),
      ).toEqual({
        objectType: "Person",
        account: [account.account],
      });
      expect(await status(lrs.agents.person(p(), "2.0.0", {}))).toBe(400);
      expect(await status(lrs.agents.person(p(), "2.0.0", { agent: '{"name":"x"}' }))).toBe(400);
    });
  });
}
