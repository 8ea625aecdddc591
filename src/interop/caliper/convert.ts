/**
 * One Caliper event (or an envelope of them) → xAPI statements. Pure: the event is read, checked against
 * Caliper's own rules where xAPI needs them to hold (an id that is a UUID URN, a known event type and an
 * action that type allows, IRIs where IRIs go, an ISO 8601 eventTime), and mapped per `vocabulary.ts`.
 */
import { v5 as uuidv5 } from "uuid";
import { isIri, isIsoDuration, isTimestamp, isUuid } from "../../xapi/index.js";
import { ConversionError, Unmapped, type XapiStatement } from "../converter.js";
import { isObject, type Json, prune } from "../json.js";
import {
  ACTION_VERBS,
  ATTEMPT_EVENTS,
  ATTEMPTED,
  activityTypeOf,
  CALIPER_ACTION,
  CALIPER_ACTIONS,
  EVENT_ACTIONS,
  EXT,
  MEDIA_VERBS,
  type VerbTerm,
  VIDEO_PROFILE,
} from "./vocabulary.js";

export interface CaliperConfig {
  /** `account.homePage` of every agent. Absent: the origin of the agent's own id (or of the edApp's). */
  homePage?: string;
  /**
   * How `context.registration` is derived: from the Membership (the learner's enrolment in the group,
   * which is what an xAPI registration stands for) as a UUIDv5 of its id, or never.
   */
  registration?: "membership" | "none";
  /** Language tag of the names and descriptions Caliper gives without one (default `und`, unknown). */
  language?: string;
}

type Activity = { objectType: "Activity"; id: string; definition?: Json };

/** Namespace of the registrations derived from Caliper memberships (a UUIDv5 of this IRI). */
export const REGISTRATION_NAMESPACE = uuidv5(
  "https://w3id.org/learnpool/interop/caliper/registration",
  uuidv5.URL,
);

/** Caliper's placeholders for an anonymous actor (1.2 §anonymous entities): no learner to speak of. */
const ANONYMOUS = /^http:\/\/purl\.imsglobal\.org\/caliper\/[A-Za-z]+$/;
const AGENT_TYPES = new Set(["Person", "Agent", "SoftwareApplication", "Organization"]);
/** Entities that describe a situation rather than a resource acted upon: never an event's object. */
const NOT_RESOURCES = new Set(["Membership", "Session", "LtiSession", "Person", "Agent"]);

interface Ctx {
  config: CaliperConfig;
  language: string;
  /** Fallback homePage: the event's edApp origin. */
  appOrigin?: string;
}

/** Converts one record: an event, an envelope (`data`: events and entities), or an entity (skipped). */
export function convertCaliper(value: unknown, config: CaliperConfig = {}): XapiStatement[] {
  if (!isObject(value)) throw new ConversionError("a Caliper event or envelope must be a JSON object");
  if ("data" in value) return convertEnvelope(value, config);
  return [convertEvent(value, config, "")];
}

function convertEnvelope(envelope: Json, config: CaliperConfig): XapiStatement[] {
  const data = envelope.data;
  if (!Array.isArray(data)) throw new ConversionError("must be an array of events and entities", "data");
  const statements: XapiStatement[] = [];
  let entities = 0;
  data.forEach((item, i) => {
    // Entities sent beside events describe things the events refer to; they are not learning events.
    if (isObject(item) && !isEventType(item.type)) entities++;
    else statements.push(convertEvent(item, config, `data[${i}]`));
  });
  if (statements.length === 0) {
    throw new Unmapped(
      `envelope holds ${entities} Caliper entit${entities === 1 ? "y" : "ies"} and no event`,
    );
  }
  return statements;
}

const isEventType = (type: unknown): boolean => typeof type === "string" && /Event$/.test(type);
const at = (base: string, key: string): string => (base ? `${base}.${key}` : key);

