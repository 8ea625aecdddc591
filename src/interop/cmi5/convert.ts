/**
 * One cmi5 AU session (launch data + the session's events, in order) → cmi5 defined statements. Pure.
 * The session is checked against the cmi5 rules a statement stream must keep (cmi5 Quartz §9): the
 * order of a session, the result each verb carries, the launch mode, the mastery score. A record that
 * breaks one is refused whole with the rule and the event that broke it.
 */
import { v5 as uuidv5 } from "uuid";
import { isIri, isIsoDuration, isTimestamp, isUuid, validateAgent } from "../../xapi/index.js";
import { ConversionError, type XapiStatement } from "../converter.js";
import { isObject, type Json, prune } from "../json.js";

const ADL = "http://adlnet.gov/expapi/verbs/";
const ADL_W3 = "https://w3id.org/xapi/adl/verbs/";
export const CMI5_VERBS = {
  launched: `${ADL}launched`,
  initialized: `${ADL}initialized`,
  completed: `${ADL}completed`,
  passed: `${ADL}passed`,
  failed: `${ADL}failed`,
  abandoned: `${ADL_W3}abandoned`,
  waived: `${ADL_W3}waived`,
  terminated: `${ADL}terminated`,
  satisfied: `${ADL_W3}satisfied`,
} as const;
export type Cmi5Verb = keyof typeof CMI5_VERBS;

export const CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
export const MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const CTX = "https://w3id.org/xapi/cmi5/context/extensions/";
export const CMI5_EXTENSIONS = {
  sessionid: `${CTX}sessionid`,
  masteryscore: `${CTX}masteryscore`,
  launchmode: `${CTX}launchmode`,
  launchurl: `${CTX}launchurl`,
  moveon: `${CTX}moveon`,
  launchparameters: `${CTX}launchparameters`,
  reason: "https://w3id.org/xapi/cmi5/result/extensions/reason",
  progress: "https://w3id.org/xapi/cmi5/result/extensions/progress",
} as const;
export const CMI5_ACTIVITY_TYPES = {
  course: "https://w3id.org/xapi/cmi5/activitytype/course",
  block: "https://w3id.org/xapi/cmi5/activitytype/block",
} as const;

const MOVE_ON = ["Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"];
const LAUNCH_MODES = ["Normal", "Browse", "Review"];
const WAIVE_REASONS = ["Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative"];
/** Statements the AU makes (§9.3); the others are the LMS's. */
const AU_VERBS = new Set<Cmi5Verb>(["initialized", "completed", "passed", "failed", "terminated"]);
/** Statements the LMS may still make about a registration once the session has ended. */
const AFTER_SESSION = new Set<Cmi5Verb>(["satisfied", "waived"]);

export interface Cmi5Config {
  /** Language tag of titles (default `und`). */
  language?: string;
}

/** Namespace of the statement ids: UUIDv5 of registration, session id and the event's position. */
export const STATEMENT_NAMESPACE = uuidv5("https://w3id.org/learnpool/interop/cmi5/statement", uuidv5.URL);

interface Session {
  actor: Json;
  registration: string;
  sessionId: string;
  au: {
    id: string;
    title?: string;
    publisherId?: string;
    masteryScore?: number;
    moveOn?: string;
    launchMode: string;
    launchUrl?: string;
    launchParameters?: string;
  };
  course?: { id: string; title?: string };
}

export function convertCmi5(value: unknown, config: Cmi5Config = {}): XapiStatement[] {
  const session = readSession(value);
  const events = (value as Json).events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new ConversionError("must list the session's events", "events");
  }
  const language = config.language ?? "und";
  const state = {
    initialized: false,
    ended: undefined as string | undefined,
    completed: false,
    passed: false,
    failed: false,
    last: "",
  };
  return events.map((event, i) => convertEvent(event, `events[${i}]`, i, session, state, language));
}

interface State {
  initialized: boolean;
  ended: string | undefined;
  completed: boolean;
  passed: boolean;
  failed: boolean;
  last: string;
}

