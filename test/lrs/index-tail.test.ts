import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Lrs, type Principal } from "../../src/lrs/index.js";
import { IndexTail } from "../../src/lrs/statements/tail.js";
import { TermDictionary } from "../../src/lrs/statements/terms.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { backends, sqliteBackend } from "../helpers/databases.js";

const VERB = "http://adlnet.gov/expapi/verbs/experienced";

function statements(n: number, learner: string) {
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    actor: { mbox: `mailto:${learner}@example.org` },
    verb: { id: VERB },
    object: { id: `https://example.org/activity/${i}` },
  }));
}

async function principalOf(lrs: Lrs): Promise<Principal> {
  await lrs.tenancy.ensureStore("s", "s", "test");
  await lrs.tenancy.ensureCredential({ storeId: "s", key: "k", secret: "secret", actor: "test" });
  return (await lrs.tenancy.authenticate("k", "secret")) as Principal;
}

async function byAgent(lrs: Lrs, principal: Principal, learner: string): Promise<string[]> {
  const request = lrs.parseStatementsRequest(
    { agent: JSON.stringify({ mbox: `mailto:${learner}@example.org` }), limit: "500" },
    "2.0.0",
    [],
  );
  const result = await lrs.fetchStatements(principal, request, "/xapi/statements");
  return (JSON.parse(result.json) as { statements: { id: string }[] }).statements.map((s) => s.id).sort();
}

async function byId(lrs: Lrs, principal: Principal, id: string): Promise<string> {
  const request = lrs.parseStatementsRequest({ statementId: id }, "2.0.0", []);
  return (
    JSON.parse((await lrs.fetchStatements(principal, request, "/xapi/statements")).json) as { id: string }
  ).id;
}

const indexRows = async (db: Database) =>
  Number((await db.one<{ n: number }>("SELECT count(*) AS n FROM statement_ids"))?.n);
const watermark = async (db: Database) =>
  Number((await db.one<{ seq: number }>("SELECT seq FROM index_watermark WHERE id = 1"))?.seq);

describe("the statement index tail on SQLite", () => {
  const files: string[] = [];
  afterEach(() => {
    for (const f of files.splice(0)) for (const s of ["", "-wal", "-shm"]) rmSync(f + s, { force: true });
  });

  it("defers index rows, finds statements by id from the tail, and flushes before a filtered query", async () => {
    const db = await sqliteBackend.open();
    const lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
    const principal = await principalOf(lrs);
    const sent = statements(40, "ada");
    const ids = await lrs.storeStatements({ principal, version: "2.0.0", body: sent });
    expect(ids).toHaveLength(40);
    // Stored and acknowledged, not yet in the on-disk index.
    expect(await indexRows(db)).toBe(0);
    expect(await byId(lrs, principal, sent[7]?.id as string)).toBe(sent[7]?.id);
    // The same statement again is recognised from the tail (no 409, no second row).
    await lrs.storeStatements({ principal, version: "2.0.0", body: [sent[7]] });
    expect(Number((await db.one<{ n: number }>("SELECT count(*) AS n FROM statements"))?.n)).toBe(40);
    expect(await byAgent(lrs, principal, "ada")).toEqual(sent.map((s) => s.id).sort());
    expect(await indexRows(db)).toBe(40);
    expect(await watermark(db)).toBe(40);
    await lrs.close();
    await db.close();
  });

  it("derives the tail again after a crash (a new process on the same file)", async () => {
    const file = await sqliteBackend.location();
    files.push(file);
    const first = await openDatabase(file);
    const before = new Lrs(first, { authorityHomePage: "https://lrs.example.org" });
    const principal = await principalOf(before);
    const sent = statements(25, "grace");
    await before.storeStatements({ principal, version: "2.0.0", body: sent });
    expect(await indexRows(first)).toBe(0);
    // No close(): the tail is lost with the process, the rows are not.
    const second = await openDatabase(file);
    const after = new Lrs(second, { authorityHomePage: "https://lrs.example.org" });
    const again = await principalOf(after);
    expect(await byId(after, again, sent[24]?.id as string)).toBe(sent[24]?.id);
    expect(await byAgent(after, again, "grace")).toEqual(sent.map((s) => s.id).sort());
    await after.close();
    await second.close();
    await first.close();
  });

  it("flushes on its own once the tail is large, and never indexes a rolled-back statement", async () => {
    const db = await sqliteBackend.open();
    const terms = new TermDictionary();
    const tail = new IndexTail(db, terms, 10, 60_000);
    await tail.ready();
    const insert = async (n: number) =>
      db.transaction(async (tx) => {
        const rows = [];
        for (let i = 0; i < n; i++) {
          const id = randomUUID();
          await tx.run(
            "INSERT INTO statements (store_id, id, id_key, stored, credential, voided, body) VALUES ('s', ?, 0, 'x', 'k', 0, '{}')",
            [id],
          );
          const seq = Number((await tx.one<{ seq: number }>("SELECT max(seq) AS seq FROM statements"))?.seq);
          rows.push({ storeId: "s", id, seq, terms: [1] });
        }
        await tail.write(tx, rows);
        return rows;
      });
    await insert(4);
    tail.written();
    expect(await indexRows(db)).toBe(0);
    // A transaction that writes to the tail and then fails: its sequence numbers are given again.
    await expect(
      db.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO statements (store_id, id, id_key, stored, credential, voided, body) VALUES ('s', 'gone', 0, 'x', 'k', 0, '{}')",
        );
        await tail.write(tx, [{ storeId: "s", id: "gone", seq: 5, terms: [2] }]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    const later = await insert(8);
    expect(later[0]?.seq).toBe(5);
    tail.written();
    await tail.close();
    expect(await indexRows(db)).toBe(12);
    expect(await watermark(db)).toBe(12);
    const term2 = await db.all("SELECT seq FROM statement_index WHERE term = 2");
    expect(term2).toEqual([]);
    expect(tail.size).toBe(0);
    await db.close();
  });
});

for (const backend of await backends()) {
  describe(`statement index rows on ${backend.name}`, () => {
    it("are written where each backend writes them, and every statement is found either way", async () => {
      const db = await backend.open();
      const lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      const principal = await principalOf(lrs);
      const sent = statements(12, "alan");
      await lrs.storeStatements({ principal, version: "2.0.0", body: sent });
      // PostgreSQL writes them in the statements' transaction; SQLite holds them until a read needs them.
      expect(await indexRows(db)).toBe(backend.name === "postgres" ? 12 : 0);
      expect(await byAgent(lrs, principal, "alan")).toEqual(sent.map((s) => s.id).sort());
      expect(await indexRows(db)).toBe(12);
      await lrs.close();
      await db.close();
    });
  });
}
