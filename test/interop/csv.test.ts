import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Outcome, XapiStatement } from "../../src/interop/converter.js";
import {
  compileMapping,
  csvConverter,
  csvFormat,
  csvVocabulary,
  mappingVocabulary,
  timeParser,
} from "../../src/interop/csv/index.js";
import { isIri, validateStatement } from "../../src/xapi/index.js";

const FIXTURE = "test/interop/fixtures/csv";
const MAPPING = JSON.parse(readFileSync(join(FIXTURE, "mapping.json"), "utf8"));

async function run(input: string, config: unknown): Promise<Outcome[]> {
  const converter = await csvFormat.converter(config);
  const out: Outcome[] = [];
  for await (const outcome of converter.run(csvFormat.read!(input, config))) out.push(outcome);
  return out;
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), "csv-"));
  temps.push(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A minimal mapping over columns user, course, module, to which each test adds what it checks. */
function mappingWith(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    actor: { account: { homePage: "https://lms.example.org", name: "{user}" } },
    verb: { id: "http://adlnet.gov/expapi/verbs/experienced", display: { en: "experienced" } },
    object: { id: "https://lms.example.org/courses/{course}" },
    ...extra,
  };
}

describe("csv: the example mapping on the example export", async () => {
  const outcomes = await run(join(FIXTURE, "progress.csv"), MAPPING);
  const statements = outcomes.flatMap((o) => (o.kind === "converted" ? o.statements : []));

  it("gives one outcome per row, positioned by the line the row starts on", () => {
    // Line 4 holds a quoted field spanning two lines, line 9 is blank.
    expect(outcomes.map((o) => [o.kind, o.position.line])).toEqual([
      ["converted", 2],
      ["converted", 3],
      ["converted", 4],
      ["skipped", 6],
      ["rejected", 7],
      ["rejected", 8],
      ["rejected", 10],
      ["rejected", 11],
      ["rejected", 12],
    ]);
    for (const s of statements) expect(validateStatement(s, "2.0.0")).toEqual([]);
  });

  it("maps every part of the first row", () => {
    expect(statements[0]).toEqual({
      id: statements[0]!.id,
      actor: {
        objectType: "Agent",
        name: "Ana Lima",
        account: { homePage: "https://lms.example.org", name: "u-001" },
      },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { en: "completed" } },
      object: {
        objectType: "Activity",
        id: "https://lms.example.org/courses/CS101/modules/intro",
        definition: { type: "http://adlnet.gov/expapi/activities/module", name: { en: "Introduction" } },
      },
      result: { score: { raw: 85, min: 0, max: 100 }, success: true, completion: true, duration: "PT1520S" },
      context: {
        registration:
          statements[0]!.context && (statements[0]!.context as { registration: string }).registration,
        platform: "Example LMS",
        language: "en",
        contextActivities: {
          parent: [
            {
              objectType: "Activity",
              id: "https://lms.example.org/courses/CS101",
              definition: { type: "http://adlnet.gov/expapi/activities/course" },
            },
          ],
        },
        extensions: { "https://lms.example.org/xapi/extensions/cohort": "2024-spring" },
      },
      // 14:30 in Paris in March (CET, UTC+1)
      timestamp: "2024-03-05T13:30:00.000Z",
    });
  });

  it("leaves out what empty cells would give, and percent-encodes values inside IRIs", () => {
    expect(statements[1]!.result).toEqual({ completion: false, duration: "PT300S" });
    expect((statements[1]!.verb as { id: string }).id).toBe("http://adlnet.gov/expapi/verbs/attempted");
    expect((statements[2]!.object as { id: string }).id).toBe(
      "https://lms.example.org/courses/CS101/modules/loops%20%26%20lists%2F2",
    );
    expect((statements[2]!.object as { definition: { name: object } }).definition.name).toEqual({
      en: "Loops; lists\nand more",
    });
    expect((statements[2]!.context as { extensions?: object }).extensions).toBeUndefined();
  });

  it("reads local times in the mapping's time zone across daylight-saving changes", () => {
    // 2024-10-27 02:30 in Paris comes twice; the later (CET) reading is taken.
    expect(statements[2]!.timestamp).toBe("2024-10-27T01:30:00.000Z");
  });

  it("gives skip and rejection reasons naming line, column and value", () => {
    expect(outcomes.flatMap((o) => (o.kind === "converted" ? [] : [o.reason]))).toEqual([
      "line 6, column status: 'draft' is one of 'draft' (skip[0]: drafts are not learning events)",
      "line 7, column score: 'abc' is not a number",
      "line 8, column status: 'archived' has no verb in verb.map (mapped: done, started, failed)",
      "line 10: the mapped statement is not valid xAPI: statement.result.score.raw must not be greater than score.max",
      "line 11, column finished_at: '06/03/2024 12:00' does not match the date format 'YYYY-MM-DD HH:mm:ss'",
      "line 12: the actor's account name (mapping.actor.account.name) has no value: column user_id empty",
    ]);
  });

  it("gives deterministic UUIDv5 ids from the chosen columns, and a registration per learner and course", async () => {
    const again = (await run(join(FIXTURE, "progress.csv"), MAPPING)).flatMap((o) =>
      o.kind === "converted" ? o.statements : [],
    );
    expect(again.map((s) => s.id)).toEqual(statements.map((s) => s.id));
    expect(new Set(statements.map((s) => s.id)).size).toBe(statements.length);
    const registration = (s: XapiStatement) => (s.context as { registration: string }).registration;
    expect(registration(statements[0]!)).not.toBe(registration(statements[1]!));
    expect(statements[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
  });

  it("lists the IRIs a mapping can emit (the format itself has no vocabulary)", () => {
    expect(csvVocabulary).toEqual({ verbs: [], activityTypes: [], extensions: [] });
    expect(mappingVocabulary(MAPPING)).toEqual({
      verbs: [
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/attempted",
        "http://adlnet.gov/expapi/verbs/failed",
      ],
      activityTypes: [
        "http://adlnet.gov/expapi/activities/module",
        "http://adlnet.gov/expapi/activities/course",
      ],
      extensions: ["https://lms.example.org/xapi/extensions/cohort"],
    });
  });
});

describe("csv: mapping options", () => {
  it("reads an mbox actor, a header-less windows-1252 file, custom missing values and typed extensions", async () => {
    const input = tempFile(
      "export.csv",
      Buffer.from("ana@example.org|Zo\xe9 & Co|NULL|7|Y\nben@example.org|B\xe9a|12|x|N\n", "latin1"),
    );
    const mapping = mappingWith({
      csv: {
        delimiter: "|",
        encoding: "windows-1252",
        header: false,
        columns: ["email", "course", "score", "level", "ok"],
        missing: ["", "NULL"],
      },
      actor: { mbox: { column: "email" }, name: "{course}" },
      result: {
        score: { raw: { column: "score" } },
        success: { column: "ok", map: { Y: true, N: false } },
        extensions: { "https://lms.example.org/x/level": { column: "level", type: "integer" } },
      },
    });
    const outcomes = await run(input, mapping);
    expect(outcomes[0]).toMatchObject({
      kind: "converted",
      statements: [
        {
          actor: { objectType: "Agent", name: "Zoé & Co", mbox: "mailto:ana@example.org" },
          object: { id: "https://lms.example.org/courses/Zo%C3%A9%20%26%20Co" },
          result: { success: true, extensions: { "https://lms.example.org/x/level": 7 } },
        },
      ],
    });
    expect((outcomes[0] as { statements: XapiStatement[] }).statements[0]!.result).not.toHaveProperty(
      "score",
    );
    expect(outcomes[1]).toEqual({
      kind: "rejected",
      position: { file: input, line: 2 },
      reason: "line 2, column level: 'x' is not an integer",
    });
  });

  it("skips rows by notIn and present rules, and gives rows of the wrong width as rejected", async () => {
    const input = tempFile(
      "rows.csv",
      "user,course,status,deleted\nu1,c1,ok,\nu2,c1,other,\nu3,c1,ok,2024-01-01\nu4,c1\n",
    );
    const mapping = mappingWith({
      skip: [
        { column: "status", notIn: ["ok"] },
        { column: "deleted", present: true, reason: "deleted rows" },
      ],
    });
    const outcomes = await run(input, mapping);
    expect(outcomes.map((o) => (o.kind === "converted" ? o.kind : `${o.kind}: ${o.reason}`))).toEqual([
      "converted",
      "skipped: line 3, column status: 'other' is none of 'ok' (skip[0])",
      "skipped: line 4, column deleted: '2024-01-01' has a value (skip[1]: deleted rows)",
      `rejected: ${input}, line 5: 2 fields where the header has 4`,
    ]);
  });

  it("reads tab-separated text without quoting, trimming fields", async () => {
    const input = tempFile("t.tsv", 'user\tcourse\n u1 \t "c1\n');
    const outcomes = await run(input, mappingWith({ csv: { delimiter: "\t", quote: null, trim: true } }));
    expect(outcomes[0]).toMatchObject({
      kind: "converted",
      statements: [
        { actor: { account: { name: "u1" } }, object: { id: "https://lms.example.org/courses/%22c1" } },
      ],
    });
  });

  it("checks the header against the columns the mapping reads before the first row", async () => {
    const input = tempFile("h.csv", "user,cours\nu1,c1\n");
    await expect(run(input, mappingWith({}))).rejects.toThrow(
      "the mapping reads column 'course' that the header does not have (it has 'user', 'cours')",
    );
  });

  it("names the file and line of a CSV syntax error, and of bytes invalid in the encoding", async () => {
    const unclosed = tempFile("q.csv", 'user,course\nu1,"c1\n');
    await expect(run(unclosed, mappingWith({}))).rejects.toThrow(/q\.csv: CSV syntax error: .*line 2/);
    const bytes = tempFile(
      "b.csv",
      Buffer.from([
        0x75, 0x73, 0x65, 0x72, 0x2c, 0x63, 0x6f, 0x75, 0x72, 0x73, 0x65, 0x0a, 0xff, 0x2c, 0x61, 0x0a,
      ]),
    );
    await expect(run(bytes, mappingWith({}))).rejects.toThrow(
      "b.csv: bytes near offset 0 are not valid utf-8",
    );
  });

  it("reads epoch seconds, epoch milliseconds, ISO with offsets and day-first patterns", () => {
    const iso = (format: string, text: string, zone?: string) => {
      const ms = timeParser(format, zone)(text);
      return typeof ms === "number" ? new Date(ms).toISOString() : ms;
    };
    expect(iso("epoch-seconds", "1700000000")).toBe("2023-11-14T22:13:20.000Z");
    expect(iso("epoch-milliseconds", "1700000000123")).toBe("2023-11-14T22:13:20.123Z");
    expect(iso("iso", "2024-06-01T10:00:00+02:00")).toBe("2024-06-01T08:00:00.000Z");
    expect(iso("iso", "2024-06-01 10:00", "Europe/Paris")).toBe("2024-06-01T08:00:00.000Z");
    expect(iso("iso", "2024-06-01", "America/New_York")).toBe("2024-06-01T04:00:00.000Z");
    expect(iso("DD/MM/YYYY HH:mm", "06/03/2024 12:00", "+05:30")).toBe("2024-03-06T06:30:00.000Z");
    expect(iso("YYYY-MM-DD HH:mm:ss.SSS Z", "2024-03-06 12:00:00.25 -03:00")).toBe(
      "2024-03-06T15:00:00.250Z",
    );
    // Around the spring change in Paris (02:00 CET → 03:00 CEST at 01:00 UTC), and in New York.
    expect(iso("iso", "2024-03-31 01:59:59", "Europe/Paris")).toBe("2024-03-31T00:59:59.000Z");
    expect(iso("iso", "2024-03-31 03:00:00", "Europe/Paris")).toBe("2024-03-31T01:00:00.000Z");
    expect(iso("iso", "2024-11-03 00:59:00", "America/New_York")).toBe("2024-11-03T04:59:00.000Z");
    expect(iso("iso", "2024-11-03 03:00:00", "America/New_York")).toBe("2024-11-03T08:00:00.000Z");
    expect(iso("YYYY-MM-DD", "2024-02-30")).toBe("is not a valid date and time");
    expect(iso("epoch-seconds", "12a")).toBe("is not a number of seconds");
  });
});

describe("csv: the mapping is checked at load, errors naming the key", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["an unknown key", mappingWith({ reslt: {} }), "mapping.reslt: unknown key"],
    ["a missing verb", { ...mappingWith({}), verb: undefined }, "mapping.verb: is required"],
    [
      "two identifiers",
      mappingWith({ actor: { mbox: "{e}", account: { homePage: "https://x.org", name: "{u}" } } }),
      "mapping.actor: needs exactly one identifier",
    ],
    [
      "a bad namespace",
      mappingWith({ id: { namespace: "nope", columns: ["user"] } }),
      "mapping.id.namespace: 'nope' is not a UUID",
    ],
    [
      "an unknown time zone",
      mappingWith({ timestamp: { column: "t", timeZone: "Mars/Olympus" } }),
      "mapping.timestamp.timeZone: 'Mars/Olympus' is not a time zone",
    ],
    [
      "a format without a day",
      mappingWith({ timestamp: { column: "t", format: "YYYY-MM" } }),
      "mapping.timestamp.format: 'YYYY-MM' has no day",
    ],
    [
      "an unclosed placeholder",
      mappingWith({ object: { id: "https://x.org/{course" } }),
      "mapping.object.id: unclosed '{'",
    ],
    [
      "a relative constant IRI",
      mappingWith({ object: { id: "courses/1" } }),
      'mapping.object.id: "courses/1" is not an absolute IRI',
    ],
    [
      "a template for a number",
      mappingWith({ result: { score: { raw: "{score}" } } }),
      "mapping.result.score.raw: a template makes text",
    ],
    [
      "a mapped value of the wrong type",
      mappingWith({ result: { success: { column: "s", map: { Y: "maybe" } } } }),
      'mapping.result.success.map.Y: "maybe" is not a boolean',
    ],
    [
      "a verb IRI that is not one",
      mappingWith({ verb: { column: "s", map: { done: "completed" } } }),
      "mapping.verb.map.done: 'completed' is not an absolute IRI",
    ],
    [
      "an extension key that is not an IRI",
      mappingWith({ context: { extensions: { cohort: "{c}" } } }),
      'mapping.context.extensions["cohort"]: an extension key must be an absolute IRI',
    ],
    [
      "a bad language tag",
      mappingWith({ object: { id: "https://x.org/1", definition: { name: { "en us": "x" } } } }),
      "mapping.object.definition.name.en us: is not a language tag",
    ],
    [
      "an unknown encoding",
      mappingWith({ csv: { encoding: "klingon" } }),
      "mapping.csv.encoding: 'klingon' is not an encoding",
    ],
    [
      "no columns without a header",
      mappingWith({ csv: { header: false } }),
      "mapping.csv.columns: is required when header is false",
    ],
    [
      "a skip rule with two tests",
      mappingWith({ skip: [{ column: "s", in: ["a"], present: true }] }),
      'mapping.skip[0]: needs exactly one of "in", "notIn", "present"',
    ],
  ];
  for (const [what, mapping, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => compileMapping(mapping)).toThrow(message);
    });
  }

  it("refuses to run without a mapping", () => {
    expect(() => csvConverter(undefined)).toThrow("the csv format needs a mapping file");
  });
});

describe("csv: templates", () => {
  it("make a valid IRI whatever the cell holds, and the cell comes back by decoding", () => {
    const mapping = compileMapping(mappingWith({}));
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: "grapheme" }), (course) => {
        const row = { line: 2, cells: { user: "u", course } };
        const id = mapping.object.id.of(row)!;
        expect(isIri(id)).toBe(true);
        expect(decodeURIComponent(id.slice("https://lms.example.org/courses/".length))).toBe(course);
      }),
    );
  });
});
