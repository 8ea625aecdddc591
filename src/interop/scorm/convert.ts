/**
 * One SCORM 2004 attempt's run-time data (one SCO session: the cmi.* values as the SCO set them) → the
 * statements the ADL xAPI SCORM Profile describes, in the order the session lived them: initialized (or
 * resumed), the interactions, the comments, the objectives, progress, completion, success, score, and
 * terminated (or suspended) with the session's result and duration.
 */
import { v5 as uuidv5 } from "uuid";
import { isIri, isIsoDuration, isTimestamp, isUuid } from "../../xapi/index.js";
import { ConversionError, type XapiStatement } from "../converter.js";
import { isObject, type Json, prune } from "../json.js";
import {
  ACTIVITY_TYPES,
  COMPLETION_STATUS,
  DOCUMENT_ELEMENTS,
  ENTRY,
  EXIT,
  INTERACTION_RESULTS,
  INTERACTION_TYPES,
  REPORTED_ELEMENTS,
  SCORM_PROFILE,
  SUCCESS_STATUS,
  VERBS,
} from "./profile.js";

export interface ScormConfig {
  /** `account.homePage` of learners whose record does not give one (the LMS holding their accounts). */
  homePage?: string;
  /** The verb of interaction statements: the profile's `responded` (default), or ADL `answered`. */
  interactionVerb?: "responded" | "answered";
  /** Language tag of titles and descriptions (default `und`: SCORM does not say). */
  language?: string;
}

/**
 * One record: the learner, the SCO (`activity`), the attempt, when the session began (and ended), and
 * the `cmi` data model as a flat map of element → value, as GetValue would return them.
 */
export interface ScormAttempt {
  learner: { id: string; name?: string; homePage?: string };
  course?: { id: string; title?: string };
  activity: { id: string; title?: string; description?: string };
  attempt: string | number;
  registration?: string;
  startedAt: string;
  endedAt?: string;
  cmi: Record<string, string | number>;
}

/** Namespace of the statement ids (UUIDv5 of the attempt, the statement's kind and its index). */
export const STATEMENT_NAMESPACE = uuidv5("https://w3id.org/learnpool/interop/scorm/statement", uuidv5.URL);