export function convertEvent(event: unknown, config: CaliperConfig, base: string): XapiStatement {
  if (!isObject(event)) throw new ConversionError("must be a Caliper event object", base || undefined);
  const type = event.type;
  if (typeof type !== "string" || type === "") {
    throw new ConversionError("is missing: a Caliper event names its type", at(base, "type"));
  }
  // An entity has no action; a record with one is an event whatever its type says.
  if (!isEventType(type) && event.action === undefined) {
    throw new Unmapped(`a Caliper entity (${type}), not an event`);
  }
  const allowed = EVENT_ACTIONS[type];
  if (!allowed) throw new ConversionError(`"${type}" is not a Caliper event type`, at(base, "type"));
  const action = event.action;
  if (typeof action !== "string" || action === "") {
    throw new ConversionError("is missing: a Caliper event names its action", at(base, "action"));
  }
  if (!CALIPER_ACTIONS.has(action)) {
    throw new ConversionError(`"${action}" is not a Caliper action`, at(base, "action"));
  }
  if (allowed !== "any" && !allowed.includes(action)) {
    throw new ConversionError(`${type} does not allow the action "${action}"`, at(base, "action"));
  }
  const id = caliperUuid(event.id, at(base, "id"));
  const timestamp = event.eventTime;
  if (!isTimestamp(timestamp)) {
    throw new ConversionError("must be an ISO 8601 date-time", at(base, "eventTime"));
  }
  const ctx: Ctx = { config, language: config.language ?? "und" };
  const edApp = optionalRef(event.edApp, at(base, "edApp"), ["SoftwareApplication"]);
  ctx.appOrigin = originOf(edApp?.id);
  if (event.object === undefined || event.object === null) {
    throw new ConversionError("is missing: a Caliper event has an object", at(base, "object"));
  }

  const isMedia = type === "MediaEvent";
  const object = event.object;
  const objectType = isObject(object) ? object.type : undefined;
  if (typeof objectType === "string" && NOT_RESOURCES.has(objectType) && type !== "SessionEvent") {
    throw new ConversionError(`a ${objectType} cannot be the object of a ${type}`, at(base, "object.type"));
  }

  // Grading is about the learner whose attempt was graded: the learner is the actor, the grader context.
  let actorPath = at(base, "actor");
  let actorValue: unknown = event.actor;
  let statementObject: unknown = object;
  let objectPath = at(base, "object");
  const grouping: Activity[] = [];
  const extensions: Json = {};
  const resultExtensions: Json = {};
  const result: Json = {};
  let instructor: Json | undefined;

  if (type === "GradeEvent" && isObject(object) && object.type === "Attempt") {
    const assignee = object.assignee ?? object.actor;
    if (assignee !== undefined) {
      actorValue = assignee;
      actorPath = at(base, "object.assignee");
      const grader = agentOf(event.actor, at(base, "actor"), ctx);
      if (isObject(event.actor) && event.actor.type === "Person") instructor = grader;
      else extensions[EXT.scoredBy] = refId(event.actor);
    }
    grouping.push(activityOf(object, at(base, "object"), ctx));
    if (object.assignable !== undefined) {
      statementObject = object.assignable;
      objectPath = at(base, "object.assignable");
    }
  }
  if (actorValue === undefined || actorValue === null) {
    throw new ConversionError("is missing: a Caliper event has an actor", actorPath);
  }
  const actor = agentOf(actorValue, actorPath, ctx);
  const activity = activityOf(statementObject, objectPath, ctx);

  const verb = verbOf(type, action);

  // Context activities: where the object sits (parent), the course and attempt (grouping), the rest (other).
  const parent: Activity[] = [];
  const other: Activity[] = [];
  const category: Activity[] = [];
  if (isObject(statementObject) && statementObject.isPartOf !== undefined) {
    parent.push(activityOf(statementObject.isPartOf, `${objectPath}.isPartOf`, ctx));
  }
  if (event.group !== undefined && event.group !== null) {
    const group = event.group;
    optionalRef(group, at(base, "group"), ORGANIZATIONS);
    grouping.push(activityOf(group, at(base, "group"), ctx));
    if (isObject(group) && group.subOrganizationOf !== undefined) {
      grouping.push(activityOf(group.subOrganizationOf, at(base, "group.subOrganizationOf"), ctx));
    }
  }

  const generated = event.generated;
  if (generated !== undefined && generated !== null) {
    refOf(generated, at(base, "generated"));
    mapGenerated(generated, at(base, "generated"), { result, resultExtensions, grouping, extensions }, ctx);
  }
  // An attempt the object carries (an assessment item's response attempt) groups the statement too.
  if (isObject(object) && isObject(object.attempt)) {
    grouping.push(activityOf(object.attempt, at(base, "object.attempt"), ctx));
  }

  if (event.target !== undefined && event.target !== null) {
    const target = refOf(event.target, at(base, "target"));
    if (isMedia && isObject(event.target) && event.target.type === "MediaLocation") {
      const seconds = event.target.currentTime;
      if (seconds !== undefined) {
        if (typeof seconds !== "string" || !isIsoDuration(seconds)) {
          throw new ConversionError("must be an ISO 8601 duration", at(base, "target.currentTime"));
        }
        resultExtensions[EXT.videoTime] = durationSeconds(seconds);
      }
    } else {
      other.push(activityOf(event.target, at(base, "target"), ctx));
    }
    extensions[EXT.target] = target.id;
  }
  if (event.referrer !== undefined && event.referrer !== null) {
    const referrer = refOf(event.referrer, at(base, "referrer"));
    other.push(activityOf(event.referrer, at(base, "referrer"), ctx));
    extensions[EXT.referrer] = referrer.id;
  }
  if (isMedia) {
    category.push({ objectType: "Activity", id: VIDEO_PROFILE });
    if (isObject(object) && typeof object.duration === "string" && isIsoDuration(object.duration)) {
      extensions[EXT.videoLength] = durationSeconds(object.duration);
    }
  }

  if (edApp) extensions[EXT.edApp] = edApp.id;
  const session = optionalRef(event.session, at(base, "session"), ["Session", "LtiSession"]);
  if (session) {
    extensions[EXT.session] = session.id;
    if (isMedia) extensions[EXT.videoSessionId] = session.id;
  }
  const federated = optionalRef(event.federatedSession, at(base, "federatedSession"), ["LtiSession"]);
  if (federated) extensions[EXT.federatedSession] = federated.id;
  const membership = optionalRef(event.membership, at(base, "membership"), ["Membership"]);
  if (membership) {
    const m = event.membership;
    extensions[EXT.membership] = isObject(m)
      ? prune({ id: membership.id, roles: m.roles, status: m.status })
      : { id: membership.id };
  }
  if (event.extensions !== undefined) {
    if (!isObject(event.extensions)) {
      throw new ConversionError("must be an object of extension values", at(base, "extensions"));
    }
    extensions[EXT.extensions] = event.extensions;
  }
  extensions[EXT.eventType] = type;

  const contextActivities = prune({
    parent: nonEmpty(parent),
    grouping: nonEmpty(dedupe(grouping)),
    category: nonEmpty(category),
    other: nonEmpty(dedupe(other)),
  });
  const registration =
    (config.registration ?? "membership") === "membership" && membership
      ? uuidv5(membership.id, REGISTRATION_NAMESPACE)
      : undefined;
  const platform =
    isObject(event.edApp) && typeof event.edApp.name === "string" ? event.edApp.name : edApp?.id;

  if (Object.keys(resultExtensions).length > 0) result.extensions = resultExtensions;
  return prune({
    id,
    actor,
    verb: { id: verb.id, display: { "en-US": verb.display } },
    object: activity,
    result: Object.keys(result).length > 0 ? result : undefined,
    context: prune({
      registration,
      instructor,
      platform,
      contextActivities: Object.keys(contextActivities).length > 0 ? contextActivities : undefined,
      extensions,
    }),
    timestamp,
  });
}

