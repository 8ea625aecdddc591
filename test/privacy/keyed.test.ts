import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { normalizeIdentifier } from "../../src/privacy/identifiers.js";
import { HmacPseudonymizer, keyedSecret } from "../../src/privacy/keyed.js";
import { pseudonymText } from "../../src/privacy/pseudonymizer.js";

const key = (k: Buffer, iri = "https://pool.test/domains/a") => ({ domainId: "a", iri, keyId: "k1", key: k });

describe("keyed pseudonyms (HMAC-SHA256)", () => {
  const k1 = randomBytes(32);
  const ids = [
    normalizeIdentifier("email", "Ada@Example.org"),
    normalizeIdentifier("email", " ada@example.org"),
    normalizeIdentifier("ine", "123456789AB"),
  ];

  it("is HMAC-SHA256(key, purpose ‖ 0x00 ‖ identifierText)", () => {
    const expected = createHmac("sha256", k1)
      .update("pseudonym\u0000email\u0000\u0000ada@example.org")
      .digest();
    expect(keyedSecret(k1, "pseudonym", "email\u0000\u0000ada@example.org").equals(expected)).toBe(true);
  });

  it("is deterministic: one secret per normalized identifier", async () => {
    const p = new HmacPseudonymizer(key(k1));
    const a = await p.derive(ids, "pseudonym");
    const b = await new HmacPseudonymizer(key(Buffer.from(k1))).derive(ids, "pseudonym");
    expect(a.size).toBe(2);
    for (const [text, secret] of a) {
      expect(secret).toHaveLength(32);
      expect(b.get(text)?.equals(secret)).toBe(true);
    }
    expect(p.domain).toBe("https://pool.test/domains/a");
    expect(pseudonymText(a.values().next().value as Buffer)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("is separated by domain key and by purpose", async () => {
    const a = await new HmacPseudonymizer(key(k1)).derive(ids, "pseudonym");
    const other = await new HmacPseudonymizer(key(randomBytes(32))).derive(ids, "pseudonym");
    const offset = await new HmacPseudonymizer(key(k1)).derive(ids, "time-offset");
    for (const [text, secret] of a) {
      expect(other.get(text)?.equals(secret)).toBe(false);
      expect(offset.get(text)?.equals(secret)).toBe(false);
    }
  });

  it("never shows its key when logged or inspected", () => {
    const p = new HmacPseudonymizer(key(k1));
    const shown = `${JSON.stringify(p)} ${inspect(p)} ${String(Object.values(p))}`;
    expect(shown).not.toContain(k1.toString("hex"));
    expect(shown).not.toContain(k1.toString("base64"));
  });
});

describe("learnpool keys, domains and pseudonymize (keyed mode)", () => {
  async function cli(args: string[], env: Record<string, string> = {}) {
    const { program } = await import("../../src/cli/main.js");
    const out: string[] = [];
    const err: string[] = [];
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => out.push(String(c)) > 0);
    const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => err.push(String(c)) > 0);
    const code = process.exitCode;
    try {
      await program()
        .exitOverride()
        .parseAsync(["node", "learnpool", ...args]);
      return { out: out.join(""), err: err.join(""), code: process.exitCode };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.env = saved;
      process.exitCode = code;
    }
  }

  it("makes a domain, rotates it, and pseudonymizes a file and a CSV column, rejecting bad lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lp-cli-"));
    const db = join(dir, "pool.db");
    const masterText = (await cli(["keys", "master-key"])).out.trim();
    expect(Buffer.from(masterText, "base64")).toHaveLength(32);
    const env = { LEARNPOOL_MASTER_KEY: masterText, LEARNPOOL_DB: db };
    await expect(
      cli(["domains", "add", "d1"], { LEARNPOOL_DB: db, LEARNPOOL_MASTER_KEY: "" }),
    ).rejects.toThrow(/learnpool keys master-key/);
    await cli(["stores", "add", "p1"], env);
    const added = JSON.parse((await cli(["domains", "add", "d1", "--members", "p1"], env)).out);
    expect(added).toMatchObject({ id: "d1", currentKeyId: "k1", members: ["p1"] });
    expect(JSON.parse((await cli(["domains", "members", "d1", "--remove", "p1"], env)).out).members).toEqual(
      [],
    );
    writeFileSync(join(dir, "in.txt"), "Ada@Example.org\nnot an address\nada@example.org\n");
    const run = await cli(
      [
        "pseudonymize",
        "--domain",
        "d1",
        "--kind",
        "email",
        "--in",
        join(dir, "in.txt"),
        "--out",
        join(dir, "out.txt"),
      ],
      env,
    );
    expect(run.err).toContain("in.txt:2: email identifier: not an e-mail address");
    expect(run.err).not.toContain("not an address");
    expect(run.code).toBe(1);
    const lines = readFileSync(join(dir, "out.txt"), "utf8").split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(lines[1]).toBe("");
    expect(lines[2]).toBe(lines[0]);

    writeFileSync(join(dir, "in.csv"), 'id,email,score\n1,ada@example.org,"3,5"\n2,bob@example.org,4\n');
    await cli(
      [
        "pseudonymize",
        "--domain",
        "d1",
        "--kind",
        "email",
        "--column",
        "email",
        "--in",
        join(dir, "in.csv"),
        "--out",
        join(dir, "out.csv"),
      ],
      env,
    );
    const csv = readFileSync(join(dir, "out.csv"), "utf8").split("\n");
    expect(csv[0]).toBe("id,email,score");
    expect(csv[1]).toBe(`1,${lines[0]},"3,5"`);
    expect(readFileSync(join(dir, "out.csv"), "utf8")).not.toContain("example.org");

    expect(JSON.parse((await cli(["domains", "rotate", "d1"], env)).out).currentKeyId).toBe("k2");
    await cli(
      [
        "pseudonymize",
        "--domain",
        "d1",
        "--kind",
        "email",
        "--in",
        join(dir, "in.txt"),
        "--out",
        join(dir, "k2.txt"),
      ],
      env,
    );
    await cli(
      [
        "pseudonymize",
        "--domain",
        "d1",
        "--kind",
        "email",
        "--key-id",
        "k1",
        "--in",
        join(dir, "in.txt"),
        "--out",
        join(dir, "k1.txt"),
      ],
      env,
    );
    expect(readFileSync(join(dir, "k2.txt"), "utf8").split("\n")[0]).not.toBe(lines[0]);
    expect(readFileSync(join(dir, "k1.txt"), "utf8").split("\n")[0]).toBe(lines[0]);
    const listed = (await cli(["domains", "list"], { LEARNPOOL_DB: db })).out;
    expect(JSON.parse(listed).keyIds).toEqual(["k1", "k2"]);
    await expect(
      cli(["domains", "rotate", "d1"], {
        LEARNPOOL_DB: db,
        LEARNPOOL_MASTER_KEY: randomBytes(32).toString("base64"),
      }),
    ).rejects.toThrow("cannot decrypt domain keys: wrong master key?");
  });
});
