/**
 * Competencies carried by xAPI statements, and their translation into another framework through
 * alignments — what pooling needs so that two providers' "skills" mean the same concepts.
 *
 * A statement names competencies in three places, all read and all translated:
 * - context activities (`context.contextActivities.other` or `.category`) whose `definition.type` is a
 *   competency activity type;
 * - the statement's object, when it is such an activity (a "mastered"/"asserted" statement about the
 *   competency itself);
 * - the extension `https://w3id.org/learnpool/extensions/competencies` in `context.extensions`: an
 *   array of concept IRIs.
 */
import { type Alignment, type AlignmentSet, inverseRelation, type MatchRelation } from "./alignments.js";
import type { Framework } from "./framework.js";

/**
 * Activity types that mark an activity as a competency. ADL's Total Learning Architecture profile
 * (xAPI TLA, https://w3id.org/xapi/tla) defines `https://w3id.org/xapi/tla/activity-types/competency`;
 * `http://adlnet.gov/expapi/activities/competency` is common in the wild but is not in ADL's registered
 * vocabulary. Both are read; translation keeps whichever the statement used.
 */
export const COMPETENCY_ACTIVITY_TYPES = [
  "https://w3id.org/xapi/tla/activity-types/competency",
  "http://adlnet.gov/expapi/activities/competency",
] as const;

/** Learnpool's extension: an array of concept IRIs the statement is evidence of. */
export const COMPETENCIES_EXTENSION = "https://w3id.org/learnpool/extensions/competencies";

/**
 * Recorded by translation in `context.extensions`: which source concept became which target, so a
 * pooled dataset keeps its lineage. Value: array of {source, target, relation, framework}.
 */
export const COMPETENCY_TRANSLATIONS_EXTENSION =
  "https://w3id.org/learnpool/extensions/competency-translations";

export type CompetencyPlace =
  | "object"
  | "context.contextActivities.other"
  | "context.contextActivities.category"
  | "context.extensions";

export interface CompetencyRef {
  iri: string;
  /** Where it sits, with its index in the array: `context.contextActivities.other[1]`. */
  path: string;
  place: CompetencyPlace;
}

type Json = Record<string, unknown>;

/** The competencies a statement names, in document order. */
export function statementCompetencies(statement: Json): CompetencyRef[] {
  const refs: CompetencyRef[] = [];
  const object = statement.object;
  if (isCompetencyActivity(object)) refs.push({ iri: object.id as string, path: "object", place: "object" });
  const context = asObject(statement.context);
  const activities = asObject(context?.contextActivities);
  for (const key of ["other", "category"] as const) {
    asArray(activities?.[key]).forEach((activity, i) => {
      if (isCompetencyActivity(activity))
        refs.push({
          iri: activity.id as string,
          path: `context.contextActivities.${key}[${i}]`,
          place: `context.contextActivities.${key}`,
        });
    });
  }
  asArray(asObject(context?.extensions)?.[COMPETENCIES_EXTENSION]).forEach((iri, i) => {
    if (typeof iri === "string")
      refs.push({
        iri,
        path: `context.extensions["${COMPETENCIES_EXTENSION}"][${i}]`,
        place: "context.extensions",
      });
  });
  return refs;
}

export interface TranslateOptions {
  /** Alignment statuses used (default: accepted only). */
  statuses?: Array<Alignment["status"]>;
  /** Also translate to a broader target concept (`source broadMatch target`); lossy, so off by default. */
  allowBroadMatch?: boolean;
  /** The target framework: names translated activities, and recognizes competencies already in it. */
  targetFramework?: Framework;
  /** Record source → target in the competency-translations extension (default true). */
  recordTranslations?: boolean;
}

export interface Translation {
  path: string;
  source: string;
  targets: string[];
  relation: MatchRelation;
}

export interface Untranslated {
  path: string;
  source: string;
  reason: string;
}

export interface TranslatedStatement {
  statement: Json;
  translated: Translation[];
  /** Competencies kept as they were: no usable alignment into the target framework. */
  untranslated: Untranslated[];
}

const RANK: Record<MatchRelation, number> = {
  exactMatch: 0,
  closeMatch: 1,
  broadMatch: 2,
  narrowMatch: 9,
  relatedMatch: 9,
};

/** For each source concept, its usable targets in the target framework, best relation first. */
export interface TranslationTable {
  framework: string;
  routes: Map<string, { relation: MatchRelation; targets: string[] }>;
}

/**
 * Builds the lookup once for many statements. An alignment counts in either direction: `A exactMatch
 * B` also translates B to A, and `B narrowMatch A` reads as `A broadMatch B`.
 */
