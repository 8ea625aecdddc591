/**
 * Statement comparison (xAPI Data 2.3.1, "Statement Comparison Requirements"), which decides between
 * 204/200 and 409 when a statement arrives with an id the LRS holds. Differences the immutability
 * exceptions allow are ignored:
 * - properties the LRS assigns: id, authority, stored, version, and timestamp when either side lacks it
 *   (when both have one, the instants must be equal, whatever their serialization);
 * - Activity Definitions and Verb displays (not part of the statement itself);
 * - the order of a Group's members (an unordered list), the order of object keys;
 * - attachments (not part of statements);
 * - case where it carries no meaning: UUIDs, the mailto scheme and domain, SHA-1 hex, language tags;
 * - forms the LRS normalizes: a single context Activity vs an array of one, absent vs default objectType.
 * Everything else, Result Duration included, is compared as serialized.
 */
import { canonicalMbox } from "./ifi.js";
import { parseInstant } from "./time.js";
import type { Actor, Context, Statement, StatementObject, SubStatement } from "./types.js";

type Comparable = { [key: string]: unknown };

function actorForm(a: Actor): Comparable {
  const out: Comparable = { objectType: a.objectType ?? "Agent", name: a.name };
  if (typeof a.mbox === "string") out.mbox = canonicalMbox(a.mbox);
  if (typeof a.mbox_sha1sum === "string") out.mbox_sha1sum = a.mbox_sha1sum.toLowerCase();
  out.openid = a.openid;
  out.account = a.account;
  if (a.objectType === "Group" && Array.isArray(a.member)) {
    out.member = a.member
      .map((m) => stableJson(actorForm(m)))
      .sort()
      .map((json) => JSON.parse(json) as unknown);
  }
  return out;
}

function activityForm(a: unknown): Comparable {
  const id = (a as { id?: unknown }).id;
  return { objectType: "Activity", id };
}

function activityList(value: unknown): Comparable[] {
  return (Array.isArray(value) ? value : [value]).map(activityForm);
}

function contextForm(c: Context): Comparable {
  const out: Comparable = { ...c };
  if (c.registration !== undefined) out.registration = c.registration.toLowerCase();
  if (c.instructor !== undefined) out.instructor = actorForm(c.instructor);
  if (c.team !== undefined) out.team = actorForm(c.team);
  if (c.language !== undefined) out.language = c.language.toLowerCase();
  if (c.statement !== undefined)
    out.statement = { objectType: "StatementRef", id: c.statement.id.toLowerCase() };
  const ca = c.contextActivities;
  if (ca !== undefined) {
    const activities: Comparable = {};
    for (const key of ["parent", "grouping", "category", "other"] as const) {
      if (ca[key] !== undefined) activities[key] = activityList(ca[key]);
    }
    out.contextActivities = activities;
  }
  if (c.contextAgents !== undefined) {
    out.contextAgents = c.contextAgents.map((ca) => ({ ...ca, agent: actorForm(ca.agent) }));
  }
  if (c.contextGroups !== undefined) {
    out.contextGroups = c.contextGroups.map((cg) => ({ ...cg, group: actorForm(cg.group) }));
  }
  return out;
}

function instantForm(timestamp: string): string {
  const instant = parseInstant(timestamp);
  return instant === undefined ? timestamp : `${instant.ms}.${instant.nanos}`;
}

function objectForm(o: StatementObject): Comparable {
  switch (o.objectType) {
    case undefined:
    case "Activity":
      return activityForm(o);
    case "Agent":
    case "Group":
      return actorForm(o);
    case "StatementRef":
      return { objectType: "StatementRef", id: o.id.toLowerCase() };
    case "SubStatement":
      return { objectType: "SubStatement", ...bodyForm(o, true) };
  }
}

/** The comparable form of what statements and SubStatements share. */
function bodyForm(s: Statement | SubStatement, withTimestamp: boolean): Comparable {
  const out: Comparable = {
    actor: actorForm(s.actor),
    verb: { id: s.verb.id },
    object: objectForm(s.object),
    result: s.result,
  };
  if (s.context !== undefined) out.context = contextForm(s.context);
  if (withTimestamp && s.timestamp !== undefined) out.timestamp = instantForm(s.timestamp);
  return out;
}

/** JSON with object keys sorted and undefined members dropped, so key order never matters. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : stableJson(v))).join(",")}]`;
  const record = value as Comparable;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${stableJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Whether `a` and `b` are the same statement in the sense of the xAPI comparison requirements. */
export function sameStatement(a: Statement, b: Statement): boolean {
  // The LRS sets timestamp when a statement lacks one, so it only counts when both sides carry it.
  const withTimestamp = a.timestamp !== undefined && b.timestamp !== undefined;
  return stableJson(bodyForm(a, withTimestamp)) === stableJson(bodyForm(b, withTimestamp));
}
