import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BatchRefused,
  ingest,
  localTarget,
  readCheckpoint,
  remoteTarget,
  type StatementTarget,
  xapiFormat,
} from "../../src/interop/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { cliBuilt, cliPath, freePort } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-ingest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `count` statements, one per line, without ids (the xapi format gives them deterministic ones). */
function statementsFile(name: string, count: number, extra: string[] = []): string {
  const path = join(dir, name);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      actor: { mbox: `mailto:learner${i % 7}@example.org` },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { id: `http://example.org/course/${i}` },
      timestamp: "2024-01-01T00:00:00.000Z",
    }),
  );
  writeFileSync(path, [...lines, ...extra].join("\n"));
  return path;
}

async function storedCount(db: Database, store: string): Promise<number> {
  const row = await db.one<{ n: number }>("SELECT count(*) AS n FROM statements WHERE store_id = ?", [store]);
  return Number(row?.n ?? 0);
}

async function localLrs(name: string): Promise<{ db: Database; lrs: Lrs; close: () => Promise<void> }> {
  const db = await openDatabase(join(dir, name));
  const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
  await lrs.tenancy.createStore("uni-a", "University A", "test");
  return {
    db,
    lrs,
    close: async () => {
      await lrs.close();
      await db.close();
    },
  };
}

/** A target that fails (like a killed process) once `after` batches have gone through. */
function failingAfter(target: StatementTarget, after: number, storeThenFail = false): StatementTarget {
  let batches = 0;
  return {
    description: target.description,
    async store(statements) {
      if (batches >= after) {
        if (storeThenFail) await target.store(statements);
        throw new Error("interrupted");
      }
      batches++;
      await target.store(statements);
    },
  };
}

describe("ingest into a local database", () => {
  it("stores in batches, reports rejected records, and counts", async () => {
    const { db, lrs, close } = await localLrs("local.db");
    try {
      const input = statementsFile("local.jsonl", 25, ["{broken", JSON.stringify({ actor: {}, verb: {} })]);
      const errors = join(dir, "local-errors.jsonl");
      const counts = await ingest({
        format: xapiFormat,
        input,
        target: await localTarget(lrs, "uni-a"),
        batch: 10,
        errors,
        progress: false,
      });
      expect(counts).toMatchObject({
        read: 27,
        converted: 25,
        statements: 25,
        rejected: 2,
        stored: 25,
        batches: 3,
      });
      expect(await storedCount(db, "uni-a")).toBe(25);
      const lines = readFileSync(errors, "utf8").trim().split("\n");
      expect(lines.map((l) => JSON.parse(l).position.line)).toEqual([26, 27]);
    } finally {
      await close();
    }
  });

  it("refuses a store that does not exist", async () => {
    const { lrs, close } = await localLrs("nostore.db");
    try {
      await expect(localTarget(lrs, "nope")).rejects.toThrow(/no store 'nope'.*learnpool stores add nope/);
    } finally {
      await close();
    }
  });

  it("resumes after an interruption from the checkpoint, without storing anything twice", async () => {
    const { db, lrs, close } = await localLrs("resume.db");
    try {
      const input = statementsFile("resume.jsonl", 95);
      const checkpoint = join(dir, "resume.checkpoint");
      const target = await localTarget(lrs, "uni-a");
      /** One ingest run of the file in batches of 10, with the checkpoint, into `to`. */
      const run = (to = target) =>
        ingest({ format: xapiFormat, input, target: to, batch: 10, checkpoint, progress: false });
      await expect(run(failingAfter(target, 4))).rejects.toThrow("interrupted");
      expect(readCheckpoint(checkpoint)).toMatchObject({
        records: 40,
        statements: 40,
        format: "xapi",
        input,
      });
      expect(await storedCount(db, "uni-a")).toBe(40);
      // Interrupted again after the LRS stored a batch but before the checkpoint recorded it.
      await expect(run(failingAfter(target, 2, true))).rejects.toThrow("interrupted");
      expect(readCheckpoint(checkpoint)?.records).toBe(60);
      expect(await storedCount(db, "uni-a")).toBe(70);
      const counts = await run();
      // The batch stored without a checkpoint is sent again and accepted as the same statements.
      expect(counts).toMatchObject({ resumed: 60, read: 35, stored: 35 });
      expect(await storedCount(db, "uni-a")).toBe(95);
      expect(readCheckpoint(checkpoint)).toMatchObject({ records: 95, statements: 95 });
      const again = await run();
      expect(again).toMatchObject({ resumed: 95, read: 0, stored: 0 });
      await expect(
        ingest({
          format: xapiFormat,
          input: statementsFile("other.jsonl", 1),
          target,
          checkpoint,
          progress: false,
        }),
      ).rejects.toThrow(/checkpoint .* is for --from xapi --in/);
    } finally {
      await close();
    }
  });

  it("finds the records the LRS refuses in a batch and stores the others", async () => {
    const { db, lrs, close } = await localLrs("conflict.db");
    try {
      const id = "11111111-1111-4111-8111-111111111111";
      const conflicting = (object: string) =>
        JSON.stringify({
          id,
          actor: { mbox: "mailto:x@example.org" },
          verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
          object: { id: object },
        });
      const first = join(dir, "first.jsonl");
      writeFileSync(first, conflicting("http://example.org/a"));
      const target = await localTarget(lrs, "uni-a");
      await ingest({ format: xapiFormat, input: first, target, progress: false });
      // Same id, other content: the LRS answers 409 for the batch holding it.
      const input = statementsFile("conflict.jsonl", 9, [conflicting("http://example.org/b")]);
      const errors = join(dir, "conflict-errors.jsonl");
      const counts = await ingest({ format: xapiFormat, input, target, batch: 100, errors, progress: false });
      expect(counts).toMatchObject({ converted: 9, rejected: 1, stored: 9 });
      expect(await storedCount(db, "uni-a")).toBe(10);
      const [line] = readFileSync(errors, "utf8").trim().split("\n");
      expect(JSON.parse(line!)).toMatchObject({ position: { line: 10 }, outcome: "rejected" });
    } finally {
      await close();
    }
  });
});

