import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lrs } from "../../src/lrs/index.js";
import { openDatabase } from "../../src/store/index.js";
import { cliBuilt, cliPath, freePort } from "../helpers/cli.js";
import { basic } from "../helpers/server.js";

/** A spawned `learnpool` server with what it printed so far. */
interface Spawned {
  child: ChildProcess;
  port: number;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = `/tmp/learnpool-serve-${randomBytes(6).toString("hex")}`;
  mkdirSync(dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

async function spawnServer(
  args: string[],
  ready: (out: string) => boolean,
  timeoutMs = 15_000,
): Promise<Spawned> {
  const port = await freePort();
  const child = spawn(process.execPath, [cliPath, ...args, "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  for (let i = 0; i < timeoutMs / 100; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok && ready(out)) {
        return { child, port, out: () => out, err: () => err, exited };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start: ${out}\n${err}`);
}

/** Waits for the process to exit, failing after `ms`. */
async function exitWithin(server: Spawned, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const KEY = "svc-key";
const SECRET = "secretsecret";
const MBOX = "mailto:ada.lovelace@example.org";
const agentParam = encodeURIComponent(JSON.stringify({ mbox: MBOX }));

function statement(id = randomUUID()) {
  return {
    id,
    actor: { objectType: "Agent", mbox: MBOX },
    verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
    object: { id: "https://example.org/activity/1" },
  };
}

describe.skipIf(!cliBuilt)("learnpool serve", () => {
  let server: Spawned;
  let dir = "";
  const xapi = (version = "2.0.0", key = KEY, secret = SECRET) => ({
    authorization: basic(key, secret),
    "x-experience-api-version": version,
  });
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeAll(async () => {
    dir = tempDir();
    server = await spawnServer(
      ["serve", "--db", `${dir}/lrs.db`, "--credential", `${KEY}:${SECRET}`],
      () => true,
    );
  });

  it("serves an OpenAPI 3.1 document with the statements and document resources", async () => {
    const res = await fetch(url("/openapi.json"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, object>;
    };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe("Learnpool");
    for (const path of [
      "/xapi/statements",
      "/xapi/activities/state",
      "/xapi/activities/profile",
      "/xapi/agents/profile",
      "/xapi/activities",
      "/xapi/agents",
      "/xapi/about",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(Object.keys(doc.paths["/xapi/statements"] ?? {})).toEqual(
      expect.arrayContaining(["get", "put", "post"]),
    );
    // The document Swagger UI loads is the same one.
    expect(await (await fetch(url("/docs/json"))).json()).toEqual(doc);
  });

  it("serves the Swagger UI at /docs with every asset from the server itself", async () => {
    const res = await fetch(url("/docs"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('id="swagger-ui"');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1] as string);
    const scripts = assets.filter((a) => a.endsWith(".js"));
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    expect(scripts.some((s) => s.includes("swagger-ui-bundle"))).toBe(true);
    for (const asset of assets) {
      const loaded = await fetch(new URL(asset, url("/docs/")));
      expect(loaded.status, asset).toBe(200);
      const type = loaded.headers.get("content-type") ?? "";
      if (asset.endsWith(".js")) expect(type, asset).toMatch(/javascript/);
      if (asset.endsWith(".css")) {
        expect(type, asset).toMatch(/^text\/css/);
        // Stylesheets pull nothing from elsewhere: their url()s are inline data.
        for (const m of (await loaded.text()).matchAll(/url\(\s*["']?([^"')]+)/g)) {
          expect(m[1], asset).toMatch(/^data:/);
        }
        expect(type).toMatch(/css/);
      }
    }
    // The initializer points Swagger UI at the local document, and nowhere else.
    const init = await (await fetch(url("/docs/static/swagger-initializer.js"))).text();
    expect(init).toContain("'./json'");
    expect(init).not.toMatch(/url:\s*["'`]https?:/);
  });

