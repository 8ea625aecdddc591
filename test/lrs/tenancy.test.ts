import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { Lrs, LrsError, SCOPES, Tenancy } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

/** The status of the LrsError a call rejects with, and its message. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof LrsError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error("the call did not fail");
}

interface CredentialRow {
  key: string;
  store_id: string;
  secret_hash: string;
  scopes: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

for (const backend of await backends()) {
  describe(`tenancy on ${backend.name}`, () => {
    let db: Database;
    let lrs: Lrs;
    let tenancy: Tenancy;

    beforeEach(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      tenancy = lrs.tenancy;
    });
    afterEach(async () => {
      await db.close();
    });

    const row = async (key: string) => {
      const found = await db.one<CredentialRow>("SELECT * FROM credentials WHERE key = ?", [key]);
      if (!found) throw new Error(`no row for ${key}`);
      return found;
    };

    it("never makes a credential key a command line would read as an option", async () => {
      await tenancy.createStore("keys", "Keys", "test");
      // One key in 64 would start with "-" if drawn plainly: 300 draws would meet one almost surely.
      for (let i = 0; i < 300; i++) {
        const made = await tenancy.addCredential({ storeId: "keys", actor: "test" });
        expect(made.key.startsWith("-")).toBe(false);
        expect(made.key).toMatch(/^[A-Za-z0-9_-]{16}$/);
      }
    });

    it("creates, gets and lists stores", async () => {
      const made = await tenancy.createStore("uni-lyon.2", "Université de Lyon", "cli:ops");
      expect(made).toMatchObject({ id: "uni-lyon.2", title: "Université de Lyon" });
      expect(Number.isNaN(Date.parse(made.createdAt))).toBe(false);
      await tenancy.createStore("a-mooc", "A MOOC", "cli:ops");
      expect(await tenancy.getStore("uni-lyon.2")).toEqual(made);
      expect(await tenancy.getStore("nope")).toBeUndefined();
      expect((await tenancy.listStores()).map((s) => s.id)).toEqual(["a-mooc", "uni-lyon.2"]);
    });

    it("refuses bad and duplicate store ids, and ensureStore keeps the existing one", async () => {
      for (const id of ["", "Upper", "-lead", "has space", "a/b", "x".repeat(64)]) {
        expect((await refusal(tenancy.createStore(id, "t", "cli:ops"))).status).toBe(400);
      }
      await tenancy.createStore("s1", "first", "cli:ops");
      expect(await refusal(tenancy.createStore("s1", "second", "cli:ops"))).toEqual({
        status: 409,
        message: "store 's1' exists already",
      });
      expect((await tenancy.ensureStore("s1", "third", "cli:ops")).title).toBe("first");
      expect((await tenancy.ensureStore("s2", "made", "cli:ops")).title).toBe("made");
      expect((await tenancy.listStores()).map((s) => s.title)).toEqual(["first", "made"]);
    });

    it("answers a race to create the same store with one store and one 409", async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => tenancy.createStore("raced", "r", "cli:ops")),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === "rejected") {
          expect(o.reason).toBeInstanceOf(LrsError);
          expect((o.reason as LrsError).status).toBe(409);
        }
      }
      expect((await lrs.audit.list()).filter((e) => e.action === "store.create")).toHaveLength(1);
    });

    it("makes a random credential that authenticates, with every scope by default", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const made = await tenancy.addCredential({ storeId: "s1", actor: "cli:ops" });
      expect(made.key).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(made.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(made.info).toMatchObject({
        key: made.key,
        storeId: "s1",
        scopes: ["all"],
        label: null,
        revokedAt: null,
      });
      const other = await tenancy.addCredential({ storeId: "s1", actor: "cli:ops" });
      expect(other.key).not.toBe(made.key);
      expect(other.secret).not.toBe(made.secret);

      const principal = await tenancy.authenticate(made.key, made.secret);
      expect(principal?.key).toBe(made.key);
      expect(principal?.storeId).toBe("s1");
      expect([...(principal?.scopes ?? [])]).toEqual(["all"]);
      expect(principal?.authority).toEqual({
        objectType: "Agent",
        account: { homePage: "https://lrs.example.org", name: made.key },
      });
    });

    it("makes a credential with a chosen key, secret, scopes and label", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const made = await tenancy.addCredential({
        storeId: "s1",
        key: "moodle.prod~1",
        secret: "correct horse battery",
        scopes: ["statements/write", "statements/read/mine", "statements/write"],
        label: "Moodle",
        actor: "cli:ops",
      });
      expect(made.key).toBe("moodle.prod~1");
      expect(made.secret).toBe("correct horse battery");
      expect(made.info.scopes).toEqual(["statements/write", "statements/read/mine"]);
      const principal = await tenancy.authenticate("moodle.prod~1", "correct horse battery");
      expect([...(principal?.scopes ?? [])].sort()).toEqual(["statements/read/mine", "statements/write"]);
      expect(await tenancy.authenticate("moodle.prod~1", "correct horse batterY")).toBeUndefined();
      expect(await tenancy.authenticate("moodle.prod~1", "")).toBeUndefined();
      expect(await tenancy.authenticate("moodle.prod~2", "correct horse battery")).toBeUndefined();
      // A right secret cached does not make a wrong one pass.
      expect(await tenancy.authenticate("moodle.prod~1", "correct horse battery")).toBeDefined();
      expect(await tenancy.authenticate("moodle.prod~1", "wrong horse battery")).toBeUndefined();
    });

    it("stores only a salted scrypt hash of the secret", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const secret = "same-secret-for-both";
      await tenancy.addCredential({ storeId: "s1", key: "k-one", secret, actor: "cli:ops" });
      await tenancy.addCredential({ storeId: "s1", key: "k-two", secret, actor: "cli:ops" });
      const one = await row("k-one");
      const two = await row("k-two");
      for (const r of [one, two]) {
        expect(r.secret_hash).toMatch(/^scrypt\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
        expect(JSON.stringify(r)).not.toContain(secret);
        expect(JSON.stringify(r)).not.toContain(Buffer.from(secret).toString("base64"));
      }
      expect(one.secret_hash).not.toBe(two.secret_hash);
      expect(one.scopes).toBe("all");
      // Nothing else in the database holds it either.
      const tables = ["stores", "credentials", "audit_events"];
      for (const table of tables) {
        const rows = await db.all(`SELECT * FROM ${table}`);
        expect(JSON.stringify(rows)).not.toContain(secret);
      }
    });

    it("validates scopes, keys and secrets", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const bad = await refusal(
        tenancy.addCredential({ storeId: "s1", scopes: ["statements/read", "admin"], actor: "cli:ops" }),
      );
      expect(bad.status).toBe(400);
      expect(bad.message).toContain("unknown scope 'admin'");
      for (const scope of SCOPES) expect(bad.message).toContain(scope);
      expect((await refusal(tenancy.addCredential({ storeId: "s1", scopes: [""], actor: "t" }))).status).toBe(
        400,
      );
      for (const key of ["", "has space", "colon:in", "é-key", "k".repeat(129)]) {
        expect((await refusal(tenancy.addCredential({ storeId: "s1", key, actor: "t" }))).status).toBe(400);
      }
      expect(
        (await refusal(tenancy.addCredential({ storeId: "s1", key: "short", secret: "", actor: "t" })))
          .status,
      ).toBe(400);
      expect(await tenancy.listCredentials()).toEqual([]);
      expect((await lrs.audit.list()).map((e) => e.action)).toEqual(["store.create"]);
    });

    it("refuses an unknown store and a duplicate key, even in another store", async () => {
      expect(await refusal(tenancy.addCredential({ storeId: "ghost", key: "k-1", actor: "t" }))).toEqual({
        status: 404,
        message: "no store 'ghost'",
      });
      await tenancy.createStore("s1", "s1", "cli:ops");
      await tenancy.createStore("s2", "s2", "cli:ops");
      await tenancy.addCredential({ storeId: "s1", key: "k-1", secret: "first-secret", actor: "t" });
      for (const storeId of ["s1", "s2"]) {
        expect(
          await refusal(tenancy.addCredential({ storeId, key: "k-1", secret: "other-secret", actor: "t" })),
        ).toEqual({ status: 409, message: "credential 'k-1' exists already" });
      }
      expect((await tenancy.authenticate("k-1", "first-secret"))?.storeId).toBe("s1");
      expect(await tenancy.authenticate("k-1", "other-secret")).toBeUndefined();
    });

    it("answers a race to add the same key with one credential and 409s", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          tenancy.addCredential({ storeId: "s1", key: "raced", secret: `secret-number-${i}`, actor: "t" }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === "rejected") expect((o.reason as LrsError).status).toBe(409);
      }
      expect(await tenancy.listCredentials()).toHaveLength(1);
    });

    it("revokes a credential: authentication fails at once, even when it was just used", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      const keep = await tenancy.addCredential({ storeId: "s1", actor: "t" });
      const gone = await tenancy.addCredential({ storeId: "s1", actor: "t" });
      expect(await tenancy.authenticate(gone.key, gone.secret)).toBeDefined();
      await tenancy.revokeCredential(gone.key, "cli:ops");
      expect(await tenancy.authenticate(gone.key, gone.secret)).toBeUndefined();
      expect(await tenancy.authenticate(keep.key, keep.secret)).toBeDefined();
      // Another Tenancy on the same database (another process) sees it revoked too.
      const elsewhere = new Tenancy(db, new AuditLog(db), "https://lrs.example.org");
      expect(await elsewhere.authenticate(gone.key, gone.secret)).toBeUndefined();

      const listed = await tenancy.listCredentials("s1");
      expect(listed.find((c) => c.key === gone.key)?.revokedAt).toEqual(expect.any(String));
      expect(listed.find((c) => c.key === keep.key)?.revokedAt).toBeNull();
      expect(await refusal(tenancy.revokeCredential(gone.key, "cli:ops"))).toMatchObject({ status: 409 });
      expect(await refusal(tenancy.revokeCredential("no-such-key", "cli:ops"))).toMatchObject({
        status: 404,
      });
      // A revoked key stays taken, and serve --credential says so.
      expect(
        (await refusal(tenancy.addCredential({ storeId: "s1", key: gone.key, actor: "t" }))).status,
      ).toBe(409);
      expect(
        await refusal(
          tenancy.ensureCredential({ storeId: "s1", key: gone.key, secret: gone.secret, actor: "t" }),
        ),
      ).toMatchObject({ status: 409, message: expect.stringContaining("revoked") });
    });

    it("does not let an authentication racing a revocation outlive it", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      for (let round = 0; round < 3; round++) {
        const made = await tenancy.addCredential({ storeId: "s1", actor: "t" });
        const racing = tenancy.authenticate(made.key, made.secret);
        await tenancy.revokeCredential(made.key, "cli:ops");
        await racing;
        expect(await tenancy.authenticate(made.key, made.secret)).toBeUndefined();
      }
    });

    it("lists credentials without secrets or hashes, by store", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      await tenancy.createStore("s2", "s2", "cli:ops");
      const a = await tenancy.addCredential({ storeId: "s1", key: "k-a", label: "A", actor: "t" });
      const b = await tenancy.addCredential({ storeId: "s2", key: "k-b", scopes: ["state"], actor: "t" });
      const all = await tenancy.listCredentials();
      expect(all.map((c) => c.key)).toEqual(["k-a", "k-b"]);
      for (const c of all) {
        expect(Object.keys(c).sort()).toEqual([
          "createdAt",
          "key",
          "label",
          "revokedAt",
          "scopes",
          "storeId",
        ]);
      }
      const text = JSON.stringify(all);
      for (const secret of [a.secret, b.secret]) expect(text).not.toContain(secret);
      expect(text).not.toContain("scrypt");
      expect(await tenancy.listCredentials("s2")).toEqual([
        {
          key: "k-b",
          storeId: "s2",
          scopes: ["state"],
          label: null,
          createdAt: b.info.createdAt,
          revokedAt: null,
        },
      ]);
      expect(await tenancy.listCredentials("ghost")).toEqual([]);
    });

    it("checks serve --credential pairs against what exists", async () => {
      await tenancy.createStore("s1", "s1", "cli:ops");
      await tenancy.createStore("s2", "s2", "cli:ops");
      await tenancy.ensureCredential({ storeId: "s1", key: "svc", secret: "svc-secret", actor: "cli:ops" });
      await tenancy.ensureCredential({ storeId: "s1", key: "svc", secret: "svc-secret", actor: "cli:ops" });
      expect(await tenancy.listCredentials()).toHaveLength(1);
      expect(
        await refusal(
          tenancy.ensureCredential({ storeId: "s1", key: "svc", secret: "another-one", actor: "t" }),
        ),
      ).toMatchObject({ status: 409, message: expect.stringContaining("another secret") });
      expect(
        await refusal(
          tenancy.ensureCredential({ storeId: "s2", key: "svc", secret: "svc-secret", actor: "t" }),
        ),
      ).toMatchObject({ status: 409, message: expect.stringContaining("belongs to store 's1'") });
    });

    it("writes every administrative action to the audit trail, with its actor and no secret", async () => {
      await tenancy.createStore("s1", "Store one", "cli:alice");
      const made = await tenancy.addCredential({
        storeId: "s1",
        scopes: ["statements/read"],
        label: "reader",
        actor: "cli:bob",
      });
      const chosen = await tenancy.addCredential({
        storeId: "s1",
        key: "chosen",
        secret: "chosen-secret-value",
        actor: "cli:bob",
      });
      await tenancy.revokeCredential(made.key, "cli:carol");
      // Refused actions leave no event.
      await refusal(tenancy.createStore("s1", "again", "cli:mallory"));
      await refusal(tenancy.addCredential({ storeId: "s1", key: "chosen", actor: "cli:mallory" }));
      await refusal(tenancy.revokeCredential(made.key, "cli:mallory"));

      const events = await lrs.audit.list();
      expect(
        events.map(({ actor, action, subject, details }) => ({ actor, action, subject, details })),
      ).toEqual([
        { actor: "cli:alice", action: "store.create", subject: "store:s1", details: { title: "Store one" } },
        {
          actor: "cli:bob",
          action: "credential.add",
          subject: `credential:${made.key}`,
          details: { store: "s1", scopes: ["statements/read"], label: "reader" },
        },
        {
          actor: "cli:bob",
          action: "credential.add",
          subject: "credential:chosen",
          details: { store: "s1", scopes: ["all"], label: null },
        },
        {
          actor: "cli:carol",
          action: "credential.revoke",
          subject: `credential:${made.key}`,
          details: { store: "s1" },
        },
      ]);
      const text = JSON.stringify(await db.all("SELECT * FROM audit_events"));
      for (const secret of [made.secret, chosen.secret]) expect(text).not.toContain(secret);
      expect(text).not.toContain("scrypt$");
      expect(await lrs.audit.verify()).toMatchObject({ ok: true, events: 4 });
    });

    it("rolls a store back with its audit event when the event cannot be written", async () => {
      // The store and its event commit together: with the trail refusing writes, neither lands.
      if (db.dialect === "sqlite") {
        await db.exec(
          "CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'no'); END;",
        );
      } else {
        await db.exec(
          "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;" +
            " CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse();",
        );
      }
      await expect(tenancy.createStore("s1", "s1", "cli:ops")).rejects.toThrow();
      expect(await tenancy.listStores()).toEqual([]);
    });
  });
}