export function translationTable(
  alignments: AlignmentSet | Alignment[],
  targetFrameworkId: string,
  options: TranslateOptions = {},
): TranslationTable {
  const list = Array.isArray(alignments) ? alignments : alignments.alignments;
  const setSource = Array.isArray(alignments) ? undefined : alignments.source;
  const setTarget = Array.isArray(alignments) ? undefined : alignments.target;
  const statuses = new Set(options.statuses ?? ["accepted"]);
  const allowed = new Set<MatchRelation>([
    "exactMatch",
    "closeMatch",
    ...(options.allowBroadMatch ? (["broadMatch"] as const) : []),
  ]);
  const inTarget = (iri: string, scheme: string | undefined) =>
    options.targetFramework?.concepts.has(iri) ?? (scheme === undefined || scheme === targetFrameworkId);
  const candidates = new Map<string, Array<{ relation: MatchRelation; target: string; score: number }>>();
  const add = (from: string, relation: MatchRelation, to: string, score: number) => {
    if (!allowed.has(relation)) return;
    const list = candidates.get(from) ?? [];
    list.push({ relation, target: to, score });
    candidates.set(from, list);
  };
  for (const a of list) {
    if (!statuses.has(a.status)) continue;
    const sourceScheme = a.sourceScheme ?? setSource;
    const targetScheme = a.targetScheme ?? setTarget;
    if (
      targetScheme === targetFrameworkId ||
      (targetScheme === undefined && inTarget(a.target, targetScheme))
    )
      add(a.source, a.relation, a.target, a.score ?? 1);
    else if (
      sourceScheme === targetFrameworkId ||
      (sourceScheme === undefined && options.targetFramework?.concepts.has(a.source))
    )
      add(a.target, inverseRelation(a.relation), a.source, a.score ?? 1);
  }
  const routes = new Map<string, { relation: MatchRelation; targets: string[] }>();
  for (const [from, options_] of candidates) {
    const bestRank = Math.min(...options_.map((o) => RANK[o.relation]));
    const best = options_
      .filter((o) => RANK[o.relation] === bestRank)
      .sort((a, b) => b.score - a.score || (a.target < b.target ? -1 : 1));
    routes.set(from, { relation: best[0]!.relation, targets: [...new Set(best.map((o) => o.target))] });
  }
  return { framework: targetFrameworkId, routes };
}

/**
 * Returns the statement with its competencies translated into the target framework (a copy; the
 * input is untouched). A competency with several equally good targets becomes all of them; one with
 * none is kept as it was and reported.
 */
export function translateStatementCompetencies(
  statement: Json,
  alignments: AlignmentSet | Alignment[] | TranslationTable,
  targetFrameworkId: string,
  options: TranslateOptions = {},
): TranslatedStatement {
  const table =
    "routes" in alignments ? alignments : translationTable(alignments, targetFrameworkId, options);
  const out = structuredClone(statement);
  const translated: Translation[] = [];
  const untranslated: Untranslated[] = [];
  const framework = options.targetFramework;

  const route = (iri: string, path: string): { relation: MatchRelation; targets: string[] } | undefined => {
    if (framework?.concepts.has(iri)) return undefined;
    const found = table.routes.get(iri);
    if (found) translated.push({ path, source: iri, targets: found.targets, relation: found.relation });
    else
      untranslated.push({
        path,
        source: iri,
        reason: `no ${describe(options)} alignment into ${targetFrameworkId}`,
      });
    return found;
  };
  const activityFor = (original: Json, target: string): Json => {
    const activity: Json = { ...original, id: target };
    const definition = { ...(asObject(original.definition) ?? {}) };
    const concept = framework?.concepts.get(target);
    // The source's name and description describe the source concept: replaced, or dropped when the
    // target framework is not at hand.
    delete definition.description;
    if (concept && Object.keys(concept.prefLabel).length > 0) definition.name = { ...concept.prefLabel };
    else delete definition.name;
    if (concept && Object.keys(concept.definition).length > 0)
      definition.description = { ...concept.definition };
    activity.definition = definition;
    return activity;
  };

  if (isCompetencyActivity(out.object)) {
    const found = route(out.object.id as string, "object");
    // The object is one activity: with several targets, the first (best scored) stands for it.
    if (found) out.object = activityFor(out.object, found.targets[0]!);
  }
  const context = asObject(out.context);
  const activities = asObject(context?.contextActivities);
  for (const key of ["other", "category"] as const) {
    const list = activities?.[key];
    if (!activities || list === undefined) continue;
    const next: unknown[] = [];
    for (const [i, activity] of asArray(list).entries()) {
      const found = isCompetencyActivity(activity)
        ? route(activity.id as string, `context.contextActivities.${key}[${i}]`)
        : undefined;
      if (found) for (const target of found.targets) next.push(activityFor(activity as Json, target));
      else next.push(activity);
    }
    activities[key] = dedupeById(next);
  }
  const extensions = asObject(context?.extensions);
  if (extensions && Array.isArray(extensions[COMPETENCIES_EXTENSION])) {
    const next: unknown[] = [];
    for (const [i, iri] of (extensions[COMPETENCIES_EXTENSION] as unknown[]).entries()) {
      const found =
        typeof iri === "string"
          ? route(iri, `context.extensions["${COMPETENCIES_EXTENSION}"][${i}]`)
          : undefined;
      next.push(...(found ? found.targets : [iri]));
    }
    extensions[COMPETENCIES_EXTENSION] = [...new Set(next)];
  }
  if (translated.length > 0 && options.recordTranslations !== false && context) {
    const ext = asObject(context.extensions) ?? {};
    const previous = asArray(ext[COMPETENCY_TRANSLATIONS_EXTENSION]);
    ext[COMPETENCY_TRANSLATIONS_EXTENSION] = [
      ...previous,
      ...translated.flatMap((t) =>
        t.targets.map((target) => ({
          source: t.source,
          target,
          relation: t.relation,
          framework: targetFrameworkId,
        })),
      ),
    ];
    context.extensions = ext;
  }
  return { statement: out, translated, untranslated };
}

function describe(options: TranslateOptions): string {
  const relations = options.allowBroadMatch ? "exact/close/broad" : "exact/close";
  return `${(options.statuses ?? ["accepted"]).join("/")} ${relations}`;
}

function isCompetencyActivity(value: unknown): value is Json {
  const activity = asObject(value);
  if (!activity || typeof activity.id !== "string") return false;
  if (activity.objectType !== undefined && activity.objectType !== "Activity") return false;
  const type = asObject(activity.definition)?.type;
  return typeof type === "string" && (COMPETENCY_ACTIVITY_TYPES as readonly string[]).includes(type);
}

function dedupeById(list: unknown[]): unknown[] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const id = asObject(item)?.id;
    if (typeof id !== "string") return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function asObject(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asArray(value: unknown): unknown[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}
