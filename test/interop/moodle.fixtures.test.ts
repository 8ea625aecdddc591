import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { isObject, type Json } from "../../src/interop/json.js";
import { convertMoodleRecord, moodleConfigOf } from "../../src/interop/moodle/index.js";

const SHARED = join(import.meta.dirname, "../../../shared/fixtures/moodle");
const CONFIG = JSON.parse(readFileSync(join(import.meta.dirname, "moodle.fixtures.config.json"), "utf8"));

/**
 * Cases whose upstream test runs the plugin with a setting of its own (the `_withchoices` tests turn on
 * send_response_choices); every other case runs with moodle.fixtures.config.json as it is.
 */
const CASE_SETTINGS: Record<string, Record<string, unknown>> = {
  "mod_quiz/attempt_submitted/multichoice_withchoices": { send_response_choices: true },
  "mod_quiz/attempt_submitted/multichoiceset_withchoices": { send_response_choices: true },
};

/**
 * Reference cases whose expected statements cannot follow from their own inputs under the fixtures'
 * merge rule; they are run and expected to differ, so that a change making them pass is noticed.
 */
const DIVERGENT: Record<string, string> = {
  // The case's `course` array replaces the common one and holds only course 1, named "test_name", yet the
  // expected statement names the site "test_site_fullname" and has course 2 as parent.
  "core/course_section_created/new_course_section_created":
    "course 2 and the site's name are not in the case's data",
  // The event happened at 1560399491 (2019-06-13T04:18:11Z); the expected timestamp is the common one
  // (2015), which the plugin, stamping statements with the event's time, cannot produce.
  "totara_program/program_assigned/existing_program": "expected timestamp is not the event's time",
};

/** The fixtures' merge rule: objects key by key, recursively; anything else replaced by the case's value. */
function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}
const read = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));

function caseDirs(dir: string): string[] {
  if (existsSync(join(dir, "event.json"))) return [dir];
  return readdirSync(dir)
    .filter((entry) => statSync(join(dir, entry)).isDirectory())
    .flatMap((entry) => caseDirs(join(dir, entry)));
}

describe.skipIf(!existsSync(SHARED))("moodle: logstore_xapi reference cases (needs ../shared)", () => {
  const cases = existsSync(SHARED) ? caseDirs(join(SHARED, "cases")).sort() : [];
  const common = existsSync(SHARED)
    ? {
        event: read(join(SHARED, "common/event.json")),
        data: read(join(SHARED, "common/data.json")),
        statement: read(join(SHARED, "common/statement.json")),
      }
    : { event: {}, data: {}, statement: {} };

  it("finds the reference cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(90);
  });

  for (const dir of cases) {
    const name = relative(join(SHARED, "cases"), dir);
    const divergent = DIVERGENT[name];
    (divergent ? it.fails : it)(divergent ? `${name} (known divergence: ${divergent})` : name, () => {
      const record = {
        event: merge(common.event, read(join(dir, "event.json"))),
        data: merge(common.data, read(join(dir, "data.json"))),
      };
      const expected = (read(join(dir, "statements.json")) as unknown[]).map((s) =>
        merge(common.statement, s),
      );
      const config = moodleConfigOf({ ...CONFIG, ...(CASE_SETTINGS[name] ?? {}) });
      expect(convertMoodleRecord(record, config)).toEqual(expected);
    });
  }
});
