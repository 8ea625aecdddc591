/**
 * The leak check on 22,000 real statements (FUN-MOOC video traces from ../shared): every statement
 * de-identified, every output statement valid xAPI, and none of the input's identifiers in the output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deidentifyFile } from "../../src/privacy/deidentify-file.js";
import { localHmacPseudonymizer } from "../../src/privacy/deidentify-keyed.js";
import { loadProfile } from "../../src/privacy/profile.js";
import { validateStatement } from "../../src/xapi/validate.js";

const FUN = new URL("../../../shared/data/fun-mooc-xapi/statements.json.gz", import.meta.url).pathname;
const FIXTURES = new URL("fixtures/deidentify/", import.meta.url).pathname;

describe.skipIf(!existsSync(FUN))("deidentify: FUN-MOOC statements (needs ../shared)", () => {
  const work = mkdtempSync(join(tmpdir(), "learnpool-deidentify-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("de-identifies all 22,000 statements into valid xAPI, and the leak check finds none of the 1,452 learners", async () => {
    const profile = loadProfile(join(FIXTURES, "fun-mooc.yaml"));
    const key = Buffer.alloc(32, 7);
    const output = join(work, "out.jsonl");
    const report = await deidentifyFile({
      profile,
      pseudonymizer: localHmacPseudonymizer(key, profile.domain),
      localKey: key,
      input: FUN,
      output,
      report: join(work, "report.json"),
    });
    expect(report.counts.read).toBe(22_000);
    expect(report.counts.written).toBe(22_000);
    expect(report.rejected).toEqual([]);
    expect(report.leakCheck.searchedByKind.account).toBe(1452);
    expect(report.leakCheck.found).toBe(0);
    expect(report.leakCheck.leaks).toEqual([]);
    expect(report.counts.timestamps.shifted).toBe(22_000);
    expect(report.counts.ids.statement).toBe(22_000);
    const written = JSON.parse(readFileSync(join(work, "report.json"), "utf8"));
    expect(written.leakCheck.found).toBe(0);
    const lines = readFileSync(output, "utf8").trim().split("\n");
    expect(lines).toHaveLength(22_000);
    const problems = lines.flatMap((line) => validateStatement(JSON.parse(line), "2.0.0"));
    expect(problems).toEqual([]);
    const sample = JSON.parse(lines[0]!);
    expect(sample.actor.account.homePage).toBe(profile.domain);
    expect(sample.actor.account.name).toMatch(/^[A-Za-z0-9_-]{22}$/);
  }, 120_000);
});
