/**
 * Statement validation against every data rule of xAPI 2.0 (IEEE 9274.1.1-2023) and 1.0.3, as the ADL
 * LRS conformance suite checks them. Pure: takes parsed JSON, returns every problem found (an empty list
 * means valid). Written for the ingest path: one walk over the statement, no cloning, no exceptions, no
 * regular expressions compiled per call, and recursion only over the statement's fixed structure
 * (extension values, which are arbitrary JSON, are walked with an explicit stack and a depth limit).
 */
import { isIri, isIrl, isMailtoIri, isMediaType, isSha1Hex, isSha2Hex, isUri, isUuid } from "./iri.js";
import { isLanguageTag } from "./language.js";
import type { Problem } from "./problem.js";
import { isIsoDuration, isTimestamp } from "./time.js";
import { VOIDED_VERB, type XapiVersion } from "./types.js";

export {
  isHexOfLength,
  isIri,
  isIrl,
  isMailtoIri,
  isMediaType,
  isSha1Hex,
  isSha2Hex,
  isUri,
  isUuid,
} from "./iri.js";
export { isLanguageTag } from "./language.js";
export type { Problem } from "./problem.js";
export { type Instant, isIsoDuration, isTimestamp, parseInstant, parseTimestamp } from "./time.js";

/** Extension values deeper than this are refused (rule `depth`), so hostile input cannot exhaust memory or stacks. */
export const MAX_EXTENSION_DEPTH = 64;

type JsonObject = { [key: string]: unknown };

interface Walk {
  out: Problem[];
  /** xAPI 2.0 rules apply (contextAgents, contextGroups, 2.0.x versions). */
  v2: boolean;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function report(w: Walk, path: string, rule: string, message: string): void {
  w.out.push({ path, rule, message: `${path} ${message}` });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `parent.key`, or `parent["key"]` when the key is not an identifier (extension IRIs, odd keys). */
export function childPath(parent: string, key: string): string {
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function typeProblem(w: Walk, path: string, expected: string, v: unknown): void {
  report(w, path, "type", `must be ${expected}, not ${describe(v)}`);
}

/** Keys are case-sensitive: `Actor` or `timeStamp` is an unknown property, as the suite expects. */
function checkKeys(w: Walk, o: JsonObject, allowed: ReadonlySet<string>, path: string): void {
  for (const key in o) {
    if (!allowed.has(key))
      report(w, childPath(path, key), "unknown-property", "is not a property xAPI defines here");
  }
}

function required(w: Walk, o: JsonObject, key: string, path: string): unknown {
  const v = o[key];
  if (v === undefined) report(w, `${path}.${key}`, "required", "is required");
  return v;
}

function optionalString(w: Walk, o: JsonObject, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== "string") typeProblem(w, `${path}.${key}`, "a string", v);
}

function iri(w: Walk, v: unknown, path: string): void {
  if (typeof v !== "string") typeProblem(w, path, "an IRI string", v);
  else if (!isIri(v)) report(w, path, "iri", "must be an absolute IRI (scheme ':' …)");
}

function irl(w: Walk, v: unknown, path: string): void {
  if (typeof v !== "string") typeProblem(w, path, "an IRL string", v);
  else if (!isIrl(v))
    report(w, path, "irl", "must be an IRL (an absolute IRI with an authority, e.g. https://host/…)");
}

function uuid(w: Walk, v: unknown, path: string): void {
  if (typeof v !== "string") typeProblem(w, path, "a UUID string", v);
  else if (!isUuid(v))
    report(w, path, "uuid", "must be a UUID in standard string form (8-4-4-4-12 hex digits)");
}

function timestamp(w: Walk, v: unknown, path: string): void {
  if (typeof v !== "string") typeProblem(w, path, "an ISO 8601 timestamp string", v);
  else if (!isTimestamp(v)) {
    report(w, path, "timestamp.iso8601", "must be an ISO 8601 date-time (e.g. 2013-05-18T05:32:34.804Z)");
  }
}

function languageMap(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a language map (an object of RFC 5646 language tags to strings)", v);
    return;
  }
  let entries = 0;
  for (const tag in v) {
    entries++;
    if (!isLanguageTag(tag))
      report(w, childPath(path, tag), "language-map", "key must be an RFC 5646 language tag");
    const text = v[tag];
    if (typeof text !== "string")
      report(w, childPath(path, tag), "language-map", `must be a string, not ${describe(text)}`);
  }
  if (entries === 0) report(w, path, "language-map", "must have at least one entry");
}

function extensions(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "an extensions object (IRI keys to any JSON value)", v);
    return;
  }
  for (const key in v) {
    if (!isIri(key)) report(w, childPath(path, key), "iri", "extension key must be an absolute IRI");
    const value = v[key];
    if (typeof value === "object" && value !== null) checkDepth(w, value, path, key);
  }
}

