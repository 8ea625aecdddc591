// The edx converter on events of our own (test/interop/fixtures/edx), its configuration, its statement
// ids, and its answers to bad input. The reference pairs of ../shared are in edx.fixtures.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConversionError, type Outcome, type SourceRecord, Unmapped } from "../../src/interop/converter.js";
import { getData, scopeData } from "../../src/interop/edx/event.js";
import {
  deriveAnonymousId,
  edxConverter,
  edxEventNames,
  edxFormat,
  edxVocabulary,
  erbUuid5,
} from "../../src/interop/edx/index.js";
import {
  isoDuration,
  isoTimestamp,
  pyJsonDumps,
  pyStr,
  secondsToFloat,
} from "../../src/interop/edx/python.js";

const fixtures = join(import.meta.dirname, "fixtures/edx");
const config = JSON.parse(readFileSync(join(fixtures, "config.json"), "utf8"));
const convert = edxConverter(config);
const read = (file: string) => JSON.parse(readFileSync(join(fixtures, file), "utf8"));
const cases = readdirSync(fixtures)
  .filter((file) => file.endsWith(".input.json"))
  .map((file) => file.slice(0, -".input.json".length));

const video = () => read("seek_video.input.json");

function rejection(event: unknown, cfg: unknown = config): ConversionError {
  try {
    edxConverter(cfg)(event);
  } catch (error) {
    if (error instanceof ConversionError) return error;
    throw error;
  }
  throw new Error("expected a ConversionError");
}

