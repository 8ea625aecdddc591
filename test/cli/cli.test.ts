import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { type CredentialInfo, Lrs, type Store } from "../../src/lrs/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { cliBuilt, runCli, tempDbPath } from "../helpers/cli.js";
import { backends } from "../helpers/databases.js";

function jsonLines<T>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

interface Printed {
  key: string;
  secret: string;
  store: string;
  scopes: string[];
}

/** Opens the database the CLI wrote, runs `fn`, closes it. */
async function withDatabase<T>(location: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(location);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function sqliteLocation(): string {
  const path = tempDbPath();
  tempDirs.push(dirname(path));
  return path;
}

describe.skipIf(!cliBuilt)("learnpool CLI on a SQLite file", () => {
  let db = "";
  let reader: Printed;
  let chosen: Printed;

  beforeAll(() => {
    db = sqliteLocation();
  });

  it("adds and lists stores", async () => {
    const added = await runCli(["stores", "add", "uni-a", "--title", "University A", "--db", db]);
    expect(added).toMatchObject({ code: 0, stderr: "" });
    expect(jsonLines<Store>(added.stdout)).toEqual([
      { id: "uni-a", title: "University A", createdAt: expect.any(String) },
    ]);
    expect((await runCli(["stores", "add", "mooc-b", "--db", db])).code).toBe(0);
    const listed = await runCli(["stores", "list", "--db", db]);
    expect(listed.code).toBe(0);
    expect(jsonLines<Store>(listed.stdout).map((s) => [s.id, s.title])).toEqual([
      ["mooc-b", "mooc-b"],
      ["uni-a", "University A"],
    ]);
  });

  it("adds credentials whose printed secret authenticates on the same database", async () => {
    const random = await runCli([
      "credentials",
      "add",
      "--db",
      db,
      "--store",
      "uni-a",
      "--scopes",
      "statements/read, statements/write",
      "--label",
      "reader",
    ]);
    expect(random.code).toBe(0);
    const [printed] = jsonLines<Printed>(random.stdout);
    if (!printed) throw new Error("nothing printed");
    reader = printed;
    expect(reader).toEqual({
      key: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      store: "uni-a",
      scopes: ["statements/read", "statements/write"],
    });
    const mine = await runCli([
      "credentials",
      "add",
      "--db",
      db,
      "--store",
      "mooc-b",
      "--key",
      "mooc-b.ingest",
      "--secret",
      "a secret of my own",
    ]);
    expect(mine.code).toBe(0);
    chosen = jsonLines<Printed>(mine.stdout)[0] as Printed;
    expect(chosen).toEqual({
      key: "mooc-b.ingest",
      secret: "a secret of my own",
      store: "mooc-b",
      scopes: ["all"],
    });

    await withDatabase(db, async (database) => {
      const tenancy = new Lrs(database, { authorityHomePage: "http://t" }).tenancy;
      const a = await tenancy.authenticate(reader.key, reader.secret);
      expect(a?.storeId).toBe("uni-a");
      expect([...(a?.scopes ?? [])].sort()).toEqual(["statements/read", "statements/write"]);
      expect((await tenancy.authenticate("mooc-b.ingest", "a secret of my own"))?.storeId).toBe("mooc-b");
      expect(await tenancy.authenticate("mooc-b.ingest", "not my secret")).toBeUndefined();
      const rows = await database.all<{ secret_hash: string }>("SELECT secret_hash FROM credentials");
      expect(JSON.stringify(rows)).not.toContain(reader.secret);
      expect(JSON.stringify(rows)).not.toContain("a secret of my own");
    });
  });

  it("lists credentials without their secrets, all or by store", async () => {
    const all = await runCli(["credentials", "list", "--db", db]);
    expect(all.code).toBe(0);
    expect(all.stdout).not.toContain(reader.secret);
    expect(all.stdout).not.toContain(chosen.secret);
    expect(all.stdout).not.toContain("scrypt");
    const listed = jsonLines<CredentialInfo>(all.stdout);
    expect(listed.map((c) => [c.storeId, c.key, c.label])).toEqual([
      ["mooc-b", "mooc-b.ingest", null],
      ["uni-a", reader.key, "reader"],
    ]);
    const one = jsonLines<CredentialInfo>(
      (await runCli(["credentials", "list", "--db", db, "--store", "uni-a"])).stdout,
    );
    expect(one.map((c) => c.key)).toEqual([reader.key]);
  });

  it("revokes a credential", async () => {
    const revoked = await runCli(["credentials", "revoke", reader.key, "--db", db]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${reader.key}\n` });
    await withDatabase(db, async (database) => {
      const tenancy = new Lrs(database, { authorityHomePage: "http://t" }).tenancy;
      expect(await tenancy.authenticate(reader.key, reader.secret)).toBeUndefined();
      expect(await tenancy.authenticate(chosen.key, chosen.secret)).toBeDefined();
    });
    const listed = jsonLines<CredentialInfo>((await runCli(["credentials", "list", "--db", db])).stdout);
    expect(listed.find((c) => c.key === reader.key)?.revokedAt).toEqual(expect.any(String));
  });

  it("lists the audit trail: every action with its CLI actor, no secret", async () => {
    const listed = await runCli(["audit", "list", "--db", db]);
    expect(listed.code).toBe(0);
    const events = jsonLines<{ seq: number; actor: string; action: string; subject: string }>(listed.stdout);
    expect(events.map((e) => [e.seq, e.action, e.subject])).toEqual([
      [1, "store.create", "store:uni-a"],
      [2, "store.create", "store:mooc-b"],
      [3, "credential.add", `credential:${reader.key}`],
      [4, "credential.add", "credential:mooc-b.ingest"],
      [5, "credential.revoke", `credential:${reader.key}`],
    ]);
    for (const e of events) expect(e.actor).toMatch(/^cli(:.+)?$/);
    expect(listed.stdout).not.toContain(reader.secret);
    expect(listed.stdout).not.toContain(chosen.secret);
  });

  it("verifies the audit trail: exit 0 when intact, 1 once an event was edited", async () => {
    const intact = await runCli(["audit", "verify", "--db", db]);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^audit trail intact: 5 events, head [0-9a-f]{64}\n$/);
    await withDatabase(db, async (database) => {
      if (database.dialect === "sqlite") await database.exec("DROP TRIGGER audit_events_no_update");
      else await database.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change");
      await database.run("UPDATE audit_events SET actor = 'cli:someone-else' WHERE seq = 2");
      expect((await new AuditLog(database).verify()).brokenAt).toBe(2);
    });
    const broken = await runCli(["audit", "verify", "--db", db]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe("audit trail BROKEN at event 2: its content does not match its hash\n");
  });

  it("refuses bad input with a clear message and a non-zero exit code", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["credentials", "add", "--db", db, "--store", "uni-a", "--scopes", "statements/read,admin"],
        /^learnpool: unknown scope 'admin'; scopes are statements\/write, .*\n$/,
      ],
      [["credentials", "add", "--db", db], /required option '--store <id>' not specified/],
      [["credentials", "add", "--db", db, "--store", "ghost"], /^learnpool: no store 'ghost'\n$/],
      [["stores", "add", "uni-a", "--db", db], /^learnpool: store 'uni-a' exists already\n$/],
      [
        ["credentials", "add", "--db", db, "--store", "uni-a", "--key", "mooc-b.ingest"],
        /^learnpool: credential 'mooc-b.ingest' exists already\n$/,
      ],
      [["credentials", "revoke", "nobody", "--db", db], /^learnpool: no credential 'nobody'\n$/],
      [
        ["credentials", "revoke", reader.key, "--db", db],
        new RegExp(`^learnpool: credential '${reader.key}' is revoked already\n$`),
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toMatch(message);
      expect(result.stderr, args.join(" ")).not.toMatch(/\n\s+at /); // no stack trace
      expect(result.stdout, args.join(" ")).toBe("");
    });
    // Nothing was written by the refused commands.
    await withDatabase(db, async (database) => {
      const lrs = new Lrs(database, { authorityHomePage: "http://t" });
      expect((await lrs.tenancy.listStores()).map((s) => s.id)).toEqual(["mooc-b", "uni-a"]);
      expect(await lrs.tenancy.listCredentials()).toHaveLength(2);
      expect(await lrs.audit.list()).toHaveLength(5);
    });
  });

  it("takes the database from LEARNPOOL_DB", async () => {
    const viaEnv = await runCli(["stores", "list"], { env: { LEARNPOOL_DB: db } });
    expect(viaEnv.code).toBe(0);
    expect(jsonLines<Store>(viaEnv.stdout).map((s) => s.id)).toEqual(["mooc-b", "uni-a"]);
    const other = sqliteLocation();
    // --db wins over the environment.
    expect(
      (await runCli(["stores", "add", "only-here", "--db", other], { env: { LEARNPOOL_DB: db } })).code,
    ).toBe(0);
    const added = await runCli(["stores", "list"], { env: { LEARNPOOL_DB: other } });
    expect(jsonLines<Store>(added.stdout).map((s) => s.id)).toEqual(["only-here"]);
  });
});

const postgres = (await backends()).find((b) => b.name === "postgres");

describe.skipIf(!cliBuilt || !postgres)("learnpool CLI on PostgreSQL", () => {
  it("adds a store and a credential that authenticates, and verifies the trail before and after tampering", async () => {
    const db = (await postgres?.location()) ?? "";
    expect(db).toMatch(/^postgres:\/\//);
    expect(await runCli(["stores", "add", "pg-store", "--db", db])).toMatchObject({ code: 0, stderr: "" });
    const added = await runCli([
      "credentials",
      "add",
      "--db",
      db,
      "--store",
      "pg-store",
      "--scopes",
      "state",
    ]);
    expect(added.code).toBe(0);
    const printed = jsonLines<Printed>(added.stdout)[0] as Printed;
    expect(printed).toMatchObject({ store: "pg-store", scopes: ["state"] });
    const refused = await runCli([
      "credentials",
      "add",
      "--db",
      db,
      "--store",
      "pg-store",
      "--scopes",
      "root",
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^learnpool: unknown scope 'root'/);
    const intact = await runCli(["audit", "verify"], { env: { LEARNPOOL_DB: db } });
    expect(intact).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^audit trail intact: 2 events, head /),
    });
    await withDatabase(db, async (database) => {
      const tenancy = new Lrs(database, { authorityHomePage: "http://t" }).tenancy;
      expect((await tenancy.authenticate(printed.key, printed.secret))?.storeId).toBe("pg-store");
      await database.exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change");
      await database.run("DELETE FROM audit_events WHERE seq = 1");
    });
    const broken = await runCli(["audit", "verify", "--db", db]);
    expect(broken).toMatchObject({ code: 1, stdout: "audit trail BROKEN at event 1: event 1 is missing\n" });
  });
});

describe.skipIf(!cliBuilt)("learnpool --help", () => {
  it("lists the commands", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["serve", "start", "stores", "credentials", "audit", "migrate"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
    const add = await runCli(["credentials", "add", "--help"]);
    for (const option of ["--db", "--store", "--scopes", "--key", "--secret", "--label"]) {
      expect(add.stdout).toContain(option);
    }
    expect(add.stdout).toContain("LEARNPOOL_DB");
  });
});
