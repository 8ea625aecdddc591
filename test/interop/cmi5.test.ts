import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cmi5Format, cmi5Vocabulary, convertCmi5 } from "../../src/interop/cmi5/index.js";
import { outcomeOf, type XapiStatement } from "../../src/interop/converter.js";
import { validateStatement } from "../../src/xapi/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures/cmi5");
const read = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Record<string, unknown>;

// biome-ignore lint/suspicious/noExplicitAny: test access to nested statement properties
type Loose = any;

const CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";

const reject = (value: unknown) => outcomeOf((v) => convertCmi5(v), { value, position: {} });

function expectValidAndDeclared(statements: XapiStatement[]): void {
  for (const s of statements) {
    expect(validateStatement(s, "2.0.0")).toEqual([]);
    expect(cmi5Vocabulary.verbs).toContain((s.verb as { id: string }).id);
    for (const key of Object.keys((s.context as Loose).extensions ?? {}))
      expect(cmi5Vocabulary.extensions).toContain(key);
    for (const key of Object.keys((s.result as Loose)?.extensions ?? {}))
      expect(cmi5Vocabulary.extensions).toContain(key);
  }
}

/** A session with its events replaced, for the rule tests. */
function withEvents(file: string, events: unknown[], au?: Record<string, unknown>): Record<string, unknown> {
  const record = read(file);
  return { ...record, au: { ...(record.au as object), ...au }, events };
}
const T = (minute: number) => `2024-06-01T10:${String(minute).padStart(2, "0")}:00.000Z`;

