import type { Queryable } from "../store/index.js";
import {
  type Activity,
  type ActivityDefinition,
  type Actor,
  agentIfi,
  type Context,
  type Statement,
  type StatementObject,
} from "../xapi/index.js";

/**
 * The LRS's own view of activities and agents, refreshed from the statements that credentials with the
 * `define` scope store: the canonical activity definitions (Activities resource, `format=canonical`)
 * and the agents known by each IFI (Agents resource).
 */

export function activitiesOf(statement: Statement): Activity[] {
  const found: Activity[] = [];
  const object = (o: StatementObject) => {
    if (o.objectType === undefined || o.objectType === "Activity") found.push(o as Activity);
    else if (o.objectType === "SubStatement") {
      object(o.object);
      context(o.context);
    }
  };
  const context = (c: Context | undefined) => {
    const ca = c?.contextActivities;
    if (!ca) return;
    for (const list of [ca.parent, ca.grouping, ca.category, ca.other])
      for (const a of list ?? []) found.push(a);
  };
  object(statement.object);
  context(statement.context);
  return found;
}

function actorsOf(statement: Statement): Actor[] {
  const found: Actor[] = [statement.actor];
  const o = statement.object;
  if (o.objectType === "Agent" || o.objectType === "Group") found.push(o);
  if (statement.context?.instructor) found.push(statement.context.instructor);
  return found;
}

/** Merges a new definition into a canonical one: language maps by language, the rest replaced. */
export function mergeDefinition(
  current: ActivityDefinition | undefined,
  incoming: ActivityDefinition,
): ActivityDefinition {
  if (!current) return incoming;
  const merged: ActivityDefinition = { ...current, ...incoming };
  if (current.name || incoming.name) merged.name = { ...current.name, ...incoming.name };
  if (current.description || incoming.description) {
    merged.description = { ...current.description, ...incoming.description };
  }
  if (current.extensions || incoming.extensions)
    merged.extensions = { ...current.extensions, ...incoming.extensions };
  return merged;
}

/** What a batch of statements tells about activities and agents, gathered where the statements are parsed. */
export interface Definitions {
  /** Activity id and its definition, merged across the batch. */
  activities: [string, ActivityDefinition][];
  /** Agent IFI key and the agent's JSON. */
  agents: [string, string][];
}

export function collectDefinitions(statements: readonly Statement[]): Definitions {
  const activities = new Map<string, ActivityDefinition>();
  for (const statement of statements) {
    for (const activity of activitiesOf(statement)) {
      if (!activity.definition) continue;
      activities.set(activity.id, mergeDefinition(activities.get(activity.id), activity.definition));
    }
  }
  const agents = new Map<string, string>();
  for (const statement of statements) {
    for (const actor of actorsOf(statement)) {
      const ifi = agentIfi(actor);
      if (ifi && actor.objectType !== "Group")
        agents.set(ifi, JSON.stringify({ ...actor, objectType: "Agent" }));
    }
  }
  return { activities: [...activities], agents: [...agents] };
}

/**
 * The agents this process knows to be stored as they are, so that a batch rewrites only the agents that
 * are new or changed. Filled only after a commit.
 */
export class KnownAgents {
  private readonly known = new Map<string, string>();
  unchanged(storeId: string, ifi: string, json: string): boolean {
    return this.known.get(`${storeId}\u0000${ifi}`) === json;
  }
  remember(storeId: string, agents: readonly [string, string][]): void {
    if (this.known.size > 200_000) this.known.clear();
    for (const [ifi, json] of agents) this.known.set(`${storeId}\u0000${ifi}`, json);
  }
}

/**
 * Merges the definitions into the store's canonical activities and known agents. Returns what to do
 * once the transaction has committed.
 */
export async function recordDefinitions(
  tx: Queryable,
  storeId: string,
  definitions: Definitions,
  knownAgents?: KnownAgents,
): Promise<() => void> {
  const now = new Date().toISOString();
  for (const [id, definition] of definitions.activities) {
    const row = await tx.one<{ definition: string }>(
      "SELECT definition FROM activities WHERE store_id = ? AND id = ?",
      [storeId, id],
    );
    const current = row ? (JSON.parse(row.definition) as ActivityDefinition) : undefined;
    const merged = JSON.stringify(mergeDefinition(current, definition));
    if (row && row.definition === merged) continue;
    await tx.run(
      "INSERT INTO activities (store_id, id, definition, updated) VALUES (?, ?, ?, ?) ON CONFLICT (store_id, id) DO UPDATE SET definition = excluded.definition, updated = excluded.updated",
      [storeId, id, merged, now],
    );
  }
  const changed = knownAgents
    ? definitions.agents.filter(([ifi, json]) => !knownAgents.unchanged(storeId, ifi, json))
    : definitions.agents;
  if (changed.length > 0) {
    await tx.insertMany(
      "agents",
      ["store_id", "ifi", "agent"],
      changed.map(([ifi, agent]) => [storeId, ifi, agent]),
      "ON CONFLICT (store_id, ifi) DO UPDATE SET agent = excluded.agent",
    );
  }
  return () => knownAgents?.remember(storeId, changed);
}

export async function canonicalActivity(
  tx: Queryable,
  storeId: string,
  id: string,
): Promise<Activity | undefined> {
  const row = await tx.one<{ definition: string }>(
    "SELECT definition FROM activities WHERE store_id = ? AND id = ?",
    [storeId, id],
  );
  return row
    ? { objectType: "Activity", id, definition: JSON.parse(row.definition) as ActivityDefinition }
    : undefined;
}