/** The statement id is the Caliper event's own UUID: both name one event, and it stays traceable. */
function caliperUuid(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ConversionError("is missing: a Caliper event has a urn:uuid id", path);
  }
  const uuid = value.replace(/^urn:uuid:/i, "");
  if (uuid === value || !isUuid(uuid)) throw new ConversionError(`"${value}" is not a urn:uuid`, path);
  return uuid.toLowerCase();
}

function verbOf(type: string, action: string): VerbTerm {
  if (type === "MediaEvent") return MEDIA_VERBS[action] ?? caliperVerb(action);
  if (action === "Started" && ATTEMPT_EVENTS.has(type)) return ATTEMPTED;
  return ACTION_VERBS[action] ?? caliperVerb(action);
}

const caliperVerb = (action: string): VerbTerm => ({
  id: `${CALIPER_ACTION}${action}`,
  display: action.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase(),
});

interface Ref {
  id: string;
  type?: string;
}

/** An entity as Caliper allows it: an object with an IRI `id` (and a `type`), or the IRI alone. */
function refOf(value: unknown, path: string): Ref {
  if (typeof value === "string") {
    if (!isIri(value)) throw new ConversionError(`"${value}" is neither an entity nor an IRI`, path);
    return { id: value };
  }
  if (!isObject(value)) throw new ConversionError("must be an entity object or an IRI", path);
  if (!isIri(value.id)) throw new ConversionError("must be an IRI", `${path}.id`);
  if (value.type !== undefined && typeof value.type !== "string") {
    throw new ConversionError("must be a Caliper type name", `${path}.type`);
  }
  return { id: value.id, type: value.type };
}

