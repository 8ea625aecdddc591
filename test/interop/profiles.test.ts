import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { profiles } from "../../src/interop/index.js";

const { checkStatement, checkStatements, loadProfile, readProfile, ProfileError } = profiles;
const fixtures = new URL("./fixtures/profiles/", import.meta.url).pathname;
const cmi5 = loadProfile(`${fixtures}cmi5.jsonld`);
const video = loadProfile(`${fixtures}video.jsonld`);
const MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";

function cmi5Statement(verb: string, result: Record<string, unknown>, categories: string[]) {
  return {
    id: "2f4a0d2e-7a0b-4c5e-9d3f-1b2c3d4e5f60",
    timestamp: "2024-03-01T10:00:00Z",
    actor: { account: { homePage: "https://lms.example.org", name: "learner-1" } },
    verb: { id: `http://adlnet.gov/expapi/verbs/${verb}` },
    object: {
      id: "https://example.org/au/1",
      definition: { type: "https://w3id.org/xapi/cmi5/activitytype/au" },
    },
    result,
    context: {
      registration: "ec231e8a-1b1c-4b2f-8f2e-0d9b0e9d7a11",
      contextActivities: {
        grouping: [{ id: "https://example.org/au/1/publisher-id" }],
        category: categories.map((id) => ({ id })),
      },
      extensions: { [SESSION]: "session-7" },
    },
  };
}

