/**
 * The OpenAPI document cannot fall behind the routes: every route the server registers (outside the
 * xAPI wildcard, the docs, the document itself and /health) is described with its method, every
 * described operation is a route, the document holds together as OpenAPI 3.1 (every $ref resolves,
 * every path parameter is declared, every security requirement names a scheme), and a call without
 * credentials answers a status, media type and error shape the document lists.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openApiDocument } from "../../src/server/index.js";
import { sqliteBackend } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

/** Every route as Fastify registers it: an onRoute hook on each instance the server builds. */
const registered = vi.hoisted(() => [] as { method: string; url: string }[]);
vi.mock("fastify", async (importOriginal) => {
  const mod = await importOriginal<typeof import("fastify")>();
  const original = mod.default;
  const wrapped = ((options?: Parameters<typeof original>[0]) => {
    const app = original(options);
    app.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    });
    return app;
  }) as unknown as typeof original;
  return { ...mod, default: wrapped, fastify: wrapped };
});

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const PATH_ITEM_KEYS = new Set<string>([
  ...METHODS,
  "summary",
  "description",
  "parameters",
  "servers",
  "$ref",
]);
const SCHEMA_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
const UNDOCUMENTED = [/^\/xapi(\/|$)/, /^\/docs(\/|$)/, /^\/openapi\.json$/, /^\/health$/];

/** `/a/:id/b/:kid` (a regex suffix dropped) → `/a/{id}/b/{kid}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, "{$1}");

function pointer(doc: Json, ref: string): Json {
  if (!ref.startsWith("#/")) return undefined;
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

const deref = (doc: Json, node: Json): Json =>
  node && typeof node.$ref === "string" ? pointer(doc, node.$ref) : node;

function walk(node: Json, at: string, visit: (node: Json, at: string) => void): void {
  if (node === null || typeof node !== "object") return;
  visit(node, at);
  for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`, visit);
}

/** What keeps the document from being OpenAPI 3.1, as far as its structure goes. */
function structuralProblems(doc: Json): string[] {
  const out: string[] = [];
  if (typeof doc.openapi !== "string" || !/^3\.1\.\d+$/.test(doc.openapi)) out.push("openapi is not 3.1.x");
  if (typeof doc.info?.title !== "string" || typeof doc.info?.version !== "string")
    out.push("info needs a title and a version");
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  const checkSecurity = (security: Json, where: string) => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return void out.push(`${where}: security is not a list`);
    for (const requirement of security)
      for (const name of Object.keys(requirement))
        if (!schemes.has(name)) out.push(`${where}: security names no scheme ${name}`);
  };
  checkSecurity(doc.security, "document");

  walk(doc, "#", (node, at) => {
    if (typeof node.$ref === "string" && pointer(doc, node.$ref) === undefined)
      out.push(`${at}: $ref ${node.$ref} does not resolve`);
    if (at.startsWith("#/components/securitySchemes")) return;
    const types = typeof node.type === "string" ? [node.type] : node.type;
    if (Array.isArray(types) && types.every((t) => typeof t === "string"))
      for (const t of types) if (!SCHEMA_TYPES.has(t)) out.push(`${at}: type ${t} is not a JSON Schema type`);
    if (Array.isArray(node.required) && node.properties && typeof node.properties === "object")
      for (const name of node.required)
        if (!Object.hasOwn(node.properties, name))
          out.push(`${at}: required ${name} is not among its properties`);
  });

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    if (!path.startsWith("/")) out.push(`${path}: a path starts with /`);
    for (const key of Object.keys(item))
      if (!PATH_ITEM_KEYS.has(key)) out.push(`${path}: ${key} is not a field of a path item`);
    const template = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string));
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof op.summary !== "string" || op.summary === "") out.push(`${where}: no summary`);
      if (op.operationId !== undefined) {
        if (operationIds.has(op.operationId)) out.push(`${where}: operationId ${op.operationId} twice`);
        operationIds.add(op.operationId);
      }
      checkSecurity(op.security, where);

      const responses = Object.entries<Json>(op.responses ?? {});
      if (responses.length === 0) out.push(`${where}: no responses`);
      for (const [code, response] of responses) {
        if (!/^([1-5](\d\d|XX)|default)$/.test(code)) out.push(`${where}: ${code} is not a status code`);
        if (typeof deref(doc, response)?.description !== "string")
          out.push(`${where}: response ${code} has no description`);
      }

      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) =>
        deref(doc, p),
      );
      const seen = new Set<string>();
      const declared = new Set<string>();
      for (const p of op.parameters ?? []) {
        const q = deref(doc, p);
        if (seen.has(`${q?.in} ${q?.name}`)) out.push(`${where}: parameter ${q?.name} (${q?.in}) twice`);
        seen.add(`${q?.in} ${q?.name}`);
      }
      for (const p of parameters) {
        if (typeof p?.name !== "string" || !["query", "header", "path", "cookie"].includes(p?.in)) {
          out.push(`${where}: a parameter needs a name and in (query, header, path or cookie)`);
          continue;
        }
        if (p.schema === undefined && p.content === undefined)
          out.push(`${where}: parameter ${p.name} has neither schema nor content`);
        if (p.in !== "path") continue;
        declared.add(p.name);
        if (p.required !== true) out.push(`${where}: path parameter ${p.name} must be required`);
        if (!template.has(p.name)) out.push(`${where}: path parameter ${p.name} is not in the path`);
      }
      for (const name of template)
        if (!declared.has(name)) out.push(`${where}: path parameter {${name}} is not declared`);

      if (op.requestBody !== undefined) {
        const body = deref(doc, op.requestBody);
        if (!body?.content || Object.keys(body.content).length === 0)
          out.push(`${where}: the request body has no content`);
      }
    }
  }
  return out;
}

