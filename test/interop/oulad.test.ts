import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Outcome, XapiStatement } from "../../src/interop/converter.js";
import {
  OULAD_EXTENSIONS,
  ouladConverter,
  ouladFormat,
  ouladSettings,
  ouladVocabulary,
  presentationStart,
} from "../../src/interop/oulad/index.js";
import { validateStatement } from "../../src/xapi/index.js";

const FIXTURE = "test/interop/fixtures/oulad";
const SHARED = "../shared/data/oulad";

async function run(dir: string, config?: unknown): Promise<Outcome[]> {
  const converter = await ouladFormat.converter(config);
  const out: Outcome[] = [];
  for await (const outcome of converter.run(ouladFormat.read!(dir, config))) out.push(outcome);
  return out;
}

function statementsOf(outcomes: Outcome[]): XapiStatement[] {
  return outcomes.flatMap((o) => (o.kind === "converted" ? o.statements : []));
}

const verbOf = (s: XapiStatement) => (s.verb as { id: string }).id;
const nameOf = (s: XapiStatement) => (s.actor as { account: { name: string } }).account.name;
const objectId = (s: XapiStatement) => (s.object as { id: string }).id;

function byVerb(statements: XapiStatement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statements) {
    const verb = verbOf(s).split("/").pop()!;
    counts[verb] = (counts[verb] ?? 0) + 1;
  }
  return counts;
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function copyOfFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "oulad-"));
  temps.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe("oulad: the fixture folder", async () => {
  const outcomes = await run(FIXTURE);
  const statements = statementsOf(outcomes);

  it("gives one outcome per event row, in table order", () => {
    // 4 studentRegistration + 4 studentInfo + 6 studentAssessment + 6 studentVle rows
    expect(outcomes).toHaveLength(20);
    expect(outcomes.map((o) => o.position.file?.split("/").pop())).toEqual([
      ...Array(4).fill("studentRegistration.csv"),
      ...Array(4).fill("studentInfo.csv"),
      ...Array(6).fill("studentAssessment.csv"),
      ...Array(6).fill("studentVle.csv"),
    ]);
    expect(outcomes.map((o) => o.position.line)).toEqual([
      2, 3, 4, 5, 2, 3, 4, 5, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it("counts statements per verb", () => {
    expect(byVerb(statements)).toEqual({
      registered: 3,
      unregistered: 1,
      completed: 3,
      submit: 4,
      scored: 3,
      interacted: 4,
    });
  });

  it("emits only statements valid under xAPI 2.0, with unique deterministic ids", async () => {
    for (const s of statements) expect(validateStatement(s, "2.0.0")).toEqual([]);
    const ids = statements.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(statementsOf(await run(FIXTURE)).map((s) => s.id)).toEqual(ids);
  });

  it("skips and rejects with reasons naming file, line and column", () => {
    const notConverted = outcomes.flatMap((o) => (o.kind === "converted" ? [] : [[o.kind, o.reason]]));
    expect(notConverted).toEqual([
      [
        "skipped",
        "studentRegistration.csv, line 5: neither date_registration nor date_unregistration is known ('?')",
      ],
      [
        "skipped",
        "studentInfo.csv, line 3: final_result Withdrawn (the withdrawal is studentRegistration's unregistered statement)",
      ],
      ["rejected", "studentAssessment.csv, line 5, column score: 'abc' is not an integer"],
      [
        "rejected",
        "studentAssessment.csv, line 6, column id_assessment: assessment 9999 is not in assessments.csv",
      ],
      ["rejected", "studentVle.csv, line 6, column id_site: site 999999 is not in vle.csv"],
      ["rejected", `${FIXTURE}/studentVle.csv, line 7: 4 fields where the header has 6`],
    ]);
  });

  it("dates registrations and withdrawals from the presentation's start (2013J → 2013-10-01)", () => {
    const registered = statements.find((s) => verbOf(s).endsWith("registered") && nameOf(s) === "11391")!;
    expect(registered.timestamp).toBe("2013-04-25T00:00:00.000Z"); // day -159
    expect(objectId(registered)).toBe("https://oulad.open.ac.uk/modules/AAA/presentations/2013J");
    expect(registered.actor).toEqual({
      objectType: "Agent",
      account: { homePage: "https://oulad.open.ac.uk", name: "11391" },
    });
    expect(registered.context).toMatchObject({
      contextActivities: { grouping: [{ id: "https://oulad.open.ac.uk/modules/AAA" }] },
      extensions: { [OULAD_EXTENSIONS.day]: -159 },
    });
    const withdrawn = statements.find((s) => verbOf(s).endsWith("unregistered"))!;
    expect(nameOf(withdrawn)).toBe("28400");
    expect(withdrawn.timestamp).toBe("2013-10-13T00:00:00.000Z"); // day 12
  });

  it("gives final results as completed at the presentation's end, success for Pass and Distinction", () => {
    const completed = statements.filter((s) => verbOf(s).endsWith("completed"));
    expect(
      completed.map((s) => [nameOf(s), s.timestamp, (s.result as { success: boolean }).success]),
    ).toEqual([
      ["11391", "2014-06-26T00:00:00.000Z", true], // 2013-10-01 + 268 days
      ["30268", "2014-06-26T00:00:00.000Z", false],
      ["40000", "2014-09-29T00:00:00.000Z", true], // 2014-02-01 + 240 days
    ]);
    expect((completed[2]!.result as { extensions: object }).extensions).toEqual({
      [OULAD_EXTENSIONS.finalResult]: "Distinction",
    });
  });

  it("gives a submission and its score, banked or not, in the presentation's context", () => {
    const banked = statements.filter(
      (s) => nameOf(s) === "30268" && objectId(s).endsWith("/assessments/1752"),
    );
    expect(banked.map((s) => verbOf(s))).toEqual([
      "http://activitystrea.ms/schema/1.0/submit",
      "http://adlnet.gov/expapi/verbs/scored",
    ]);
    expect(banked[1]!.result).toEqual({ score: { scaled: 0.35, raw: 35, min: 0, max: 100 }, success: false });
    expect(banked[1]!.context).toMatchObject({
      contextActivities: {
        parent: [{ id: "https://oulad.open.ac.uk/modules/AAA/presentations/2013J" }],
        grouping: [{ id: "https://oulad.open.ac.uk/modules/AAA" }],
      },
      extensions: { [OULAD_EXTENSIONS.banked]: true, [OULAD_EXTENSIONS.day]: 20 },
    });
    expect(banked[0]!.timestamp).toBe("2013-10-21T00:00:00.000Z");
    expect((banked[0]!.object as { definition: object }).definition).toMatchObject({
      type: "http://adlnet.gov/expapi/activities/assessment",
      extensions: { [OULAD_EXTENSIONS.assessmentType]: "TMA", [OULAD_EXTENSIONS.weight]: 10 },
    });
    // A missing score ('?') gives the submission alone.
    expect(
      statements.filter((s) => nameOf(s) === "28400" && objectId(s).includes("assessments")),
    ).toHaveLength(1);
  });

  it("gives one interacted per student, site and day with its clicks, duplicates kept apart", () => {
    const interacted = statements.filter((s) => verbOf(s).endsWith("interacted"));
    expect(interacted.map((s) => (s.result as { extensions: Record<string, number> }).extensions)).toEqual([
      { [OULAD_EXTENSIONS.clicks]: 3 },
      { [OULAD_EXTENSIONS.clicks]: 2 },
      { [OULAD_EXTENSIONS.clicks]: 7 },
      { [OULAD_EXTENSIONS.clicks]: 1 },
    ]);
    expect(interacted[0]!.id).not.toBe(interacted[1]!.id);
    expect(interacted[0]!.timestamp).toBe("2013-09-26T00:00:00.000Z"); // day -5
    expect((interacted[2]!.object as { definition: object }).definition).toMatchObject({
      type: "http://id.tincanapi.com/activitytype/discussion",
      extensions: { [OULAD_EXTENSIONS.vleActivityType]: "forumng" },
    });
  });

  it("leaves the demographics out", () => {
    const text = JSON.stringify(statements);
    for (const value of ["East Anglian", "Scotland", "HE Qualification", "90-100%", "55<="]) {
      expect(text).not.toContain(value);
    }
  });

  it("lists every IRI it emits in its vocabulary", () => {
    for (const s of statements) {
      expect(ouladVocabulary.verbs).toContain(verbOf(s));
      const activities = [
        s.object,
        ...Object.values(
          (s.context as { contextActivities: Record<string, unknown[]> }).contextActivities,
        ).flat(),
      ] as { definition: { type: string; extensions?: object } }[];
      for (const a of activities) {
        expect(ouladVocabulary.activityTypes).toContain(a.definition.type);
        for (const iri of Object.keys(a.definition.extensions ?? {}))
          expect(ouladVocabulary.extensions).toContain(iri);
      }
      const extensions = {
        ...((s.result as { extensions?: object } | undefined)?.extensions ?? {}),
        ...((s.context as { extensions?: object }).extensions ?? {}),
      };
      for (const iri of Object.keys(extensions)) expect(ouladVocabulary.extensions).toContain(iri);
    }
  });
});

describe("oulad: configuration", () => {
  it("takes presentation starts, homePage, activity base and namespace from the configuration", async () => {
    const config = {
      homePage: "https://learner.example.org/",
      activityBase: "https://courses.example.org/oulad",
      namespace: "0f8e2b4c-1d3a-4e5f-8a9b-7c6d5e4f3a2b",
      presentationStarts: { "2013J": "2013-09-28" },
    };
    const statements = statementsOf(await run(FIXTURE, config));
    const registered = statements.find((s) => verbOf(s).endsWith("registered") && nameOf(s) === "11391")!;
    expect(registered.timestamp).toBe("2013-04-22T00:00:00.000Z");
    expect(registered.actor).toMatchObject({ account: { homePage: "https://learner.example.org" } });
    expect(objectId(registered)).toBe("https://courses.example.org/oulad/modules/AAA/presentations/2013J");
    const defaults = statementsOf(await run(FIXTURE));
    expect(registered.id).not.toBe(defaults.find((s) => verbOf(s).endsWith("registered"))!.id);
  });

  it("refuses a bad configuration, naming the key", () => {
    expect(() => ouladConverter({ homepage: "x" })).toThrow("oulad configuration: homepage: unknown key");
    expect(() => ouladConverter({ namespace: "nope" })).toThrow("namespace: must be a UUID");
    expect(() => ouladConverter({ presentationStarts: { "2013J": "2013-13-01" } })).toThrow(
      'presentationStarts.2013J: "2013-13-01" is not a date YYYY-MM-DD',
    );
    expect(() => ouladConverter({ homePage: "not an iri" })).toThrow("homePage: must be an absolute IRI");
  });

  it("dates B presentations from February and J from October by default", () => {
    const s = ouladSettings(undefined);
    expect(new Date(presentationStart(s, "2013B")!).toISOString()).toBe("2013-02-01T00:00:00.000Z");
    expect(new Date(presentationStart(s, "2014J")!).toISOString()).toBe("2014-10-01T00:00:00.000Z");
    expect(presentationStart(s, "2014X")).toBeUndefined();
  });

  it("rejects a row of a presentation with no known start", async () => {
    const dir = copyOfFixture();
    writeFileSync(
      join(dir, "studentRegistration.csv"),
      '"code_module","code_presentation","id_student","date_registration","date_unregistration"\n"AAA","2015X","1","-3","?"\n',
    );
    const [first] = await run(dir);
    expect(first).toMatchObject({
      kind: "rejected",
      reason: expect.stringContaining("no start date for presentation '2015X'"),
    });
  });
});

describe("oulad: the folder", () => {
  it("reads a folder without studentVle (the event tables present are read)", async () => {
    const dir = copyOfFixture();
    rmSync(join(dir, "studentVle.csv"));
    const outcomes = await run(dir);
    expect(outcomes).toHaveLength(14);
  });

  it("fails clearly on a missing reference table, a missing column, or a path that is not a folder", async () => {
    const noVle = copyOfFixture();
    rmSync(join(noVle, "vle.csv"));
    await expect(run(noVle)).rejects.toThrow("vle.csv is missing");
    const badHeader = copyOfFixture();
    writeFileSync(join(badHeader, "studentInfo.csv"), '"code_module","code_presentation","id_student"\n');
    await expect(run(badHeader)).rejects.toThrow("no column 'final_result' in the header");
    await expect(run(join(FIXTURE, "courses.csv"))).rejects.toThrow("not a folder");
  });
});

/** The real tables, when ../shared is there: every count and a sample of values checked against the CSV. */
describe.skipIf(!existsSync(SHARED))("oulad: the real OULAD tables (needs ../shared/data/oulad)", () => {
  it("converts every row, every statement valid, with the expected count per verb", async () => {
    const converter = ouladConverter(undefined);
    let outcomeCount = 0;
    const counts: Record<string, number> = {};
    const kinds = { converted: 0, skipped: 0, rejected: 0 };
    const registrations = new Map<string, string>();
    const finals = new Map<string, boolean>();
    const ids = new Set<string>();
    let invalid = 0;
    // Streamed, not collected: the tables give 412,708 statements.
    for await (const o of converter.run(ouladFormat.read!(SHARED, undefined))) {
      outcomeCount++;
      kinds[o.kind]++;
      if (o.kind !== "converted") continue;
      for (const s of o.statements) {
        if (validateStatement(s, "2.0.0").length > 0) invalid++;
        ids.add(s.id as string);
        const verb = verbOf(s).split("/").pop()!;
        counts[verb] = (counts[verb] ?? 0) + 1;
        const key = `${objectId(s).split("/modules/")[1]}/${nameOf(s)}`;
        if (verb === "registered") registrations.set(key, s.timestamp as string);
        if (verb === "completed") finals.set(key, (s.result as { success: boolean }).success);
      }
    }
    expect(invalid).toBe(0);
    // 32,593 registrations and results, 173,912 assessment rows; studentVle is absent from ../shared.
    expect(outcomeCount).toBe(32_593 * 2 + 173_912);
    expect(kinds).toEqual({ converted: 32_593 * 2 + 173_912 - 6 - 10_156, skipped: 6 + 10_156, rejected: 0 });
    expect(counts).toEqual({
      registered: 32_548, // 45 rows have date_registration '?'
      unregistered: 10_072,
      completed: 22_437, // Pass 12,361 + Distinction 3,024 + Fail 7,052 (Withdrawn 10,156 skipped)
      submit: 173_912,
      scored: 173_739, // 173 scores are '?'
    });
    expect(ids.size).toBe(32_548 + 10_072 + 22_437 + 173_912 + 173_739);

    // A sample of the CSV rows, read here independently, against the statements.
    const starts: Record<string, string> = {
      "2013B": "2013-02-01",
      "2013J": "2013-10-01",
      "2014B": "2014-02-01",
      "2014J": "2014-10-01",
    };
    const unquote = (line: string) => line.split(",").map((c) => c.replace(/^"|"$/g, ""));
    const registrationRows = readFileSync(join(SHARED, "studentRegistration.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1);
    let checked = 0;
    for (let i = 0; i < registrationRows.length; i += 997) {
      const [module, presentation, student, day] = unquote(registrationRows[i]!);
      const key = `${module}/presentations/${presentation}/${student}`;
      if (day === "?") continue;
      const expected = new Date(Date.parse(`${starts[presentation!]}T00:00:00Z`) + Number(day) * 86_400_000);
      expect(registrations.get(key)).toBe(expected.toISOString());
      checked++;
    }
    const infoRows = readFileSync(join(SHARED, "studentInfo.csv"), "utf8").trim().split("\n").slice(1);
    for (let i = 0; i < infoRows.length; i += 997) {
      const cells = unquote(infoRows[i]!);
      const [module, presentation, student] = cells;
      const result = cells[cells.length - 1];
      const key = `${module}/presentations/${presentation}/${student}`;
      expect(finals.get(key)).toBe(result === "Withdrawn" ? undefined : result !== "Fail");
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  }, 240_000);
});