/** An optional reference; when it is an entity, its type must be one `types` allows. */
function optionalRef(value: unknown, path: string, types?: readonly string[]): Ref | undefined {
  if (value === undefined || value === null) return undefined;
  const ref = refOf(value, path);
  if (types && ref.type !== undefined && !types.includes(ref.type) && !/:/.test(ref.type)) {
    throw new ConversionError(`must be a ${types.join(" or ")}, not a ${ref.type}`, `${path}.type`);
  }
  return ref;
}

const ORGANIZATIONS = ["CourseSection", "CourseOffering", "Group", "Organization"];

const refId = (value: unknown): string | undefined =>
  typeof value === "string" ? value : isObject(value) && typeof value.id === "string" ? value.id : undefined;

function originOf(iri: string | undefined): string | undefined {
  if (!iri || !/^https?:/i.test(iri)) return undefined;
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/** Person, SoftwareApplication… → an Agent identified by an account: the Caliper id on its home system. */
function agentOf(value: unknown, path: string, ctx: Ctx): Json {
  const ref = refOf(value, path);
  if (ref.type !== undefined && !AGENT_TYPES.has(ref.type)) {
    throw new ConversionError(
      `a ${ref.type} cannot act: an actor is a Person or a software agent`,
      `${path}.type`,
    );
  }
  if (ANONYMOUS.test(ref.id)) {
    throw new Unmapped(`anonymous actor (${ref.id}): no learner to make a statement about`);
  }
  const homePage = ctx.config.homePage ?? originOf(ref.id) ?? ctx.appOrigin;
  if (!homePage) {
    throw new ConversionError(
      "has no home page to make an account of: set `homePage` in the configuration",
      `${path}.id`,
    );
  }
  const name = isObject(value) && typeof value.name === "string" ? value.name : undefined;
  return prune({ objectType: "Agent", name, account: { homePage, name: ref.id } });
}

function activityOf(value: unknown, path: string, ctx: Ctx): Activity {
  const ref = refOf(value, path);
  if (!isObject(value)) return { objectType: "Activity", id: ref.id };
  const definition = prune({
    type: ref.type ? activityTypeOf(ref.type) : undefined,
    name: typeof value.name === "string" && value.name !== "" ? { [ctx.language]: value.name } : undefined,
    description:
      typeof value.description === "string" && value.description !== ""
        ? { [ctx.language]: value.description }
        : undefined,
    moreInfo: typeof value.url === "string" && isIri(value.url) ? value.url : undefined,
  });
  return Object.keys(definition).length > 0
    ? { objectType: "Activity", id: ref.id, definition }
    : { objectType: "Activity", id: ref.id };
}

interface Outputs {
  result: Json;
  resultExtensions: Json;
  grouping: Activity[];
  extensions: Json;
}

/** What the event produced: a score, a response or an attempt become the result; the rest is recorded. */
function mapGenerated(generated: unknown, path: string, out: Outputs, ctx: Ctx): void {
  const ref = refOf(generated, path);
  const g = isObject(generated) ? generated : {};
  const type = ref.type ?? "";
  if (type === "Score" || type === "Result") {
    out.result.score = scoreOf(g, path);
    if (typeof g.comment === "string") out.resultExtensions[EXT.comment] = g.comment;
    if (g.attempt !== undefined && g.attempt !== null) {
      // The attempt is already grouped when it is the event's object.
      if (!out.grouping.some((a) => a.id === refId(g.attempt))) {
        out.grouping.push(activityOf(g.attempt, `${path}.attempt`, ctx));
      }
    }
  } else if (type === "Attempt") {
    out.grouping.push(activityOf(generated, path, ctx));
    durationOf(g, path, out.result);
  } else if (/Response$/.test(type) || type === "Rating" || type === "Comment") {
    const response = responseOf(g);
    if (response !== undefined) out.result.response = response;
    if (isObject(g.attempt)) {
      out.grouping.push(activityOf(g.attempt, `${path}.attempt`, ctx));
      durationOf(g.attempt, `${path}.attempt`, out.result);
    }
    if (/Response$/.test(type)) out.result.completion = true;
  }
  out.extensions[EXT.generated] = ref.type ? { id: ref.id, type: ref.type } : { id: ref.id };
}

function durationOf(attempt: Json, path: string, result: Json): void {
  if (attempt.duration === undefined) return;
  if (typeof attempt.duration !== "string" || !isIsoDuration(attempt.duration)) {
    throw new ConversionError("must be an ISO 8601 duration", `${path}.duration`);
  }
  result.duration = attempt.duration;
}

function scoreOf(score: Json, path: string): Json {
  const given = score.scoreGiven ?? score.resultScore;
  const max = score.maxScore ?? score.maxResultScore;
  if (typeof given !== "number" || !Number.isFinite(given)) {
    throw new ConversionError(
      "must be a number",
      `${path}.${"scoreGiven" in score ? "scoreGiven" : "resultScore"}`,
    );
  }
  if (max === undefined) return { raw: given };
  if (typeof max !== "number" || !Number.isFinite(max)) {
    throw new ConversionError("must be a number", `${path}.maxScore`);
  }
  if (given > max) throw new ConversionError(`score ${given} exceeds maxScore ${max}`, `${path}.scoreGiven`);
  // Caliper scores start at 0; scaled only where it is defined (a positive maximum, a non-negative score).
  return prune({
    raw: given,
    min: given >= 0 ? 0 : undefined,
    max,
    scaled: max > 0 && given >= 0 ? given / max : undefined,
  });
}

/** The learner's answer as xAPI's response string: choices joined by `[,]` as interaction responses are. */
function responseOf(g: Json): string | undefined {
  for (const key of ["values", "selections", "selection"]) {
    const v = g[key];
    if (Array.isArray(v)) return v.map(String).join("[,]");
    if (typeof v === "string") return v;
  }
  for (const key of ["value", "dateTimeSelected", "searchTerms"]) {
    const v = g[key];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  }
  if (isObject(g.query) && typeof g.query.searchTerms === "string") return g.query.searchTerms;
  return undefined;
}

function durationSeconds(iso: string): number {
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) return 0;
  const [, d = "0", h = "0", mi = "0", s = "0"] = m;
  return Math.round((Number(d) * 86400 + Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1000) / 1000;
}

function dedupe(activities: Activity[]): Activity[] {
  const seen = new Set<string>();
  return activities.filter((a) => {
    if (seen.has(a.id)) return false;
    seen.add(a.id);
    return true;
  });
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);
