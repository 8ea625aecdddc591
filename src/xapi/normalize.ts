/**
 * What the LRS changes in a valid statement before storing it, and nothing more (statements are
 * otherwise immutable):
 * - every `contextActivities` value becomes an array (xAPI Data 2.4.6.2: the LRS returns arrays even
 *   for a single Activity; the conformance suite checks it, in SubStatements too);
 * - an object without `objectType` gets `"objectType": "Activity"` (xAPI Data 2.4.4: an object without
 *   one is an Activity; the suite's requirement reads "the LRS generates" it);
 * - UUIDs (statement id, StatementRef ids, registration) are lower-cased: RFC 4122 UUIDs are
 *   case-insensitive, and one spelling lets the store look them up directly.
 * The LRS-owned properties (id when absent, stored, timestamp when absent, authority, version) depend on
 * the request and are set by the LRS module. Copies only what changes; the input is never mutated.
 */
import type {
  Activity,
  Context,
  ContextActivities,
  Statement,
  StatementObject,
  SubStatement,
} from "./types.js";

const CONTEXT_ACTIVITY_KEYS = ["parent", "grouping", "category", "other"] as const;

function lower(id: string): string {
  return id.toLowerCase();
}

function normalizeContextActivities(ca: ContextActivities): ContextActivities {
  const out: ContextActivities = { ...ca };
  for (const key of CONTEXT_ACTIVITY_KEYS) {
    // Before normalization the value may still be a single Activity, whatever the type says.
    const value: unknown = ca[key];
    if (value !== undefined && !Array.isArray(value)) out[key] = [value as Activity];
  }
  return out;
}

function normalizeContext(c: Context): Context {
  const out: Context = { ...c };
  if (c.registration !== undefined) out.registration = lower(c.registration);
  if (c.statement !== undefined) out.statement = { ...c.statement, id: lower(c.statement.id) };
  if (c.contextActivities !== undefined)
    out.contextActivities = normalizeContextActivities(c.contextActivities);
  return out;
}

function normalizeObject(o: StatementObject): StatementObject {
  switch (o.objectType) {
    case undefined: // an object without objectType is an Activity
      return { ...(o as Activity), objectType: "Activity" };
    case "StatementRef":
      return { ...o, id: lower(o.id) };
    case "SubStatement": {
      const sub: SubStatement = { ...o, object: normalizeObject(o.object) as SubStatement["object"] };
      if (o.context !== undefined) sub.context = normalizeContext(o.context);
      return sub;
    }
    default:
      return o;
  }
}

export function normalizeStatement(s: Statement): Statement {
  const out: Statement = { ...s, object: normalizeObject(s.object) };
  if (s.id !== undefined) out.id = lower(s.id);
  if (s.context !== undefined) out.context = normalizeContext(s.context);
  return out;
}