/** The operations of the document, minus what the route table does not hold either. */
function operations(doc: Json): { method: string; path: string; op: Json }[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path, op: item[m] })),
  );
}

describe("the OpenAPI document", () => {
  let t: TestLrs;
  let doc: Json;
  let routes: { method: string; path: string }[];

  beforeAll(async () => {
    registered.length = 0;
    t = await testLrs(sqliteBackend);
    await t.app.ready();
    const res = await t.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    const unique = new Map<string, { method: string; path: string }>();
    for (const { method, url } of registered) {
      // Fastify answers HEAD for every GET by itself; the document describes the GET.
      if (method === "HEAD" || UNDOCUMENTED.some((re) => re.test(url))) continue;
      const path = openApiPath(url);
      unique.set(`${method} ${path}`, { method, path });
    }
    routes = [...unique.values()];
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is the document the server serves", () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("describes every route the server registers, with its method", () => {
    // The route table was seen: the contract routes at least are there.
    expect(routes.some((r) => r.path === "/contract/agreements/{id}")).toBe(true);
    const missing = routes
      .filter(({ method, path }) => doc.paths[path]?.[method.toLowerCase()] === undefined)
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing, "routes the OpenAPI document does not describe").toEqual([]);
  });

  it("describes only routes the server has", () => {
    const known = new Set(routes.map(({ method, path }) => `${method} ${path}`));
    const ghosts = operations(doc)
      .filter(({ path }) => !UNDOCUMENTED.some((re) => re.test(path)))
      .map(({ method, path }) => `${method} ${path}`)
      .filter((key) => !known.has(key));
    expect(ghosts, "operations of the document that no route serves").toEqual([]);
  });

  it("is structurally valid OpenAPI 3.1", () => {
    expect(structuralProblems(doc)).toEqual([]);
  });

  it("finds the problems it looks for", () => {
    const broken = JSON.parse(JSON.stringify(doc));
    broken.paths["/contract/agreements/{id}"].get.parameters = [];
    broken.paths["/contract/duties"].get.responses["200"].content[
      "application/json"
    ].schema.properties.duties.items = { $ref: "#/components/schemas/Nothing" };
    broken.paths["/dsp/transfers/{pid}/data"].get.security = [{ token: [] }];
    const found = structuralProblems(broken).join("\n");
    expect(found).toMatch(/GET \/contract\/agreements\/\{id\}: path parameter \{id\} is not declared/);
    expect(found).toMatch(/\$ref #\/components\/schemas\/Nothing does not resolve/);
    expect(found).toMatch(/GET \/dsp\/transfers\/\{pid\}\/data: security names no scheme token/);
  });

  it("lists what a call without credentials answers: its status, media type and error shape", async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const { method, path, op } of operations(doc)) {
      if (UNDOCUMENTED.some((re) => re.test(path))) continue;
      calls++;
      const url = path.replace(/\{[^}]+\}/g, "x");
      const res: LightMyRequestResponse = await t.app.inject({ method: method as "GET", url });
      const where = `${method} ${path} → ${res.statusCode}`;
      const security = op.security ?? doc.security;
      const open = security.length === 0 || security.some((r: Json) => Object.keys(r).length === 0);
      if (!open && res.statusCode !== 401)
        wrong.push(`${where}: a secured operation answers without credentials`);
      const code = String(res.statusCode);
      const response = deref(doc, op.responses[code] ?? op.responses[`${code[0]}XX`] ?? op.responses.default);
      if (!response) {
        wrong.push(`${where}: the status is not documented`);
        continue;
      }
      const media = String(res.headers["content-type"] ?? "").split(";")[0] as string;
      const content = response.content?.[media];
      if (response.content && !content) {
        wrong.push(`${where}: ${media} is not a documented media type`);
        continue;
      }
      const schema = content?.schema?.$ref as string | undefined;
      const body = media.endsWith("json") ? res.json() : undefined;
      if (schema === "#/components/schemas/Error" && body?.error?.status !== res.statusCode)
        wrong.push(`${where}: the body is not {error: {status, message}}`);
      if (schema?.endsWith("Error") && schema !== "#/components/schemas/Error") {
        const type = schema.split("/").pop();
        if (body?.["@type"] !== type) wrong.push(`${where}: the body is not a ${type}`);
      }
    }
    expect(calls).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });
});
