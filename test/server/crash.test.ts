import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort } from "../helpers/cli.js";
import { backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

const cli = new URL("../../bin/learnpool.js", import.meta.url).pathname;
const built = existsSync(new URL("../../dist/src/cli/main.js", import.meta.url));

async function start(db: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      cli,
      "serve",
      "--db",
      db,
      "--port",
      String(port),
      "--credential",
      "crash:crash-secret",
      "--log-level",
      "silent",
    ],
    {
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/xapi/about`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("server did not start");
}

const headers = {
  authorization: basic("crash", "crash-secret"),
  "x-experience-api-version": "2.0.0",
  "content-type": "application/json",
};

function batch(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    actor: { mbox: `mailto:learner${i % 17}@example.org` },
    verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
    object: { id: `https://example.org/activity/${i}` },
  }));
}

for (const backend of await backends()) {
  describe.skipIf(!built)(`crash safety on ${backend.name}`, () => {
    it("loses no acknowledged statement when the server is killed during a sustained ingest", async () => {
      const db = await backend.location();
      const port = await freePort();
      const server = await start(db, port);
      const acknowledged: string[][] = [];
      const attempted: string[][] = [];
      let killed = false;
      const client = async () => {
        while (!killed) {
          const statements = batch(50);
          attempted.push(statements.map((s) => s.id));
          try {
            const res = await fetch(`http://127.0.0.1:${port}/xapi/statements`, {
              method: "POST",
              headers,
              body: JSON.stringify(statements),
            });
            if (res.status === 200) acknowledged.push((await res.json()) as string[]);
          } catch {
            // the server died under this request: not acknowledged
          }
        }
      };
      const clients = Array.from({ length: 4 }, client);
      await new Promise((r) => setTimeout(r, 1500));
      server.kill("SIGKILL");
      killed = true;
      await Promise.all(clients);
      expect(acknowledged.length).toBeGreaterThan(5);

      const again = await start(db, port);
      try {
        const present = async (id: string) =>
          (await fetch(`http://127.0.0.1:${port}/xapi/statements?statementId=${id}`, { headers })).status ===
          200;
        for (const ids of acknowledged) for (const id of ids) expect(await present(id)).toBe(true);
        // Batches are atomic: every attempted batch is there whole or not at all.
        for (const ids of attempted.slice(-8)) {
          const found = await Promise.all(ids.map(present));
          expect(new Set(found).size).toBe(1);
        }
      } finally {
        again.kill("SIGTERM");
        await new Promise((r) => again.once("exit", r));
      }
    }, 60_000);
  });
}