/** Extension values are arbitrary JSON (null included); only their nesting is bounded, walked iteratively. */
function checkDepth(w: Walk, root: object, path: string, key: string): void {
  const nodes: object[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > MAX_EXTENSION_DEPTH) {
      report(
        w,
        childPath(path, key),
        "depth",
        `must not nest objects or arrays more than ${MAX_EXTENSION_DEPTH} levels deep`,
      );
      return;
    }
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === "object" && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Agents and Groups

const AGENT_KEYS: ReadonlySet<string> = new Set([
  "objectType",
  "name",
  "mbox",
  "mbox_sha1sum",
  "openid",
  "account",
]);
const GROUP_KEYS: ReadonlySet<string> = new Set([...AGENT_KEYS, "member"]);
const ACCOUNT_KEYS: ReadonlySet<string> = new Set(["homePage", "name"]);

/** What a position in a statement admits. */
const AGENT_OR_GROUP = 0;
const AGENT_ONLY = 1;
const GROUP_ONLY = 2;
type ActorKind = typeof AGENT_OR_GROUP | typeof AGENT_ONLY | typeof GROUP_ONLY;

/** Validates each IFI present and returns how many there are. */
function ifis(w: Walk, o: JsonObject, path: string): number {
  let count = 0;
  const mbox = o.mbox;
  if (mbox !== undefined) {
    count++;
    if (!isMailtoIri(mbox))
      report(w, `${path}.mbox`, "mbox.mailto", "must be a mailto: IRI of one e-mail address");
  }
  const sha1 = o.mbox_sha1sum;
  if (sha1 !== undefined) {
    count++;
    if (!isSha1Hex(sha1)) {
      report(
        w,
        `${path}.mbox_sha1sum`,
        "mbox_sha1sum.hex",
        "must be the 40 hex digit SHA-1 of a mailto: IRI",
      );
    }
  }
  const openid = o.openid;
  if (openid !== undefined) {
    count++;
    if (!isUri(openid)) report(w, `${path}.openid`, "uri", "must be an absolute URI");
  }
  const account = o.account;
  if (account !== undefined) {
    count++;
    const at = `${path}.account`;
    if (!isObject(account)) typeProblem(w, at, "an account object (homePage and name)", account);
    else {
      checkKeys(w, account, ACCOUNT_KEYS, at);
      const homePage = required(w, account, "homePage", at);
      if (homePage !== undefined) irl(w, homePage, `${at}.homePage`);
      const name = required(w, account, "name", at);
      if (name !== undefined && typeof name !== "string") typeProblem(w, `${at}.name`, "a string", name);
    }
  }
  return count;
}

/**
 * An Agent or Group. `objectTypeRequired` holds where it is a statement's object (Agents elsewhere may
 * omit it); a Group always needs `"objectType": "Group"`, otherwise it is read as an Agent.
 */
function actor(w: Walk, v: unknown, path: string, kind: ActorKind, objectTypeRequired: boolean): void {
  if (!isObject(v)) {
    typeProblem(w, path, kind === GROUP_ONLY ? "a Group object" : "an Agent or Group object", v);
    return;
  }
  const objectType = v.objectType;
  let group = false;
  if (objectType === undefined) {
    if (objectTypeRequired) {
      report(
        w,
        `${path}.objectType`,
        "required",
        "is required when an Agent or Group is the object of a statement",
      );
    }
  } else if (objectType === "Group") group = true;
  else if (objectType !== "Agent")
    report(w, `${path}.objectType`, "object-type", 'must be "Agent" or "Group"');
  if (kind === GROUP_ONLY && !group) report(w, path, "group", 'must be a Group (with "objectType": "Group")');
  if (kind === AGENT_ONLY && group) report(w, path, "agent", "must be an Agent, not a Group");
  checkKeys(w, v, group ? GROUP_KEYS : AGENT_KEYS, path);
  optionalString(w, v, "name", path);
  const count = ifis(w, v, path);
  if (!group) {
    if (count !== 1) {
      report(
        w,
        path,
        "ifi.exactly-one",
        `must have exactly one of mbox, mbox_sha1sum, openid or account (has ${count})`,
      );
    }
    return;
  }
  const member = v.member;
  if (member !== undefined) members(w, member, `${path}.member`);
  if (count > 1) {
    report(
      w,
      path,
      "ifi.exactly-one",
      `must have at most one of mbox, mbox_sha1sum, openid or account (has ${count})`,
    );
  } else if (count === 0 && (!Array.isArray(member) || member.length === 0)) {
    report(
      w,
      `${path}.member`,
      "group.member.required",
      "is required, with at least one Agent, on an anonymous Group",
    );
  }
}

function members(w: Walk, v: unknown, path: string): void {
  if (!Array.isArray(v)) {
    typeProblem(w, path, "an array of Agents", v);
    return;
  }
  for (let i = 0; i < v.length; i++) {
    const m: unknown = v[i];
    const at = `${path}[${i}]`;
    if (isObject(m) && m.objectType === "Group")
      report(w, at, "group.member.agent", "must be an Agent: Groups cannot be members");
    else actor(w, m, at, AGENT_ONLY, false);
  }
}

function hasIfi(o: JsonObject): boolean {
  return (
    o.mbox !== undefined || o.mbox_sha1sum !== undefined || o.openid !== undefined || o.account !== undefined
  );
}

/** Either an Agent, or (OAuth 1.0 three-legged) an anonymous Group of exactly two Agents. */
function authority(w: Walk, v: unknown, path: string): void {
  actor(w, v, path, AGENT_OR_GROUP, false);
  if (isObject(v) && v.objectType === "Group") {
    const member = v.member;
    if (hasIfi(v) || !Array.isArray(member) || member.length !== 2) {
      report(
        w,
        path,
        "authority.group",
        "must be an anonymous Group of exactly two Agents when it is a Group",
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Verb, objects, Activities

const VERB_KEYS: ReadonlySet<string> = new Set(["id", "display"]);

/** Returns the verb id when valid, for the voiding rule. */
function verb(w: Walk, v: unknown, path: string): string | undefined {
  if (!isObject(v)) {
    typeProblem(w, path, "a Verb object", v);
    return undefined;
  }
  checkKeys(w, v, VERB_KEYS, path);
  const id = required(w, v, "id", path);
  if (id !== undefined) iri(w, id, `${path}.id`);
  if (v.display !== undefined) languageMap(w, v.display, `${path}.display`);
  return typeof id === "string" ? id : undefined;
}

const INTERACTION_TYPES: ReadonlySet<string> = new Set([
  "true-false",
  "choice",
  "fill-in",
  "long-fill-in",
  "matching",
  "performance",
  "sequencing",
  "likert",
  "numeric",
  "other",
]);
const COMPONENT_KEYS: ReadonlySet<string> = new Set(["id", "description"]);

function unknownProperty(w: Walk, path: string, key: string): void {
  report(w, childPath(path, key), "unknown-property", "is not a property xAPI defines here");
}

function activity(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "an Activity object", v);
    return;
  }
  let hasId = false;
  // One pass over the keys present: checks each, and flags the unknown ones.
  for (const key in v) {
    const value = v[key];
    if (value === undefined) continue;
    switch (key) {
      case "objectType":
        if (value !== "Activity") report(w, `${path}.objectType`, "object-type", 'must be "Activity"');
        break;
      case "id":
        hasId = true;
        iri(w, value, `${path}.id`);
        break;
      case "definition":
        definition(w, value, `${path}.definition`);
        break;
      default:
        unknownProperty(w, path, key);
    }
  }
  if (!hasId) report(w, `${path}.id`, "required", "is required");
}

/** Which interaction types a list of interaction components belongs to. */
function componentTypes(list: string): readonly string[] {
  switch (list) {
    case "choices":
      return CHOICE_TYPES;
    case "scale":
      return LIKERT_TYPES;
    case "steps":
      return PERFORMANCE_TYPES;
    default:
      return MATCHING_TYPES;
  }
}
const CHOICE_TYPES = ["choice", "sequencing"] as const;
const LIKERT_TYPES = ["likert"] as const;
const MATCHING_TYPES = ["matching"] as const;
const PERFORMANCE_TYPES = ["performance"] as const;

function definition(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "an Activity Definition object", v);
    return;
  }
  const interactionType = v.interactionType;
  const known =
    typeof interactionType === "string" && INTERACTION_TYPES.has(interactionType)
      ? interactionType
      : undefined;
  for (const key in v) {
    const value = v[key];
    if (value === undefined) continue;
    switch (key) {
      case "name":
      case "description":
        languageMap(w, value, `${path}.${key}`);
        break;
      case "type":
        iri(w, value, `${path}.type`);
        break;
      case "moreInfo":
        irl(w, value, `${path}.moreInfo`);
        break;
      case "interactionType":
        if (known === undefined) {
          report(
            w,
            `${path}.interactionType`,
            "interaction-type",
            "must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, likert, numeric, other",
          );
        }
        break;
      case "correctResponsesPattern": {
        const at = `${path}.correctResponsesPattern`;
        if (!Array.isArray(value)) typeProblem(w, at, "an array of strings", value);
        else {
          for (let i = 0; i < value.length; i++) {
            if (typeof value[i] !== "string") typeProblem(w, `${at}[${i}]`, "a string", value[i]);
          }
        }
        if (interactionType === undefined)
          report(w, at, "interaction-type.required", "requires interactionType");
        break;
      }
      case "choices":
      case "scale":
      case "source":
      case "target":
      case "steps": {
        const at = `${path}.${key}`;
        const types = componentTypes(key);
        if (interactionType === undefined)
          report(w, at, "interaction-type.required", "requires interactionType");
        else if (known !== undefined && !types.includes(known)) {
          report(
            w,
            at,
            "interaction-component.type",
            `is only allowed with interactionType ${types.join(" or ")}`,
          );
        }
        interactionComponents(w, value, at);
        break;
      }
      case "extensions":
        extensions(w, value, `${path}.extensions`);
        break;
      default:
        unknownProperty(w, path, key);
    }
  }
}

function interactionComponents(w: Walk, v: unknown, path: string): void {
  if (!Array.isArray(v)) {
    typeProblem(w, path, "an array of interaction components", v);
    return;
  }
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const c: unknown = v[i];
    const at = `${path}[${i}]`;
    if (!isObject(c)) {
      typeProblem(w, at, "an interaction component object", c);
      continue;
    }
    checkKeys(w, c, COMPONENT_KEYS, at);
    const id = required(w, c, "id", at);
    if (id !== undefined) {
      if (typeof id !== "string" || id.length === 0) typeProblem(w, `${at}.id`, "a non-empty string", id);
      else if (seen.has(id))
        report(
          w,
          `${at}.id`,
          "interaction-component.id.unique",
          "must differ from the other ids of the list",
        );
      else seen.add(id);
    }
    if (c.description !== undefined) languageMap(w, c.description, `${at}.description`);
  }
}

