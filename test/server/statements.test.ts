import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

const agent = (name: string) => ({ objectType: "Agent", mbox: `mailto:${name}@example.org`, name });
const verb = (v: string) => ({ id: `http://adlnet.gov/expapi/verbs/${v}`, display: { "en-US": v } });
const activity = (a: string) => ({ objectType: "Activity", id: `https://example.org/activities/${a}` });

function statement(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { actor: agent("ada"), verb: verb("experienced"), object: activity("intro"), ...over };
}

for (const backend of await backends()) {
  describe(`Statements resource on ${backend.name}`, () => {
    let t: TestLrs;
    beforeAll(async () => {
      t = await testLrs(backend);
    });
    afterAll(async () => {
      await t.close();
    });

    const post = (body: unknown, headers?: Record<string, string>) => t.post(body, headers);
    const get = (query: string, headers?: Record<string, string>) => t.get(query, headers);

    it("stores a statement and returns it with what the LRS sets", async () => {
      const res = await post(statement());
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-experience-api-version"]).toBe("2.0.0");
      const [id] = res.json() as string[];
      const back = await get(`statementId=${id}`);
      expect(back.statusCode).toBe(200);
      const s = back.json();
      expect(s.id).toBe(id);
      expect(s.version).toBe("2.0.0");
      expect(typeof s.stored).toBe("string");
      expect(s.timestamp).toBe(s.stored);
      expect(s.authority.account.homePage).toBe("http://lrs.test");
      expect(back.headers["x-experience-api-consistent-through"]).toBeDefined();
      expect(back.headers["last-modified"]).toBeDefined();
    });

    it("rejects a batch with one bad statement and stores none of it", async () => {
      const good = { ...statement(), id: randomUUID() };
      const bad = { ...statement({ actor: { mbox: "ada@example.org" } }), id: randomUUID() };
      const res = await post([good, bad]);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error.problems[0].path).toMatch(/^statements\[1\]\.actor/);
      expect((await get(`statementId=${good.id}`)).statusCode).toBe(404);
    });

    it("answers PUT with 204, the same statement again with 204, a different one with 409", async () => {
      const id = randomUUID();
      const put = (body: unknown) =>
        t.app.inject({
          method: "PUT",
          url: `/xapi/statements?statementId=${id}`,
          headers: { ...t.headers(), "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
      expect((await put(statement())).statusCode).toBe(204);
      expect((await put(statement())).statusCode).toBe(204);
      expect((await put(statement({ verb: verb("completed") }))).statusCode).toBe(409);
      expect((await get(`statementId=${id}`)).json().verb.id).toBe(verb("experienced").id);
    });

    it("needs the version header and a credential", async () => {
      const noVersion = await t.app.inject({
        method: "GET",
        url: "/xapi/statements",
        headers: { authorization: t.headers().authorization },
      });
      expect(noVersion.statusCode).toBe(400);
      const noAuth = await t.app.inject({
        method: "GET",
        url: "/xapi/statements",
        headers: { "x-experience-api-version": "2.0.0" },
      });
      expect(noAuth.statusCode).toBe(401);
      expect(noAuth.headers["www-authenticate"]).toMatch(/^Basic/);
      const about = await t.app.inject({ method: "GET", url: "/xapi/about" });
      expect(about.statusCode).toBe(200);
      expect(about.json().version).toEqual(["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]);
    });

    it("speaks 1.0.3 when asked, including the alternate request syntax", async () => {
      const h = t.headers("1.0.3");
      const id = randomUUID();
      const form = new URLSearchParams({
        statementId: id,
        content: JSON.stringify(statement()),
        Authorization: h.authorization as string,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
      });
      const res = await t.app.inject({
        method: "POST",
        url: "/xapi/statements?method=PUT",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: form.toString(),
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers["x-experience-api-version"]).toBe("1.0.3");
      const back = await get(`statementId=${id}`, h);
      expect(back.json().version).toBe("1.0.0");
      const refused = await t.app.inject({
        method: "POST",
        url: "/xapi/statements?method=PUT",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: new URLSearchParams({
          statementId: randomUUID(),
          content: JSON.stringify(statement()),
          Authorization: h.authorization as string,
          "X-Experience-API-Version": "2.0.0",
        }).toString(),
      });
      expect(refused.statusCode).toBe(400);
    });

    it("voids a statement: gone from queries and statementId, back by voidedStatementId", async () => {
      const target = randomUUID();
      const actor = agent(`void-${randomUUID()}`);
      expect((await post({ ...statement({ actor }), id: target })).statusCode).toBe(200);
      const voiding = {
        actor,
        verb: { id: "http://adlnet.gov/expapi/verbs/voided" },
        object: { objectType: "StatementRef", id: target },
      };
      const [voidingId] = (await post(voiding)).json() as string[];
      expect((await get(`statementId=${target}`)).statusCode).toBe(404);
      expect((await get(`voidedStatementId=${target}`)).json().id).toBe(target);
      const list = (await get(`agent=${encodeURIComponent(JSON.stringify(actor))}`)).json();
      expect(list.statements.map((s: { id: string }) => s.id)).toEqual([voidingId]);
      // A voiding statement that targets a voiding statement is ignored.
      await post({ ...voiding, object: { objectType: "StatementRef", id: voidingId } });
      expect((await get(`statementId=${voidingId}`)).statusCode).toBe(200);
    });

    it("voids a statement that arrives after its voiding statement", async () => {
      const late = randomUUID();
      await post({
        actor: agent("x"),
        verb: { id: "http://adlnet.gov/expapi/verbs/voided" },
        object: { objectType: "StatementRef", id: late },
      });
      expect((await post({ ...statement(), id: late })).statusCode).toBe(200);
      expect((await get(`statementId=${late}`)).statusCode).toBe(404);
      expect((await get(`voidedStatementId=${late}`)).statusCode).toBe(200);
    });

    it("filters by agent, verb, activity, registration, related agents and activities, since and until", async () => {
      const who = agent(`filter-${randomUUID()}`);
      const teacher = agent(`teacher-${randomUUID()}`);
      const registration = randomUUID();
      const course = activity(`course-${randomUUID()}`);
      const ids = (
        await post([
          statement({ actor: who, verb: verb("launched"), object: activity("a1") }),
          statement({ actor: who, verb: verb("completed"), object: course, context: { registration } }),
          statement({
            actor: agent("other"),
            verb: verb("completed"),
            object: activity("a2"),
            context: { instructor: teacher, contextActivities: { parent: course } },
          }),
        ])
      ).json() as string[];
      const q = (query: Record<string, string>) =>
        get(new URLSearchParams(query).toString()).then((r) =>
          (r.json().statements as { id: string }[]).map((s) => s.id),
        );
      const whoJson = JSON.stringify(who);
      expect(await q({ agent: whoJson })).toEqual([ids[1], ids[0]]);
      expect(await q({ agent: whoJson, ascending: "true" })).toEqual([ids[0], ids[1]]);
      expect(await q({ agent: whoJson, verb: verb("completed").id })).toEqual([ids[1]]);
      expect(await q({ activity: course.id })).toEqual([ids[1]]);
      expect(await q({ activity: course.id, related_activities: "true" })).toEqual([ids[2], ids[1]]);
      expect(await q({ agent: JSON.stringify(teacher) })).toEqual([]);
      expect(await q({ agent: JSON.stringify(teacher), related_agents: "true" })).toEqual([ids[2]]);
      expect(await q({ registration })).toEqual([ids[1]]);
      const stored1 = (await get(`statementId=${ids[1]}`)).json().stored as string;
      expect(await q({ agent: whoJson, since: stored1 })).toEqual([]);
      expect(await q({ agent: whoJson, until: stored1 })).toEqual([ids[1], ids[0]]);
    });

    it("finds the few statements a row filter keeps among many index candidates, across pages", async () => {
      const who = agent(`many-${randomUUID()}`);
      const ids = (
        await post(Array.from({ length: 150 }, () => statement({ actor: who })))
      ).json() as string[];
      const third = (await get(`statementId=${ids[2]}`)).json().stored as string;
      const first = (
        await get(new URLSearchParams({ agent: JSON.stringify(who), until: third, limit: "2" }).toString())
      ).json();
      const seen = first.statements.map((s: { id: string }) => s.id);
      let more = first.more as string;
      while (more) {
        const next = (await t.app.inject({ method: "GET", url: more, headers: t.headers() })).json();
        seen.push(...next.statements.map((s: { id: string }) => s.id));
        more = next.more;
      }
      const stored = await Promise.all(
        ids.map(async (id) => (await get(`statementId=${id}`)).json().stored as string),
      );
      const expected = ids.filter((_, i) => (stored[i] as string) <= third).reverse();
      expect(seen).toEqual(expected);
      expect(seen.length).toBeGreaterThanOrEqual(3);
    });

    it("matches statements that target a matching statement through a StatementRef", async () => {
      const who = agent(`ref-${randomUUID()}`);
      const [target] = (await post(statement({ actor: who }))).json() as string[];
      const [referrer] = (
        await post({
          actor: agent("commenter"),
          verb: verb("commented"),
          object: { objectType: "StatementRef", id: target },
        })
      ).json() as string[];
      const found = (await get(`agent=${encodeURIComponent(JSON.stringify(who))}`))
        .json()
        .statements.map((s: { id: string }) => s.id);
      expect(found).toEqual([referrer, target]);
    });

    it("pages with more links that stay correct while statements keep arriving", async () => {
      const who = agent(`pages-${randomUUID()}`);
      const ids = (await post(Array.from({ length: 7 }, () => statement({ actor: who })))).json() as string[];
      const seen: string[] = [];
      let res = await get(`agent=${encodeURIComponent(JSON.stringify(who))}&limit=3`);
      for (let page = 0; page < 5; page++) {
        const body = res.json();
        seen.push(...body.statements.map((s: { id: string }) => s.id));
        await post(statement({ actor: who })); // arrives between pages: not part of this result
        if (!body.more) break;
        expect(body.more).toMatch(/^\/xapi\/statements\?more=/);
        res = await t.app.inject({ method: "GET", url: body.more, headers: t.headers() });
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it("returns ids-only agents, activities and verbs with format=ids", async () => {
      const [id] = (
        await post(statement({ object: { ...activity("fmt"), definition: { name: { en: "Format" } } } }))
      ).json() as string[];
      const s = (await get(`statementId=${id}&format=ids`)).json();
      expect(s.actor).toEqual({ objectType: "Agent", mbox: "mailto:ada@example.org" });
      expect(s.object.definition).toBeUndefined();
      expect(s.verb.display).toBeUndefined();
    });

    it("rejects unknown and conflicting parameters", async () => {
      expect((await get("colour=blue")).statusCode).toBe(400);
      expect(
        (await get(`statementId=${randomUUID()}&verb=${encodeURIComponent(verb("x").id)}`)).statusCode,
      ).toBe(400);
      expect((await get("limit=-1")).statusCode).toBe(400);
      expect((await get("agent=notjson")).statusCode).toBe(400);
      expect((await get("since=yesterday")).statusCode).toBe(400);
    });

    it("keeps stores apart and honours statements/read/mine", async () => {
      const other = await t.credential("s2");
      const [id] = (await post(statement())).json() as string[];
      expect((await get(`statementId=${id}`, other())).statusCode).toBe(404);
      expect((await get("", other())).json().statements).toEqual([]);
      const writer = await t.credential("s1", ["statements/write", "statements/read/mine"]);
      const [mine] = (await post(statement(), writer())).json() as string[];
      const visible = (await get("limit=0", writer())).json().statements.map((s: { id: string }) => s.id);
      expect(visible).toEqual([mine]);
      const reader = await t.credential("s1", ["statements/read"]);
      expect((await post(statement(), reader())).statusCode).toBe(403);
    });

    it("answers HEAD like GET without a body, and OPTIONS with CORS headers", async () => {
      const head = await t.app.inject({
        method: "HEAD",
        url: "/xapi/statements?limit=1",
        headers: t.headers(),
      });
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe("");
      const options = await t.app.inject({
        method: "OPTIONS",
        url: "/xapi/statements",
        headers: { origin: "http://app.example" },
      });
      expect(options.statusCode).toBe(204);
      expect(options.headers["access-control-allow-origin"]).toBe("*");
    });

    it("refuses bodies that are not JSON, not UTF-8, or of the wrong content type", async () => {
      const send = (payload: Buffer | string, type = "application/json") =>
        t.app.inject({
          method: "POST",
          url: "/xapi/statements",
          headers: { ...t.headers(), "content-type": type },
          payload,
        });
      expect((await send("{not json")).statusCode).toBe(400);
      expect((await send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).statusCode).toBe(400);
      expect((await send(JSON.stringify(statement()), "text/plain")).statusCode).toBe(400);
      const deep = `${"[".repeat(100000)}${"]".repeat(100000)}`;
      expect((await send(`{"actor":${deep}}`)).statusCode).toBe(400);
    });
  });
}