export function convertScorm(value: unknown, config: ScormConfig = {}): XapiStatement[] {
  const record = readRecord(value, config);
  const { cmi } = record;
  const language = config.language ?? "und";
  const text = (s: string | undefined): Json | undefined => (s ? { [language]: s } : undefined);

  const sco: Json = {
    objectType: "Activity",
    id: record.activity.id,
    definition: prune({
      type: ACTIVITY_TYPES.sco,
      name: text(record.activity.title),
      description: text(record.activity.description),
    }),
  };
  const attemptId = `${record.activity.id}${record.activity.id.includes("?") ? "&" : "?"}attemptId=${encodeURIComponent(String(record.attempt))}`;
  const attempt = {
    objectType: "Activity",
    id: attemptId,
    definition: prune({
      type: ACTIVITY_TYPES.attempt,
      name: text(record.activity.title ? `Attempt ${record.attempt} of ${record.activity.title}` : undefined),
    }),
  };
  const grouping: Json[] = [];
  if (record.course) {
    grouping.push({
      objectType: "Activity",
      id: record.course.id,
      definition: prune({ type: ACTIVITY_TYPES.course, name: text(record.course.title) }),
    });
  }
  grouping.push(attempt);
  const actor = prune({
    objectType: "Agent",
    name: record.learner.name,
    account: { homePage: record.learner.homePage ?? config.homePage, name: record.learner.id },
  });

  const statements: XapiStatement[] = [];
  const make = (kind: string, verb: string, object: Json, timestamp: string, extra: Json = {}): void => {
    const { result, parent } = extra as { result?: Json; parent?: boolean };
    statements.push(
      prune({
        id: uuidv5(
          [record.learner.homePage ?? config.homePage, record.learner.id, attemptId, kind].join("\n"),
          STATEMENT_NAMESPACE,
        ),
        actor,
        verb: { id: verb, display: { "en-US": verb.slice(verb.lastIndexOf("/") + 1) } },
        object,
        result: result && Object.keys(result).length > 0 ? result : undefined,
        context: prune({
          registration: record.registration,
          contextActivities: prune({
            parent: parent ? [{ objectType: "Activity", id: record.activity.id }] : undefined,
            grouping,
            category: [{ objectType: "Activity", id: SCORM_PROFILE }],
          }),
        }),
        timestamp,
      }),
    );
  };

  const get = (key: string): string | undefined => (cmi[key] === undefined ? undefined : String(cmi[key]));
  const start = record.startedAt;
  const sessionTime = get("cmi.session_time");
  if (sessionTime !== undefined && !isIsoDuration(sessionTime)) {
    throw new ConversionError("must be an ISO 8601 duration (SCORM timeinterval)", 'cmi["cmi.session_time"]');
  }
  const end = record.endedAt ?? (sessionTime ? addDuration(start, sessionTime) : start);

  const entry = enumValue(get("cmi.entry"), ENTRY, "cmi.entry");
  make("entry", entry === "resume" ? VERBS.resumed : VERBS.initialized, sco, start);

  for (const n of indices(cmi, "cmi.interactions")) {
    const interaction = interactionOf(cmi, n, record.activity.id, language);
    make(
      `interaction.${n}`,
      config.interactionVerb === "answered" ? VERBS.answered : VERBS.responded,
      interaction.activity,
      interaction.timestamp ?? start,
      {
        result: interaction.result,
        parent: true,
      },
    );
  }

  for (const n of indices(cmi, "cmi.comments_from_learner")) {
    const base = `cmi.comments_from_learner.${n}`;
    const comment = get(`${base}.comment`);
    if (comment === undefined) continue;
    const timestamp = get(`${base}.timestamp`);
    if (timestamp !== undefined && !isTimestamp(timestamp)) {
      throw new ConversionError("must be an ISO 8601 date-time", `cmi["${base}.timestamp"]`);
    }
    make(`comment.${n}`, VERBS.commented, sco, timestamp ?? end, { result: { response: comment } });
  }

  for (const n of indices(cmi, "cmi.objectives")) {
    const base = `cmi.objectives.${n}`;
    const id = get(`${base}.id`);
    if (!id) throw new ConversionError("is missing: an objective has an id", `cmi["${base}.id"]`);
    // A global objective is named by an IRI of its own; a local one lives under its SCO (profile §6.0).
    const objective = {
      objectType: "Activity",
      id:
        /^[a-z][a-z0-9+.-]*:/i.test(id) && isIri(id)
          ? id
          : `${record.activity.id}/objectives/${encodeURIComponent(id)}`,
      definition: { type: ACTIVITY_TYPES.objective },
    };
    statusStatements(cmi, base, `objective.${n}`, objective, end, true, make);
  }

  statusStatements(cmi, "cmi", "sco", sco, end, false, make);

  const overall = prune({
    score: scoreOf(cmi, "cmi"),
    success: successOf(enumValue(get("cmi.success_status"), SUCCESS_STATUS, "cmi.success_status")),
    completion: completionOf(
      enumValue(get("cmi.completion_status"), COMPLETION_STATUS, "cmi.completion_status"),
    ),
    duration: sessionTime,
  });
  const exit = enumValue(get("cmi.exit"), EXIT, "cmi.exit");
  make("exit", exit === "suspend" ? VERBS.suspended : VERBS.terminated, sco, end, { result: overall });
  return statements;
}

type Make = (kind: string, verb: string, object: Json, timestamp: string, extra?: Json) => void;

/** progressed, completed, passed/failed, scored: the SCO's (or an objective's) own statuses. */
function statusStatements(
  cmi: ScormAttempt["cmi"],
  base: string,
  kind: string,
  object: Json,
  timestamp: string,
  parent: boolean,
  make: Make,
): void {
  const get = (key: string): string | undefined => (cmi[key] === undefined ? undefined : String(cmi[key]));
  const progress = get(`${base}.progress_measure`);
  if (progress !== undefined) {
    const measure = numberIn(progress, 0, 1, `${base}.progress_measure`);
    make(`${kind}.progressed`, VERBS.progressed, object, timestamp, {
      result: { score: { scaled: measure } },
      parent,
    });
  }
  const completion = enumValue(
    get(`${base}.completion_status`),
    COMPLETION_STATUS,
    `${base}.completion_status`,
  );
  if (completion === "completed") {
    make(`${kind}.completed`, VERBS.completed, object, timestamp, { result: { completion: true }, parent });
  }
  const success = enumValue(get(`${base}.success_status`), SUCCESS_STATUS, `${base}.success_status`);
  const score = scoreOf(cmi, base);
  if (success === "passed" || success === "failed") {
    make(`${kind}.${success}`, success === "passed" ? VERBS.passed : VERBS.failed, object, timestamp, {
      result: prune({ success: success === "passed", score }),
      parent,
    });
  }
  if (score) make(`${kind}.scored`, VERBS.scored, object, timestamp, { result: { score }, parent });
}