const STATEMENT_REF_KEYS: ReadonlySet<string> = new Set(["objectType", "id"]);

function statementRef(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a StatementRef object", v);
    return;
  }
  checkKeys(w, v, STATEMENT_REF_KEYS, path);
  const objectType = required(w, v, "objectType", path);
  if (objectType !== undefined && objectType !== "StatementRef") {
    report(w, `${path}.objectType`, "object-type", 'must be "StatementRef"');
  }
  const id = required(w, v, "id", path);
  if (id !== undefined) uuid(w, id, `${path}.id`);
}

/** Validates a statement's object and returns its kind (undefined when unreadable), which other rules need. */
function statementObject(w: Walk, v: unknown, path: string, inSubStatement: boolean): string | undefined {
  if (!isObject(v)) {
    typeProblem(w, path, "an Activity, Agent, Group, StatementRef or SubStatement object", v);
    return undefined;
  }
  const objectType = v.objectType;
  switch (objectType) {
    case undefined:
      // Read as an Activity, but an IFI or members show an Agent or Group missing its required objectType.
      if (hasIfi(v) || v.member !== undefined) {
        report(
          w,
          `${path}.objectType`,
          "required",
          "is required when an Agent or Group is the object of a statement",
        );
        return undefined;
      }
      activity(w, v, path);
      return "Activity";
    case "Activity":
      activity(w, v, path);
      return "Activity";
    case "Agent":
    case "Group":
      actor(w, v, path, AGENT_OR_GROUP, true);
      return objectType;
    case "StatementRef":
      statementRef(w, v, path);
      return objectType;
    case "SubStatement":
      if (inSubStatement)
        report(w, path, "substatement.nested", "must not be a SubStatement inside a SubStatement");
      else subStatement(w, v, path);
      return objectType;
    default:
      report(
        w,
        `${path}.objectType`,
        "object-type",
        'must be "Activity", "Agent", "Group", "StatementRef" or "SubStatement"',
      );
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Result, Context, Attachments

const SCORE_KEYS: ReadonlySet<string> = new Set(["scaled", "raw", "min", "max"]);

function result(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a Result object", v);
    return;
  }
  for (const key in v) {
    const value = v[key];
    if (value === undefined) continue;
    switch (key) {
      case "score":
        score(w, value, `${path}.score`);
        break;
      case "success":
      case "completion":
        if (typeof value !== "boolean") typeProblem(w, `${path}.${key}`, "a boolean", value);
        break;
      case "response":
        if (typeof value !== "string") typeProblem(w, `${path}.response`, "a string", value);
        break;
      case "duration":
        if (typeof value !== "string")
          typeProblem(w, `${path}.duration`, "an ISO 8601 duration string", value);
        else if (!isIsoDuration(value)) {
          report(
            w,
            `${path}.duration`,
            "duration.iso8601",
            "must be an ISO 8601 duration (e.g. PT1H30M0.5S)",
          );
        }
        break;
      case "extensions":
        extensions(w, value, `${path}.extensions`);
        break;
      default:
        unknownProperty(w, path, key);
    }
  }
}

function scoreNumber(w: Walk, o: JsonObject, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    typeProblem(w, `${path}.${key}`, "a number", v);
    return undefined;
  }
  return v;
}

