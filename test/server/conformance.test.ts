/**
 * Behaviours the ADL LRS conformance suite (adlnet/lrs-conformance-test-suite, test/v1_0_3 and
 * test/v2_0) checks on the transport and the Statements resource, grouped by suite file and
 * requirement. Each case sends what the suite sends.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/databases.js";
import { basic, type TestLrs, testLrs } from "../helpers/server.js";

const agent = (name: string) => ({ objectType: "Agent", mbox: `mailto:${name}@example.org`, name });
const verb = (v: string) => ({
  id: `http://adlnet.gov/expapi/verbs/${v}`,
  display: { "en-GB": v, "en-US": v },
});
const activity = (a: string) => ({
  objectType: "Activity",
  id: `https://example.org/activities/${a}`,
  definition: { name: { "en-GB": `${a} (GB)`, "en-US": `${a} (US)` } },
});

function statement(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { actor: agent("ada"), verb: verb("attended"), object: activity("intro"), ...over };
}

for (const backend of await backends()) {
  describe(`Conformance suite on ${backend.name}`, () => {
    let t: TestLrs;
    beforeAll(async () => {
      t = await testLrs(backend);
    });
    afterAll(async () => {
      await t.close();
    });

    const post = (body: unknown, headers?: Record<string, string>) => t.post(body, headers);
    const get = (query: string, headers?: Record<string, string>) => t.get(query, headers);

    describe("Communication 2.1 (XAPI-00153) X-Experience-API-Consistent-Through on every GET", () => {
      it("is sent with a 400 for an unknown parameter (v2_0 '?LIMIT=1')", async () => {
        const res = await get("LIMIT=1");
        expect(res.statusCode).toBe(400);
        expect(Number.isNaN(Date.parse(res.headers["x-experience-api-consistent-through"] as string))).toBe(
          false,
        );
      });

      it("is sent with the 400 for a GET without any header (v1_0_3)", async () => {
        const res = await t.app.inject({ method: "GET", url: "/xapi/statements" });
        expect(res.statusCode).toBe(400);
        expect(res.headers["x-experience-api-consistent-through"]).toBeDefined();
      });

      it("is sent with HEAD", async () => {
        const res = await t.app.inject({ method: "HEAD", url: "/xapi/statements", headers: t.headers() });
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe("");
        expect(res.headers["x-experience-api-consistent-through"]).toBeDefined();
      });
    });

    describe("non_templating / About 2.8 (XAPI-00321): a missing version header is a 400, credential or not", () => {
      it("answers 400 (not 401) to GET, POST and PUT /statements without version nor credential", async () => {
        expect(
          (await t.app.inject({ method: "GET", url: `/xapi/statements?statementId=${randomUUID()}` }))
            .statusCode,
        ).toBe(400);
        const body = JSON.stringify(statement());
        const headers = { "content-type": "application/json" };
        expect(
          (await t.app.inject({ method: "POST", url: "/xapi/statements", headers, payload: body }))
            .statusCode,
        ).toBe(400);
        const put = await t.app.inject({
          method: "PUT",
          url: `/xapi/statements?statementId=${randomUUID()}`,
          headers,
          payload: body,
        });
        expect(put.statusCode).toBe(400);
        expect(put.headers["x-experience-api-version"]).toMatch(/^2\.0\.\d+$/);
      });

      it("still answers 401 to a request with the version header and a bad or malformed credential", async () => {
        const bad = await get("", {
          "x-experience-api-version": "1.0.3",
          authorization: basic("foo", "bar"),
        });
        expect(bad.statusCode).toBe(401);
        const malformed = await get("", {
          "x-experience-api-version": "1.0.3",
          authorization: `Basic:${Buffer.from("a:b").toString("base64")}`,
        });
        expect(malformed.statusCode).toBe(401);
      });
    });

    describe("Communication 3.2 Error Codes: 405 for methods the resource lacks, before authentication", () => {
      it("answers 405 to DELETE /statements, /activities and /agents sent without a credential", async () => {
        for (const url of [
          `/xapi/statements?statementId=${randomUUID()}`,
          "/xapi/activities?activityId=http%3A%2F%2Fwww.example.com%2Fmeetings%2Foccurances%2F34534",
          `/xapi/agents?agent=${encodeURIComponent(JSON.stringify(agent("ada")))}`,
        ]) {
          const res = await t.app.inject({
            method: "DELETE",
            url,
            headers: { "x-experience-api-version": "1.0.1" },
          });
          expect(res.statusCode, url).toBe(405);
        }
      });

      it("answers 405 to POST and PUT /activities and /agents with a credential", async () => {
        for (const method of ["POST", "PUT"] as const) {
          for (const url of ["/xapi/activities?activityId=http%3A%2F%2Fexample.com%2Fa", "/xapi/agents"]) {
            const res = await t.app.inject({ method, url, headers: t.headers("1.0.3") });
            expect(res.statusCode, `${method} ${url}`).toBe(405);
          }
        }
      });
    });

    describe("Communication 2.1 (XAPI-00161) GET without attachments is plain application/json", () => {
      it("sends Content-Type exactly application/json for a single statement and a StatementResult", async () => {
        const [id] = (await post(statement())).json() as string[];
        for (const query of [`statementId=${id}`, `statementId=${id}&attachments=false`, "limit=1"]) {
          const res = await get(query, t.headers("1.0.3"));
          expect(res.statusCode).toBe(200);
          expect(res.headers["content-type"]).toBe("application/json");
        }
      });

      it("with attachments=true, sends multipart/mixed with an unquoted boundary after '; boundary='", async () => {
        const res = await get("attachments=true&limit=1");
        expect(res.statusCode).toBe(200);
        const type = res.headers["content-type"] as string;
        expect(type.split(";")[0]).toBe("multipart/mixed");
        const boundary = (type.split(";")[1] as string).replace(" boundary=", "");
        expect(boundary).toMatch(/^[A-Za-z0-9-]+$/);
        const first = res.body.split(`--${boundary}`)[1] as string;
        expect(JSON.parse(first.slice(first.indexOf("{"), first.lastIndexOf("}") + 1))).toHaveProperty(
          "statements",
        );
      });
    });

    describe("About 2.8 (XAPI-00316, XAPI-00317) version list per requested version", () => {
      it("lists only 1.0.x, including 1.0.1, to a 1.0.x client", async () => {
        const res = await t.app.inject({
          method: "GET",
          url: "/xapi/about",
          headers: { "x-experience-api-version": "1.0.2" },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json().version).toEqual(["1.0.0", "1.0.1", "1.0.2", "1.0.3"]);
        expect(res.headers["x-experience-api-version"]).toBe("1.0.3");
      });

      it("lists 2.0.0 to a 2.0 client, and HEAD has no body", async () => {
        const res = await t.app.inject({ method: "GET", url: "/xapi/about", headers: t.headers() });
        expect(res.json().version).toContain("2.0.0");
        for (const v of res.json().version as string[]) {
          expect(["0.9", "0.95", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]).toContain(v);
        }
        const head = await t.app.inject({ method: "HEAD", url: "/xapi/about", headers: t.headers() });
        expect(head.statusCode).toBe(200);
        expect(head.body).toBe("");
      });
    });

    describe("4.1.6.1 Statement Resource (XAPI-00171) format=ids", () => {
      it("reduces Activities to their id alone, Groups to objectType and IFI, Verbs to their id", async () => {
        const group = { objectType: "Group", name: "G", mbox: `mailto:group${randomUUID()}@example.org` };
        const act = activity(randomUUID());
        const sub = { objectType: "SubStatement", actor: group, verb: verb("attended"), object: act };
        const [id] = (await post(statement({ object: sub }))).json() as string[];
        const res = await get(`statementId=${id}&format=ids`);
        const s = res.json();
        expect(Object.keys(s.actor).length).toBeLessThanOrEqual(2);
        expect(s.verb).toEqual({ id: verb("attended").id });
        expect(s.object.actor).toEqual({ objectType: "Group", mbox: group.mbox });
        expect(s.object.object).toEqual({ id: act.id });
        expect(s.object.verb).toEqual({ id: verb("attended").id });
      });
    });

    describe("4.1.6.1 Statement Resource (XAPI-00172, XAPI-00169) format=canonical and Accept-Language", () => {
      it("keeps only the matching language with canonical, all of them without", async () => {
        const s = statement({
          context: { contextActivities: { category: [activity(`cat-${randomUUID()}`)] } },
        });
        const [id] = (await post(s)).json() as string[];
        const canonical = (
          await get(`statementId=${id}&format=canonical`, {
            ...t.headers(),
            "accept-language": "en-GB",
          })
        ).json();
        expect(canonical.verb.display).toEqual({ "en-GB": "attended" });
        expect(Object.keys(canonical.context.contextActivities.category[0].definition.name)).toEqual([
          "en-GB",
        ]);
        const exact = (await get(`statementId=${id}`, { ...t.headers(), "accept-language": "en-GB" })).json();
        expect(Object.keys(exact.verb.display).sort()).toEqual(["en-GB", "en-US"]);
      });
    });

    describe("Alternate Request Syntax 1.3 (1.0.3)", () => {
      const h = () => t.headers("1.0.3");

      it("lets the real version header win over a form field (1.3.s3.b7, the suite sends 0.8 in the form)", async () => {
        const id = randomUUID();
        const form = new URLSearchParams({
          statementId: id,
          "X-Experience-API-Version": "0.8",
          content: JSON.stringify(statement()),
        });
        const res = await t.app.inject({
          method: "POST",
          url: "/xapi/statements?method=PUT",
          headers: { ...h(), "content-type": "application/x-www-form-urlencoded" },
          payload: form.toString(),
        });
        expect(res.statusCode).toBe(204);
        expect((await get(`statementId=${id}`, h())).statusCode).toBe(200);
      });

      it("takes the credential and version from the form when no header carries them", async () => {
        const form = new URLSearchParams({
          statementId: randomUUID(),
          content: JSON.stringify(statement()),
          "X-Experience-API-Version": "1.0.3",
          Authorization: h().authorization as string,
        });
        const res = await t.app.inject({
          method: "POST",
          url: "/xapi/statements?method=PUT",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: form.toString(),
        });
        expect(res.statusCode).toBe(204);
      });

      it("answers a POST ?method=GET with a StatementResult that has 'more' (XAPI-00148)", async () => {
        const res = await t.app.inject({
          method: "POST",
          url: "/xapi/statements?method=GET",
          headers: { ...h(), "content-type": "application/x-www-form-urlencoded" },
          payload: "limit=1",
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toHaveProperty("statements");
        expect(res.json()).toHaveProperty("more");
      });

      it("refuses: not a POST, parameters in the URL, no content, a JSON body (1.3.s3.b4)", async () => {
        const form = new URLSearchParams({ content: JSON.stringify(statement()) }).toString();
        const formType = { "content-type": "application/x-www-form-urlencoded" };
        const cases = [
          { method: "GET" as const, url: "/xapi/statements?method=POST", payload: form },
          {
            method: "POST" as const,
            url: `/xapi/statements?method=PUT&statementId=${randomUUID()}`,
            payload: form,
          },
          { method: "POST" as const, url: "/xapi/statements?method=PUT", payload: "" },
          {
            method: "POST" as const,
            url: "/xapi/statements?method=PUT",
            payload: JSON.stringify({ statementId: randomUUID(), content: JSON.stringify(statement()) }),
          },
        ];
        for (const c of cases) {
          const res = await t.app.inject({ ...c, headers: { ...h(), ...formType } });
          expect(res.statusCode, c.url).toBe(400);
        }
      });
    });

    describe("Communication 2.1 / Data 2.5: StatementResult and 'more'", () => {
      it("always has 'more', empty when everything was returned, a resolvable path otherwise", async () => {
        await post([statement(), statement()]);
        const none = (
          await get(`verb=${encodeURIComponent("http://adlnet.gov/expapi/non/existent")}`)
        ).json();
        expect(none).toEqual({ statements: [], more: "" });
        const page = (await get("limit=1")).json();
        expect(page.statements).toHaveLength(1);
        expect(page.more).toMatch(/^\/xapi\/statements\?more=/);
        const next = await t.app.inject({ method: "GET", url: page.more, headers: t.headers() });
        expect(next.statusCode).toBe(200);
        expect(next.json()).toHaveProperty("statements");
        expect(next.json()).toHaveProperty("more");
      });

      it("answers 1.0.x requests with X-Experience-API-Version 1.0.3 (Communication 3.3.b2)", async () => {
        const res = await get("limit=1", t.headers("1.0.2"));
        expect(res.headers["x-experience-api-version"]).toBe("1.0.3");
      });
    });

    describe("4.1.6.1 Statement Resource (XAPI-00162) statements targeting a voided statement", () => {
      it("returns the voiding statement and a StatementRef through the voided target's verb, never the target", async () => {
        const v = `http://adlnet.gov/expapi/test/voided/target/${randomUUID()}`;
        const since = new Date(Date.now() - 4000).toISOString();
        const voidedId = randomUUID();
        const voidingId = randomUUID();
        const refId = randomUUID();
        await post({ ...statement({ verb: { id: v } }), id: voidedId });
        await post({
          ...statement({ verb: { id: "http://adlnet.gov/expapi/verbs/voided" } }),
          id: voidingId,
          object: { objectType: "StatementRef", id: voidedId },
        });
        await post({
          ...statement({ verb: { id: v } }),
          id: refId,
          object: { objectType: "StatementRef", id: voidedId },
        });
        const until = new Date(Date.now() + 4000).toISOString();
        const ids = async (q: Record<string, string>) =>
          ((await get(new URLSearchParams(q).toString())).json().statements as { id: string }[]).map(
            (s) => s.id,
          );
        expect(await ids({ verb: v })).toEqual([refId, voidingId]);
        expect(await ids({ verb: v, since })).toEqual([refId, voidingId]);
        expect(await ids({ verb: v, until })).toEqual([refId, voidingId]);
        expect(await ids({ verb: v, limit: "1" })).toEqual([refId]);
        expect((await get(`statementId=${voidedId}`)).statusCode).toBe(404);
        expect((await get(`voidedStatementId=${voidedId}`)).json().id).toBe(voidedId);
      });
    });

    describe("Data 2.5 Retrieval of Statements: every filter at once", () => {
      it("finds the statement with agent, verb, activity, registration, related_activities, since, format, attachments, limit", async () => {
        const id = randomUUID();
        const actor = agent(`all-${randomUUID()}`);
        const s = {
          ...statement({ actor }),
          id,
          context: { registration: randomUUID() },
        };
        await post(s);
        const q = new URLSearchParams({
          limit: "1",
          agent: JSON.stringify(actor),
          verb: verb("attended").id,
          activity: activity("intro").id,
          registration: s.context.registration,
          related_activities: "true",
          since: "2012-06-01T19:09:13.245Z",
          format: "ids",
          attachments: "false",
        });
        const res = await get(q.toString(), t.headers("1.0.3"));
        expect(res.statusCode).toBe(200);
        expect(res.json().statements[0].id).toBe(id);
      });
    });

    describe("4.1.6.1 Statement Resource (XAPI-00142) and statements the LRS completes", () => {
      it("refuses a batch that uses one id twice", async () => {
        const id = randomUUID();
        expect(
          (
            await post([
              { ...statement(), id },
              { ...statement(), id },
            ])
          ).statusCode,
        ).toBe(400);
        expect((await get(`statementId=${id}`)).statusCode).toBe(404);
      });

      it("sets stored (not the client's), keeps version 2.0.0, timestamp = stored, Last-Modified = stored", async () => {
        const id = randomUUID();
        const sent = {
          ...statement(),
          id,
          stored: new Date("July 15, 2011").toISOString(),
          version: "2.0.0",
        };
        expect((await post(sent)).statusCode).toBe(200);
        const res = await get(`statementId=${id}`);
        const s = res.json();
        expect(s.stored).not.toBe(sent.stored);
        expect(s.stored).toMatch(/\.\d{3}Z$/);
        expect(s.version).toBe("2.0.0");
        expect(s.timestamp).toBe(s.stored);
        expect(Math.floor(Date.parse(s.stored) / 1000)).toBe(
          Math.floor(Date.parse(res.headers["last-modified"] as string) / 1000),
        );
        expect(s.authority).toBeDefined();
      });

      it("accepts an upper-case statement id and statementId, and finds it in either case", async () => {
        const id = randomUUID().toUpperCase();
        const put = await t.app.inject({
          method: "PUT",
          url: `/xapi/statements?statementId=${id}`,
          headers: { ...t.headers(), "content-type": "application/json; charset=UTF-8" },
          payload: JSON.stringify({ ...statement(), id }),
        });
        expect(put.statusCode).toBe(204);
        expect((await get(`statementId=${id}`)).statusCode).toBe(200);
        expect((await get(`statementId=${id.toLowerCase()}`)).statusCode).toBe(200);
      });

      it("returns statements as sent for format exact (non_templating 6.2.l)", async () => {
        const sent = statement();
        const [id] = (await post(sent)).json() as string[];
        const s = (await get(`statementId=${id}`, t.headers("1.0.3"))).json();
        expect(s.actor).toEqual(sent.actor);
        expect(s.verb).toEqual(sent.verb);
        expect(s.object).toEqual(sent.object);
      });
    });
  });
}
