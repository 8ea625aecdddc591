import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { DomainKeys } from "../../src/privacy/domains.js";
import { HmacPseudonymizer } from "../../src/privacy/keyed.js";
import {
  loadMasterKey,
  newMasterKeyText,
  openKey,
  requireMasterKey,
  sealKey,
} from "../../src/privacy/keys.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

const ada = [{ kind: "email" as const, value: "ada@example.org" }];

describe("envelope encryption", () => {
  const master = randomBytes(32);
  const key = randomBytes(32);
  const binding = { domain: "d1", keyId: "k1" };

  it("round trip, with a fresh nonce each time", () => {
    const a = sealKey(master, key, binding);
    const b = sealKey(master, key, binding);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(key)).toBe(false);
    expect(openKey(master, a, binding).equals(key)).toBe(true);
  });

  it("a wrong master key, or the envelope moved to another key id or domain, fails without detail", () => {
    const sealed = sealKey(master, key, binding);
    expect(() => openKey(randomBytes(32), sealed, binding)).toThrow(
      "cannot decrypt domain keys: wrong master key?",
    );
    expect(() => openKey(master, sealed, { domain: "d1", keyId: "k2" })).toThrow(/wrong master key/);
    expect(() => openKey(master, sealed, { domain: "d2", keyId: "k1" })).toThrow(/wrong master key/);
  });

  it("master key from a file or the environment; none says how to make one", () => {
    const text = newMasterKeyText();
    const dir = mkdtempSync(join(tmpdir(), "lp-mk-"));
    const file = join(dir, "master.key");
    writeFileSync(file, `${text}\n`);
    expect(loadMasterKey({ file, env: {} })?.toString("base64")).toBe(text);
    expect(loadMasterKey({ env: { LEARNPOOL_MASTER_KEY_FILE: file } })?.toString("base64")).toBe(text);
    expect(loadMasterKey({ env: { LEARNPOOL_MASTER_KEY: text } })?.toString("base64")).toBe(text);
    expect(loadMasterKey({ env: {} })).toBeUndefined();
    expect(() => requireMasterKey({ env: {} })).toThrow(/learnpool keys master-key/);
    expect(() => loadMasterKey({ env: { LEARNPOOL_MASTER_KEY: "c2hvcnQ=" } })).toThrow(
      /LEARNPOOL_MASTER_KEY is not a master key/,
    );
  });
});

for (const backend of await backends()) {
  describe(`domain keys (${backend.name})`, () => {
    const open: Database[] = [];
    afterAll(async () => {
      for (const db of open) await db.close();
    });
    async function setup(master = randomBytes(32)) {
      const db = await backend.open();
      open.push(db);
      const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      for (const s of ["p1", "p2", "p3"]) await lrs.tenancy.createStore(s, s, "test");
      const audit = new AuditLog(db);
      return {
        db,
        audit,
        master,
        domains: new DomainKeys(db, audit, { master, iriBase: "https://pool.test/" }),
      };
    }

    it("creates a domain with an IRI, a sealed key and members; wrong master key fails clearly", async () => {
      const { db, audit, domains } = await setup();
      const info = await domains.create("agreement-7", { members: ["p1", "p2"], actor: "cli:test" });
      expect(info).toMatchObject({
        iri: "https://pool.test/domains/agreement-7",
        currentKeyId: "k1",
        keyIds: ["k1"],
        members: ["p1", "p2"],
      });
      const key = await domains.key("agreement-7");
      const row = await db.one<{ sealed: Buffer }>("SELECT sealed FROM privacy_domain_keys");
      expect(Buffer.from(row?.sealed as Buffer).includes(key.key)).toBe(false);
      const other = new DomainKeys(db, audit, { master: randomBytes(32) });
      await expect(other.key("agreement-7")).rejects.toThrow("cannot decrypt domain keys: wrong master key?");
      await expect(other.rotate("agreement-7", "x")).rejects.toThrow(/wrong master key/);
      const none = new DomainKeys(db, audit);
      await expect(none.key("agreement-7")).rejects.toThrow(/no master key is configured/);
      expect((await none.list()).map((d) => d.id)).toEqual(["agreement-7"]);
      await expect(domains.create("agreement-7", { actor: "x" })).rejects.toThrow(/already exists/);
      await expect(domains.create("bad", { members: ["nobody"], actor: "x" })).rejects.toThrow(/no store/);
      await expect(domains.create("Bad Id", { actor: "x" })).rejects.toThrow(/domain id/);
    });

    it("rotation: a new current key, old pseudonyms still derivable by key id", async () => {
      const { domains } = await setup();
      await domains.create("d", { actor: "t" });
      const before = (await HmacPseudonymizer.forDomain(domains, "d")).deriveSync(ada, "pseudonym");
      const rotated = await domains.rotate("d", "t");
      expect(rotated.currentKeyId).toBe("k2");
      expect(rotated.keyIds).toEqual(["k1", "k2"]);
      const now = await HmacPseudonymizer.forDomain(domains, "d");
      expect(now.keyId).toBe("k2");
      const after = now.deriveSync(ada, "pseudonym");
      const old = (await HmacPseudonymizer.forDomain(domains, "d", "k1")).deriveSync(ada, "pseudonym");
      const [text] = [...before.keys()];
      expect(after.get(text as string)?.equals(before.get(text as string) as Buffer)).toBe(false);
      expect(old.get(text as string)?.equals(before.get(text as string) as Buffer)).toBe(true);
      await expect(domains.key("d", "k9")).rejects.toThrow(/no key 'k9'/);
    });

    it("membership changes; every change in the audit trail, never key material", async () => {
      const { audit, domains } = await setup();
      await domains.create("d", { members: ["p1"], actor: "cli:ops" });
      const changed = await domains.setMembers("d", { add: ["p2", "p3"], remove: ["p1"], actor: "cli:ops" });
      expect(changed.members).toEqual(["p2", "p3"]);
      await domains.rotate("d", "cli:ops");
      const keys = [(await domains.key("d", "k1")).key, (await domains.key("d", "k2")).key];
      const events = (await audit.list()).filter((e) => e.action.startsWith("privacy."));
      expect(events.map((e) => e.action)).toEqual([
        "privacy.domain.create",
        "privacy.domain.members",
        "privacy.domain.rotate",
      ]);
      expect(events[1]?.details).toEqual({ added: ["p2", "p3"], removed: ["p1"] });
      expect(events[2]?.details).toEqual({ keyId: "k2", retired: "k1" });
      const dump = JSON.stringify(events);
      for (const k of keys) {
        expect(dump).not.toContain(k.toString("base64"));
        expect(dump).not.toContain(k.toString("hex"));
      }
      expect((await audit.verify()).ok).toBe(true);
    });
  });
}
