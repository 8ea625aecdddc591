import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outcomeOf, type XapiStatement } from "../../src/interop/converter.js";
import {
  convertMoodleRecord,
  databaseInput,
  moodleConfigOf,
  moodleEventNames,
  moodleFormat,
  moodleVocabulary,
  parseOther,
} from "../../src/interop/moodle/index.js";
import { stringToUuidV5 } from "../../src/interop/moodle/statement.js";
import { validateStatement } from "../../src/xapi/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures/moodle");
type Json = Record<string, unknown>;
const read = (file: string): Json => JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
const config = moodleConfigOf(read("config.json"));
const shared = read("shared-rows.json") as Record<string, Json[]>;

/** A fixture record with the rows every fixture shares (courses, users, modules) added. */
function fixture(file: string): { event: Json; data: Record<string, Json[]> } {
  const record = read(file) as { event: Json; data: Record<string, Json[]> };
  return { event: record.event, data: { ...shared, ...record.data } };
}

const convert = (file: string): XapiStatement[] => convertMoodleRecord(fixture(file), config);
const get = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, key) => (v as Json | undefined)?.[key], value);

function expectInVocabulary(statements: XapiStatement[]): void {
  for (const s of statements) {
    expect(validateStatement(s, "2.0.0")).toEqual([]);
    expect(moodleVocabulary.verbs).toContain(get(s, "verb.id"));
    const type = get(s, "object.definition.type");
    if (type !== undefined) expect(moodleVocabulary.activityTypes).toContain(type);
    for (const key of Object.keys((get(s, "context.extensions") as Json) ?? {})) {
      expect(moodleVocabulary.extensions).toContain(key);
    }
  }
}