describe("edx: own fixtures", () => {
  it.each(cases)("%s", (name) => {
    const [statement, ...rest] = convert(read(`${name}.input.json`));
    expect(rest).toEqual([]);
    const { id, ...withoutId } = statement!;
    expect(withoutId).toEqual(read(`${name}.expected.json`));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("edx: statement ids (ERB's UUIDv5 over verb, actor and timestamp)", () => {
  it("are the UUIDv5 of the actor's JSON and the raw timestamp under the verb's namespace", () => {
    const [statement] = convert(video());
    const verb = '{"id": "https://w3id.org/xapi/video/verbs/seeked", "display": {"en": "seeked"}}';
    const actor =
      '{"objectType": "Agent", "account": {"name": "6f1d8c0e-3a52-4a8e-9c1b-2d7e4f5a6b7c", "homePage": "https://lms.example.org"}}';
    expect(statement!.id).toBe(erbUuid5(verb, `${actor}-2024-03-01T10:00:00Z`));
  });

  it("hash the raw timestamp whatever its length (short, long fraction) from the learner's cached prefix", () => {
    const verb = '{"id": "https://w3id.org/xapi/video/verbs/seeked", "display": {"en": "seeked"}}';
    const actor =
      '{"objectType": "Agent", "account": {"name": "6f1d8c0e-3a52-4a8e-9c1b-2d7e4f5a6b7c", "homePage": "https://lms.example.org"}}';
    for (const timestamp of [
      "2024-03-01T10:00Z",
      "2024-03-01T10:00:00.123456+00:00",
      "2024-03-01T10:00:00.5-0500",
      `2024-03-01T10:00:00.${"1234567890".repeat(8)}+01:00`,
      "2024-03-01T10:00:00Z",
    ]) {
      expect(convert({ ...video(), timestamp })[0]!.id).toBe(erbUuid5(verb, `${actor}-${timestamp}`));
    }
  });

  it("are deterministic and change with the timestamp and the learner", () => {
    const first = convert(video())[0]!.id;
    expect(convert(video())[0]!.id).toBe(first);
    expect(convert({ ...video(), timestamp: "2024-03-01T10:00:01Z" })[0]!.id).not.toBe(first);
    const bob = { ...video(), context: { ...video().context, username: "bob" } };
    const withBob = edxConverter({
      ...config,
      anonymousIds: { bob: "11111111-2222-4333-8444-555555555555" },
    });
    expect(withBob(bob)[0]!.id).not.toBe(first);
  });

  it("matches a known ERB value (the producer's play_video fixture)", () => {
    const actor =
      '{"objectType": "Agent", "account": {"name": "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb", "homePage": "http://localhost:18000"}}';
    const verb = '{"id": "https://w3id.org/xapi/video/verbs/played", "display": {"en": "played"}}';
    expect(erbUuid5(verb, `${actor}-2020-07-15T06:52:55.057099+00:00`)).toBe(
      "203e182c-6a2d-5458-9c61-a271297d459a",
    );
  });

  it("gives each question of a multi-question problem_check its own id and a StatementRef to the group", () => {
    const event = {
      name: "problem_check",
      timestamp: "2024-03-04T09:00:00.000000+00:00",
      context: { course_id: "course-v1:Learnpool+VID101+2024", username: "alice", event_source: "server" },
      data: {
        problem_id: "block-v1:Learnpool+VID101+2024+type@problem+block@p1",
        grade: 1,
        max_grade: 2,
        attempts: 1,
        submission: {
          p1_2_1: {
            question: "Two plus two?",
            answer: "4",
            response_type: "numericalresponse",
            correct: true,
          },
          p1_3_1: { question: "Pick", answer: ["a", "é"], response_type: "choiceresponse", correct: false },
        },
      },
    };
    const [group, first, second] = convert(event);
    expect((group!.object as Record<string, unknown>).objectType).toBe("GroupActivity");
    expect(group!.result).toEqual({
      success: true,
      response: "4",
      score: { min: 0, max: 2, raw: 1, scaled: 0.5 },
    });
    expect((first!.object as Record<string, unknown>).id).toBe(
      "https://lms.example.org/xblock/block-v1:Learnpool+VID101+2024+type@problem+block@p1_2_1",
    );
    expect(first!.result).toEqual({ success: true, response: "4" });
    expect(second!.result).toEqual({ success: false, response: '["a", "é"]' });
    for (const child of [first!, second!]) {
      expect((child.context as Record<string, unknown>).statement).toEqual({
        objectType: "StatementRef",
        id: group!.id,
      });
    }
    expect(new Set([group!.id, first!.id, second!.id]).size).toBe(3);
  });
});

describe("edx: configuration", () => {
  it("looks learners up by username or user id, then derives ids from a secret, then uses the fixed id", () => {
    const byUserId = { ...video(), context: { ...video().context, username: undefined } };
    const tables = edxConverter({
      ...config,
      anonymousIds: { "41": "22222222-2222-4222-8222-222222222222" },
    });
    expect((tables(byUserId)[0]!.actor as { account: { name: string } }).account.name).toBe(
      "22222222-2222-4222-8222-222222222222",
    );
    const keyed = edxConverter({ ...config, anonymousIds: {}, anonymousIdSecret: "s3cret" });
    const derived = (keyed(video())[0]!.actor as { account: { name: string } }).account.name;
    expect(derived).toBe(deriveAnonymousId("s3cret", "alice"));
    expect(derived).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveAnonymousId("other", "alice")).not.toBe(derived);
    const fixed = edxConverter({
      ...config,
      anonymousIds: {},
      anonymousId: "33333333-3333-4333-8333-333333333333",
    });
    expect((fixed(video())[0]!.actor as { account: { name: string } }).account.name).toBe(
      "33333333-3333-4333-8333-333333333333",
    );
  });

  it("refuses a configuration without platformUrl or transformerVersion, naming the key", () => {
    expect(() => edxConverter({ transformerVersion: "x" })).toThrow(/platformUrl/);
    expect(() => edxConverter({ platformUrl: "http://lms" })).toThrow(/transformerVersion/);
    expect(() => edxConverter(undefined)).toThrow(/--config/);
    expect(() => edxConverter({ ...config, courseNames: { a: 1 } })).toThrow(/courseNames\.a/);
  });

  it("reads raw tracking.log lines when trackingLog is set (event as a JSON string, time)", () => {
    const line = {
      name: "play_video",
      event_type: "play_video",
      time: "2024-03-01T10:00:00.000000+00:00",
      context: { course_id: "course-v1:Learnpool+VID101+2024", username: "alice" },
      event: '{"id": "intro", "currentTime": 3.14251, "duration": 120}',
    };
    const [statement] = edxConverter({ ...config, trackingLog: true })(line);
    expect(statement!.result).toEqual({
      extensions: { "https://w3id.org/xapi/video/extensions/time": 3.143 },
    });
    expect(statement!.timestamp).toBe("2024-03-01T10:00:00+00:00");
    expect(() => convert(line)).toThrow(ConversionError);
  });
});

describe("edx: bad input is rejected with the property at fault", () => {
  it("names the missing event name", () => {
    const error = rejection({ timestamp: "2024-03-01T10:00:00Z", context: {} });
    expect(error.path).toBe("event_type");
    expect(error.message).toMatch(/event name/);
    expect(rejection({ name: 42 }).path).toBe("name");
  });

  it("refuses a record that is not an object", () => {
    expect(rejection([1, 2]).message).toMatch(/JSON object/);
    expect(rejection("play_video").message).toMatch(/JSON object/);
  });

  it("names a missing required field", () => {
    expect(rejection({ ...video(), data: { old_time: 1 } }).path).toBe("data.id");
    expect(rejection({ ...video(), context: { username: "alice" } }).path).toBe("context.course_id");
    const comment = read("edx.forum.comment.created.input.json");
    expect(rejection({ ...comment, context: { ...comment.context, path: "" } }).path).toBe("context.path");
    expect(
      rejection({ name: "edx.grades.subsection.grade_calculated", context: { username: "alice" }, data: {} })
        .path,
    ).toBe("data.block_id");
    expect(
      rejection({
        name: "edx.ui.lms.link_clicked",
        context: { username: "alice" },
        data: { current_url: "x" },
      }).path,
    ).toBe("data.target_url");
  });

  it("names a malformed value", () => {
    expect(rejection({ ...video(), timestamp: "yesterday" }).path).toBe("timestamp");
    expect(rejection({ ...video(), timestamp: "2024-03-01T10:00:00" }).message).toMatch(/time zone/);
    expect(rejection({ ...video(), data: { id: "intro", old_time: "soon" } }).path).toBe("data.old_time");
    const speed = read("speed_change_video.input.json");
    expect(rejection({ ...speed, data: { ...speed.data, new_speed: 2 } }).path).toBe("data.new_speed");
  });

  it("refuses a learner no configured source of anonymous ids covers", () => {
    const error = rejection({ ...video(), context: { ...video().context, username: "mallory", user_id: 9 } });
    expect(error.path).toBe("context.username");
    // Where, never who: the username is an identifier.
    expect(error.message).toMatch(/no anonymous id for this event's learner/);
    expect(error.message).not.toMatch(/mallory/);
    const anonymous = { ...video(), context: { course_id: "course-v1:Learnpool+VID101+2024" } };
    expect(rejection(anonymous).message).toMatch(/anonymous user/);
  });
});

describe("edx: events ERB does not map", () => {
  it("are skipped with the event name; every outcome keeps its record's position", async () => {
    const records: SourceRecord[] = [
      {
        value: { name: "edx.certificate.created", timestamp: "2024-03-01T10:00:00Z" },
        position: { line: 1 },
      },
      { value: video(), position: { line: 2 } },
      { value: { timestamp: "2024-03-01T10:00:00Z" }, position: { line: 3 } },
    ];
    async function* source() {
      yield* records;
    }
    const outcomes: Outcome[] = [];
    const converter = await edxFormat.converter(config);
    for await (const outcome of converter.run(source())) outcomes.push(outcome);
    expect(outcomes.map((outcome) => [outcome.kind, outcome.position.line])).toEqual([
      ["skipped", 1],
      ["converted", 2],
      ["rejected", 3],
    ]);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining("edx.certificate.created") });
    expect(() => convert({ name: "edx.bookmark.added" })).toThrow(Unmapped);
  });

  it("registers every event name of ERB's xAPI processor", () => {
    expect(edxEventNames.length).toBe(73);
    for (const name of [
      "edx.video.position.changed",
      "video_show_cc_menu",
      "edx.problem.hint.demandhint_displayed",
    ]) {
      expect(edxEventNames).toContain(name);
    }
  });
});

describe("edx: vocabulary", () => {
  it("lists every verb, activity type and extension the own fixtures emit", () => {
    for (const name of cases) {
      const [statement] = convert(read(`${name}.input.json`));
      const s = statement as Record<string, Record<string, Record<string, unknown>>>;
      expect(edxVocabulary.verbs).toContain(s.verb!.id);
      expect(edxVocabulary.activityTypes).toContain(s.object!.definition!.type);
      const keys = [
        ...Object.keys(s.context!.extensions ?? {}),
        ...Object.keys((s.result?.extensions as object) ?? {}),
      ];
      for (const key of keys) expect(edxVocabulary.extensions).toContain(key);
    }
  });
});

describe("edx: the Python behaviours ERB's output depends on", () => {
  it("writes durations as tincan does", () => {
    expect(isoDuration(195)).toBe("PT03M15S");
    expect(isoDuration(1.5)).toBe("PT01.5S");
    expect(isoDuration(90061.25)).toBe("P1DT01H01M01.25S");
    expect(isoDuration(0)).toBe("PT00S");
  });

  it("rounds seconds to 3 decimals as Python's format does, exact ties to even", () => {
    expect(secondsToFloat(0.03278805340576172, "t")).toBe(0.033);
    expect(secondsToFloat(0.0625, "t")).toBe(0.062);
    expect(secondsToFloat("16.633879", "t")).toBe(16.634);
    expect(secondsToFloat(0, "t")).toBe(0);
    expect(secondsToFloat(undefined, "t")).toBeUndefined();
  });

  it("writes timestamps as datetime.isoformat() does", () => {
    expect(isoTimestamp("2020-07-15T06:52:55.057099+00:00", "t")).toBe("2020-07-15T06:52:55.057099+00:00");
    expect(isoTimestamp("2020-07-15T06:52:55Z", "t")).toBe("2020-07-15T06:52:55+00:00");
    expect(isoTimestamp("2020-07-15T06:52:55.000000+00:00", "t")).toBe("2020-07-15T06:52:55+00:00");
    expect(isoTimestamp("2020-07-15T06:52:55.5-0500", "t")).toBe("2020-07-15T06:52:55.500000-05:00");
    expect(isoTimestamp("2020-07-15T06:52:55.057099-00:00", "t")).toBe("2020-07-15T06:52:55.057099+00:00");
    expect(isoTimestamp("2020-07-15T06:52:55.057099-05:30", "t")).toBe("2020-07-15T06:52:55.057099-05:30");
    expect(() => isoTimestamp("2020-07-15T06:52:55.05709x+00:00", "t")).toThrow(ConversionError);
  });

  it("rounds seconds to 3 decimals as Python does, whole numbers as they are", () => {
    expect(secondsToFloat(195, "t")).toBe(195);
    expect(secondsToFloat(-0, "t")).toBe(0);
    expect(secondsToFloat("12", "t")).toBe(12);
    expect(secondsToFloat(0.0005, "t")).toBe(0.001);
    expect(secondsToFloat(0.0625, "t")).toBe(0.062);
    expect(secondsToFloat(0.1875, "t")).toBe(0.188);
    expect(secondsToFloat(-0.0625, "t")).toBe(-0.062);
    expect(secondsToFloat(2.0005, "t")).toBe(2.001);
    expect(secondsToFloat(12.3456, "t")).toBe(12.346);
  });

  it("writes JSON and str() as Python does", () => {
    expect(pyJsonDumps({ a: [1, "é"], b: null })).toBe('{"a": [1, "\\u00e9"], "b": null}');
    expect(pyJsonDumps(["é"], false)).toBe('["é"]');
    expect(pyStr({ k: ["choice_0", true, null], "it's": 'say "hi"' })).toBe(
      `{'k': ['choice_0', True, None], "it's": 'say "hi"'}`,
    );
  });
});

describe("edx: reading events as ERB's get_data does", () => {
  it("finds username, timestamp and session in one traversal exactly as three findNested searches", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const keys = ["username", "timestamp", "session", "a", "b"];
    const leaves = [null, "", "x", "y", 0, [], {}, false, 3];
    const nested = (depth: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      const count = Math.floor(random() * 5);
      for (let i = 0; i < count; i++) {
        const key = keys[Math.floor(random() * keys.length)]!;
        out[key] =
          depth < 4 && random() < 0.4 ? nested(depth + 1) : leaves[Math.floor(random() * leaves.length)];
      }
      return out;
    };
    for (let i = 0; i < 20_000; i++) {
      const event = nested(0);
      const found = scopeData(event);
      expect([found.username, found.timestamp, found.session]).toEqual([
        getData(event, "username"),
        getData(event, "timestamp"),
        getData(event, "session"),
      ]);
    }
  });
});
