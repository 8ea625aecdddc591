/**
 * The `format` parameter of GET /statements (xAPI Communication 2.1.3):
 * - `exact`: the statement as stored;
 * - `ids`: Agents and Groups reduced to their IFI (anonymous Groups to their members' IFIs), Activities
 *   to their id, Verbs to their id;
 * - `canonical`: Activities carry the LRS's canonical definition, and every language map of Activities
 *   and Verbs is cut to the one language that best matches the Accept-Language list.
 * Applies inside SubStatements, contexts and the authority too. Builds new objects along the way and
 * never mutates the stored statement.
 */
import { isLanguageTag } from "./language.js";
import type {
  Activity,
  ActivityDefinition,
  Actor,
  Agent,
  Context,
  Group,
  InteractionComponent,
  LanguageMap,
  StatementObject,
  StoredStatement,
  SubStatement,
  Verb,
} from "./types.js";

export type StatementFormat = "exact" | "ids" | "canonical";

/**
 * Language ranges of an Accept-Language header (RFC 9110 §12.5.4), best first: by quality, then in the
 * order given. Ranges with q=0 or that are not language tags (except `*`) are dropped.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (header === undefined) return [];
  const ranges: { tag: string; q: number; order: number }[] = [];
  const items = header.split(",");
  for (let order = 0; order < items.length; order++) {
    const [rawTag = "", ...params] = (items[order] ?? "").split(";");
    const tag = rawTag.trim();
    if (tag !== "*" && !isLanguageTag(tag)) continue;
    let q = 1;
    for (const param of params) {
      const [name = "", value = ""] = param.split("=");
      if (name.trim().toLowerCase() !== "q") continue;
      q = Number(value.trim());
    }
    if (!(q > 0 && q <= 1)) continue;
    ranges.push({ tag, q, order });
  }
  ranges.sort((a, b) => b.q - a.q || a.order - b.order);
  return ranges.map((r) => r.tag);
}

/** The key of `map` best matching `range` (RFC 4647 lookup, also accepting a more specific tag), if any. */
function matchRange(keys: string[], range: string): string | undefined {
  let wanted = range.toLowerCase();
  for (;;) {
    const exact = keys.find((k) => k.toLowerCase() === wanted);
    if (exact !== undefined) return exact;
    const narrower = keys.find((k) => k.toLowerCase().startsWith(`${wanted}-`));
    if (narrower !== undefined) return narrower;
    const cut = wanted.lastIndexOf("-");
    if (cut < 0) return undefined;
    wanted = wanted.slice(0, cut);
  }
}

/**
 * The one entry of a language map that best matches `languages` (best first). Without preferences the
 * map is returned whole; with preferences none of which matches, the first entry is kept, so that the
 * client still gets a text.
 */
export function filterLanguageMap(map: LanguageMap, languages: readonly string[]): LanguageMap {
  if (languages.length === 0) return map;
  const keys = Object.keys(map);
  if (keys.length <= 1) return map;
  for (const range of languages) {
    const key = range === "*" ? keys[0] : matchRange(keys, range);
    if (key !== undefined) return { [key]: map[key] as string };
  }
  const first = keys[0] as string;
  return { [first]: map[first] as string };
}

interface Formatter {
  actor(a: Actor): Actor;
  verb(v: Verb): Verb;
  activity(a: Activity): Activity;
}

function idsAgent(a: Agent | Group): Agent {
  const out: Agent = { objectType: "Agent" };
  if (a.mbox !== undefined) out.mbox = a.mbox;
  else if (a.mbox_sha1sum !== undefined) out.mbox_sha1sum = a.mbox_sha1sum;
  else if (a.openid !== undefined) out.openid = a.openid;
  else if (a.account !== undefined) out.account = { homePage: a.account.homePage, name: a.account.name };
  return out;
}

const ids: Formatter = {
  actor(a) {
    if (a.objectType !== "Group") return idsAgent(a);
    const id = idsAgent(a);
    if (id.mbox ?? id.mbox_sha1sum ?? id.openid ?? id.account) return { ...id, objectType: "Group" };
    return { objectType: "Group", member: (a.member ?? []).map(idsAgent) };
  },
  verb: (v) => ({ id: v.id }),
  // The id alone: objectType is not an identifier, and the 2.0 suite expects one key (XAPI-00171).
  activity: (a) => ({ id: a.id }),
};

function canonical(
  languages: readonly string[],
  canonicalActivity?: (id: string) => Activity | undefined,
): Formatter {
  const map = (m: LanguageMap | undefined) => (m === undefined ? undefined : filterLanguageMap(m, languages));
  const components = (list: InteractionComponent[] | undefined) =>
    list?.map((c) => (c.description === undefined ? c : { ...c, description: map(c.description) }));
  const definition = (d: ActivityDefinition): ActivityDefinition => {
    const out: ActivityDefinition = { ...d };
    if (d.name !== undefined) out.name = map(d.name);
    if (d.description !== undefined) out.description = map(d.description);
    for (const key of ["choices", "scale", "source", "target", "steps"] as const) {
      if (d[key] !== undefined) out[key] = components(d[key]);
    }
    return out;
  };
  return {
    actor: (a) => a,
    verb: (v) => (v.display === undefined ? v : { ...v, display: map(v.display) }),
    activity(a) {
      const known = canonicalActivity?.(a.id)?.definition ?? a.definition;
      const out: Activity = { ...a };
      if (known === undefined) delete out.definition;
      else out.definition = definition(known);
      return out;
    },
  };
}

function formatContext(c: Context, f: Formatter): Context {
  const out: Context = { ...c };
  if (c.instructor !== undefined) out.instructor = f.actor(c.instructor);
  if (c.team !== undefined) out.team = f.actor(c.team) as typeof c.team;
  const ca = c.contextActivities;
  if (ca !== undefined) {
    const activities: typeof ca = {};
    for (const key of ["parent", "grouping", "category", "other"] as const) {
      const list = ca[key];
      if (list !== undefined) activities[key] = list.map((a) => f.activity(a));
    }
    out.contextActivities = activities;
  }
  if (c.contextAgents !== undefined) {
    out.contextAgents = c.contextAgents.map((x) => ({ ...x, agent: f.actor(x.agent) as typeof x.agent }));
  }
  if (c.contextGroups !== undefined) {
    out.contextGroups = c.contextGroups.map((x) => ({ ...x, group: f.actor(x.group) as typeof x.group }));
  }
  return out;
}

function formatObject(o: StatementObject, f: Formatter): StatementObject {
  switch (o.objectType) {
    case undefined: // an object without objectType is an Activity
    case "Activity":
      return f.activity(o as Activity);
    case "Agent":
    case "Group":
      return f.actor(o);
    case "StatementRef":
      return o;
    case "SubStatement":
      return formatBody(o, f);
  }
}

function formatBody<T extends StoredStatement | SubStatement>(s: T, f: Formatter): T {
  const out: T = {
    ...s,
    actor: f.actor(s.actor),
    verb: f.verb(s.verb),
    object: formatObject(s.object, f) as T["object"],
  };
  if (s.context !== undefined) out.context = formatContext(s.context, f);
  return out;
}

export function formatStatement(
  s: StoredStatement,
  format: StatementFormat,
  languages: string[],
  canonicalActivity?: (id: string) => Activity | undefined,
): StoredStatement {
  if (format === "exact") return s;
  const f = format === "ids" ? ids : canonical(languages, canonicalActivity);
  const out = formatBody(s, f);
  out.authority = f.actor(s.authority);
  return out;
}