describe("remoteTarget", () => {
  it("retries on 5xx with backoff, and reports a refused batch with the LRS's message", async () => {
    const { createServer } = await import("node:http");
    let calls = 0;
    const server = createServer((request, response) => {
      calls++;
      request.resume();
      request.on("end", () => {
        if (calls <= 2) response.writeHead(503).end("busy");
        else if (calls === 3) response.writeHead(200, { "content-type": "application/json" }).end("[]");
        else response.writeHead(400, { "content-type": "application/json" }).end('{"message":"bad verb"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const retries: string[] = [];
    const target = remoteTarget({
      endpoint: `http://127.0.0.1:${port}/xapi/`,
      key: "k",
      secret: "s",
      backoffMs: 5,
      onRetry: (_attempt, _delay, reason) => retries.push(reason),
    });
    try {
      await target.store([{ id: "x" }]);
      expect(retries).toEqual(["HTTP 503: busy", "HTTP 503: busy"]);
      const refused = await target.store([{ id: "y" }]).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(BatchRefused);
      expect((refused as BatchRefused).message).toBe("the LRS answered HTTP 400: bad verb");
    } finally {
      server.close();
    }
  });
});

/** `learnpool serve` on a SQLite file, as users run it; resolves once it listens. */
async function serve(db: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      "serve",
      "--db",
      db,
      "--port",
      String(port),
      "--store",
      "uni-a",
      "--credential",
      "ingest:secret-1",
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LEARNPOOL_LOG_LEVEL: "silent" } },
  );
  await new Promise<void>((resolve, reject) => {
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (stderr.includes("xAPI LRS at")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return child;
}

async function remoteCount(port: number): Promise<number> {
  let url: string | undefined = `http://127.0.0.1:${port}/xapi/statements?limit=500`;
  let count = 0;
  while (url) {
    const response = await fetch(url, {
      headers: {
        authorization: `Basic ${Buffer.from("ingest:secret-1").toString("base64")}`,
        "x-experience-api-version": "2.0.0",
      },
    });
    const body = (await response.json()) as { statements: unknown[]; more: string };
    count += body.statements.length;
    url = body.more ? `http://127.0.0.1:${port}${body.more}` : undefined;
  }
  return count;
}

describe.skipIf(!cliBuilt)("ingest into a running learnpool serve", () => {
  it("stores through POST /statements, survives the server being killed, and resumes", async () => {
    const db = join(dir, "served.db");
    const port = await freePort();
    let server = await serve(db, port);
    try {
      const input = statementsFile("served.jsonl", 120);
      const checkpoint = join(dir, "served.checkpoint");
      const remote = remoteTarget({
        endpoint: `http://127.0.0.1:${port}/xapi`,
        key: "ingest",
        secret: "secret-1",
        attempts: 3,
        backoffMs: 20,
      });
      let batches = 0;
      const killing: StatementTarget = {
        description: remote.description,
        async store(statements) {
          await remote.store(statements);
          if (++batches === 3) {
            server.kill("SIGKILL");
            await new Promise((resolve) => server.once("exit", resolve));
          }
        },
      };
      await expect(
        ingest({ format: xapiFormat, input, target: killing, batch: 25, checkpoint, progress: false }),
      ).rejects.toThrow(/gave up after 3 attempts \(network error/);
      expect(readCheckpoint(checkpoint)?.records).toBe(75);
      server = await serve(db, port);
      expect(await remoteCount(port)).toBe(75);
      const counts = await ingest({
        format: xapiFormat,
        input,
        target: remote,
        batch: 25,
        checkpoint,
        progress: false,
      });
      expect(counts).toMatchObject({ resumed: 75, stored: 45, rejected: 0 });
      expect(await remoteCount(port)).toBe(120);
      expect(existsSync(checkpoint)).toBe(true);
    } finally {
      server.kill("SIGTERM");
    }
  }, 60_000);
});
