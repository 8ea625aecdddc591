import { describe, expect, it } from "vitest";
import { IdentifierError, identifierText, normalizeIdentifier } from "../../src/privacy/identifiers.js";

describe("identifier normalization", () => {
  it("e-mail: trimmed, mailto: removed, lower-cased", () => {
    expect(normalizeIdentifier("email", "  mailto:Ada.Lovelace@Example.ORG ").value).toBe(
      "ada.lovelace@example.org",
    );
    expect(() => normalizeIdentifier("email", "not-an-address")).toThrow(IdentifierError);
  });

  it("INE: spaces and hyphens removed, upper-cased; ten letters or digits then a letter", () => {
    expect(normalizeIdentifier("ine", "1234-567 89ab").value).toBe("123456789AB");
    expect(() => normalizeIdentifier("ine", "12345678901")).toThrow(/ten letters or digits then a letter/);
  });

  it("phone: E.164, national numbers read in the region (FR by default)", () => {
    expect(normalizeIdentifier("phone", "06 12 34 56 78").value).toBe("+33612345678");
    expect(normalizeIdentifier("phone", "+33 6 12 34 56 78").value).toBe("+33612345678");
    expect(normalizeIdentifier("phone", "(415) 555-2671", { phoneRegion: "US" }).value).toBe("+14155552671");
    expect(() => normalizeIdentifier("phone", "12")).toThrow(IdentifierError);
  });

  it("account: kept exactly but trimmed, scoped by its namespace", () => {
    const a = normalizeIdentifier("account", " User-7 ", { namespace: "https://lms.example" });
    expect(a).toEqual({ kind: "account", value: "User-7", namespace: "https://lms.example" });
    expect(() => normalizeIdentifier("account", "u1")).toThrow(/namespace/);
  });

  it("error messages never carry the identifier", () => {
    try {
      normalizeIdentifier("email", "secret-person-at-nowhere");
    } catch (err) {
      expect(String(err)).not.toContain("secret-person");
    }
  });

  it("one text per identifier: kinds and namespaces never collide", () => {
    const texts = new Set([
      identifierText({ kind: "account", value: "a", namespace: "https://x" }),
      identifierText({ kind: "account", value: "a", namespace: "https://y" }),
      identifierText({ kind: "email", value: "a@b.fr" }),
      identifierText({ kind: "account", value: "a@b.fr", namespace: "" }),
    ]);
    expect(texts.size).toBe(4);
  });
});
