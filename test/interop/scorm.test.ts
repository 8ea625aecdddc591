import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outcomeOf, type XapiStatement } from "../../src/interop/converter.js";
import { convertScorm, scormFormat, scormVocabulary } from "../../src/interop/scorm/index.js";
import { validateStatement } from "../../src/xapi/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures/scorm");
const read = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Record<string, unknown>;

// Statements are read loosely in assertions: their shape is what is under test.
// biome-ignore lint/suspicious/noExplicitAny: test access to nested statement properties
type Loose = any;

const verbsOf = (statements: XapiStatement[]): string[] =>
  statements.map((s) => (s.verb as { id: string }).id.replace("http://adlnet.gov/expapi/verbs/", ""));

function expectValidAndDeclared(statements: XapiStatement[]): void {
  for (const s of statements) {
    expect(validateStatement(s, "2.0.0")).toEqual([]);
    expect(scormVocabulary.verbs).toContain((s.verb as { id: string }).id);
    const type = (s.object as Loose).definition?.type;
    if (type) expect(scormVocabulary.activityTypes).toContain(type);
  }
}

describe("scorm: SCORM 2004 run-time data → ADL xAPI SCORM Profile", () => {
  it("a passed attempt: initialized, the interactions, comment, objective, statuses, terminated", () => {
    const statements = convertScorm(read("attempt-passed.json"));
    expectValidAndDeclared(statements);
    expect(verbsOf(statements)).toEqual([
      "initialized",
      "responded",
      "responded",
      "responded",
      "commented",
      "passed",
      "scored",
      "progressed",
      "completed",
      "passed",
      "scored",
      "terminated",
    ]);
    const all = statements as Loose[];
    for (const s of all) {
      expect(s.actor).toEqual({
        objectType: "Agent",
        name: "Ada Learner",
        account: { homePage: "https://lms.example.org", name: "500-627-490" },
      });
      expect(s.context.registration).toBe("6a3b2e1c-0f4d-4c8e-9b1a-2d3e4f5a6b7c");
      expect(s.context.contextActivities.category).toEqual([
        { objectType: "Activity", id: "https://w3id.org/xapi/scorm" },
      ]);
      expect(s.context.contextActivities.grouping.map((a: { id: string }) => a.id)).toEqual([
        "https://lms.example.org/courses/cs204",
        "https://lms.example.org/courses/cs204/lesson01?attemptId=1",
      ]);
    }
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);

    const [init, q1, q2, q3] = all;
    expect(init.object.definition.type).toBe("http://adlnet.gov/expapi/activities/lesson");
    expect(init.timestamp).toBe("2024-05-02T08:00:00.000Z");
    expect(q1.object).toEqual({
      objectType: "Activity",
      id: "https://lms.example.org/courses/cs204/lesson01/interactions/q1",
      definition: {
        type: "http://adlnet.gov/expapi/activities/cmi.interaction",
        description: { und: "Pick the primes" },
        interactionType: "choice",
        correctResponsesPattern: ["two[,]three"],
      },
    });
    expect(q1.result).toEqual({ response: "two[,]three", success: true, duration: "PT20S" });
    expect(q1.context.contextActivities.parent).toEqual([
      { objectType: "Activity", id: "https://lms.example.org/courses/cs204/lesson01" },
    ]);
    expect(q2.result.success).toBe(false);
    expect(q2.object.definition.correctResponsesPattern).toEqual(["3.1[:]3.2"]);
    expect(q3.object.id).toBe("https://lms.example.org/courses/cs204/lesson01/interactions/q3%20matching");
    expect(q3.result.score).toEqual({ raw: 1 });
    expect(q3.timestamp).toBe("2024-05-02T08:00:00.000Z");

    const objective = all[5];
    expect(objective.object.id).toBe("https://lms.example.org/courses/cs204/lesson01/objectives/obj-if-else");
    expect(objective.result).toEqual({ success: true, score: { scaled: 0.9 } });

    const terminated = all[all.length - 1];
    expect(terminated.timestamp).toBe("2024-05-02T09:02:03.000Z");
    expect(terminated.result).toEqual({
      score: { scaled: 0.8, raw: 8, min: 0, max: 10 },
      success: true,
      completion: true,
      duration: "PT1H2M3S",
    });
  });

  it("a resumed and suspended attempt, its home page from the configuration", () => {
    const statements = convertScorm(read("attempt-suspended.json"), { homePage: "https://lms.example.org" });
    expectValidAndDeclared(statements);
    expect(verbsOf(statements)).toEqual(["resumed", "suspended"]);
    const suspended = statements[1] as Loose;
    expect(suspended.result).toEqual({ completion: false, duration: "PT25M" });
    expect(suspended.timestamp).toBe("2024-05-03T08:30:00.000Z");
    expect(suspended.context.contextActivities.grouping).toEqual([
      {
        objectType: "Activity",
        id: "https://lms.example.org/courses/cs204/lesson02?attemptId=b7d7c0de-1",
        definition: {
          type: "http://adlnet.gov/expapi/activities/attempt",
          name: { und: "Attempt b7d7c0de-1 of Lesson 02" },
        },
      },
    ]);
  });

  it("statement ids are deterministic: the same attempt converts to the same ids", () => {
    const a = convertScorm(read("attempt-passed.json")).map((s) => s.id);
    const b = convertScorm(read("attempt-passed.json")).map((s) => s.id);
    expect(a).toEqual(b);
  });

  it("ADL answered instead of responded when configured", () => {
    const statements = convertScorm(read("attempt-passed.json"), { interactionVerb: "answered" });
    expect(verbsOf(statements).filter((v) => v === "answered")).toHaveLength(3);
  });

  it("refuses what is not SCORM 2004 run-time data, naming the element", () => {
    const reject = (value: unknown) => outcomeOf((v) => convertScorm(v), { value, position: {} });
    expect(reject(read("bad-scorm12.json"))).toMatchObject({
      kind: "rejected",
      reason:
        'cmi["cmi.core.lesson_status"]: is a SCORM 1.2 element: this format reads SCORM 2004 run-time data',
    });
    expect(reject(read("bad-interaction-type.json"))).toMatchObject({
      kind: "rejected",
      reason: 'cmi["cmi.interactions.0.type"]: "multiple-choice" is not a SCORM interaction type',
    });
    const good = read("attempt-passed.json");
    const cmi = good.cmi as Record<string, string>;
    expect(reject({ ...good, cmi: { ...cmi, "cmi.score.scaled": "1.5" } })).toMatchObject({
      reason: 'cmi["cmi.score.scaled"]: 1.5 lies outside [-1, 1]',
    });
    expect(reject({ ...good, cmi: { ...cmi, "cmi.score.raw": "11" } })).toMatchObject({
      reason: 'cmi["cmi.score.raw"]: raw 11 lies outside [min, max]',
    });
    expect(reject({ ...good, cmi: { ...cmi, "cmi.success_status": "ok" } })).toMatchObject({
      reason: expect.stringMatching(/^cmi\["cmi.success_status"\]: "ok" is not one of/),
    });
    expect(reject({ ...good, cmi: { ...cmi, "cmi.session_time": "01:02:03" } })).toMatchObject({
      reason: expect.stringMatching(/^cmi\["cmi.session_time"\]: must be an ISO 8601 duration/),
    });
    expect(reject({ ...good, learner: { id: "x" } })).toMatchObject({
      reason: expect.stringMatching(/^learner.homePage: /),
    });
    expect(reject({ ...good, startedAt: "yesterday" })).toMatchObject({
      reason: expect.stringMatching(/^startedAt: /),
    });
    expect(reject({ ...good, cmi: { ...cmi, "cmi.favourite_colour": "blue" } })).toMatchObject({
      reason: 'cmi["cmi.favourite_colour"]: is not a SCORM 2004 run-time data model element',
    });
  });

  it("runs as a Format, and checks its configuration", async () => {
    const converter = await scormFormat.converter({ homePage: "https://lms.example.org" });
    async function* records() {
      yield { value: read("attempt-suspended.json"), position: { index: 0 } };
      yield { value: read("bad-scorm12.json"), position: { index: 1 } };
    }
    const kinds: string[] = [];
    for await (const o of converter.run(records())) kinds.push(o.kind);
    expect(kinds).toEqual(["converted", "rejected"]);
    expect(() => scormFormat.converter({ interactionVerb: "said" })).toThrow(/config.interactionVerb/);
  });
});
