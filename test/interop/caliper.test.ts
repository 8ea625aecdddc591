import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caliperFormat, caliperVocabulary, convertCaliper } from "../../src/interop/caliper/index.js";
import {
  type Outcome,
  outcomeOf,
  type SourceRecord,
  type XapiStatement,
} from "../../src/interop/converter.js";
import { validateStatement } from "../../src/xapi/index.js";

// biome-ignore lint/suspicious/noExplicitAny: test access to nested statement properties
type Loose = any;

const FIXTURES = join(import.meta.dirname, "fixtures/caliper");
const SHARED = join(import.meta.dirname, "../../../shared/fixtures/caliper");

const read = (dir: string, file: string): unknown => JSON.parse(readFileSync(join(dir, file), "utf8"));
const outcome = (value: unknown, file = "record.json"): Outcome =>
  outcomeOf((v) => convertCaliper(v), { value, position: { file } });

function expectValid(statements: XapiStatement[]): void {
  for (const s of statements) expect(validateStatement(s, "2.0.0")).toEqual([]);
}

function expectVocabulary(statements: XapiStatement[]): void {
  for (const s of statements) {
    const verb = (s.verb as { id: string }).id;
    expect(caliperVocabulary.verbs).toContain(verb);
    const context = s.context as { extensions?: Record<string, unknown> } | undefined;
    for (const key of Object.keys(context?.extensions ?? {}))
      expect(caliperVocabulary.extensions).toContain(key);
    const type = (s.object as { definition?: { type?: string } }).definition?.type;
    if (type?.startsWith("http")) expect(caliperVocabulary.activityTypes).toContain(type);
  }
}

describe("caliper: own fixtures", () => {
  it("maps a MediaEvent per the xAPI video profile, with the course and membership in context", () => {
    const o = outcome(read(FIXTURES, "media-paused.json"));
    expect(o.kind).toBe("converted");
    if (o.kind !== "converted") return;
    const [s] = o.statements as [Loose];
    expectValid(o.statements);
    expectVocabulary(o.statements);
    expect(s.id).toBe("3c1e5a2e-5b0f-4a5e-9d52-0b7d3b1f0a01");
    expect(s.actor).toEqual({
      objectType: "Agent",
      account: { homePage: "https://lms.example.org", name: "https://lms.example.org/users/1001" },
    });
    expect(s.verb.id).toBe("https://w3id.org/xapi/video/verbs/paused");
    expect(s.object.definition.type).toBe("https://w3id.org/xapi/video/activity-type/video");
    expect(s.result.extensions["https://w3id.org/xapi/video/extensions/time"]).toBe(90.5);
    expect(s.context.extensions["https://w3id.org/xapi/video/extensions/length"]).toBe(600);
    expect(s.context.extensions["https://w3id.org/xapi/video/extensions/session-id"]).toBe(
      "https://lms.example.org/sessions/77",
    );
    expect(s.context.contextActivities.category).toEqual([
      { objectType: "Activity", id: "https://w3id.org/xapi/video" },
    ]);
    expect(s.context.contextActivities.grouping.map((a: { id: string }) => a.id)).toEqual([
      "https://lms.example.org/courses/algebra/sections/1",
      "https://lms.example.org/courses/algebra",
    ]);
    expect(s.context.platform).toBe("Player");
    expect(s.context.registration).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.context.extensions["http://purl.imsglobal.org/caliper/membership"]).toEqual({
      id: "https://lms.example.org/courses/algebra/sections/1/rosters/1001",
      roles: ["Learner"],
      status: "Active",
    });
    expect(s.timestamp).toBe("2024-03-04T09:15:00.000Z");
  });

  it("the registration is stable per membership and absent when configured off", () => {
    const event = read(FIXTURES, "media-paused.json");
    const [a] = convertCaliper(event) as [Loose];
    const [b] = convertCaliper(event) as [Loose];
    expect(a.context.registration).toBe(b.context.registration);
    const [c] = convertCaliper(event, { registration: "none", homePage: "https://sso.example.org" }) as [
      Loose,
    ];
    expect(c.context.registration).toBeUndefined();
    expect(c.actor.account.homePage).toBe("https://sso.example.org");
  });

  it("a GradeEvent becomes the learner's scored statement on the assessment, the attempt grouped", () => {
    const o = outcome(read(FIXTURES, "grade-graded.json"));
    expect(o.kind).toBe("converted");
    if (o.kind !== "converted") return;
    expectValid(o.statements);
    const [s] = o.statements as [Loose];
    expect(s.actor.account.name).toBe("https://lms.example.org/users/1001");
    expect(s.verb.id).toBe("http://adlnet.gov/expapi/verbs/scored");
    expect(s.object.id).toBe("https://lms.example.org/quizzes/5");
    expect(s.object.definition.type).toBe("http://adlnet.gov/expapi/activities/assessment");
    expect(s.result.score).toEqual({ raw: 15, min: 0, max: 20, scaled: 0.75 });
    expect(s.context.contextActivities.grouping[0]).toMatchObject({
      id: "https://lms.example.org/quizzes/5/users/1001/attempts/2",
      definition: { type: "http://adlnet.gov/expapi/activities/attempt" },
    });
    expect(s.context.extensions["http://purl.imsglobal.org/caliper/scoredBy"]).toBe(
      "https://lms.example.org/autograder",
    );
  });

  it("an envelope converts each of its events and passes over the entities beside them", () => {
    const o = outcome(read(FIXTURES, "envelope-mixed.json"));
    expect(o.kind).toBe("converted");
    if (o.kind !== "converted") return;
    expect(o.statements).toHaveLength(2);
    expectValid(o.statements);
    const [nav, out] = o.statements as [Loose, Loose];
    expect(nav.verb.id).toBe("http://activitystrea.ms/schema/1.0/access");
    expect(nav.context.contextActivities.other).toEqual([
      { objectType: "Activity", id: "https://lms.example.org/courses/algebra/pages/1" },
    ]);
    expect(out.verb.id).toBe("https://w3id.org/xapi/adl/verbs/logged-out");
  });

  it("refuses entities, anonymous actors and actions the event type does not allow, with the reason", () => {
    expect(outcome(read(FIXTURES, "entity-person.json"))).toMatchObject({
      kind: "skipped",
      reason: "a Caliper entity (Person), not an event",
    });
    expect(outcome(read(FIXTURES, "tooluse-anonymous.json"))).toMatchObject({
      kind: "skipped",
      reason: expect.stringContaining("anonymous actor"),
    });
    expect(outcome(read(FIXTURES, "view-wrong-action.json"))).toMatchObject({
      kind: "rejected",
      reason: 'action: ViewEvent does not allow the action "Deleted"',
    });
  });

  it("names the property at fault, inside an envelope too", () => {
    const event = read(FIXTURES, "media-paused.json") as Record<string, unknown>;
    expect(outcome({ ...event, id: "not-a-uuid" })).toMatchObject({
      kind: "rejected",
      reason: 'id: "not-a-uuid" is not a urn:uuid',
    });
    expect(outcome({ data: [event, { ...event, eventTime: "yesterday" }] })).toMatchObject({
      kind: "rejected",
      reason: "data[1].eventTime: must be an ISO 8601 date-time",
    });
    expect(outcome({ ...event, target: { ...(event.target as object), currentTime: 90 } })).toMatchObject({
      kind: "rejected",
      reason: "target.currentTime: must be an ISO 8601 duration",
    });
  });

  it("runs as a Format over a stream of records, one outcome per record", async () => {
    const files = ["media-paused.json", "entity-person.json", "view-wrong-action.json"];
    async function* records(): AsyncIterable<SourceRecord> {
      for (const file of files) yield { value: read(FIXTURES, file), position: { file } };
    }
    const converter = await caliperFormat.converter({ homePage: "https://lms.example.org" });
    const kinds: string[] = [];
    for await (const o of converter.run(records())) kinds.push(o.kind);
    expect(kinds).toEqual(["converted", "skipped", "rejected"]);
    expect(() => caliperFormat.converter({ registration: "always" })).toThrow(/config.registration/);
  });
});