function score(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a Score object", v);
    return;
  }
  checkKeys(w, v, SCORE_KEYS, path);
  const scaled = scoreNumber(w, v, "scaled", path);
  const raw = scoreNumber(w, v, "raw", path);
  const min = scoreNumber(w, v, "min", path);
  const max = scoreNumber(w, v, "max", path);
  if (scaled !== undefined && (scaled < -1 || scaled > 1)) {
    report(w, `${path}.scaled`, "score.scaled.range", "must be between -1 and 1 inclusive");
  }
  if (min !== undefined && max !== undefined && !(min < max)) {
    report(w, `${path}.min`, "score.min-max", "must be less than score.max");
  }
  if (raw !== undefined) {
    if (min !== undefined && raw < min)
      report(w, `${path}.raw`, "score.raw.range", "must not be less than score.min");
    if (max !== undefined && raw > max)
      report(w, `${path}.raw`, "score.raw.range", "must not be greater than score.max");
  }
}

const CONTEXT_AGENT_KEYS: ReadonlySet<string> = new Set(["objectType", "agent", "relevantTypes"]);
const CONTEXT_GROUP_KEYS: ReadonlySet<string> = new Set(["objectType", "group", "relevantTypes"]);

function context(w: Walk, v: unknown, path: string, objectKind: string | undefined): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a Context object", v);
    return;
  }
  for (const key in v) {
    const value = v[key];
    if (value === undefined) continue;
    switch (key) {
      case "registration":
        uuid(w, value, `${path}.registration`);
        break;
      case "instructor":
        actor(w, value, `${path}.instructor`, AGENT_OR_GROUP, false);
        break;
      case "team":
        actor(w, value, `${path}.team`, GROUP_ONLY, false);
        break;
      case "contextActivities":
        contextActivities(w, value, `${path}.contextActivities`);
        break;
      case "revision":
      case "platform":
        if (typeof value !== "string") typeProblem(w, `${path}.${key}`, "a string", value);
        if (objectKind !== undefined && objectKind !== "Activity") {
          report(
            w,
            `${path}.${key}`,
            "context.activity-only",
            "is only allowed when the statement's object is an Activity",
          );
        }
        break;
      case "language":
        if (typeof value !== "string")
          typeProblem(w, `${path}.language`, "an RFC 5646 language tag string", value);
        else if (!isLanguageTag(value))
          report(w, `${path}.language`, "language-tag", "must be an RFC 5646 language tag");
        break;
      case "statement":
        statementRef(w, value, `${path}.statement`);
        break;
      case "extensions":
        extensions(w, value, `${path}.extensions`);
        break;
      case "contextAgents":
      case "contextGroups":
        // xAPI 2.0 only: under 1.0.3 they are unknown properties.
        if (w.v2) contextAgents(w, value, `${path}.${key}`, key === "contextGroups");
        else unknownProperty(w, path, key);
        break;
      default:
        unknownProperty(w, path, key);
    }
  }
}