describe("cmi5: AU sessions → cmi5 defined statements", () => {
  it("a passed session: launched … satisfied, with categories, session id and launch data", () => {
    const statements = convertCmi5(read("session-passed.json")) as Loose[];
    expectValidAndDeclared(statements);
    expect(statements.map((s) => s.verb.display["en-US"])).toEqual([
      "launched",
      "initialized",
      "completed",
      "passed",
      "terminated",
      "satisfied",
    ]);
    for (const s of statements) {
      expect(s.context.registration).toBe("0f2b8e7a-3c4d-4e5f-8a9b-1c2d3e4f5a6b");
      expect(s.context.extensions[SESSION]).toBe("c8f1a0b2-77e4-4d1e-9f00-aa11bb22cc33");
      expect(s.context.contextActivities.category[0]).toEqual({ objectType: "Activity", id: CMI5 });
      expect(s.context.contextActivities.grouping).toEqual([
        { objectType: "Activity", id: "https://publisher.example.com/safety/quiz" },
      ]);
    }
    const [launched, initialized, completed, passed, terminated, satisfied] = statements;
    expect(launched.verb.id).toBe("http://adlnet.gov/expapi/verbs/launched");
    expect(launched.context.extensions).toEqual({
      [SESSION]: "c8f1a0b2-77e4-4d1e-9f00-aa11bb22cc33",
      "https://w3id.org/xapi/cmi5/context/extensions/launchmode": "Normal",
      "https://w3id.org/xapi/cmi5/context/extensions/moveon": "CompletedAndPassed",
      "https://w3id.org/xapi/cmi5/context/extensions/launchurl":
        "https://content.example.com/safety/quiz/index.html",
      "https://w3id.org/xapi/cmi5/context/extensions/masteryscore": 0.7,
    });
    expect(initialized.result).toBeUndefined();
    expect(completed.result).toEqual({ completion: true, duration: "PT19M58S" });
    expect(completed.context.contextActivities.category).toContainEqual({
      objectType: "Activity",
      id: MOVEON,
    });
    expect(passed.result).toEqual({
      success: true,
      score: { scaled: 0.85, raw: 17, min: 0, max: 20 },
      duration: "PT19M59S",
    });
    expect(passed.context.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"]).toBe(0.7);
    expect(terminated.result).toEqual({ duration: "PT20M3S" });
    expect(terminated.context.contextActivities.category).not.toContainEqual({
      objectType: "Activity",
      id: MOVEON,
    });
    expect(satisfied.verb.id).toBe("https://w3id.org/xapi/adl/verbs/satisfied");
    expect(satisfied.object).toEqual({
      objectType: "Activity",
      id: "https://lms.example.org/cmi5/courses/safety",
      definition: { type: "https://w3id.org/xapi/cmi5/activitytype/course", name: { und: "Fire safety" } },
    });
    expect(new Set(statements.map((s) => s.id)).size).toBe(6);
    expect(convertCmi5(read("session-passed.json")).map((s) => s.id)).toEqual(statements.map((s) => s.id));
  });

  it("an abandoned session", () => {
    const statements = convertCmi5(read("session-abandoned.json")) as Loose[];
    expectValidAndDeclared(statements);
    expect(statements.map((s) => s.verb.id)).toEqual([
      "http://adlnet.gov/expapi/verbs/launched",
      "http://adlnet.gov/expapi/verbs/initialized",
      "https://w3id.org/xapi/adl/verbs/abandoned",
    ]);
    expect(statements[2].result).toEqual({ duration: "PT1H" });
  });

  it("a waived AU carries success, completion and the reason", () => {
    const [waived] = convertCmi5(
      withEvents("session-abandoned.json", [{ verb: "waived", timestamp: T(1), reason: "Tested Out" }]),
    ) as Loose[];
    expect(validateStatement(waived, "2.0.0")).toEqual([]);
    expect(waived.result).toEqual({
      success: true,
      completion: true,
      extensions: { "https://w3id.org/xapi/cmi5/result/extensions/reason": "Tested Out" },
    });
  });

  it("refuses passed below the masteryScore and events after terminated, with the rule", () => {
    expect(reject(read("bad-passed-below-mastery.json"))).toMatchObject({
      kind: "rejected",
      reason: "events[2].score.scaled: passed with 0.5, below the masteryScore 0.7 (§9.3.4)",
    });
    expect(reject(read("bad-after-terminated.json"))).toMatchObject({
      kind: "rejected",
      reason: 'events[3].verb: no "completed" after the session was terminated',
    });
  });

  it("refuses the other broken rules of a session", () => {
    const launched = { verb: "launched", timestamp: T(0) };
    const initialized = { verb: "initialized", timestamp: T(1) };
    const cases: [unknown[], Record<string, unknown> | undefined, string][] = [
      [
        [launched, { verb: "completed", timestamp: T(2), duration: "PT1M" }],
        undefined,
        'events[1].verb: the AU must be initialized before "completed"',
      ],
      [
        [launched, initialized, { verb: "completed", timestamp: T(2) }],
        undefined,
        'events[2].duration: a "completed" statement carries the session\'s duration (§9.5.4.1)',
      ],
      [
        [launched, initialized, { verb: "terminated", timestamp: T(2) }],
        undefined,
        'events[2].duration: a "terminated" statement carries the session\'s duration (§9.5.4.1)',
      ],
      [
        [launched, initialized, { verb: "failed", timestamp: T(2), score: { scaled: 0.9 } }],
        { masteryScore: 0.7 },
        "events[2].score.scaled: failed with 0.9, at or above the masteryScore 0.7 (§9.3.5)",
      ],
      [
        [launched, initialized, { verb: "passed", timestamp: T(2) }],
        { masteryScore: 0.7 },
        "events[2].score.scaled: with a masteryScore, passed carries score.scaled (§9.3.4)",
      ],
      [
        [launched, initialized, { verb: "passed", timestamp: T(2) }, { verb: "failed", timestamp: T(3) }],
        { masteryScore: undefined },
        "events[3].verb: no failed after the AU has passed (§9.3.5)",
      ],
      [
        [launched, initialized, { verb: "completed", timestamp: T(2), duration: "PT1M" }],
        { launchMode: "Browse" },
        'events[2].verb: an AU launched in Browse mode must not send "completed" (§10.2.2)',
      ],
      [
        [initialized, { verb: "launched", timestamp: T(2) }],
        undefined,
        "events[1].verb: launched opens the session: it comes first",
      ],
      [
        [launched, { verb: "initialized", timestamp: "2024-06-01T09:00:00.000Z" }],
        undefined,
        "events[1].timestamp: goes back in time (before 2024-06-01T10:00:00.000Z)",
      ],
      [
        [launched, { verb: "resumed", timestamp: T(1) }],
        undefined,
        "events[1].verb: must be one of launched, initialized, completed, passed, failed, abandoned, waived, terminated, satisfied",
      ],
      [
        [{ verb: "waived", timestamp: T(1), reason: "Bored" }],
        undefined,
        'events[0].reason: must be one of "Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative" (§9.3.9)',
      ],
      [
        [launched, initialized, { verb: "passed", timestamp: T(2), score: { scaled: 1.2 } }],
        { masteryScore: undefined },
        "events[2].score.scaled: 1.2 lies outside [0, 1] (§9.5.1)",
      ],
    ];
    for (const [events, au, reason] of cases) {
      expect(reject(withEvents("session-passed.json", events, au))).toMatchObject({
        kind: "rejected",
        reason,
      });
    }
    expect(reject({ ...read("session-passed.json"), registration: "r-1" })).toMatchObject({
      reason: "registration: must be the registration's UUID",
    });
    expect(reject({ ...read("session-passed.json"), actor: { mbox: "mailto:a@example.org" } })).toMatchObject(
      {
        reason: expect.stringMatching(/^actor: must be an Agent with an account/),
      },
    );
  });

  it("runs as a Format: one outcome per session", async () => {
    const converter = await cmi5Format.converter(undefined);
    async function* records() {
      yield { value: read("session-passed.json"), position: { line: 1 } };
      yield { value: read("bad-after-terminated.json"), position: { line: 2 } };
    }
    const kinds: string[] = [];
    for await (const o of converter.run(records())) kinds.push(o.kind);
    expect(kinds).toEqual(["converted", "rejected"]);
  });
});
