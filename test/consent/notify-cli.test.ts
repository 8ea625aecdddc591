import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { consentCommands } from "../../src/cli/consent.js";
import { ConsentNotifier } from "../../src/consent/index.js";
import { generateParticipantKey, signAgreement } from "../../src/contract/index.js";
import { openDatabase } from "../../src/store/index.js";
import { sqliteBackend } from "../helpers/databases.js";
import { dataSpace, PARTICIPANTS } from "./notices-fixture.js";

async function run(args: string[]): Promise<{ out: string; code: number }> {
  const root = new Command("learnpool").exitOverride();
  for (const c of consentCommands()) root.addCommand(c.exitOverride());
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  process.exitCode = 0;
  try {
    await root.parseAsync(args, { from: "user" });
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, code };
}

describe("learnpool consent (in process, SQLite file)", () => {
  const dir = mkdtempSync(join(tmpdir(), "learnpool-consent-cli-"));
  let db: string;
  let agreement: string;
  let keyFile: string;
  const saved = process.env.LEARNPOOL_MASTER_KEY;
  const received: string[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(Buffer.concat(chunks).toString("utf8"));
      res.statusCode = received.length < 2 ? 503 : 200;
      res.end();
    });
  });

  beforeAll(async () => {
    process.env.LEARNPOOL_MASTER_KEY = randomBytes(32).toString("base64");
    db = await sqliteBackend.location();
    const database = await openDatabase(db);
    const space = await dataSpace(database);
    agreement = space.agreement.id;
    for (const id of Object.keys(PARTICIPANTS)) {
      const key = await generateParticipantKey();
      await space.registry.participants.addKey(id, key.publicJwk, "test");
      await space.registry.sign(
        agreement,
        id,
        await signAgreement(space.agreement.canonical, key.privateJwk, key.kid),
      );
      if (id === "univ") {
        keyFile = join(dir, "univ.jwk");
        writeFileSync(keyFile, JSON.stringify({ ...key.privateJwk, kid: key.kid }), { mode: 0o600 });
      }
    }
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    await new ConsentNotifier(database, space.lrs.audit, space.registry, { allowHttp: true }).registerWebhook(
      "lab",
      { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`, secret: "sixteen-chars-secret" },
      "test",
    );
    await database.close();
  });
  afterAll(async () => {
    process.env.LEARNPOOL_MASTER_KEY = saved;
    if (saved === undefined) delete process.env.LEARNPOOL_MASTER_KEY;
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it("prints a notice, requests, withdraws with a link, verifies a receipt offline and delivers notifications", async () => {
    const notice = await run(["consent", "notice", "--agreement", agreement, "--lang", "en", "--db", db]);
    expect(notice.out).toMatch(
      /^# How Laboratoire \\\*IA\\\* &amp; Éducation would like to use your learning data/,
    );
    expect(notice.out).toMatch(/CNIL/);

    const learner = randomBytes(16).toString("base64url");
    const common = [
      "--agreement",
      agreement,
      "--learner",
      learner,
      "--provider",
      "univ",
      "--recipients",
      "lab",
    ];
    const requested = await run([
      "consent",
      "request",
      ...common,
      "--purposes",
      "dpv:TrainAIModel",
      "--categories",
      "pd:Behavioral",
      "--key",
      keyFile,
      "--db",
      db,
    ]);
    expect(requested.code).toBe(0);
    const req = JSON.parse(requested.out);
    expect(req.changes).toHaveLength(1);
    expect(req.portalLink).toMatch(/^ey/);

    // The learner gives through the registry (the portal's work), then withdraws from the command line.
    const database = await openDatabase(db);
    const { AuditLog } = await import("../../src/audit/index.js");
    const { AgreementRegistry } = await import("../../src/contract/index.js");
    const { ConsentRegistry } = await import("../../src/consent/index.js");
    const audit = new AuditLog(database);
    await new ConsentRegistry(database, audit, new AgreementRegistry(database, audit)).give(req.portalLink);
    await database.close();
    const linkFile = join(dir, "link.jws");
    const second = await run([
      "consent",
      "request",
      ...common,
      "--purposes",
      "dpv:TrainAIModel",
      "--categories",
      "pd:Behavioral",
      "--key",
      keyFile,
      "--db",
      db,
    ]);
    writeFileSync(linkFile, JSON.parse(second.out).portalLink);
    const withdrawn = await run(["consent", "withdraw", "--link", linkFile, "--db", db]);
    expect(JSON.parse(withdrawn.out)).toEqual([expect.objectContaining({ state: "withdrawn" })]);

    const status = await run(["consent", "status", "--learner", learner, "--db", db]);
    expect(JSON.parse(status.out)[0]).toMatchObject({ state: "withdrawn" });
    const history = JSON.parse((await run(["consent", "history", "--learner", learner, "--db", db])).out);
    expect(history.map((e: { event: string }) => e.event)).toEqual(["request", "give", "withdraw"]);

    // Offline: the receipt against the JWKS in a file.
    const jwksFile = join(dir, "jwks.json");
    const database2 = await openDatabase(db);
    const audit2 = new AuditLog(database2);
    writeFileSync(
      jwksFile,
      JSON.stringify(
        await new ConsentRegistry(database2, audit2, new AgreementRegistry(database2, audit2)).jwks(),
      ),
    );
    await database2.close();
    const ok = await run([
      "consent",
      "verify",
      history[2].receipt,
      "--jwks",
      jwksFile,
      "--previous",
      history[1].receipt,
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true });
    const tampered = `${history[2].receipt.slice(0, -4)}AAAA`;
    const bad = await run(["consent", "verify", tampered, "--jwks", jwksFile]);
    expect(bad.code).toBe(1);

    const pending = JSON.parse(
      (await run(["consent", "notifications", "list", "--state", "pending", "--db", db])).out,
    );
    expect(pending.notifications).toHaveLength(1);
    const delivered = await run(["consent", "notifications", "deliver", "--wait", "10", "--db", db]);
    expect(JSON.parse(delivered.out)).toMatchObject({ pending: 0, latency: { completed: 1 } });
    expect(received).toHaveLength(2);
  });
});