  it("logs JSON lines on stdout that never hold an mbox, a secret or the credentials", async () => {
    const posted = statement();
    const requests: [string, RequestInit][] = [
      [
        `/xapi/statements`,
        {
          method: "POST",
          headers: { ...xapi(), "content-type": "application/json" },
          body: JSON.stringify(posted),
        },
      ],
      [`/xapi/statements?agent=${agentParam}`, { headers: xapi() }],
      [`/xapi/statements?agent=${agentParam}&related_agents=true&limit=3`, { headers: xapi() }],
      [`/xapi/statements?agent=${agentParam}`, { headers: xapi("2.0.0", KEY, "wrong-secret") }],
      [`/xapi/statements?agent=${encodeURIComponent(`{${MBOX}`)}`, { headers: xapi() }],
      [`/xapi/agents?agent=${agentParam}`, { headers: xapi() }],
      [
        `/xapi/activities/state?activityId=https%3A%2F%2Fexample.org%2Fa&agent=${agentParam}&stateId=s`,
        { headers: xapi() },
      ],
      [`/xapi/nothing-here?agent=${agentParam}`, { headers: xapi() }],
      [`/not-a-route?agent=${agentParam}`, { headers: xapi() }],
      [`/docs/static/missing.js?agent=${agentParam}`, {}],
      [
        `/xapi/statements?method=GET`,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            Authorization: basic(KEY, SECRET),
            "X-Experience-API-Version": "1.0.3",
            agent: JSON.stringify({ mbox: MBOX }),
          }).toString(),
        },
      ],
      [
        `/xapi/statements`,
        {
          method: "POST",
          headers: { ...xapi(), "content-type": "application/json" },
          body: JSON.stringify({ ...statement(), verb: { id: "not an iri" } }),
        },
      ],
    ];
    const statuses: number[] = [];
    for (const [path, init] of requests) statuses.push((await fetch(url(path), init)).status);
    expect(statuses[0]).toBe(200);
    expect(statuses[1]).toBe(200);
    expect(statuses[3]).toBe(401);
    expect(statuses[4]).toBe(400);
    expect(statuses[7]).toBe(404);
    expect(statuses[8]).toBe(404);
    // The one statement posted is found by its agent: the query really carried the mbox.
    const found = (await (
      await fetch(url(`/xapi/statements?agent=${agentParam}`), { headers: xapi() })
    ).json()) as {
      statements: { id: string }[];
    };
    expect(found.statements.map((s) => s.id)).toEqual([posted.id]);
    await new Promise((r) => setTimeout(r, 300));

    const lines = server
      .out()
      .split("\n")
      .filter((line) => line !== "");
    expect(lines.length).toBeGreaterThan(requests.length * 2);
    const entries = lines.map((line) => {
      try {
        return JSON.parse(line) as {
          level: number;
          msg: string;
          req?: { path: string };
          res?: { status: number };
        };
      } catch {
        throw new Error(`a stdout line is not JSON: ${line}`);
      }
    });
    for (const e of entries) {
      expect(typeof e.level).toBe("number");
      expect(typeof e.msg).toBe("string");
    }
    // Requests are logged, by path and status.
    expect(entries.some((e) => e.req?.path === "/xapi/statements")).toBe(true);
    expect(entries.some((e) => e.res?.status === 401)).toBe(true);
    expect(entries.some((e) => e.req?.path === "/not-a-route")).toBe(true);