function convertEvent(
  event: unknown,
  path: string,
  index: number,
  s: Session,
  state: State,
  language: string,
): XapiStatement {
  if (!isObject(event)) throw new ConversionError("must be an event object", path);
  const verb = event.verb;
  if (typeof verb !== "string" || !(verb in CMI5_VERBS)) {
    throw new ConversionError(`must be one of ${Object.keys(CMI5_VERBS).join(", ")}`, `${path}.verb`);
  }
  const v = verb as Cmi5Verb;
  const timestamp = event.timestamp;
  if (!isTimestamp(timestamp))
    throw new ConversionError("must be an ISO 8601 date-time", `${path}.timestamp`);
  if (state.last && Date.parse(timestamp) < Date.parse(state.last)) {
    throw new ConversionError(`goes back in time (before ${state.last})`, `${path}.timestamp`);
  }
  state.last = timestamp;

  // Session order (§9.3, §10.2): launched opens it, the AU initializes before anything else, and once it
  // has terminated or been abandoned only the LMS's satisfied/waived may follow.
  if (state.ended && !AFTER_SESSION.has(v)) {
    throw new ConversionError(`no "${v}" after the session was ${state.ended}`, `${path}.verb`);
  }
  if (v === "launched" && index !== 0)
    throw new ConversionError("launched opens the session: it comes first", `${path}.verb`);
  if (v === "initialized" && state.initialized)
    throw new ConversionError("the AU initializes once per session", `${path}.verb`);
  if (AU_VERBS.has(v) && v !== "initialized" && !state.initialized) {
    throw new ConversionError(`the AU must be initialized before "${v}"`, `${path}.verb`);
  }
  const judged = v === "completed" || v === "passed" || v === "failed";
  if (judged && s.au.launchMode !== "Normal") {
    throw new ConversionError(
      `an AU launched in ${s.au.launchMode} mode must not send "${v}" (§10.2.2)`,
      `${path}.verb`,
    );
  }

  const result: Json = {};
  const score = event.score === undefined ? undefined : scoreOf(event.score, `${path}.score`);
  const duration = event.duration;
  if (duration !== undefined && (typeof duration !== "string" || !isIsoDuration(duration))) {
    throw new ConversionError("must be an ISO 8601 duration", `${path}.duration`);
  }
  if ((v === "completed" || v === "terminated") && duration === undefined) {
    throw new ConversionError(
      `a "${v}" statement carries the session's duration (§9.5.4.1)`,
      `${path}.duration`,
    );
  }
  if (score && v !== "passed" && v !== "failed") {
    throw new ConversionError(`only passed and failed carry a score in cmi5, not "${v}"`, `${path}.score`);
  }
  const mastery = s.au.masteryScore;
  switch (v) {
    case "completed":
      if (state.completed)
        throw new ConversionError("the AU completes once per registration (§9.3.3)", `${path}.verb`);
      state.completed = true;
      result.completion = true;
      break;
    case "passed":
      if (state.passed)
        throw new ConversionError("the AU passes once per registration (§9.3.4)", `${path}.verb`);
      if (mastery !== undefined) {
        const scaled = score?.scaled;
        if (typeof scaled !== "number") {
          throw new ConversionError(
            "with a masteryScore, passed carries score.scaled (§9.3.4)",
            `${path}.score.scaled`,
          );
        }
        if (scaled < mastery) {
          throw new ConversionError(
            `passed with ${scaled}, below the masteryScore ${mastery} (§9.3.4)`,
            `${path}.score.scaled`,
          );
        }
      }
      state.passed = true;
      result.success = true;
      break;
    case "failed":
      if (state.passed)
        throw new ConversionError("no failed after the AU has passed (§9.3.5)", `${path}.verb`);
      if (mastery !== undefined) {
        const scaled = score?.scaled;
        if (typeof scaled !== "number") {
          throw new ConversionError(
            "with a masteryScore, failed carries score.scaled (§9.3.5)",
            `${path}.score.scaled`,
          );
        }
        if (scaled >= mastery) {
          throw new ConversionError(
            `failed with ${scaled}, at or above the masteryScore ${mastery} (§9.3.5)`,
            `${path}.score.scaled`,
          );
        }
      }
      state.failed = true;
      result.success = false;
      break;
    case "waived": {
      const reason = event.reason;
      if (typeof reason !== "string" || !WAIVE_REASONS.includes(reason)) {
        throw new ConversionError(
          `must be one of ${WAIVE_REASONS.map((r) => `"${r}"`).join(", ")} (§9.3.9)`,
          `${path}.reason`,
        );
      }
      result.success = true;
      result.completion = true;
      result.extensions = { [CMI5_EXTENSIONS.reason]: reason };
      break;
    }
    case "initialized":
      state.initialized = true;
      break;
    case "terminated":
    case "abandoned":
      state.ended = v;
      break;
  }
  if (score) result.score = score;
  if (duration !== undefined) result.duration = duration;
  if (event.progress !== undefined) {
    const p = event.progress;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 100) {
      throw new ConversionError("must be an integer from 0 to 100", `${path}.progress`);
    }
    if (v === "completed" || v === "passed" || v === "failed" || v === "waived") {
      throw new ConversionError(
        `progress is for statements before completion, not "${v}"`,
        `${path}.progress`,
      );
    }
    result.extensions = { ...(result.extensions as Json | undefined), [CMI5_EXTENSIONS.progress]: p };
  }

  // Satisfied is about the block or course the AU belongs to; every other statement is about the AU.
  let object: Json = prune({
    objectType: "Activity",
    id: s.au.id,
    definition: s.au.title ? { name: { [language]: s.au.title } } : undefined,
  });
  if (v === "satisfied") object = satisfiedObject(event.activity, `${path}.activity`, s, language);

  const extensions: Json = { [CMI5_EXTENSIONS.sessionid]: s.sessionId };
  if (v === "launched") {
    extensions[CMI5_EXTENSIONS.launchmode] = s.au.launchMode;
    if (s.au.moveOn) extensions[CMI5_EXTENSIONS.moveon] = s.au.moveOn;
    if (s.au.launchUrl) extensions[CMI5_EXTENSIONS.launchurl] = s.au.launchUrl;
    if (s.au.launchParameters) extensions[CMI5_EXTENSIONS.launchparameters] = s.au.launchParameters;
  }
  if (mastery !== undefined && (v === "launched" || v === "passed" || v === "failed")) {
    extensions[CMI5_EXTENSIONS.masteryscore] = mastery;
  }
  const category = [{ objectType: "Activity", id: CMI5_CATEGORY }];
  if (judged) category.push({ objectType: "Activity", id: MOVEON_CATEGORY });

  return prune({
    id: uuidv5([s.registration, s.sessionId, index, v].join("\n"), STATEMENT_NAMESPACE),
    actor: s.actor,
    verb: { id: CMI5_VERBS[v], display: { "en-US": v } },
    object,
    result: Object.keys(result).length > 0 ? result : undefined,
    context: {
      registration: s.registration,
      contextActivities: prune({
        grouping: s.au.publisherId ? [{ objectType: "Activity", id: s.au.publisherId }] : undefined,
        category,
      }),
      extensions,
    },
    timestamp,
  });
}