/** Each value is an Activity or an array of Activities (normalized to an array before storing). */
function contextActivities(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a contextActivities object", v);
    return;
  }
  for (const key in v) {
    const value = v[key];
    if (value === undefined) continue;
    switch (key) {
      case "parent":
      case "grouping":
      case "category":
      case "other": {
        const at = `${path}.${key}`;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) activity(w, value[i], `${at}[${i}]`);
        } else activity(w, value, at);
        break;
      }
      default:
        unknownProperty(w, path, key);
    }
  }
}

/** xAPI 2.0 `contextAgents` (of `contextAgent` objects) or `contextGroups` (of `contextGroup` objects). */
function contextAgents(w: Walk, v: unknown, path: string, groups: boolean): void {
  const name = groups ? "contextGroup" : "contextAgent";
  if (!Array.isArray(v)) {
    typeProblem(w, path, `an array of ${name} objects`, v);
    return;
  }
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const at = `${path}[${i}]`;
    if (!isObject(item)) {
      typeProblem(w, at, `a ${name} object`, item);
      continue;
    }
    checkKeys(w, item, groups ? CONTEXT_GROUP_KEYS : CONTEXT_AGENT_KEYS, at);
    const objectType = required(w, item, "objectType", at);
    if (objectType !== undefined && objectType !== name)
      report(w, `${at}.objectType`, "object-type", `must be "${name}"`);
    const who = required(w, item, groups ? "group" : "agent", at);
    if (who !== undefined)
      actor(w, who, `${at}.${groups ? "group" : "agent"}`, groups ? GROUP_ONLY : AGENT_ONLY, false);
    const relevantTypes = item.relevantTypes;
    if (relevantTypes !== undefined) {
      const rt = `${at}.relevantTypes`;
      if (!Array.isArray(relevantTypes)) typeProblem(w, rt, "an array of IRIs", relevantTypes);
      else if (relevantTypes.length === 0)
        report(w, rt, "relevant-types.empty", "must hold at least one IRI when present");
      else for (let k = 0; k < relevantTypes.length; k++) iri(w, relevantTypes[k], `${rt}[${k}]`);
    }
  }
}

