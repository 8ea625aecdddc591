/**
 * The Moodle converter (format `moodle`): rows of Moodle's `logstore_standard_log`, each with the rows of
 * the tables its event refers to (`{"event": …, "data": {<table>: [rows]}}`), into exactly the statements
 * Moodle's logstore_xapi plugin emits for them. It owns the plugin's event map (`events/map.ts`), the
 * ports of its transformers (`events/`), its shared building blocks (`statement.ts`), its settings
 * (`config.ts`) and the read-only, resumable reader of a live Moodle database (`database.ts`).
 * Events the plugin does not map are skipped, named.
 */
import { unserialize } from "php-serialize";
import {
  ConversionError,
  type Format,
  perRecord,
  type SourceRecord,
  Unmapped,
  type XapiStatement,
} from "../converter.js";
import { isObject } from "../json.js";
import { readJsonRecords } from "../reader.js";
import { type MoodleConfig, moodleConfigOf } from "./config.js";
import { readMoodleDatabase } from "./database.js";
import { eventFunctionMap } from "./events/map.js";
import { type Lookup, Repository, type Row } from "./repository.js";
import { type Ctx, type MoodleEvent, withDefaults } from "./statement.js";
import { TYPE, VERB, X } from "./vocabulary.js";

export type { MoodleConfig } from "./config.js";
export { defaultMoodleConfig, moodleConfigOf } from "./config.js";
export { type MoodleCursor, type MoodleDatabaseOptions, readMoodleDatabase } from "./database.js";

/** The Moodle event names the plugin maps, each ported here. */
export const moodleEventNames: readonly string[] = Object.keys(eventFunctionMap).sort();

/** `other` as logstore_standard_log stores it: PHP-serialized (or JSON in newer Moodles), or absent. */
export function parseOther(other: unknown): Record<string, unknown> {
  // Moodles that log `other` as JSON write the text `null` for an event without it (PHP: `N;`).
  if (other === undefined || other === null || other === "" || other === "N;" || other === "null") return {};
  if (isObject(other)) return other;
  if (typeof other !== "string") throw new ConversionError("expected a serialized string", "event.other");
  const text = other.trim();
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      // Not JSON: read as PHP below.
    }
  }
  let value: unknown;
  try {
    value = unserialize(text, {}, { strict: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConversionError(`not PHP-serialized (${message})`, "event.other");
  }
  if (value === null || value === false) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  if (!isObject(value)) throw new ConversionError("expected a serialized array", "event.other");
  return value;
}

function eventOf(raw: unknown): MoodleEvent {
  if (!isObject(raw)) throw new ConversionError("expected an object (a logstore_standard_log row)", "event");
  if (typeof raw.eventname !== "string" || raw.eventname === "") {
    throw new ConversionError(
      "expected the event's class name, such as \\core\\event\\course_viewed",
      "event.eventname",
    );
  }
  const timecreated = Number(raw.timecreated);
  if (raw.timecreated === undefined || raw.timecreated === null || !Number.isFinite(timecreated)) {
    throw new ConversionError("expected a Unix time in seconds", "event.timecreated");
  }
  return { ...raw, eventname: raw.eventname, timecreated, other: parseOther(raw.other) };
}

function tablesOf(raw: unknown): Record<string, Row[]> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new ConversionError("expected an object of tables", "data");
  for (const [table, rows] of Object.entries(raw)) {
    if (!Array.isArray(rows)) throw new ConversionError("expected an array of rows", `data.${table}`);
    rows.forEach((row, index) => {
      if (!isObject(row)) throw new ConversionError("expected a row object", `data.${table}[${index}]`);
    });
  }
  return raw as Record<string, Row[]>;
}

/** Converts one record of the JSON export form into the plugin's statements. */
export function convertMoodleRecord(
  record: unknown,
  config: MoodleConfig,
  onLookup?: (lookup: Lookup) => void,
): XapiStatement[] {
  if (!isObject(record)) throw new ConversionError("expected an object with event and data", "");
  if (record.event === undefined) throw new ConversionError("missing", "event");
  const event = eventOf(record.event);
  const mapped = eventFunctionMap[event.eventname];
  if (!mapped) throw new Unmapped(`${event.eventname} is not mapped by logstore_xapi`);
  const [fn, transform] = mapped;
  const ctx: Ctx = { config, repo: new Repository(tablesOf(record.data), onLookup), event, fn };
  return transform(ctx).map((statement) => withDefaults(ctx, statement));
}