function interactionOf(
  cmi: ScormAttempt["cmi"],
  n: number,
  scoId: string,
  language: string,
): { activity: Json; result: Json; timestamp?: string } {
  const base = `cmi.interactions.${n}`;
  const get = (key: string): string | undefined => (cmi[key] === undefined ? undefined : String(cmi[key]));
  const id = get(`${base}.id`);
  if (!id) throw new ConversionError("is missing: an interaction has an id", `cmi["${base}.id"]`);
  const type = get(`${base}.type`);
  if (type !== undefined && !INTERACTION_TYPES.has(type)) {
    throw new ConversionError(`"${type}" is not a SCORM interaction type`, `cmi["${base}.type"]`);
  }
  const patterns = indices(cmi, `${base}.correct_responses`).map(
    (m) => get(`${base}.correct_responses.${m}.pattern`) ?? "",
  );
  const description = get(`${base}.description`);
  const activity = {
    objectType: "Activity",
    // The profile's advice: `<sco IRI>/interactions/<interaction id>`.
    id: `${scoId}/interactions/${encodeURIComponent(id)}`,
    definition: prune({
      type: ACTIVITY_TYPES.interaction,
      description: description ? { [language]: description } : undefined,
      interactionType: type,
      correctResponsesPattern: type && patterns.length > 0 ? patterns : undefined,
    }),
  };
  const timestamp = get(`${base}.timestamp`);
  if (timestamp !== undefined && !isTimestamp(timestamp)) {
    throw new ConversionError("must be an ISO 8601 date-time", `cmi["${base}.timestamp"]`);
  }
  const latency = get(`${base}.latency`);
  if (latency !== undefined && !isIsoDuration(latency)) {
    throw new ConversionError("must be an ISO 8601 duration", `cmi["${base}.latency"]`);
  }
  const outcome = get(`${base}.result`);
  let success: boolean | undefined;
  let raw: number | undefined;
  if (outcome !== undefined) {
    if (outcome === "correct" || outcome === "incorrect") success = outcome === "correct";
    else if (!INTERACTION_RESULTS.has(outcome)) {
      raw = Number(outcome);
      if (outcome.trim() === "" || !Number.isFinite(raw)) {
        throw new ConversionError(
          `"${outcome}" is neither a SCORM result nor a number`,
          `cmi["${base}.result"]`,
        );
      }
    }
  }
  const result = prune({
    response: get(`${base}.learner_response`),
    success,
    // A numeric result is SCORM's score of the response.
    score: raw === undefined ? undefined : { raw },
    duration: latency,
  });
  return { activity, result, timestamp };
}

/** result.score from `<base>.score.*`: SCORM's scaled, raw, min and max, checked as xAPI checks them. */
function scoreOf(cmi: ScormAttempt["cmi"], base: string): Json | undefined {
  const read = (k: string, lo = -Infinity, hi = Infinity): number | undefined => {
    const value = cmi[`${base}.score.${k}`];
    return value === undefined || value === ""
      ? undefined
      : numberIn(String(value), lo, hi, `${base}.score.${k}`);
  };
  const score = prune({
    scaled: read("scaled", -1, 1),
    raw: read("raw"),
    min: read("min"),
    max: read("max"),
  });
  if (Object.keys(score).length === 0) return undefined;
  const { raw, min, max } = score as { raw?: number; min?: number; max?: number };
  if (min !== undefined && max !== undefined && min > max) {
    throw new ConversionError(`min ${min} exceeds max ${max}`, `cmi["${base}.score.min"]`);
  }
  if (raw !== undefined && ((min !== undefined && raw < min) || (max !== undefined && raw > max))) {
    throw new ConversionError(`raw ${raw} lies outside [min, max]`, `cmi["${base}.score.raw"]`);
  }
  return score;
}