const ATTACHMENT_KEYS: ReadonlySet<string> = new Set([
  "usageType",
  "display",
  "description",
  "contentType",
  "length",
  "sha2",
  "fileUrl",
]);

function attachments(w: Walk, v: unknown, path: string): void {
  if (!Array.isArray(v)) {
    typeProblem(w, path, "an array of Attachment objects", v);
    return;
  }
  for (let i = 0; i < v.length; i++) attachment(w, v[i], `${path}[${i}]`);
}

function attachment(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "an Attachment object", v);
    return;
  }
  checkKeys(w, v, ATTACHMENT_KEYS, path);
  const usageType = required(w, v, "usageType", path);
  if (usageType !== undefined) iri(w, usageType, `${path}.usageType`);
  const display = required(w, v, "display", path);
  if (display !== undefined) languageMap(w, display, `${path}.display`);
  if (v.description !== undefined) languageMap(w, v.description, `${path}.description`);
  const contentType = required(w, v, "contentType", path);
  if (contentType !== undefined) {
    if (typeof contentType !== "string")
      typeProblem(w, `${path}.contentType`, "an Internet media type string", contentType);
    else if (!isMediaType(contentType)) {
      report(
        w,
        `${path}.contentType`,
        "media-type",
        "must be an Internet media type (e.g. text/plain; charset=utf-8)",
      );
    }
  }
  const length = required(w, v, "length", path);
  if (length !== undefined && !(typeof length === "number" && Number.isSafeInteger(length) && length >= 0)) {
    report(w, `${path}.length`, "integer", "must be a non-negative integer number of octets");
  }
  const sha2 = required(w, v, "sha2", path);
  if (sha2 !== undefined) {
    if (typeof sha2 !== "string") typeProblem(w, `${path}.sha2`, "a hex string", sha2);
    else if (!isSha2Hex(sha2))
      report(w, `${path}.sha2`, "sha2.hex", "must be a SHA-2 hash in hex (56, 64, 96 or 128 digits)");
  }
  if (v.fileUrl !== undefined) irl(w, v.fileUrl, `${path}.fileUrl`);
}