    const output = server.out() + server.err();
    const forbidden = [
      "ada.lovelace",
      encodeURIComponent(MBOX),
      agentParam,
      SECRET,
      "wrong-secret",
      Buffer.from(`${KEY}:${SECRET}`).toString("base64"),
      Buffer.from(`${KEY}:wrong-secret`).toString("base64"),
      "Basic ",
      "authorization",
    ];
    for (const text of forbidden) expect(output, text).not.toContain(text);
  });

  it("stops on SIGTERM after finishing the request in flight, with exit code 0", async () => {
    const posted = statement();
    const body = Buffer.from(JSON.stringify(posted));
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        url("/xapi/statements"),
        {
          method: "POST",
          headers: { ...xapi(), "content-type": "application/json" },
          // A client that keeps its connection open for more requests, as most do.
          agent: new Agent({ keepAlive: true }),
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.write(body.subarray(0, half));
      // The rest of the body arrives after the signal.
      setTimeout(() => {
        server.child.kill("SIGTERM");
        setTimeout(() => req.end(body.subarray(half)), 700);
      }, 300);
    });
    const reply = await response;
    const replied = Date.now();
    expect(reply).toEqual({ status: 200, body: JSON.stringify([posted.id]) });
    expect(await exitWithin(server, 20_000)).toBe(0);
    // It does not wait for the client's idle connection to time out.
    expect(Date.now() - replied).toBeLessThan(3000);
    expect(server.out()).toContain('"msg":"shutting down: finishing requests in flight"');
    await expect(fetch(url("/health"))).rejects.toThrow();
    // What it acknowledged is stored.
    const db = await openDatabase(`${dir}/lrs.db`);
    try {
      expect(await db.one("SELECT id FROM statements WHERE id = ?", [posted.id])).toEqual({ id: posted.id });
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!cliBuilt)("learnpool start", () => {
  const banner = (out: string) => {
    const endpoint = /xAPI LRS endpoint : (\S+)/.exec(out)?.[1];
    const credential = /credential\s+: (\S+):(\S+)\s/.exec(out);
    if (!endpoint || !credential?.[1] || !credential[2]) throw new Error(`no banner in: ${out}`);
    return { endpoint, key: credential[1], secret: credential[2] };
  };

  // `start` is the demonstration with its defaults: a small one here, in a folder of its own.
  it("prints an endpoint and a working credential, the same one at every start", async () => {
    const dir = `${tempDir()}/data`;
    const db = `${dir}/learnpool.db`;
    const args = ["start", "--dir", dir, "--learners", "20", "--no-progress"];
    const first = await spawnServer(args, (out) => out.includes("Press Ctrl-C"), 240_000);
    let printed: ReturnType<typeof banner>;
    try {
      printed = banner(first.out());
      expect(printed.endpoint).toBe(`http://127.0.0.1:${first.port}/xapi`);
      const headers = {
        authorization: basic(printed.key, printed.secret),
        "x-experience-api-version": "2.0.0",
        "content-type": "application/json",
      };
      const posted = statement();
      const post = await fetch(`${printed.endpoint}/statements`, {
        method: "POST",
        headers,
        body: JSON.stringify(posted),
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toEqual([posted.id]);
      const get = await fetch(`${printed.endpoint}/statements?statementId=${posted.id}`, { headers });
      expect(get.status).toBe(200);
      expect(await get.json()).toMatchObject({ id: posted.id, actor: { mbox: MBOX } });
      expect(first.out()).toContain(`curl -u '${printed.key}:${printed.secret}'`);
      // Every connector is this server: the lab's request for an agreement on a provider's offer (as
      // the console sends it) is answered by the server's own provider side, through to FINALIZED.
      const lab = /consumer\s+lab\b[^\n]*\n\s+([^\s:]+):(\S+)/.exec(first.out());
      expect(lab, first.out()).not.toBeNull();
      const asLab = { authorization: basic(lab![1]!, lab![2]!), "content-type": "application/json" };
      const base = `http://127.0.0.1:${first.port}`;
      const started = await fetch(`${base}/contract/negotiations`, {
        method: "POST",
        headers: asLab,
        body: JSON.stringify({ provider: `${base}/dsp`, offer: "urn:learnpool:offer:demo:employment" }),
      });
      expect(started.status, await started.clone().text()).toBeLessThan(300);
      const pid = ((await started.json()) as { localPid: string }).localPid;
      let state = "";
      for (let i = 0; i < 50 && state !== "FINALIZED"; i++) {
        const got = await fetch(`${base}/contract/negotiations/${encodeURIComponent(pid)}`, {
          headers: asLab,
        });
        state = ((await got.json()) as { state: string }).state;
        if (state !== "FINALIZED") await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe("FINALIZED");
      first.child.kill("SIGTERM");
      expect(await exitWithin(first, 10_000)).toBe(0);
    } finally {
      first.child.kill("SIGKILL");
    }
    // Kept beside the database, readable by its owner only.
    const saved = `${dir}/start-credential.json`;
    expect(existsSync(saved)).toBe(true);
    expect(statSync(saved).mode & 0o777).toBe(0o600);

    // The finished data space is reused at once.
    const second = await spawnServer(args, (out) => out.includes("Press Ctrl-C"));
    try {
      const again = banner(second.out());
      expect({ key: again.key, secret: again.secret }).toEqual({ key: printed.key, secret: printed.secret });
      const get = await fetch(`${again.endpoint}/statements?limit=10`, {
        headers: { authorization: basic(again.key, again.secret), "x-experience-api-version": "2.0.0" },
      });
      expect(get.status).toBe(200);
      expect(((await get.json()) as { statements: unknown[] }).statements).toHaveLength(1);
      second.child.kill("SIGTERM");
      expect(await exitWithin(second, 10_000)).toBe(0);
    } finally {
      second.child.kill("SIGKILL");
    }
    // One credential was made, not one per start.
    const database = await openDatabase(db);
    try {
      const lrs = new Lrs(database, { authorityHomePage: "http://t" });
      expect((await lrs.tenancy.listCredentials("default")).map((c) => c.key)).toEqual([printed.key]);
    } finally {
      await database.close();
    }
  }, 300_000);
});
