import { describe, expect, it } from "vitest";
import { en } from "../../src/web/client/messages/en.js";
import { fr } from "../../src/web/client/messages/fr.js";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the console's catalogs", () => {
  it("French and English have the same keys, none empty, with the same placeholders", () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const other = (fr as Record<string, string>)[key]!;
      expect(text.trim(), key).not.toBe("");
      expect(other.trim(), key).not.toBe("");
      expect(placeholders(other), key).toEqual(placeholders(text));
    }
  });

  it("every key the client's sources name exists in the catalogs", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const dir = new URL("../../src/web/client/", import.meta.url).pathname;
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const used = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const m of text.matchAll(/\bt\(\s*"([\w.-]+)"/g)) used.add(m[1]!);
      for (const m of text.matchAll(/title: "([\w.-]+)"/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    for (const key of used) expect(Object.keys(en), key).toContain(key);
  });
});