describe("moodle: own fixtures", () => {
  it("a page viewed: the module as object, its section and course as parents, the site as category", () => {
    const [s, ...rest] = convert("page-viewed.json");
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      actor: { name: "Aïcha Benali", account: { homePage: "https://moodle.example.edu", name: "31" } },
      verb: { id: "http://id.tincanapi.com/verb/viewed", display: { en: "Viewed" } },
      object: {
        id: "https://moodle.example.edu/mod/page/view.php?id=701",
        definition: {
          type: "https://w3id.org/xapi/acrossx/activities/page",
          name: { fr: "Moyenne et médiane" },
          description: { fr: "Lire avant la séance." },
        },
      },
      timestamp: "2023-11-14T22:13:20.000Z",
      context: {
        platform: "Moodle",
        language: "fr",
        registration: stringToUuidV5("learnpool-test"),
        contextActivities: {
          category: [
            { id: "https://moodle.example.edu", definition: { name: { fr: "Learnpool Demo Site" } } },
          ],
          parent: [
            {
              id: "https://moodle.example.edu/course/section.php?id=70",
              definition: { name: { fr: "Semaine 2" } },
            },
            { id: "https://moodle.example.edu/course/view.php?id=7" },
          ],
        },
      },
    });
    expect(get(s, "context.extensions")).toEqual({
      "http://lrs.learninglocker.net/define/extensions/info": {
        "http://moodle.org": "4.3",
        "https://github.com/xAPI-vle/moodle-logstore_xapi": "0.0.0-development",
        event_name: "\\mod_page\\event\\course_module_viewed",
        event_function: "\\src\\transformer\\events\\all\\course_module_viewed",
      },
    });
    expectInVocabulary([s as XapiStatement]);
  });

  it("a forum reply: the post inside its discussion, forum, section and course", () => {
    const [s] = convert("forum-post-created.json");
    expect(get(s, "verb.id")).toBe("http://id.tincanapi.com/verb/replied");
    expect(get(s, "object.id")).toBe("https://moodle.example.edu/mod/forum/discuss.php?d=21#p51");
    expect(get(s, "object.definition.description")).toEqual({
      fr: "On prend la moyenne des deux valeurs centrales.",
    });
    const parents = get(s, "context.contextActivities.parent") as Json[];
    expect(parents.map((p) => p.id)).toEqual([
      "https://moodle.example.edu/mod/forum/discuss.php?d=21",
      "https://moodle.example.edu/mod/forum/view.php?id=702",
      "https://moodle.example.edu/course/section.php?id=70",
      "https://moodle.example.edu/course/view.php?id=7",
    ]);
    expectInVocabulary(convert("forum-post-created.json"));
  });

  it("a quiz submitted: the attempt completed with its score, then one answered statement per question", () => {
    const statements = convert("quiz-attempt-submitted.json");
    expect(statements).toHaveLength(2);
    const [attempt, answer] = statements;
    expect(get(attempt, "verb.id")).toBe("http://adlnet.gov/expapi/verbs/completed");
    expect(get(attempt, "result")).toEqual({
      completion: true,
      duration: "PT600S",
      score: { min: 0, max: 10, raw: 8, scaled: 0.6 },
      success: true,
    });
    expect(get(answer, "object.definition.interactionType")).toBe("true-false");
    expect(get(answer, "object.definition.correctResponsesPattern")).toEqual(["false"]);
    expect(get(answer, "result")).toEqual({
      response: "false",
      success: true,
      completion: true,
      extensions: { "http://learninglocker.net/xapi/cmi/true-false/response": false },
    });
    expectInVocabulary(statements);
  });

  it("send_mbox and send_username change the actor's identifier", () => {
    const mbox = convertMoodleRecord(fixture("user-loggedout.json"), { ...config, send_mbox: true });
    expect(get(mbox[0], "actor")).toEqual({ name: "Aïcha Benali", mbox: "mailto:aicha@example.edu" });
    const username = convertMoodleRecord(fixture("user-loggedout.json"), { ...config, send_username: true });
    expect(get(username[0], "actor.account")).toEqual({
      homePage: "https://moodle.example.edu",
      name: "abenali",
    });
    const anonymous = convertMoodleRecord(fixture("user-loggedout.json"), { ...config, send_name: false });
    expect(get(anonymous[0], "actor.name")).toBeUndefined();
  });

  it("an event the plugin does not map is skipped, named", () => {
    const outcome = outcomeOf((v) => convertMoodleRecord(v, config), {
      value: fixture("dashboard-viewed.json"),
      position: { index: 0 },
    });
    expect(outcome).toEqual({
      kind: "skipped",
      position: { index: 0 },
      reason: "\\core\\event\\dashboard_viewed is not mapped by logstore_xapi",
    });
  });

  it("bad input is rejected with the path of what is wrong", async () => {
    const reasons: string[] = [];
    const bad = [
      { data: {} },
      { event: { eventname: "\\core\\event\\user_loggedout" } },
      { event: { ...fixture("user-loggedout.json").event, other: "a:1:{s:3:" } },
      { event: fixture("forum-post-created.json").event, data: { ...shared, forum_posts: "nope" } },
      { event: fixture("page-viewed.json").event, data: { ...shared, page: [] } },
      { event: { ...fixture("forum-post-created.json").event, other: "N;", objectid: 999 }, data: shared },
    ];
    const records = (async function* () {
      for (const [index, value] of bad.entries()) yield { value, position: { index } };
    })();
    const converter = await moodleFormat.converter(read("config.json"));
    for await (const outcome of converter.run(records)) {
      expect(outcome.kind).toBe("rejected");
      if (outcome.kind === "rejected") reasons.push(outcome.reason);
    }
    expect(reasons).toEqual([
      "event: missing",
      "event.timecreated: expected a Unix time in seconds",
      expect.stringMatching(/^event\.other: not PHP-serialized/),
      "data.forum_posts: expected an array of rows",
      "data.page: no page row with id 4",
      "event.other.discussionid: missing",
    ]);
  });

  it("reads `other` as PHP-serialized, JSON or absent", () => {
    expect(parseOther('a:2:{s:1:"q";s:3:"abc";s:1:"n";i:3;}')).toEqual({ q: "abc", n: 3 });
    expect(parseOther('{"q":"abc"}')).toEqual({ q: "abc" });
    expect(parseOther("N;")).toEqual({});
    expect(parseOther(null)).toEqual({});
    // A Moodle logging JSON writes the text null for an event without `other`.
    expect(parseOther("null")).toEqual({});
  });

  it("refuses a misspelt setting", () => {
    expect(() => moodleConfigOf({ send_mboxx: true })).toThrow(/unknown key "send_mboxx"/);
    expect(() => moodleConfigOf({ send_mbox: "yes" })).toThrow(/must be a boolean/);
  });

  it("maps the plugin's events, course-module views through one transformer", () => {
    expect(moodleEventNames).toContain("\\mod_quiz\\event\\attempt_submitted");
    expect(moodleEventNames).toContain("\\core\\event\\user_loggedinas");
    expect(moodleEventNames.length).toBeGreaterThan(100);
  });

  it("the registration is the plugin's UUID of the session id", () => {
    expect(stringToUuidV5("test_session_id")).toBe("58028332-2277-5b51-a632-7836992917ea");
  });
});

describe("moodle: input", () => {
  it("takes the reader's settings from a database URL's moodle_* parameters", () => {
    expect(
      databaseInput("postgres://u@h:5432/moodle?moodle_prefix=m_&moodle_after_id=42&sslmode=disable"),
    ).toEqual({
      url: "postgres://u@h:5432/moodle?sslmode=disable",
      prefix: "m_",
      afterId: 42,
      batchSize: 500,
    });
    expect(() => databaseInput("mysql://root@h/moodle?moodle_after_id=-1")).toThrow(/moodle_after_id/);
  });

  it("reads a JSON export file with the common reader", async () => {
    const values: unknown[] = [];
    for await (const record of moodleFormat.read!(join(FIXTURES, "page-viewed.json"), undefined)) {
      values.push(record.value);
    }
    expect(values).toEqual([read("page-viewed.json")]);
  });
});
