/**
 * What every ERB xAPI statement shares (`XApiTransformer.base_transform`): the actor from the learner's
 * anonymous id, the course as parent context activity, the transformer-version and session-id context
 * extensions, the timestamp as tincan writes it, version 1.0.3, and the statement id, a UUIDv5 that ERB
 * computes from the verb, the actor and the event's timestamp so that re-processing an event yields the
 * same statement id.
 */
import * as crypto from "node:crypto";
import { ConversionError, type XapiStatement } from "../converter.js";
import type { ResolvedConfig } from "./config.js";
import { type EdxEvent, firstOf, getData, scopeData } from "./event.js";
import { isoTimestamp, pyJsonString, pyStr } from "./python.js";
import { ActivityType, Extension, Verb, type VerbName } from "./vocabulary.js";

export type Json = Record<string, unknown>;

/** A verb with what its statement ids hash: the UUIDv5 namespace made from tincan's JSON of the verb. */
export interface VerbEntry {
  /** Position among the verbs, for the per-actor id prefixes. */
  index: number;
  id: string;
  display: string;
  json: string;
  namespace: Buffer;
  /** The namespaces of a multi-question problem's children (the verb's JSON, "-" and the question id). */
  children: Map<string, Buffer>;
}

// ERB's fixed base namespace (the RFC 4122 DNS namespace); see helpers.get_uuid5.
const BASE_NAMESPACE = Buffer.from("6ba7b8109dad11d180b400c04fd430c8", "hex");

/** SHA-1 in hex of some bytes: node:crypto's one-shot `hash` where Node has it (20.12+), else a Hash. */
const sha1Hex: (data: Uint8Array) => string =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha1", data, "hex")
    : (data) => crypto.createHash("sha1").update(data).digest("hex");

// The third hex digit of a UUID's fourth group carries the RFC 4122 variant: 8, 9, a or b.
const VARIANT: string[] = [];
for (let code = 0; code < 128; code++)
  VARIANT.push("89ab"[Number.parseInt(String.fromCharCode(code), 16) & 3]!);