// ---------------------------------------------------------------------------------------------------
// Statements

const STATEMENT_KEYS: ReadonlySet<string> = new Set([
  "id",
  "actor",
  "verb",
  "object",
  "result",
  "context",
  "timestamp",
  "stored",
  "authority",
  "version",
  "attachments",
]);
const SUBSTATEMENT_KEYS: ReadonlySet<string> = new Set([
  "objectType",
  "actor",
  "verb",
  "object",
  "result",
  "context",
  "timestamp",
  "attachments",
]);
/** Properties only the outer statement may have. */
const OUTER_ONLY_KEYS: ReadonlySet<string> = new Set(["id", "stored", "version", "authority"]);

/** 1.0.3: "1.0" or "1.0.x". 2.0: also "2.0" or "2.0.x" (a 2.0 LRS also stores statements made under 1.0.x). */
const VERSION_1_0 = /^1\.0(\.(0|[1-9]\d*))?$/;
const VERSION_1_0_OR_2_0 = /^[12]\.0(\.(0|[1-9]\d*))?$/;

/** Shared by statements and SubStatements: actor, verb, object, result, context, timestamp, attachments. */
function statementBody(w: Walk, v: JsonObject, path: string, inSubStatement: boolean): void {
  const actorValue = required(w, v, "actor", path);
  if (actorValue !== undefined) actor(w, actorValue, `${path}.actor`, AGENT_OR_GROUP, false);
  const verbValue = required(w, v, "verb", path);
  const verbId = verbValue === undefined ? undefined : verb(w, verbValue, `${path}.verb`);
  const objectValue = required(w, v, "object", path);
  const objectKind =
    objectValue === undefined ? undefined : statementObject(w, objectValue, `${path}.object`, inSubStatement);
  // Only a statement voids; a SubStatement merely describes one.
  if (
    !inSubStatement &&
    verbId === VOIDED_VERB &&
    objectKind !== undefined &&
    objectKind !== "StatementRef"
  ) {
    report(w, `${path}.object`, "voiding.statement-ref", "must be a StatementRef when the verb is voided");
  }
  if (v.result !== undefined) result(w, v.result, `${path}.result`);
  if (v.context !== undefined) context(w, v.context, `${path}.context`, objectKind);
  if (v.timestamp !== undefined) timestamp(w, v.timestamp, `${path}.timestamp`);
  if (v.attachments !== undefined) attachments(w, v.attachments, `${path}.attachments`);
}

