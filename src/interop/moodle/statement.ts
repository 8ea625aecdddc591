/**
 * The building blocks logstore_xapi's transformers share (its `utils/`): agents, the site, course,
 * section and course-module activities, the base context and the defaults every statement receives.
 * Pure functions of the configuration, the event and its rows.
 */
import { createHash } from "node:crypto";
import { ConversionError } from "../converter.js";
import { isObject } from "../json.js";
import type { MoodleConfig } from "./config.js";
import type { Repository, Row } from "./repository.js";

export type Statement = Record<string, unknown>;
export type Agent = Record<string, unknown>;

/** One logstore_standard_log row, with `other` already unserialized. */
export interface MoodleEvent {
  id?: unknown;
  eventname: string;
  component?: string;
  action?: string;
  target?: string;
  objecttable?: string | null;
  objectid?: unknown;
  contextinstanceid?: unknown;
  userid?: unknown;
  relateduserid?: unknown;
  courseid?: unknown;
  timecreated: number;
  other: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Ctx {
  config: MoodleConfig;
  repo: Repository;
  event: MoodleEvent;
  /** The plugin's name of the transformer, e.g. `core\badge_awarded` (reported in the info extension). */
  fn: string;
}

export const INFO = "http://lrs.learninglocker.net/define/extensions/info";
export const TYPE_SITE = "http://id.tincanapi.com/activitytype/lms";
export const TYPE_COURSE = "https://w3id.org/xapi/cmi5/activitytype/course";
export const TYPE_SECTION = "http://id.tincanapi.com/activitytype/section";
export const TYPE_MODULE_DEFAULT = "http://id.tincanapi.com/activitytype/lms/module";

/** The activity type of each course module (logstore_xapi's `get_module_activity_type_mapping`). */
export function moduleActivityType(moduleName: string, sendJisc = false): string {
  const types: Record<string, string> = {
    assign: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment",
    bigbluebuttonbn: "http://adlnet.gov/expapi/activities/meeting",
    book: "http://id.tincanapi.com/activitytype/book",
    chat: "http://id.tincanapi.com/activitytype/chat-channel",
    choice: "http://adlnet.gov/expapi/activities/cmi.interaction",
    data: "http://xapi.org.au/contentprofile/activitytype/database",
    facetoface: "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion",
    feedback: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/feedback",
    folder: "http://activitystrea.ms/collection",
    forum: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/forum",
    glossary: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/glossary",
    h5pactivity: "http://adlnet.gov/expapi/activities/media",
    imscp: "https://w3id.org/xapi/cmi5/activitytype/course",
    label: "https://w3id.org/xapi/acrossx/activities/webpage",
    lesson: "http://adlnet.gov/expapi/activities/lesson",
    lti: "http://adlnet.gov/expapi/activities/media",
    page: "https://w3id.org/xapi/acrossx/activities/page",
    quiz: sendJisc
      ? "http://xapi.jisc.ac.uk/activities/quiz"
      : "http://adlnet.gov/expapi/activities/assessment",
    resource: "http://id.tincanapi.com/activitytype/resource",
    scorm: "http://adlnet.gov/expapi/activities/module",
    url: "http://adlnet.gov/expapi/activities/link",
    wiki: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/wiki",
    workshop: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/workshop",
    questionnaire: "http://id.tincanapi.com/activitytype/survey",
    survey: "http://id.tincanapi.com/activitytype/survey",
  };
  return types[moduleName] ?? TYPE_MODULE_DEFAULT;
}

/** The plugin's `stringToUuidV5`: SHA-1 of a fixed namespace string and the input, shaped as a UUID. */
export function stringToUuidV5(value: string): string {
  const hash = createHash("sha1")
    .update("12345678-1234-1234-1234-123456789abc" + value)
    .digest("hex");
  const clock = ((Number.parseInt(hash.slice(16, 20), 16) & 0x3f3f) | 0x8000).toString(16);
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-${clock}-${hash.slice(20, 32)}`;
}

/** PHP's strip_tags, enough for Moodle's HTML fields. */
export function stripTags(html: unknown): string {
  return String(html ?? "").replace(/<[^>]*>/g, "");
}

export const str = (value: unknown): string => (value === undefined || value === null ? "" : String(value));
/** PHP truthiness of a database value ("0", 0, "", null are false). */
export const truthy = (value: unknown): boolean =>
  !(value === undefined || value === null || value === false || value === 0 || value === "" || value === "0");
export const num = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
};

export function courseLang(course: Row | undefined): string {
  const lang = course?.lang;
  return typeof lang === "string" && lang !== "" ? lang : "en";
}

export function fullName(user: Row): string {
  return [str(user.firstname), str(user.lastname)].filter((part) => part !== "").join(" ");
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An actor from a user row (`utils\get_user`): mbox, username account or id account, per the settings. */
export function agent(config: MoodleConfig, user: Row): Agent {
  const result: Agent = {};
  if (config.send_name) result.name = fullName(user);
  const homePage = config.account_homepage ?? config.app_url;
  if (config.send_mbox && EMAIL.test(str(user.email))) {
    const mbox = "mailto:" + str(user.email);
    if (config.hashmbox) result.mbox_sha1sum = createHash("sha1").update(mbox).digest("hex");
    else result.mbox = mbox;
    return result;
  }
  result.account = { homePage, name: config.send_username ? str(user.username) : str(user.id) };
  return result;
}

export function userAgent(ctx: Ctx, userId: unknown): Agent {
  return agent(ctx.config, ctx.repo.byId("user", userId));
}

export function activity(
  id: string,
  type: string,
  lang: string,
  name?: string,
  description?: string,
  extensions?: Record<string, unknown>,
): Statement {
  const definition: Record<string, unknown> = {};
  if (name !== undefined) definition.name = { [lang]: name };
  if (description !== undefined) definition.description = { [lang]: description };
  definition.type = type;
  if (extensions !== undefined) definition.extensions = extensions;
  return { id, definition, objectType: "Activity" };
}

export function siteActivity(ctx: Ctx): Statement {
  const site = ctx.repo.findById("course", 1) ?? {};
  const name = truthy(site.fullname) ? str(site.fullname) : "A Moodle site";
  return activity(ctx.config.app_url, TYPE_SITE, courseLang(site), name);
}

export function courseActivity(ctx: Ctx, course: Row): Statement {
  const name = truthy(course.fullname) ? str(course.fullname) : "A Moodle course";
  const result = activity(
    `${ctx.config.app_url}/course/view.php?id=${str(course.id)}`,
    TYPE_COURSE,
    courseLang(course),
    name,
  );
  addCourseExtensions(ctx, result, course);
  return result;
}

function addCourseExtensions(ctx: Ctx, object: Statement, row: Row): void {
  const definition = object.definition as Record<string, unknown>;
  const extensions: Record<string, unknown> = {};
  if (ctx.config.send_short_course_id && "shortname" in row) {
    extensions["https://w3id.org/learning-analytics/learning-management-system/short-id"] = row.shortname;
  }
  if (ctx.config.send_course_and_module_idnumber) {
    extensions["https://w3id.org/learning-analytics/learning-management-system/external-id"] =
      row.idnumber ?? null;
  }
  if (Object.keys(extensions).length > 0) {
    definition.extensions = { ...((definition.extensions as object) ?? {}), ...extensions };
  }
}

export function sectionActivity(ctx: Ctx, course: Row, section: Row): Statement {
  const name = truthy(section.name)
    ? str(section.name)
    : `${str(course.fullname)} Section ${str(section.section)}`;
  return activity(
    `${ctx.config.app_url}/course/section.php?id=${str(section.id)}`,
    TYPE_SECTION,
    courseLang(course),
    name,
  );
}

export interface ModuleParts {
  cm: Row;
  module: Row;
  instance: Row;
  name: string;
}

export function moduleParts(ctx: Ctx, cmid: unknown): ModuleParts {
  const cm = ctx.repo.byId("course_modules", cmid);
  const module = ctx.repo.byId("modules", cm.module);
  const name = str(module.name);
  const instance = ctx.repo.byId(name, cm.instance);
  return { cm, module, instance, name };
}

/** A course module as an activity (`get_activity\course_module`). */
export function moduleActivity(ctx: Ctx, course: Row, cmid: unknown, type?: string): Statement {
  const { instance, name } = moduleParts(ctx, cmid);
  const lang = courseLang(course);
  const result = activity(
    `${ctx.config.app_url}/mod/${name}/view.php?id=${str(cmid)}`,
    type ?? moduleActivityType(name, ctx.config.send_jisc_data),
    lang,
    "name" in instance ? str(instance.name) : name,
    // The lesson module is named without its intro (the plugin's lesson activity has none).
    truthy(instance.intro) && name !== "lesson" ? stripTags(instance.intro) : undefined,
  );
  if (name === "choice") addChoiceOptions(ctx, result, instance, lang);
  if (ctx.config.send_course_and_module_idnumber) {
    const { cm } = moduleParts(ctx, cmid);
    (result.definition as Record<string, unknown>).extensions = {
      "https://w3id.org/learning-analytics/learning-management-system/external-id": cm.idnumber ?? null,
    };
  }
  return result;
}

/** A choice module is a question: its options are the choices, all of them a correct response. */
function addChoiceOptions(ctx: Ctx, object: Statement, choice: Row, lang: string): void {
  const options = ctx.repo.all("choice_options", { choiceid: choice.id });
  const definition = object.definition as Record<string, unknown>;
  definition.interactionType = "choice";
  definition.choices = options.map((option) => ({
    id: slugOf(str(option.text)),
    description: { [lang]: str(option.text) },
  }));
  definition.correctResponsesPattern = [options.map((option) => slugOf(str(option.text))).join("[,]")];
}

/** Identifiers made from answer texts: lower case, runs of other characters turned into one dash. */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The parents of something inside a course module: [module?, section, course]. */
export function moduleParents(ctx: Ctx, course: Row, cmid: unknown, includeModule: boolean): Statement[] {
  const cm = ctx.repo.byId("course_modules", cmid);
  const parents: Statement[] = [];
  if (includeModule) parents.push(moduleActivity(ctx, course, cmid));
  const section = ctx.repo.findById("course_sections", cm.section);
  if (section) parents.push(sectionActivity(ctx, course, section));
  parents.push(courseActivity(ctx, course));
  return parents;
}

export function infoExtension(ctx: Ctx): Record<string, unknown> {
  return {
    [INFO]: {
      [ctx.config.source_url]: ctx.config.source_version,
      [ctx.config.plugin_url]: ctx.config.plugin_version,
      event_name: ctx.event.eventname,
      event_function: "\\src\\transformer\\events\\" + ctx.fn,
    },
  };
}

/** `utils\get_context_base`: the language and the base extensions. */
export function contextBase(ctx: Ctx, lang: string, extra: Record<string, unknown> = {}): Statement {
  return { language: lang, extensions: { ...infoExtension(ctx), ...extra } };
}

export function verb(id: string, display: string): Statement {
  return { id, display: { en: display } };
}

/** What follows the actor and the verb in a statement: the object, then the result if any, then the context. */
export interface StatementRest {
  object: Statement;
  result?: Statement;
  context: Statement;
}

/**
 * An event's one statement: the user `actorId` did `verbId` to `rest().object`. `rest` is called once the
 * actor is read, so that the rows are looked up in the order the plugin reads them (the database reader
 * fetches, round by round, what each attempt looked up before it failed).
 */
export function statementBy(
  ctx: Ctx,
  actorId: unknown,
  verbId: string,
  display: string,
  rest: () => StatementRest,
): Statement[] {
  const actor = userAgent(ctx, actorId);
  return [{ actor, verb: verb(verbId, display), ...rest() }];
}

export function timestampOf(event: MoodleEvent): string {
  return new Date(event.timecreated * 1000).toISOString();
}

export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return result;
}

/** `apply_statement_defaults` and `apply_global_xforms`: platform, registration and timestamp. */
export function withDefaults(ctx: Ctx, statement: Statement): Statement {
  const merged = deepMerge(
    {
      context: { platform: ctx.config.source_name || "Moodle" },
      timestamp: timestampOf(ctx.event),
    },
    statement,
  );
  const context = merged.context as Record<string, unknown>;
  context.registration = stringToUuidV5(ctx.config.session_id);
  return merged;
}

/** The course of the event, or the row of course 1 when the event has none (site-level events). */
export function eventCourse(ctx: Ctx): Row | undefined {
  const id = ctx.event.courseid;
  if (!truthy(id)) return undefined;
  return ctx.repo.byId("course", id);
}

export function requireCourse(ctx: Ctx): Row {
  const course = eventCourse(ctx);
  if (!course) throw new ConversionError("the event has no course", "event.courseid");
  return course;
}

export function otherField(ctx: Ctx, key: string): unknown {
  const value = ctx.event.other[key];
  if (value === undefined) throw new ConversionError("missing", `event.other.${key}`);
  return value;
}