/** A UUIDv5 from the hex SHA-1 of namespace + name: version 5 and the RFC 4122 variant set. */
function uuidFromSha1Hex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${VARIANT[hex.charCodeAt(16)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function uuid5Bytes(namespace: Buffer, name: string): Buffer {
  const hash = crypto.createHash("sha1").update(namespace).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return hash.subarray(0, 16);
}

/** A buffer for hashing a namespace and a name without allocating one per id. */
const scratch = Buffer.allocUnsafe(4096);

/** The UUIDv5 of a name under a namespace (16 bytes), as a string. */
function uuid5(namespace: Buffer, name: string): string {
  // At most 3 UTF-8 bytes per UTF-16 unit: a name this short always fits after the namespace.
  if (name.length * 3 <= scratch.length - namespace.length) {
    namespace.copy(scratch, 0);
    const end = namespace.length + scratch.write(name, namespace.length, "utf8");
    return uuidFromSha1Hex(sha1Hex(scratch.subarray(0, end)));
  }
  return uuidFromSha1Hex(sha1Hex(Buffer.concat([namespace, Buffer.from(name, "utf8")])));
}

/** ERB's `get_uuid5(namespace_key, name)`. */
export function erbUuid5(namespaceKey: string, name: string): string {
  return uuid5(uuid5Bytes(BASE_NAMESPACE, namespaceKey), name);
}

/**
 * The bytes every statement id of one verb and one actor starts with (the verb's namespace, the actor's
 * JSON and "-"), with room after them for the event's timestamp: an id hashes one buffer, written once.
 */
class IdPrefix {
  private readonly buffer: Buffer;
  private readonly length: number;
  /** Views of the buffer by the length hashed (timestamps mostly have one length). */
  private readonly views: Buffer[] = [];

  constructor(namespace: Buffer, actorJson: string) {
    const actor = Buffer.from(`${actorJson}-`, "utf8");
    this.length = namespace.length + actor.length;
    this.buffer = Buffer.allocUnsafe(this.length + 192);
    namespace.copy(this.buffer, 0);
    actor.copy(this.buffer, namespace.length);
  }

  id(timestamp: string): string {
    let view: Buffer;
    if (timestamp.length <= 64) {
      // At most 3 UTF-8 bytes per UTF-16 unit: 192 bytes of room hold any 64 units.
      const end = this.length + this.buffer.write(timestamp, this.length, "utf8");
      view = this.views[end] ??= this.buffer.subarray(0, end);
    } else {
      view = Buffer.concat([this.buffer.subarray(0, this.length), Buffer.from(timestamp, "utf8")]);
    }
    return uuidFromSha1Hex(sha1Hex(view));
  }
}

const verbEntries = new Map<VerbName, VerbEntry>();
for (const display of Object.keys(Verb) as VerbName[]) {
  const id = Verb[display];
  const json = `{"id": ${pyJsonString(id)}, "display": {"en": ${pyJsonString(display)}}}`;
  verbEntries.set(display, {
    index: verbEntries.size,
    id,
    display,
    json,
    namespace: uuid5Bytes(BASE_NAMESPACE, json),
    children: new Map(),
  });
}

export function verbEntry(name: VerbName): VerbEntry {
  return verbEntries.get(name)!;
}

/** The namespace of a child statement's id: ERB's get_uuid5 namespace from `{verb JSON}-{question id}`. */
function childNamespace(entry: VerbEntry, questionId: string): Buffer {
  let namespace = entry.children.get(questionId);
  if (namespace === undefined) {
    if (entry.children.size >= 10_000) entry.children.clear();
    namespace = uuid5Bytes(BASE_NAMESPACE, `${entry.json}-${questionId}`);
    entry.children.set(questionId, namespace);
  }
  return namespace;
}

/** A learner as statements show them, with their id prefixes; kept per configuration by anonymous id. */
export class Actor {
  readonly json: string;
  private readonly prefixes: (IdPrefix | undefined)[] = [];

  constructor(
    readonly name: string,
    readonly homePage: string,
  ) {
    this.json = `{"objectType": "Agent", "account": {"name": ${pyJsonString(name)}, "homePage": ${pyJsonString(homePage)}}}`;
  }

  statementId(entry: VerbEntry, timestamp: string): string {
    let prefix = this.prefixes[entry.index];
    if (prefix === undefined) {
      prefix = new IdPrefix(entry.namespace, this.json);
      this.prefixes[entry.index] = prefix;
    }
    return prefix.id(timestamp);
  }
}

/** tincan's serialization of an Extensions map: entries whose value is None are left out. */
export function extensions(entries: Json): Json {
  const out: Json = {};
  for (const key in entries) if (entries[key] !== undefined) out[key] = entries[key];
  return out;
}

/** A LanguageMap entry; tincan refuses a non-string value, and so does the converter, naming the key. */
export function languageMap(language: string, value: unknown, path: string): Record<string, string> {
  if (typeof value !== "string") {
    throw new ConversionError(`expected a display string, got ${JSON.stringify(value ?? null)}`, path);
  }
  return { [language]: value };
}

/**
 * An activity as tincan writes it. ERB builds some objects from optional values (a browser problem_check
 * with neither referrer block nor problem id): their id is then absent, as in ERB's output.
 */
export function activity(
  id: unknown,
  definition: Json | undefined,
  path: string,
  objectType = "Activity",
): Json {
  const out: Json = { objectType };
  if (id !== undefined && id !== null && id !== "") {
    if (typeof id !== "string")
      throw new ConversionError(`expected an id string, got ${JSON.stringify(id)}`, path);
    out.id = id;
  }
  if (definition !== undefined) out.definition = definition;
  return out;
}

/** The statement parts an event transformer decides; the rest comes from the event itself. */
export interface StatementParts {
  verb: VerbName;
  object: Json;
  result?: Json;
  /** Extra context extensions, after transformer-version and session-id. */
  contextExtensions?: Json;
  /** Context activities: ERB's course parent by default; `null` leaves them out (enrollment events). */
  contextActivities?: Json | null;
  /** A StatementRef to the parent statement, for the children of a multi-question problem_check. */
  statementRef?: string;
  /** Extra key for the UUIDv5 namespace (a child's question id). */
  idSuffix?: string;
}

/** What firstOf takes for a hit: a read value other than undefined, 0 and false. */
function truthy(value: unknown): boolean {
  return value !== undefined && value !== 0 && value !== false;
}

/** A course as ERB's parent context activity shows it; kept per configuration by course id. */
export interface Course {
  iri: string;
  name: string;
  /** The common part of its video blocks' IRIs, made by the video events on first use. */
  videoPrefix?: string;
}

/** The per-event values every statement of an event shares, computed once. */
export class EventScope {
  readonly actor: Actor;
  /** The timestamp as the statement id hashes it: Python's str() of the raw value, "None" when absent. */
  private readonly idTimestamp: string;
  readonly timestamp: string | undefined;
  readonly sessionId: unknown;
  private course: Course | null | undefined;

  constructor(
    readonly event: EdxEvent,
    readonly name: string,
    readonly config: ResolvedConfig,
  ) {
    const found = scopeData(event);
    // firstOf(event, "username", "user_id"), and below the same for timestamp and session.
    const learner = truthy(found.username) ? found.username : getData(event, "user_id");
    const fallback = learner === undefined ? firstOf(event, "data.username", "data.user_id") : learner;
    const usernameOrId =
      fallback === undefined ? firstOf(event, "context.username", "context.user_id") : fallback;
    const key =
      usernameOrId === undefined || usernameOrId === 0
        ? undefined
        : typeof usernameOrId === "string"
          ? usernameOrId
          : pyStr(usernameOrId);
    const anonymous = config.anonymousId(key);
    if (anonymous === undefined) {
      throw new ConversionError(
        key === undefined
          ? "no username or user_id: an anonymous user's event has no learner to attribute (configure anonymousId to attribute it to one id)"
          : // The learner's username is an identifier: the error names where, never who.
            "no anonymous id for this event's learner (add the username to anonymousIds or configure anonymousIdSecret)",
        "context.username",
      );
    }
    let actor = config.actors.get(anonymous);
    if (actor === undefined) {
      // Learners are few next to events; the bound only keeps a pathological log from growing it forever.
      if (config.actors.size >= 10_000) config.actors.clear();
      actor = new Actor(anonymous, config.platformUrl);
      config.actors.set(anonymous, actor);
    }
    this.actor = actor;
    // firstOf(event, "timestamp", "time"), with the key read kept for the error's path.
    const stamp = found.timestamp;
    const raw = truthy(stamp) ? stamp : getData(event, "time");
    if (raw === undefined) {
      this.idTimestamp = "None";
      this.timestamp = undefined;
    } else {
      this.idTimestamp = typeof raw === "string" ? raw : pyStr(raw);
      this.timestamp = isoTimestamp(raw, stamp === undefined ? "time" : "timestamp");
    }
    this.sessionId = truthy(found.session)
      ? found.session
      : firstOf(event, "context.session", "data.session");
  }

  /** The learner's anonymous id, the actor account's name. */
  get actorName(): string {
    return this.actor.name;
  }

  /** ERB's `get_object_iri`: `{LMS root}/{type}/{id}`. */
  iri(objectType: string, objectId: unknown, path: string): string {
    if (objectId === undefined || objectId === null || objectId === "") {
      throw new ConversionError("required value is missing or empty", path);
    }
    return `${this.config.platformUrl}/${objectType}/${typeof objectId === "string" ? objectId : pyStr(objectId)}`;
  }

  /** The course as ERB's parent context activity, or undefined for an event outside a course. */
  courseParent(): Json | undefined {
    let course = this.course;
    if (course === undefined) {
      const courseId = getData(this.event, "context.course_id");
      course = courseId === undefined ? null : courseOf(this.config, courseId);
      this.course = course;
    }
    if (course === null) return undefined;
    return {
      objectType: "Activity",
      id: course.iri,
      definition: { type: ActivityType.course, name: { "en-US": course.name } },
    };
  }

  contextExtensions(extra?: Json): Json {
    const out: Json = { [Extension.transformerVersion]: this.config.transformerVersion };
    if (this.sessionId !== undefined) out[Extension.sessionId] = this.sessionId;
    if (extra) for (const key in extra) if (extra[key] !== undefined) out[key] = extra[key];
    return out;
  }

  statement(parts: StatementParts): XapiStatement {
    const entry = verbEntry(parts.verb);
    const id =
      parts.idSuffix === undefined
        ? this.actor.statementId(entry, this.idTimestamp)
        : uuid5(childNamespace(entry, parts.idSuffix), `${this.actor.json}-${this.idTimestamp}`);
    const context: Json = {};
    let activities = parts.contextActivities;
    if (activities === undefined) {
      const parent = this.courseParent();
      activities = parent === undefined ? null : { parent: [parent] };
    }
    if (activities !== null) context.contextActivities = activities;
    context.extensions = this.contextExtensions(parts.contextExtensions);
    if (parts.statementRef !== undefined) {
      context.statement = { objectType: "StatementRef", id: parts.statementRef };
    }
    const statement: XapiStatement = {
      id,
      actor: { objectType: "Agent", account: { homePage: this.config.platformUrl, name: this.actor.name } },
      verb: { id: entry.id, display: { en: entry.display } },
      object: parts.object,
      context,
    };
    if (parts.result !== undefined) statement.result = parts.result;
    if (this.timestamp !== undefined) statement.timestamp = this.timestamp;
    statement.version = "1.0.3";
    return statement;
  }
}

/** The course's IRI and display name, built once per course id and configuration. */
export function courseOf(config: ResolvedConfig, courseId: unknown): Course {
  if (typeof courseId !== "string") {
    const id = pyStr(courseId);
    return { iri: `${config.platformUrl}/course/${id}`, name: config.courseName(id) };
  }
  let course = config.courses.get(courseId);
  if (course === undefined) {
    if (config.courses.size >= 10_000) config.courses.clear();
    course = { iri: `${config.platformUrl}/course/${courseId}`, name: config.courseName(courseId) };
    config.courses.set(courseId, course);
  }
  return course;
}
