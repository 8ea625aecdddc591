/**
 * What every ERB xAPI statement shares (`XApiTransformer.base_transform`): the actor from the learner's
 * anonymous id, the course as parent context activity, the transformer-version and session-id context
 * extensions, the timestamp as tincan writes it, version 1.0.3, and the statement id, a UUIDv5 that ERB
 * computes from the verb, the actor and the event's timestamp so that re-processing an event yields the
 * same statement id.
 */
import { createHash } from "node:crypto";
import { ConversionError, type XapiStatement } from "../converter.js";
import type { ResolvedConfig } from "./config.js";
import { type EdxEvent, firstOf, getData } from "./event.js";
import { isoTimestamp, pyJsonString, pyStr } from "./python.js";
import { type Sha1Prefix, sha1Prefix, sha1Resume } from "./sha1.js";
import { ActivityType, Extension, Verb, type VerbName } from "./vocabulary.js";

export type Json = Record<string, unknown>;

/** A verb with what its statement ids hash: the UUIDv5 namespace made from tincan's JSON of the verb. */
export interface VerbEntry {
  verb: { id: string; display: { en: string } };
  json: string;
  namespace: Buffer;
}

// ERB's fixed base namespace (the RFC 4122 DNS namespace); see helpers.get_uuid5.
const BASE_NAMESPACE = Buffer.from("6ba7b8109dad11d180b400c04fd430c8", "hex");

function uuid5Bytes(namespace: Buffer, name: string): Buffer {
  const hash = createHash("sha1").update(namespace).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return hash.subarray(0, 16);
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** ERB's `get_uuid5(namespace_key, name)`. */
export function erbUuid5(namespaceKey: string, name: string): string {
  return formatUuid(uuid5Bytes(uuid5Bytes(BASE_NAMESPACE, namespaceKey), name));
}

/**
 * SHA-1 states already fed a verb's namespace and an actor's JSON: most of what each id hashes repeats
 * from event to event, so a statement id only hashes its timestamp from the saved state.
 */
const prefixHashes = new Map<string, Sha1Prefix>();
const HEX = "0123456789abcdef";

function statementId(entry: VerbEntry, actorJson: string, timestamp: string): string {
  const key = entry.json + actorJson;
  let prefix = prefixHashes.get(key);
  if (prefix === undefined) {
    if (prefixHashes.size >= 10_000) prefixHashes.clear();
    prefix = sha1Prefix(Buffer.concat([entry.namespace, Buffer.from(`${actorJson}-`, "utf8")]));
    prefixHashes.set(key, prefix);
  }
  const hash = sha1Resume(prefix, Buffer.from(timestamp, "utf8"));
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  let id = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) id += "-";
    id += HEX[hash[i]! >> 4]! + HEX[hash[i]! & 15]!;
  }
  return id;
}

const verbEntries = new Map<VerbName, VerbEntry>();
for (const display of Object.keys(Verb) as VerbName[]) {
  const id = Verb[display];
  const json = `{"id": ${pyJsonString(id)}, "display": {"en": ${pyJsonString(display)}}}`;
  verbEntries.set(display, {
    verb: { id, display: { en: display } },
    json,
    namespace: uuid5Bytes(BASE_NAMESPACE, json),
  });
}

export function verbEntry(name: VerbName): VerbEntry {
  return verbEntries.get(name)!;
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

/** The per-event values every statement of an event shares, computed once. */
export class EventScope {
  readonly actorName: string;
  readonly actorJson: string;
  readonly rawTimestamp: unknown;
  readonly timestamp: string | undefined;
  readonly sessionId: unknown;

  constructor(
    readonly event: EdxEvent,
    readonly name: string,
    readonly config: ResolvedConfig,
  ) {
    const learner = firstOf(event, "username", "user_id");
    const fallback = learner === undefined ? firstOf(event, "data.username", "data.user_id") : learner;
    const usernameOrId =
      fallback === undefined ? firstOf(event, "context.username", "context.user_id") : fallback;
    const key = usernameOrId === undefined || usernameOrId === 0 ? undefined : pyStr(usernameOrId);
    const anonymous = config.anonymousId(key);
    if (anonymous === undefined) {
      throw new ConversionError(
        key === undefined
          ? "no username or user_id: an anonymous user's event has no learner to attribute (configure anonymousId to attribute it to one id)"
          : `no anonymous id for learner ${JSON.stringify(key)} (add it to anonymousIds or configure anonymousIdSecret)`,
        "context.username",
      );
    }
    this.actorName = anonymous;
    this.actorJson = `{"objectType": "Agent", "account": {"name": ${pyJsonString(anonymous)}, "homePage": ${pyJsonString(config.platformUrl)}}}`;
    this.rawTimestamp = firstOf(event, "timestamp", "time");
    this.timestamp =
      this.rawTimestamp === undefined
        ? undefined
        : isoTimestamp(this.rawTimestamp, getData(event, "timestamp") === undefined ? "time" : "timestamp");
    this.sessionId = firstOf(event, "session", "context.session", "data.session");
  }

  /** ERB's `get_object_iri`: `{LMS root}/{type}/{id}`. */
  iri(objectType: string, objectId: unknown, path: string): string {
    if (objectId === undefined || objectId === null || objectId === "") {
      throw new ConversionError("required value is missing or empty", path);
    }
    return `${this.config.platformUrl}/${objectType}/${pyStr(objectId)}`;
  }

  /** The course as ERB's parent context activity, or undefined for an event outside a course. */
  courseParent(): Json | undefined {
    const courseId = getData(this.event, "context.course_id");
    if (courseId === undefined) return undefined;
    const id = pyStr(courseId);
    return {
      objectType: "Activity",
      id: `${this.config.platformUrl}/course/${id}`,
      definition: { type: ActivityType.course, name: { "en-US": this.config.courseName(id) } },
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
    const timestamp = this.rawTimestamp === undefined ? "None" : pyStr(this.rawTimestamp);
    const id =
      parts.idSuffix === undefined
        ? statementId(entry, this.actorJson, timestamp)
        : erbUuid5(`${entry.json}-${parts.idSuffix}`, `${this.actorJson}-${timestamp}`);
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
      actor: { objectType: "Agent", account: { homePage: this.config.platformUrl, name: this.actorName } },
      verb: { id: entry.verb.id, display: { en: entry.verb.display.en } },
      object: parts.object,
      context,
    };
    if (parts.result !== undefined) statement.result = parts.result;
    if (this.timestamp !== undefined) statement.timestamp = this.timestamp;
    statement.version = "1.0.3";
    return statement;
  }
}
