import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { sameStatement } from "./compare.js";
import { normalizeStatement } from "./normalize.js";
import type { Statement } from "./types.js";
import { validateStatement } from "./validate.js";

/** 22,000 real statements (FUN-MOOC video and course events), one JSON object per line. */
const DATASET = "/work/shared/data/fun-mooc-xapi/statements.json.gz";
const present = existsSync(DATASET);

if (!present) console.warn(`note: ${DATASET} is absent, so the real-dataset validation test is skipped`);

describe.skipIf(!present)("the FUN-MOOC dataset", () => {
  const statements = present
    ? gunzipSync(readFileSync(DATASET))
        .toString("utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Statement)
    : [];

  it("holds 22,000 statements that all validate under xAPI 1.0.3 and 2.0", () => {
    expect(statements.length).toBe(22_000);
    for (const version of ["1.0.3", "2.0.0"] as const) {
      const invalid = statements
        .map((s, i) => ({ i, problems: validateStatement(s, version) }))
        .filter((r) => r.problems.length > 0);
      expect(invalid.slice(0, 3), version).toEqual([]);
    }
  });

  it("normalizes each statement into one the comparison finds equal to the original", () => {
    for (const s of statements) {
      const normalized = normalizeStatement(s);
      expect(validateStatement(normalized, "2.0.0")).toEqual([]);
      expect(sameStatement(s, normalized)).toBe(true);
    }
  });

  it("reports the validation cost per statement (informative, not asserted)", () => {
    for (let round = 0; round < 3; round++) for (const s of statements) validateStatement(s, "2.0.0");
    const started = performance.now();
    const rounds = 5;
    for (let round = 0; round < rounds; round++) for (const s of statements) validateStatement(s, "2.0.0");
    const micros = ((performance.now() - started) * 1000) / (rounds * statements.length);
    const bytes = JSON.stringify(statements[0]).length;
    console.log(
      `validateStatement: ${micros.toFixed(2)} µs per statement (~${bytes} bytes each), warm, one core`,
    );
  });
});