/** An event, or an envelope with at least one event in `data` (Caliper event types end in "Event"). */
function holdsEvent(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { type?: unknown; data?: unknown };
  if (Array.isArray(v.data)) return v.data.some(holdsEvent);
  return typeof v.type === "string" && v.type.endsWith("Event");
}

describe.skipIf(!existsSync(SHARED))("caliper: 1EdTech caliper-spec fixtures (needs ../shared)", () => {
  for (const version of ["v1p1", "v1p2"]) {
    it(`${version}: every event converts to valid xAPI 2.0; every other file is refused with a reason`, () => {
      const dir = join(SHARED, version);
      const counts = { events: 0, converted: 0, statements: 0, refused: 0, entities: 0, entitiesSkipped: 0 };
      const refusedEvents: string[] = [];
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
        const value = read(dir, file);
        const o = outcome(value, file);
        const isEvent = holdsEvent(value);
        if (isEvent) {
          counts.events++;
          if (o.kind === "converted") {
            counts.converted++;
            counts.statements += o.statements.length;
            expectValid(o.statements);
            expectVocabulary(o.statements);
          } else {
            refusedEvents.push(`${file}: ${o.reason}`);
            expect(o.reason.length).toBeGreaterThan(10);
          }
        } else {
          counts.entities++;
          expect(o.kind).not.toBe("converted");
          if (o.kind !== "converted") {
            expect(o.reason).not.toBe("");
            if (o.kind === "skipped") counts.entitiesSkipped++;
          }
        }
      }
      console.log(`caliper ${version}:`, counts, refusedEvents);
      // Only 1.2's anonymous events are not converted (no learner to speak of): the anonymous ToolUseEvent
      // and the envelope listing every action with an anonymous actor.
      if (version === "v1p1") {
        expect(counts).toMatchObject({ events: 56, converted: 56, statements: 60, entitiesSkipped: 73 });
      } else {
        expect(counts).toMatchObject({ events: 60, converted: 58, statements: 62 });
        expect(refusedEvents.sort()).toEqual([
          expect.stringMatching(/^caliperEnvelopeTermAction.json: anonymous actor/),
          expect.stringMatching(/^caliperEventToolUseUsedAnonymous.json: anonymous actor/),
        ]);
      }
    });
  }

  it("v1p2 error fixtures: malformed events are rejected, naming the property", () => {
    const dir = join(SHARED, "v1p2/commonErrorFixtures");
    const events = readdirSync(dir).filter((f) => f.startsWith("caliperEvent"));
    let rejected = 0;
    for (const file of events) {
      const o = outcome(read(dir, file), file);
      if (o.kind === "rejected") rejected++;
      // These rules are checked: a missing or null core property, an unknown type or action, a wrong action.
      if (
        /-(No|Null)(Id|Type|Actor|Action|Object|EventTime)|Unknown(Action|EventType)|WrongAction|NotAString/.test(
          file,
        )
      ) {
        expect(o.kind, file).toBe("rejected");
      }
    }
    console.log(`caliper v1p2 error fixtures: ${rejected} of ${events.length} event fixtures rejected`);
    expect(rejected).toBeGreaterThanOrEqual(62);
  });
});
