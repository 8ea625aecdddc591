import { createHmac, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
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