function readRecord(value: unknown, config: ScormConfig): ScormAttempt {
  if (!isObject(value)) throw new ConversionError("a SCORM attempt record must be a JSON object");
  const learner = value.learner;
  if (!isObject(learner)) throw new ConversionError("is missing: whose attempt this is", "learner");
  if (typeof learner.id !== "string" && typeof learner.id !== "number") {
    throw new ConversionError("must be the learner's id in the LMS (cmi.learner_id)", "learner.id");
  }
  const homePage = learner.homePage ?? config.homePage;
  if (typeof homePage !== "string" || !/^https?:\/\/\S+$/i.test(homePage)) {
    throw new ConversionError(
      "must be the LMS's URL (or set `homePage` in the configuration)",
      "learner.homePage",
    );
  }
  if (learner.name !== undefined && typeof learner.name !== "string") {
    throw new ConversionError("must be a string", "learner.name");
  }
  const activity = value.activity;
  if (!isObject(activity) || !isIri(activity.id)) {
    throw new ConversionError("must be the SCO's IRI", "activity.id");
  }
  const course = value.course;
  if (course !== undefined && (!isObject(course) || !isIri(course.id))) {
    throw new ConversionError("must be the course's IRI", "course.id");
  }
  const attempt = value.attempt;
  if (
    (typeof attempt !== "string" || attempt === "") &&
    (typeof attempt !== "number" || !Number.isInteger(attempt))
  ) {
    throw new ConversionError("must be the attempt's number or id", "attempt");
  }
  if (value.registration !== undefined && !isUuid(value.registration)) {
    throw new ConversionError("must be a UUID", "registration");
  }
  if (!isTimestamp(value.startedAt)) {
    throw new ConversionError("must be an ISO 8601 date-time (when Initialize was called)", "startedAt");
  }
  if (value.endedAt !== undefined && !isTimestamp(value.endedAt)) {
    throw new ConversionError("must be an ISO 8601 date-time (when Terminate was called)", "endedAt");
  }
  const cmi = value.cmi;
  if (!isObject(cmi))
    throw new ConversionError("must be an object of cmi.* elements and their values", "cmi");
  for (const [key, v] of Object.entries(cmi)) {
    if (typeof v !== "string" && typeof v !== "number") {
      throw new ConversionError("must be a string (or a number)", `cmi["${key}"]`);
    }
    if (REPORTED_ELEMENTS.some((r) => r.test(key)) || DOCUMENT_ELEMENTS.some((r) => r.test(key))) continue;
    if (/^cmi\.(core|student_data|student_preference|comments$)/.test(key)) {
      throw new ConversionError(
        "is a SCORM 1.2 element: this format reads SCORM 2004 run-time data",
        `cmi["${key}"]`,
      );
    }
    throw new ConversionError("is not a SCORM 2004 run-time data model element", `cmi["${key}"]`);
  }
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    learner: { id: String(learner.id), name: str(learner.name), homePage },
    course: isObject(course) ? { id: course.id as string, title: str(course.title) } : undefined,
    activity: {
      id: activity.id as string,
      title: str(activity.title),
      description: str(activity.description),
    },
    attempt: attempt as string | number,
    registration: value.registration as string | undefined,
    startedAt: value.startedAt,
    endedAt: value.endedAt as string | undefined,
    cmi: cmi as Record<string, string | number>,
  };
}

/** The indices n of `<prefix>.n.*` present, in order (the data model's arrays, flattened). */
function indices(cmi: Json, prefix: string): number[] {
  const found = new Set<number>();
  const head = `${prefix}.`;
  for (const key of Object.keys(cmi)) {
    if (!key.startsWith(head)) continue;
    const n = /^(\d+)\./.exec(key.slice(head.length));
    if (n) found.add(Number(n[1]));
  }
  return [...found].sort((a, b) => a - b);
}

function enumValue(value: string | undefined, allowed: ReadonlySet<string>, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.has(value)) {
    throw new ConversionError(
      `"${value}" is not one of ${[...allowed].map((a) => `"${a}"`).join(", ")}`,
      `cmi["${key}"]`,
    );
  }
  return value;
}

const successOf = (s: string | undefined): boolean | undefined =>
  s === "passed" ? true : s === "failed" ? false : undefined;
const completionOf = (s: string | undefined): boolean | undefined =>
  s === "completed" ? true : s === "incomplete" ? false : undefined;

function numberIn(text: string, lo: number, hi: number, key: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n))
    throw new ConversionError(`"${text}" is not a number`, `cmi["${key}"]`);
  if (n < lo || n > hi) throw new ConversionError(`${n} lies outside [${lo}, ${hi}]`, `cmi["${key}"]`);
  return n;
}

/** start + an ISO 8601 duration (years and months taken as 365 and 30 days: SCORM times are short). */
export function addDuration(start: string, duration: string): string {
  const m =
    /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      duration,
    );
  if (!m) return start;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = (((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s;
  return new Date(Date.parse(start) + Math.round(seconds * 1000)).toISOString();
}