const DATABASE_URL = /^(postgres|postgresql|mysql|mariadb):\/\//i;

/**
 * A database URL as input: `postgres://…/moodle?moodle_prefix=mdl_&moodle_after_id=1234` (the
 * `moodle_*` parameters are the reader's and are not passed to the driver).
 */
export function databaseInput(input: string): {
  url: string;
  prefix: string;
  afterId: number;
  batchSize: number;
} {
  const parsed = new URL(input);
  const take = (name: string): string | null => {
    const value = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    return value;
  };
  const prefix = take("moodle_prefix") ?? "mdl_";
  const afterId = Number(take("moodle_after_id") ?? 0);
  const batchSize = Number(take("moodle_batch_size") ?? 500);
  if (!Number.isInteger(afterId) || afterId < 0)
    throw new Error("moodle_after_id: expected a log id (an integer ≥ 0)");
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error("moodle_batch_size: expected an integer ≥ 1");
  return { url: parsed.toString(), prefix, afterId, batchSize };
}

export const moodleFormat: Format = {
  name: "moodle",
  description:
    "Moodle logstore_standard_log rows with the rows they refer to ({event, data}), from a JSON export or straight from a Moodle database (postgres:// or mysql:// URL) → the statements of Moodle's logstore_xapi plugin",
  read(input: string, config: unknown): AsyncIterable<SourceRecord> {
    if (!DATABASE_URL.test(input)) return readJsonRecords(input);
    return readMoodleDatabase({ ...databaseInput(input), config: moodleConfigOf(config) });
  },
  converter(config: unknown) {
    const settings = moodleConfigOf(config);
    return perRecord((value) => convertMoodleRecord(value, settings));
  },
};

const MODULE_TYPES = [
  "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment",
  "http://adlnet.gov/expapi/activities/meeting",
  "http://id.tincanapi.com/activitytype/book",
  "http://id.tincanapi.com/activitytype/chat-channel",
  "http://xapi.org.au/contentprofile/activitytype/database",
  "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion",
  "http://activitystrea.ms/collection",
  "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/forum",
  "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/glossary",
  "http://adlnet.gov/expapi/activities/media",
  "http://adlnet.gov/expapi/activities/lesson",
  "https://w3id.org/xapi/acrossx/activities/page",
  "http://xapi.jisc.ac.uk/activities/quiz",
  "http://adlnet.gov/expapi/activities/assessment",
  "http://id.tincanapi.com/activitytype/resource",
  "http://adlnet.gov/expapi/activities/module",
  "http://adlnet.gov/expapi/activities/link",
  "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/wiki",
  "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/workshop",
  "http://id.tincanapi.com/activitytype/survey",
  "http://id.tincanapi.com/activitytype/lms/module",
];

export const moodleVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: [
    ...new Set([
      ...Object.values(VERB),
      "http://adlnet.gov/expapi/verbs/passed",
      "http://adlnet.gov/expapi/verbs/failed",
    ]),
  ].sort(),
  activityTypes: [...new Set([...Object.values(TYPE), ...MODULE_TYPES])].sort(),
  extensions: [
    ...new Set([
      ...Object.values(X),
      "http://learninglocker.net/xapi/cmi/choice/response",
      "http://learninglocker.net/xapi/cmi/numeric/response",
      "http://learninglocker.net/xapi/cmi/true-false/response",
      "http://learninglocker.net/xapi/cmi/matching/response",
      "http://learninglocker.net/xapi/cmi/sequencing/response",
      "http://learninglocker.net/xapi/cmi/fill-in/response",
      "http://learninglocker.net/xapi/moodle/feedback_item_rating",
      "https://w3id.org/learning-analytics/learning-management-system/short-id",
      "https://w3id.org/learning-analytics/learning-management-system/external-id",
    ]),
  ].sort(),
};