function satisfiedObject(value: unknown, path: string, s: Session, language: string): Json {
  const target = value ?? (s.course ? { id: s.course.id, type: "course", title: s.course.title } : undefined);
  if (!isObject(target)) {
    throw new ConversionError("is missing: satisfied names the block or course it satisfies", path);
  }
  if (!isIri(target.id)) throw new ConversionError("must be an IRI", `${path}.id`);
  if (target.type !== "course" && target.type !== "block") {
    throw new ConversionError(
      'must be "course" or "block": the LMS satisfies those, not an AU (§9.3.8)',
      `${path}.type`,
    );
  }
  return prune({
    objectType: "Activity",
    id: target.id,
    definition: prune({
      type: CMI5_ACTIVITY_TYPES[target.type],
      name: typeof target.title === "string" ? { [language]: target.title } : undefined,
    }),
  });
}

function scoreOf(value: unknown, path: string): Json {
  if (!isObject(value)) throw new ConversionError("must be an object of scaled, raw, min, max", path);
  const out: Json = {};
  for (const key of ["scaled", "raw", "min", "max"]) {
    const n = value[key];
    if (n === undefined) continue;
    if (typeof n !== "number" || !Number.isFinite(n))
      throw new ConversionError("must be a number", `${path}.${key}`);
    out[key] = n;
  }
  const { scaled, raw, min, max } = out as { scaled?: number; raw?: number; min?: number; max?: number };
  if (scaled !== undefined && (scaled < 0 || scaled > 1)) {
    throw new ConversionError(`${scaled} lies outside [0, 1] (§9.5.1)`, `${path}.scaled`);
  }
  if (min !== undefined && max !== undefined && min > max)
    throw new ConversionError("exceeds max", `${path}.min`);
  if (raw !== undefined && ((min !== undefined && raw < min) || (max !== undefined && raw > max))) {
    throw new ConversionError("lies outside [min, max]", `${path}.raw`);
  }
  if (Object.keys(out).length === 0)
    throw new ConversionError("must hold at least one of scaled, raw, min, max", path);
  return out;
}

