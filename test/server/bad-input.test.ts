import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteBackend } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

const valid = {
  actor: { objectType: "Agent", mbox: "mailto:ada@example.org", name: "Ada" },
  verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
  object: {
    objectType: "Activity",
    id: "https://example.org/q1",
    definition: { interactionType: "choice", choices: [{ id: "a" }] },
  },
  result: { score: { scaled: 0.5, raw: 5, min: 0, max: 10 }, success: true, duration: "PT1M" },
  context: {
    registration: "6fbd600f-d17c-4c74-801a-2ec2e53231c3",
    contextActivities: { parent: [{ id: "https://example.org/course" }] },
  },
  timestamp: "2026-01-01T10:00:00.000Z",
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths of every value inside a JSON object. */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function setAt(root: Json, path: string[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const copy = structuredClone(root) as Record<string, Json>;
  let node: Record<string, Json> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, Json>;
  const last = path[path.length - 1] as string;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

const allPaths = paths(valid as unknown as Json).filter((p) => p.length > 0);
const badValues: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.constant("not an iri"),
  fc.constant("mailto:"),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
);

describe("bad input over HTTP", () => {
  let t: TestLrs;
  beforeAll(async () => {
    t = await testLrs(sqliteBackend);
  });
  afterAll(async () => {
    await t.close();
  });
  const post = (payload: string | Buffer, type = "application/json") =>
    t.app.inject({
      method: "POST",
      url: "/xapi/statements",
      headers: { ...t.headers(), "content-type": type },
      payload,
    });

  it("accepts the valid statement the mutations start from", async () => {
    expect((await post(JSON.stringify(valid))).statusCode).toBe(200);
  });

  it("answers thousands of mutated statements with 200 or a clear 400, never a 5xx, storing nothing rejected", async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...allPaths),
        badValues,
        fc.option(fc.string({ minLength: 1, maxLength: 8 })),
        async (path, value, extraKey) => {
          let body = setAt(valid as unknown as Json, path, value) as Record<string, Json>;
          if (extraKey) body = { ...body, [extraKey]: 1 };
          const res = await post(JSON.stringify(body));
          expect([200, 400]).toContain(res.statusCode);
          if (res.statusCode === 400) {
            rejected++;
            const error = res.json().error;
            expect(typeof error.message).toBe("string");
            expect(error.message.length).toBeGreaterThan(5);
          }
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
    expect(rejected).toBeGreaterThan(1000);
  });

  it("answers random bytes, broken JSON, odd content types and huge or deep bodies with 4xx and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(
          "application/json",
          "multipart/mixed; boundary=x",
          "text/plain",
          "application/octet-stream",
        ),
        async (bytes, type) => {
          const res = await post(Buffer.from(bytes), type);
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 1000, seed: 7 },
    );
    const deep = `{"actor":${"[".repeat(200000)}${"]".repeat(200000)}}`;
    expect((await post(deep)).statusCode).toBe(400);
    const nested = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const deepExtension = JSON.stringify({
      ...valid,
      result: { extensions: { "https://example.org/x": "X" } },
    }).replace('"X"', nested);
    expect((await post(deepExtension)).statusCode).toBe(400);
    const huge = await t.app.inject({
      method: "POST",
      url: "/xapi/statements",
      headers: { ...t.headers(), "content-type": "application/json" },
      payload: Buffer.alloc(65 * 1024 * 1024, 0x20),
    });
    expect(huge.statusCode).toBe(413);
    expect((await post(JSON.stringify(valid))).statusCode).toBe(200);
  });
});
