import {
  type Activity,
  type Actor,
  agentIfi,
  type Context,
  type Statement,
  type SubStatement,
} from "../../xapi/index.js";

/**
 * What the query filters of GET /statements look up, as (kind, value) rows beside each statement:
 * - `agent`: actor, or object when it is an Agent/Group (the `agent` filter)
 * - `agent+`: authority, instructor, team, context agents/groups, and the same inside a SubStatement
 *   (added to `agent` rows when `related_agents=true`)
 * - `activity`: the object when it is an Activity (the `activity` filter)
 * - `activity+`: context activities, and the object and context activities of a SubStatement
 *   (added when `related_activities=true`)
 * - `verb`, `registration`.
 * A statement that targets another through a StatementRef also carries the target's rows, so that
 * filters match it when they match its target, as the specification requires.
 */
export type IndexKind = "agent" | "agent+" | "activity" | "activity+" | "verb" | "registration";

export interface IndexEntry {
  kind: IndexKind;
  value: string;
}

export function indexEntries(statement: Statement): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const seen = new Set<string>();
  const add = (kind: IndexKind, value: string | undefined) => {
    if (value === undefined) return;
    const key = `${kind}\u0000${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ kind, value });
  };
  const actor = (kind: "agent" | "agent+", a: Actor | undefined) => {
    if (a) add(kind, agentIfi(a));
  };

  actor("agent", statement.actor);
  add("verb", statement.verb.id);
  const object = statement.object;
  switch (object.objectType) {
    case "Agent":
    case "Group":
      actor("agent", object);
      break;
    case "SubStatement":
      subStatement(object, actor, add);
      break;
    case "StatementRef":
      break;
    default:
      add("activity", (object as Activity).id);
  }
  actor("agent+", statement.authority);
  context(statement.context, actor, add);
  add("registration", statement.context?.registration);
  return entries;
}

function subStatement(
  sub: SubStatement,
  actor: (kind: "agent" | "agent+", a: Actor | undefined) => void,
  add: (kind: IndexKind, value: string | undefined) => void,
): void {
  actor("agent+", sub.actor);
  const object = sub.object;
  if (object.objectType === "Agent" || object.objectType === "Group") actor("agent+", object);
  else if (object.objectType !== "StatementRef") add("activity+", (object as Activity).id);
  context(sub.context, actor, add);
}

function context(
  ctx: Context | undefined,
  actor: (kind: "agent" | "agent+", a: Actor | undefined) => void,
  add: (kind: IndexKind, value: string | undefined) => void,
): void {
  if (!ctx) return;
  actor("agent+", ctx.instructor);
  actor("agent+", ctx.team);
  for (const ca of ctx.contextAgents ?? []) actor("agent+", ca.agent);
  for (const cg of ctx.contextGroups ?? []) actor("agent+", cg.group);
  const activities = ctx.contextActivities;
  if (activities) {
    for (const list of [activities.parent, activities.grouping, activities.category, activities.other]) {
      for (const activity of list ?? []) add("activity+", activity.id);
    }
  }
}

/** The id of the statement this one targets through a StatementRef object, if any. */
export function statementRefTarget(statement: Statement): string | undefined {
  return statement.object.objectType === "StatementRef" ? statement.object.id.toLowerCase() : undefined;
}