describe("xAPI Profiles: statement templates", () => {
  it("reads the shipped cmi5 and video profiles", () => {
    expect(cmi5.id).toBe("https://w3id.org/xapi/cmi5");
    expect(cmi5.templates.map((t) => t.id.split("#")[1])).toEqual([
      "generalrestrictions",
      "launched",
      "initialized",
      "completed",
      "passed",
      "failed",
      "abandoned",
      "waived",
      "terminated",
      "satisfied",
    ]);
    expect(video.templates).toHaveLength(9);
    expect(cmi5.templates[3]!.rules[2]).toEqual({
      location: "$.result.completion",
      presence: "included",
      all: [true],
    });
  });

  it("passes a conformant cmi5 Passed statement: the general restrictions and the Passed template match", () => {
    const report = checkStatement(
      cmi5Statement("passed", { success: true, duration: "PT5M", score: { scaled: 0.9 } }, [MOVEON]),
      cmi5,
    );
    expect(report.valid).toBe(true);
    expect(report.matched.map((m) => m.template)).toEqual([
      "https://w3id.org/xapi/cmi5#generalrestrictions",
      "https://w3id.org/xapi/cmi5#passed",
    ]);
    expect(report.matched.every((m) => m.failures.length === 0)).toBe(true);
  });

  it("reports each broken rule with its JSONPath: included, excluded, all, any, none", () => {
    const passed = checkStatement(cmi5Statement("passed", { success: false, completion: true }, []), cmi5, {
      template: "https://w3id.org/xapi/cmi5#passed",
    });
    expect(passed.valid).toBe(false);
    const failures = passed.matched[0]!.failures;
    expect(failures.map((f) => [f.location, f.requirement])).toEqual([
      ["$.result.success", "all"],
      ["$.result.completion", "excluded"],
      ["$.result.duration", "included"],
      ["$.context.contextActivities.category[*].id", "included"],
    ]);
    expect(failures[0]).toMatchObject({ found: [false], message: "must hold only values among [true]" });
    expect(failures[2]!.scopeNote).toMatch(/duration as the time spent/);
    expect(passed.matched[0]!.recommendations.map((r) => r.location)).toEqual(["$.result.score"]);

    const initialized = checkStatement(cmi5Statement("initialized", {}, [MOVEON]), cmi5);
    const init = initialized.matched.find((m) => m.template.endsWith("#initialized"))!;
    expect(init.failures).toEqual([
      expect.objectContaining({
        location: "$.context.contextActivities.category[*].id",
        requirement: "none",
      }),
    ]);

    const completed = checkStatement(
      cmi5Statement("completed", { completion: true, duration: "PT1M" }, ["https://example.org/other"]),
      cmi5,
    );
    expect(completed.matched.find((m) => m.template.endsWith("#completed"))!.failures).toEqual([
      expect.objectContaining({ requirement: "any", found: ["https://example.org/other"] }),
    ]);
  });

  it("says why a statement does not match a chosen template", () => {
    const report = checkStatement(cmi5Statement("failed", { success: false }, [MOVEON]), cmi5, {
      template: "https://w3id.org/xapi/cmi5#passed",
    });
    expect(report).toMatchObject({
      valid: false,
      matched: [],
      mismatch:
        "does not match https://w3id.org/xapi/cmi5#passed: its verb is http://adlnet.gov/expapi/verbs/failed, not http://adlnet.gov/expapi/verbs/passed",
    });
    expect(() => checkStatement({}, cmi5, { template: "https://nope" })).toThrow(/has no template/);
  });

  it("matches on the object's activity type and the context activity types", () => {
    const played = {
      id: "a1",
      timestamp: "2024-01-01T00:00:00Z",
      verb: { id: "https://w3id.org/xapi/video/verbs/played" },
      object: { id: "https://example.org/v", definition: { type: "http://example.org/not-a-video" } },
      result: { extensions: { "https://w3id.org/xapi/video/extensions/time": 3 } },
    };
    expect(checkStatement(played, video).matched).toEqual([]);
    played.object.definition.type = "https://w3id.org/xapi/video/activity-type/video";
    expect(checkStatement(played, video)).toMatchObject({ valid: true, matched: [{ failures: [] }] });

    const custom = readProfile({
      id: "https://example.org/profile",
      templates: [
        {
          "@id": "https://example.org/profile#t",
          contextCategoryActivityType: ["https://example.org/types/c"],
          attachmentUsageType: ["https://example.org/usage/cert"],
          rules: [{ location: "$.result.score.raw | $.result.score.scaled", presence: "included" }],
        },
      ],
    });
    const statement = {
      verb: { id: "x" },
      context: {
        contextActivities: { category: [{ id: "c", definition: { type: "https://example.org/types/c" } }] },
      },
      attachments: [{ usageType: "https://example.org/usage/cert" }],
      result: { score: { scaled: 0.5 } },
    };
    expect(checkStatement(statement, custom)).toMatchObject({ valid: true, matched: [{ failures: [] }] });
    expect(checkStatement({ ...statement, attachments: [] }, custom).matched).toEqual([]);
    expect(checkStatement({ ...statement, result: {} }, custom).valid).toBe(false);
  });

  it("refuses profile documents it cannot use, saying where", () => {
    expect(() => readProfile({ templates: [] })).toThrow(ProfileError);
    expect(() => readProfile({ id: "p", templates: [{ id: "t", rules: [{ location: "$.a" }] }] })).toThrow(
      "templates[0].rules[0] must have at least one of presence, any, all, none",
    );
    expect(() =>
      readProfile({ id: "p", templates: [{ id: "t", rules: [{ location: "$.a", presence: "maybe" }] }] }),
    ).toThrow(/presence must be included, excluded or recommended/);
  });

  const funMooc = new URL("../../../shared/data/fun-mooc-xapi/statements.json.gz", import.meta.url).pathname;
  it.skipIf(!existsSync(funMooc))(
    "checks real video statements (FUN-MOOC) against the video profile",
    async () => {
      let count = 0;
      const templatesByVerb = new Map<string, Set<string>>();
      for await (const report of checkStatements(video, funMooc)) {
        expect(report.malformed).toBeUndefined();
        for (const m of report.matched) {
          const verb = m.template.split("#")[1]!;
          templatesByVerb.set(verb, (templatesByVerb.get(verb) ?? new Set()).add(String(report.valid)));
        }
        if (++count === 2000) break;
      }
      expect(count).toBe(2000);
      expect([...templatesByVerb.keys()]).toEqual(expect.arrayContaining(["played", "paused", "seeked"]));
    },
  );
});
