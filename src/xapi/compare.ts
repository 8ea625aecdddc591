/**
 * Statement comparison (xAPI 1.0.3 Data 2.3.1 "Statement Comparison Requirements"; xAPI 2.0 / IEEE 9274.1.1
 * §4.2.4 and §4.2.7), the one rule behind two decisions: 204/200 versus 409 when a statement arrives with an
 * id the LRS holds, and whether a signed statement's JWS payload matches the statement received (Data 2.6).
 *
 * "Differences which could have been caused by exceptions to Statement immutability MUST be ignored", every
 * other difference counts. Ignored, therefore:
 * - what the LRS assigns (2.3.1.b1): authority, stored and version always; id and timestamp when either side
 *   lacks one (the LRS fills them in only when missing), so they are compared when both carry one;
 * - Activity Definitions (b2) and Verb displays (b3), which are not part of the statement;
 * - the serialization of a timestamp (b4): instants are compared, to the millisecond;
 * - the order of a Group's members (b5, an unordered list), and the order of object keys;
 * - attachments (b6), in SubStatements too;
 * - case where it carries no meaning (b7): UUIDs, the mailto scheme and domain, SHA-1 hex, language tags;
 * - forms the LRS normalizes: a single context Activity vs an array of one, absent vs default objectType.
 * Result Duration is a string for comparison (b8) under 1.0.3; under 2.0 precision beyond 0.01 s is not
 * included in the comparison (§4.2.7).
 */
