import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuditEvent, AuditLog, eventHash, GENESIS_HASH } from "../../src/audit/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

/** Lets the test edit the trail as an attacker with direct database access would. */
async function disableAppendOnly(db: Database): Promise<void> {
  if (db.dialect === "sqlite") {
    await db.exec("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
  } else {
    await db.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change");
  }
}

/** Stores `event` under its own seq with a hash recomputed over its (possibly edited) fields. */
async function rewrite(db: Database, seq: number, event: Omit<AuditEvent, "hash">): Promise<string> {
  const hash = eventHash(event);
  await db.run(
    "UPDATE audit_events SET seq = ?, at = ?, actor = ?, action = ?, subject = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
    [
      event.seq,
      event.at,
      event.actor,
      event.action,
      event.subject,
      JSON.stringify(event.details),
      event.prevHash,
      hash,
      seq,
    ],
  );
  return hash;
}

async function fill(audit: AuditLog, n: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let i = 1; i <= n; i++) {
    events.push(
      await audit.append({
        actor: `cli:user${i}`,
        action: "credential.add",
        subject: `credential:k${i}`,
        details: { store: "s1", scopes: ["all"], n: i },
      }),
    );
  }
  return events;
}

for (const backend of await backends()) {
  describe(`audit trail on ${backend.name}`, () => {
    let db: Database;
    let audit: AuditLog;

    beforeEach(async () => {
      db = await backend.open();
      audit = new AuditLog(db);
    });
    afterEach(async () => {
      await db.close();
    });

    it("chains each event to the previous one's hash, from the genesis hash", async () => {
      const events = await fill(audit, 4);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(events[0]?.prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
      }
      for (const e of events) {
        expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
        const { hash, ...rest } = e;
        expect(eventHash(rest)).toBe(hash);
      }
      expect(new Set(events.map((e) => e.hash)).size).toBe(4);
      // What is stored is what append returned.
      expect(await audit.list()).toEqual(events);
      expect(await audit.list({ after: 2, limit: 1 })).toEqual([events[2]]);
    });

    it("verifies an empty trail and an intact one, giving the head hash", async () => {
      expect(await audit.verify()).toEqual({ ok: true, events: 0, head: GENESIS_HASH });
      const events = await fill(audit, 5);
      expect(await audit.verify()).toEqual({ ok: true, events: 5, head: events[4]?.hash });
    });

    it("hashes details independently of key order and keeps them whole", async () => {
      const a = await audit.append({
        actor: "system",
        action: "x",
        subject: "s",
        details: { b: 1, a: { d: [1, "two", null], c: true }, gone: undefined },
      });
      expect(a.details).toEqual({ b: 1, a: { d: [1, "two", null], c: true } });
      const [stored] = await audit.list();
      expect(stored?.details).toEqual({ a: { c: true, d: [1, "two", null] }, b: 1 });
      expect(eventHash({ ...a, details: { a: { c: true, d: [1, "two", null] }, b: 1 } })).toBe(a.hash);
      expect(eventHash({ ...a, details: { a: { c: true, d: [1, "two"] }, b: 1 } })).not.toBe(a.hash);
      expect((await audit.verify()).ok).toBe(true);
    });

    it("keeps a trail readable and verifiable whatever JSON values details carry", async () => {
      // JSON.stringify turns an undefined array element into null; the trail must store valid JSON too.
      const made = await audit.append({
        actor: "system",
        action: "x",
        subject: "s",
        details: { list: [1, undefined, 3], when: new Date(0), nested: { skip: undefined, keep: "k" } },
      });
      const [stored] = await audit.list();
      expect(stored?.details).toEqual({
        list: [1, null, 3],
        when: "1970-01-01T00:00:00.000Z",
        nested: { keep: "k" },
      });
      expect(stored?.hash).toBe(made.hash);
      expect((await audit.verify()).ok).toBe(true);
    });

    it("refuses UPDATE and DELETE through its triggers", async () => {
      await fill(audit, 3);
      await expect(db.run("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")).rejects.toThrow(
        /append-only/,
      );
      await expect(db.run("DELETE FROM audit_events WHERE seq = 3")).rejects.toThrow(/append-only/);
      await expect(db.run("DELETE FROM audit_events")).rejects.toThrow(/append-only/);
      await expect(
        db.transaction(async (tx) => {
          await tx.run("UPDATE audit_events SET hash = 'x'");
        }),
      ).rejects.toThrow(/append-only/);
      expect((await audit.list()).map((e) => e.actor)).toEqual(["cli:user1", "cli:user2", "cli:user3"]);
      expect((await audit.verify()).ok).toBe(true);
    });

    it("detects an edited event's content", async () => {
      await fill(audit, 5);
      await disableAppendOnly(db);
      await db.run("UPDATE audit_events SET actor = 'cli:mallory' WHERE seq = 3");
      expect(await audit.verify()).toEqual({
        ok: false,
        events: 2,
        brokenAt: 3,
        reason: "its content does not match its hash",
      });
    });

    it("detects edited details, time and hash", async () => {
      const events = await fill(audit, 4);
      await disableAppendOnly(db);
      await db.run("UPDATE audit_events SET details = ? WHERE seq = 2", [
        JSON.stringify({ store: "s2", scopes: ["all"], n: 2 }),
      ]);
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 2 });
      await db.run("UPDATE audit_events SET details = ? WHERE seq = 2", [
        JSON.stringify({ n: 2, scopes: ["all"], store: "s1" }),
      ]);
      // Back to the same content (keys in another order): intact again.
      expect((await audit.verify()).ok).toBe(true);
      await db.run("UPDATE audit_events SET at = ? WHERE seq = 4", ["2000-01-01T00:00:00.000Z"]);
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 4 });
      await db.run("UPDATE audit_events SET at = ?, hash = ? WHERE seq = 4", [
        events[3]?.at ?? "",
        "f".repeat(64),
      ]);
      expect(await audit.verify()).toMatchObject({
        ok: false,
        brokenAt: 4,
        reason: "its content does not match its hash",
      });
    });

    it("detects an edit whose hash was recomputed, at the next event", async () => {
      const events = await fill(audit, 5);
      await disableAppendOnly(db);
      const original = events[1] as AuditEvent;
      await rewrite(db, 2, { ...original, actor: "cli:mallory" });
      expect(await audit.verify()).toEqual({
        ok: false,
        events: 2,
        brokenAt: 3,
        reason: "its link to the previous event is broken",
      });
    });

    it("detects a deleted event in the middle and at the start", async () => {
      await fill(audit, 5);
      await disableAppendOnly(db);
      await db.run("DELETE FROM audit_events WHERE seq = 3");
      expect(await audit.verify()).toEqual({
        ok: false,
        events: 2,
        brokenAt: 3,
        reason: "event 3 is missing",
      });
      await db.run("DELETE FROM audit_events WHERE seq = 1");
      expect(await audit.verify()).toMatchObject({ ok: false, events: 0, brokenAt: 1 });
    });

    it("cannot see a cut tail by itself, but the head it reports changes", async () => {
      const events = await fill(audit, 5);
      const before = await audit.verify();
      await disableAppendOnly(db);
      await db.run("DELETE FROM audit_events WHERE seq = 5");
      const after = await audit.verify();
      expect(after).toEqual({ ok: true, events: 4, head: events[3]?.hash });
      expect(after.head).not.toBe(before.head);
    });

    it("detects reordered events", async () => {
      await fill(audit, 5);
      await disableAppendOnly(db);
      // Swap events 2 and 3 (through a free seq, the primary key forbids a direct swap).
      await db.run("UPDATE audit_events SET seq = 1000 WHERE seq = 2");
      await db.run("UPDATE audit_events SET seq = 2 WHERE seq = 3");
      await db.run("UPDATE audit_events SET seq = 3 WHERE seq = 1000");
      expect(await audit.verify()).toEqual({
        ok: false,
        events: 1,
        brokenAt: 2,
        reason: "its link to the previous event is broken",
      });
    });

    it("detects a deleted event whose successors were renumbered and relinked", async () => {
      const events = await fill(audit, 6);
      await disableAppendOnly(db);
      await db.run("DELETE FROM audit_events WHERE seq = 3");
      for (const seq of [4, 5, 6])
        await db.run("UPDATE audit_events SET seq = ? WHERE seq = ?", [seq - 1, seq]);
      // Relinked without recomputing its hash: its content (seq, link) no longer matches it.
      await db.run("UPDATE audit_events SET prev_hash = ? WHERE seq = 3", [events[1]?.hash ?? ""]);
      expect(await audit.verify()).toMatchObject({
        ok: false,
        events: 2,
        brokenAt: 3,
        reason: "its content does not match its hash",
      });
      // Relinked with a recomputed hash: the break shows at the following event.
      const moved = events[3] as AuditEvent;
      await rewrite(db, 3, { ...moved, seq: 3, prevHash: events[1]?.hash ?? "" });
      expect(await audit.verify()).toEqual({
        ok: false,
        events: 3,
        brokenAt: 4,
        reason: "its link to the previous event is broken",
      });
    });

    it("keeps no event appended inside a transaction that rolls back", async () => {
      const first = await audit.append({ actor: "system", action: "kept", subject: "s" });
      await expect(
        db.transaction(async (tx) => {
          await audit.append({ actor: "system", action: "lost.1", subject: "s" }, tx);
          await audit.append({ actor: "system", action: "lost.2", subject: "s" }, tx);
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      expect((await audit.list()).map((e) => e.action)).toEqual(["kept"]);
      const next = await audit.append({ actor: "system", action: "after", subject: "s" });
      expect(next.seq).toBe(2);
      expect(next.prevHash).toBe(first.hash);
      expect(await audit.verify()).toMatchObject({ ok: true, events: 2 });
    });

    it("keeps a valid chain when grouped transactions commit and roll back together", async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          db.transaction(
            async (tx) => {
              await audit.append({ actor: "system", action: `group.${i}`, subject: "s" }, tx);
              if (i % 3 === 0) throw new Error(`abort ${i}`);
            },
            { group: true },
          ),
        ),
      );
      expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(4);
      const actions = (await audit.list()).map((e) => e.action);
      expect(actions.sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => i)
          .filter((i) => i % 3 !== 0)
          .map((i) => `group.${i}`)
          .sort(),
      );
      expect(await audit.verify()).toMatchObject({ ok: true, events: 8 });
    });

    it("keeps a valid chain under 50 concurrent appends", async () => {
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          audit.append({ actor: "system", action: `c.${i}`, subject: "s" }),
        ),
      );
      expect(new Set(appended.map((e) => e.seq)).size).toBe(50);
      expect(await audit.verify()).toMatchObject({ ok: true, events: 50 });
    });

    it.runIf(backend.name === "postgres")(
      "keeps a valid chain when appends race from several connection pools, in and out of transactions",
      async () => {
        const location = await backend.location();
        const pools: Database[] = [];
        for (let i = 0; i < 3; i++) pools.push(await openDatabase(location));
        try {
          const logs = pools.map((p) => new AuditLog(p));
          const work: Promise<unknown>[] = [];
          for (let i = 0; i < 60; i++) {
            const pool = pools[i % 3] as Database;
            const log = logs[i % 3] as AuditLog;
            work.push(
              i % 2 === 0
                ? log.append({ actor: "system", action: `p.${i}`, subject: "s" })
                : pool.transaction(async (tx) => {
                    await tx.one("SELECT count(*) AS n FROM audit_events");
                    await log.append({ actor: "system", action: `p.${i}`, subject: "s" }, tx);
                    await log.append({ actor: "system", action: `p.${i}.b`, subject: "s" }, tx);
                  }),
            );
          }
          await Promise.all(work);
          const result = await (logs[0] as AuditLog).verify();
          expect(result).toMatchObject({ ok: true, events: 90 });
          // A transaction's two events are adjacent: the chain lock is held until it commits.
          const events = await (logs[1] as AuditLog).list();
          for (const [i, e] of events.entries()) {
            if (e.action.endsWith(".b")) expect(events[i - 1]?.action).toBe(e.action.slice(0, -2));
          }
        } finally {
          for (const p of pools) await p.close();
        }
      },
    );
  });
}
