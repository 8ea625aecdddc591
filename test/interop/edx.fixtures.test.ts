// The 52 reference pairs of ../shared/fixtures/edx: each event converted with the producer's settings
// (edx.fixtures.config.json) must give ERB's statements exactly, ids aside (the producer's are UUIDv5 too,
// but over its own mocked lookups).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { edxConverter } from "../../src/interop/edx/index.js";

const dir = join(import.meta.dirname, "../../../shared/fixtures/edx");
const config = JSON.parse(readFileSync(join(import.meta.dirname, "edx.fixtures.config.json"), "utf8"));

function withoutIds(statements: unknown[]): unknown[] {
  return statements.map((statement) => {
    const { id: _id, ...rest } = statement as Record<string, unknown>;
    return rest;
  });
}

const names = existsSync(dir)
  ? readdirSync(join(dir, "input"))
      .filter((file) => file.endsWith(".json"))
      .map((file) => file.slice(0, -5))
      .sort()
  : [];

describe.skipIf(!existsSync(dir))("edx: ERB reference fixtures (needs ../shared)", () => {
  const convert = edxConverter(config);

  it("has the 52 pairs", () => {
    expect(names.length).toBe(52);
  });

  it.each(names)("%s", (name) => {
    const input = JSON.parse(readFileSync(join(dir, "input", `${name}.json`), "utf8"));
    const expected = JSON.parse(readFileSync(join(dir, "expected-xapi", `${name}.json`), "utf8"));
    const statements = convert(input);
    expect(withoutIds(statements)).toEqual(withoutIds(Array.isArray(expected) ? expected : [expected]));
  });

  // Not required by the comparison above, but the ids come out equal too: the same UUIDv5 over the same text.
  it("computes the producer's statement ids", () => {
    let compared = 0;
    for (const name of names) {
      const input = JSON.parse(readFileSync(join(dir, "input", `${name}.json`), "utf8"));
      const expected = [JSON.parse(readFileSync(join(dir, "expected-xapi", `${name}.json`), "utf8"))].flat();
      expect(convert(input).map((statement) => statement.id)).toEqual(
        expected.map((statement) => statement.id),
      );
      compared += expected.length;
    }
    expect(compared).toBe(58);
  });
});