import { canonicalMbox } from "./ifi.js";
import { parseInstant } from "./time.js";
import type { Statement, XapiVersion } from "./types.js";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON path ("$.verb.id") of the first difference between `a` and `b` that the comparison rules do not
 * excuse, or undefined when they are the same statement. Either side may be unvalidated (a signed payload):
 * whatever is not a known form is compared as it is. Paths name the compared forms (context Activities as
 * arrays, a Group's members in a canonical order).
 */
export function statementDifference(a: unknown, b: unknown, version: XapiVersion): string | undefined {
  return diff(statementForm(a, b, version), statementForm(b, a, version), "$");
}

/**
 * Whether `a` and `b` are the same statement. Without a version the 1.0.3 rules apply, under which a
 * duration is compared as the string it is.
 */
export function sameStatement(a: Statement, b: Statement, version: XapiVersion = "1.0.3"): boolean {
  return statementDifference(a, b, version) === undefined;
}

/** `value` as compared with `other`: without what the LRS assigns (2.3.1.b1) and attachments (b6). */
function statementForm(value: unknown, other: unknown, version: XapiVersion): unknown {
  if (!isRecord(value)) return value;
  const { authority: _authority, stored: _stored, version: _version, ...out } = value;
  // The LRS sets id and timestamp only when a statement lacks them: they count when both sides carry one.
  for (const key of ["id", "timestamp"]) {
    if (!isRecord(other) || other[key] === undefined) delete out[key];
  }
  return bodyForm(out, version);
}

/** What statements and SubStatements share. */
function bodyForm(value: Json, version: XapiVersion): Json {
  const { attachments: _attachments, ...out } = value;
  if (typeof out.id === "string") out.id = out.id.toLowerCase();
  if (typeof out.timestamp === "string") out.timestamp = instantForm(out.timestamp);
  if (out.actor !== undefined) out.actor = actorForm(out.actor);
  if (isRecord(out.verb)) {
    const { display: _display, ...verb } = out.verb;
    out.verb = verb;
  }
  if (out.object !== undefined) out.object = objectForm(out.object, version);
  if (out.context !== undefined) out.context = contextForm(out.context);
  if (isRecord(out.result) && typeof out.result.duration === "string" && version === "2.0.0") {
    out.result = { ...out.result, duration: durationForm(out.result.duration) };
  }
  return out;
}

/**
 * The instant, to the millisecond. The two implementations this one replaces disagreed: the 409 check
 * compared to the nanosecond, the signature check to the millisecond. An LRS "MAY truncate or round" a
 * timestamp to millisecond precision (1.0.3 Data 4.5, 2.0 §4.2.7), so a difference beyond it could have been
 * caused by an exception to immutability (2.3.1.b4) and is ignored.
 */
function instantForm(timestamp: string): string {
  const instant = parseInstant(timestamp);
  return instant === undefined ? timestamp : new Date(instant.ms).toISOString();
}

/** xAPI 2.0 §4.2.7: "any precision beyond 0.01 second precision shall not be included in the comparison". */
function durationForm(duration: string): string {
  const match = /^(.*?)(\d+)(?:[.,](\d+))?S$/.exec(duration);
  if (match === null) return duration;
  const [, head = "", whole = "", fraction = ""] = match;
  const hundredths = fraction.slice(0, 2).replace(/0+$/, "");
  return `${head}${whole}${hundredths === "" ? "" : `.${hundredths}`}S`;
}

function actorForm(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Json = { ...value, objectType: value.objectType ?? "Agent" };
  if (typeof out.mbox === "string") out.mbox = canonicalMbox(out.mbox);
  if (typeof out.mbox_sha1sum === "string") out.mbox_sha1sum = out.mbox_sha1sum.toLowerCase();
  if (Array.isArray(out.member)) {
    out.member = out.member
      .map(actorForm)
      .map((member) => ({ member, key: stableJson(member) }))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
      .map(({ member }) => member);
  }
  return out;
}

function objectForm(value: unknown, version: XapiVersion): unknown {
  if (!isRecord(value)) return value;
  switch (value.objectType) {
    case "Agent":
    case "Group":
      return actorForm(value);
    case "SubStatement":
      return bodyForm(value, version);
    case "StatementRef":
      return statementRefForm(value);
    default:
      return activityForm(value);
  }
}

/** An Activity without objectType is an Activity; its definition is not part of the statement (2.3.1.b2). */
function activityForm(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const { definition: _definition, ...activity } = value;
  return { ...activity, objectType: activity.objectType ?? "Activity" };
}

/** A context's StatementRef may omit its objectType (the signature check used to count that as a difference). */
function statementRefForm(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const id = typeof value.id === "string" ? value.id.toLowerCase() : value.id;
  return { ...value, objectType: value.objectType ?? "StatementRef", id };
}

function contextForm(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Json = { ...value };
  if (typeof out.registration === "string") out.registration = out.registration.toLowerCase();
  if (out.instructor !== undefined) out.instructor = actorForm(out.instructor);
  if (out.team !== undefined) out.team = actorForm(out.team);
  // Language tags are case-insensitive (RFC 5646 §2.1.1). The signature check used to compare them as strings.
  if (typeof out.language === "string") out.language = out.language.toLowerCase();
  if (out.statement !== undefined) out.statement = statementRefForm(out.statement);
  if (isRecord(out.contextActivities)) {
    const activities: Json = {};
    for (const [key, entry] of Object.entries(out.contextActivities)) {
      // A single Activity and an array of one are the same (the LRS returns arrays, Data 2.4.6.2).
      if (entry !== undefined) activities[key] = (Array.isArray(entry) ? entry : [entry]).map(activityForm);
    }
    out.contextActivities = activities;
  }
  if (Array.isArray(out.contextAgents)) {
    out.contextAgents = out.contextAgents.map((entry: unknown) =>
      isRecord(entry) ? { ...entry, agent: actorForm(entry.agent) } : entry,
    );
  }
  if (Array.isArray(out.contextGroups)) {
    out.contextGroups = out.contextGroups.map((entry: unknown) =>
      isRecord(entry) ? { ...entry, group: actorForm(entry.group) } : entry,
    );
  }
  return out;
}

/** The first path where `a` and `b` differ; an absent member and an undefined one are the same. */
function diff(a: unknown, b: unknown, path: string): string | undefined {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const found = diff(a[i], b[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return path;
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = diff(a[key], b[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return a === b ? undefined : path;
}

/** JSON with object keys sorted and undefined members dropped, so key order never matters. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : stableJson(v))).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Json)[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${stableJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}
