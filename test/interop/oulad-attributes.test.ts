import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Outcome, XapiStatement } from "../../src/interop/converter.js";
import {
  OULAD_ATTRIBUTE_COLUMNS,
  OULAD_ATTRIBUTE_EXTENSIONS,
  OULAD_VERBS,
  ouladFormat,
  ouladSettings,
} from "../../src/interop/oulad/index.js";
import { validateStatement } from "../../src/xapi/index.js";

const FIXTURE = "test/interop/fixtures/oulad";

async function run(dir: string, config?: unknown): Promise<Outcome[]> {
  const converter = await ouladFormat.converter(config);
  const out: Outcome[] = [];
  for await (const outcome of converter.run(ouladFormat.read!(dir, config))) out.push(outcome);
  return out;
}

const statementsOf = (outcomes: Outcome[]): XapiStatement[] =>
  outcomes.flatMap((o) => (o.kind === "converted" ? o.statements : []));
const verbOf = (s: XapiStatement) => (s.verb as { id: string }).id;
const extensionsOf = (s: XapiStatement) =>
  ((s.context as { extensions?: Record<string, unknown> }).extensions ?? {}) as Record<string, unknown>;
const registrations = (statements: XapiStatement[]) =>
  statements.filter((s) => verbOf(s) === OULAD_VERBS.registered.id);
const attributeKeys = new Set(Object.values(OULAD_ATTRIBUTE_EXTENSIONS));

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("oulad: the optional attributes setting", () => {
  it("is off by default: no statement carries a demographic", async () => {
    expect(ouladSettings(undefined).attributes).toBe(false);
    const statements = statementsOf(await run(FIXTURE));
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const key of Object.keys(extensionsOf(s))) expect(attributeKeys.has(key)).toBe(false);
      expect(JSON.stringify(s)).not.toContain("East Anglian Region");
    }
  });

  it("puts studentInfo's demographics on the registration statement only", async () => {
    const outcomes = await run(FIXTURE, { attributes: true });
    const statements = statementsOf(outcomes);
    const first = registrations(statements).find(
      (s) => (s.actor as { account: { name: string } }).account.name === "11391",
    )!;
    const ext = extensionsOf(first);
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.gender]).toBe("M");
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.region]).toBe("East Anglian Region");
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.imd_band]).toBe("90-100%");
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.age_band]).toBe("55<=");
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.studied_credits]).toBe(240);
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.num_of_prev_attempts]).toBe(0);
    expect(Object.keys(OULAD_ATTRIBUTE_EXTENSIONS)).toEqual([...OULAD_ATTRIBUTE_COLUMNS]);
    for (const s of statements) {
      expect(validateStatement(s, "2.0.0", "statement")).toEqual([]);
      if (verbOf(s) !== OULAD_VERBS.registered.id) {
        for (const key of Object.keys(extensionsOf(s))) expect(attributeKeys.has(key)).toBe(false);
      }
    }
    // The rest of the output is the default output, statement for statement.
    const plain = statementsOf(await run(FIXTURE));
    expect(statements.map((s) => s.id)).toEqual(plain.map((s) => s.id));
  });

  it("leaves out a missing value ('?') and refuses a setting that is not a boolean", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oulad-attr-"));
    temps.push(dir);
    cpSync(FIXTURE, dir, { recursive: true });
    writeFileSync(
      join(dir, "studentInfo.csv"),
      '"code_module","code_presentation","id_student","gender","region","highest_education","imd_band","age_band","num_of_prev_attempts","studied_credits","disability","final_result"\n' +
        '"AAA","2013J","11391","M","Scotland","HE Qualification","?","55<=","1","60","N","Pass"\n',
    );
    const statements = statementsOf(await run(dir, { attributes: true }));
    const ext = extensionsOf(registrations(statements)[0]!);
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.imd_band]).toBeUndefined();
    expect(ext[OULAD_ATTRIBUTE_EXTENSIONS.num_of_prev_attempts]).toBe(1);
    expect(() => ouladSettings({ attributes: "yes" })).toThrow(
      "oulad configuration: attributes: must be true or false",
    );
  });
});