function subStatement(w: Walk, v: JsonObject, path: string): void {
  for (const key in v) {
    if (SUBSTATEMENT_KEYS.has(key)) continue;
    if (OUTER_ONLY_KEYS.has(key)) {
      report(w, childPath(path, key), "substatement.forbidden-property", "is not allowed in a SubStatement");
    } else report(w, childPath(path, key), "unknown-property", "is not a property xAPI defines here");
  }
  statementBody(w, v, path, true);
}

function statement(w: Walk, v: unknown, path: string): void {
  if (!isObject(v)) {
    typeProblem(w, path, "a statement object", v);
    return;
  }
  checkKeys(w, v, STATEMENT_KEYS, path);
  if (v.id !== undefined) uuid(w, v.id, `${path}.id`);
  statementBody(w, v, path, false);
  if (v.stored !== undefined) timestamp(w, v.stored, `${path}.stored`);
  if (v.authority !== undefined) authority(w, v.authority, `${path}.authority`);
  const version = v.version;
  if (version !== undefined) {
    if (typeof version !== "string") typeProblem(w, `${path}.version`, "a version string", version);
    else if (!(w.v2 ? VERSION_1_0_OR_2_0 : VERSION_1_0).test(version)) {
      report(
        w,
        `${path}.version`,
        "version",
        w.v2 ? 'must be "1.0", "1.0.x", "2.0" or "2.0.x"' : 'must be "1.0" or "1.0.x"',
      );
    }
  }
}

/** Every problem of one statement under `version`'s rules; empty when it is valid. */
export function validateStatement(value: unknown, version: XapiVersion, path = "statement"): Problem[] {
  const w: Walk = { out: [], v2: version === "2.0.0" };
  statement(w, value, path);
  return w.out;
}

/**
 * The body of POST /statements: one statement (paths `statement…`) or an array of them (paths
 * `statements[i]…`). Two statements of one batch with the same id are refused (rule
 * `statements.duplicate-id`), as the specification says the LRS should.
 */
export function validateStatements(values: unknown, version: XapiVersion): Problem[] {
  const w: Walk = { out: [], v2: version === "2.0.0" };
  if (!Array.isArray(values)) {
    statement(w, values, "statement");
    return w.out;
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const value: unknown = values[i];
    const path = `statements[${i}]`;
    statement(w, value, path);
    if (!isObject(value) || !isUuid(value.id)) continue;
    const id = value.id.toLowerCase();
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else
      report(
        w,
        `${path}.id`,
        "statements.duplicate-id",
        `repeats the id of statements[${first}] in the same batch`,
      );
  }
  return w.out;
}

/**
 * The `agent` parameter of the Statements, State and Agent Profile resources: an Agent or an identified
 * Group (an anonymous Group identifies nothing a document could be kept under).
 */
export function validateAgent(value: unknown, version: XapiVersion, path = "agent"): Problem[] {
  const w: Walk = { out: [], v2: version === "2.0.0" };
  actor(w, value, path, AGENT_OR_GROUP, false);
  if (isObject(value) && value.objectType === "Group" && !hasIfi(value)) {
    report(w, path, "agent.identified", "must be an Agent or an identified Group (with an IFI)");
  }
  return w.out;
}