function readSession(value: unknown): Session {
  if (!isObject(value)) throw new ConversionError("a cmi5 session record must be a JSON object");
  const actor = value.actor;
  if (!isObject(actor) || !isObject(actor.account)) {
    throw new ConversionError("must be an Agent with an account, as cmi5 launches it (§9.2)", "actor");
  }
  const problems = validateAgent(actor, "2.0.0", "actor");
  if (problems.length > 0)
    throw new ConversionError(problems[0]!.message.replace(/^actor\S* /, ""), problems[0]!.path);
  if (!isUuid(value.registration))
    throw new ConversionError("must be the registration's UUID", "registration");
  const sessionId = value.sessionId;
  if (typeof sessionId !== "string" || sessionId === "")
    throw new ConversionError("must be the session's id", "sessionId");
  const au = value.au;
  if (!isObject(au) || !isIri(au.id)) throw new ConversionError("must be the AU's IRI", "au.id");
  if (au.publisherId !== undefined && !isIri(au.publisherId))
    throw new ConversionError("must be an IRI", "au.publisherId");
  const mastery = au.masteryScore;
  if (mastery !== undefined && (typeof mastery !== "number" || mastery < 0 || mastery > 1)) {
    throw new ConversionError("must be a decimal from 0 to 1", "au.masteryScore");
  }
  if (au.moveOn !== undefined && !MOVE_ON.includes(au.moveOn as string)) {
    throw new ConversionError(`must be one of ${MOVE_ON.join(", ")}`, "au.moveOn");
  }
  const launchMode = au.launchMode ?? "Normal";
  if (!LAUNCH_MODES.includes(launchMode as string)) {
    throw new ConversionError(`must be one of ${LAUNCH_MODES.join(", ")}`, "au.launchMode");
  }
  if (au.launchUrl !== undefined && !isIri(au.launchUrl))
    throw new ConversionError("must be a URL", "au.launchUrl");
  if (au.launchParameters !== undefined && typeof au.launchParameters !== "string") {
    throw new ConversionError("must be a string", "au.launchParameters");
  }
  const course = value.course;
  if (course !== undefined && (!isObject(course) || !isIri(course.id))) {
    throw new ConversionError("must be the course's IRI", "course.id");
  }
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    actor,
    registration: (value.registration as string).toLowerCase(),
    sessionId,
    au: {
      id: au.id as string,
      title: str(au.title),
      publisherId: au.publisherId as string | undefined,
      masteryScore: mastery as number | undefined,
      moveOn: au.moveOn as string | undefined,
      launchMode: launchMode as string,
      launchUrl: au.launchUrl as string | undefined,
      launchParameters: au.launchParameters as string | undefined,
    },
    course: isObject(course) ? { id: course.id as string, title: str(course.title) } : undefined,
  };
}
