/**
 * Alignments between two frameworks: SKOS mapping relations between concepts, each with who proposed it
 * (an imported file, the label-similarity suggester, a person) and where its review stands.
 */
import { isObject } from "../json.js";

export const MATCH_RELATIONS = [
  "exactMatch",
  "closeMatch",
  "broadMatch",
  "narrowMatch",
  "relatedMatch",
] as const;
export type MatchRelation = (typeof MATCH_RELATIONS)[number];

export const ALIGNMENT_STATUSES = ["suggested", "accepted", "rejected"] as const;
export type AlignmentStatus = (typeof ALIGNMENT_STATUSES)[number];

export type AlignmentOrigin = "imported" | "label-similarity" | "manual";

export const SKOS = "http://www.w3.org/2004/02/skos/core#";

/** The labels that made the suggester propose an alignment, so that a reviewer sees why. */
export interface Evidence {
  sourceLabel: string;
  sourceLanguage: string;
  targetLabel: string;
  targetLanguage: string;
}

export interface Alignment {
  /** Concept IRI in the source framework. */
  source: string;
  /** Concept IRI in the target framework. */
  target: string;
  /** Read as `source skos:<relation> target`: broadMatch says the target is broader. */
  relation: MatchRelation;
  status: AlignmentStatus;
  origin: AlignmentOrigin;
  /** Label similarity in [0, 1] for suggestions; as given for imported ones. */
  score?: number;
  sourceScheme?: string;
  targetScheme?: string;
  evidence?: Evidence;
  reviewedBy?: string;
  reviewedAt?: string;
}

export const ALIGNMENT_SET_FORMAT = "learnpool-skills-alignments/1";

/** The file form of an alignment set (see README "Skills interoperability"). */
export interface AlignmentSet {
  format: typeof ALIGNMENT_SET_FORMAT;
  /** Scheme IRIs of the two frameworks, when the set is between two known frameworks. */
  source?: string;
  target?: string;
  /** How suggestions were made, so that a later run can be compared. */
  parameters?: Record<string, unknown>;
  alignments: Alignment[];
}

export function alignmentKey(source: string, target: string): string {
  // A space never occurs inside an IRI, so the pair is unambiguous.
  return `${source} ${target}`;
}

export function emptyAlignmentSet(source?: string, target?: string): AlignmentSet {
  return {
    format: ALIGNMENT_SET_FORMAT,
    ...(source !== undefined && { source }),
    ...(target !== undefined && { target }),
    alignments: [],
  };
}

export class AlignmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlignmentError";
  }
}

/** `exactMatch`, `skos:exactMatch` or the full SKOS IRI → the relation; undefined otherwise. */
export function parseRelation(text: string): MatchRelation | undefined {
  const trimmed = text.trim();
  const local = trimmed.startsWith(SKOS)
    ? trimmed.slice(SKOS.length)
    : trimmed.startsWith("skos:")
      ? trimmed.slice(5)
      : trimmed;
  return (MATCH_RELATIONS as readonly string[]).includes(local) ? (local as MatchRelation) : undefined;
}

/** The same statement read from the target's side: `B inverse(r) A` when `A r B`. */
export function inverseRelation(relation: MatchRelation): MatchRelation {
  if (relation === "broadMatch") return "narrowMatch";
  if (relation === "narrowMatch") return "broadMatch";
  return relation;
}

export function alignmentSetFromFile(value: unknown): AlignmentSet {
  if (!isObject(value) || value.format !== ALIGNMENT_SET_FORMAT)
    throw new AlignmentError(`not an alignment set: "format" must be "${ALIGNMENT_SET_FORMAT}"`);
  if (!Array.isArray(value.alignments))
    throw new AlignmentError('alignment set: "alignments" must be an array');
  const alignments = value.alignments.map((raw, i): Alignment => {
    if (!isObject(raw) || typeof raw.source !== "string" || typeof raw.target !== "string")
      throw new AlignmentError(`alignments[${i}]: "source" and "target" must be IRIs`);
    const relation = typeof raw.relation === "string" ? parseRelation(raw.relation) : undefined;
    if (!relation)
      throw new AlignmentError(`alignments[${i}]: unknown relation ${JSON.stringify(raw.relation)}`);
    if (!(ALIGNMENT_STATUSES as readonly unknown[]).includes(raw.status))
      throw new AlignmentError(`alignments[${i}]: unknown status ${JSON.stringify(raw.status)}`);
    return { ...(raw as unknown as Alignment), relation };
  });
  return { ...(value as unknown as AlignmentSet), alignments };
}

/**
 * Reads the simple CSV layout `source,relation,target,score?,status?` (a header row is optional).
 * Rows without a status are `accepted`: a mapping file is taken to be someone's decision unless it says
 * otherwise (`defaultStatus`).
 */
export function alignmentsFromCsvRows(
  rows: string[][],
  options: { defaultStatus?: AlignmentStatus; sourceScheme?: string; targetScheme?: string } = {},
): { alignments: Alignment[]; problems: string[] } {
  const alignments: Alignment[] = [];
  const problems: string[] = [];
  for (const [i, row] of rows.entries()) {
    const [source = "", relationText = "", target = "", scoreText = "", statusText = ""] = row.map((c) =>
      c.trim(),
    );
    if (i === 0 && source.toLowerCase() === "source" && target.toLowerCase() === "target") continue;
    if (!source && !target) continue;
    const problem = (text: string) => problems.push(`line ${i + 1}: ${text}`);
    const relation = parseRelation(relationText);
    if (!source || !target) {
      problem("source and target are required");
      continue;
    }
    if (!relation) {
      problem(`unknown relation "${relationText}"`);
      continue;
    }
    const status = statusText
      ? (statusText.toLowerCase() as AlignmentStatus)
      : (options.defaultStatus ?? "accepted");
    if (!ALIGNMENT_STATUSES.includes(status)) {
      problem(`unknown status "${statusText}"`);
      continue;
    }
    const alignment: Alignment = { source, target, relation, status, origin: "imported" };
    if (scoreText) {
      const score = Number(scoreText);
      if (!Number.isFinite(score) || score < 0 || score > 1) {
        problem(`score must be a number in [0, 1], got "${scoreText}"`);
        continue;
      }
      alignment.score = score;
    }
    if (options.sourceScheme) alignment.sourceScheme = options.sourceScheme;
    if (options.targetScheme) alignment.targetScheme = options.targetScheme;
    alignments.push(alignment);
  }
  return { alignments, problems };
}

/**
 * Adds alignments to a set. A pair already there keeps a person's decision (accepted or rejected): only a
 * pending suggestion is replaced, so that a rejected suggestion never comes back.
 */
export function mergeAlignments(
  set: AlignmentSet,
  incoming: Alignment[],
): { set: AlignmentSet; added: number; updated: number; kept: number } {
  const byKey = new Map(set.alignments.map((a) => [alignmentKey(a.source, a.target), a]));
  let added = 0;
  let updated = 0;
  let kept = 0;
  for (const alignment of incoming) {
    const key = alignmentKey(alignment.source, alignment.target);
    const existing = byKey.get(key);
    if (!existing) {
      added++;
      byKey.set(key, alignment);
    } else if (existing.status === "suggested" && alignment.status === "suggested") {
      updated++;
      byKey.set(key, alignment);
    } else if (existing.status === "suggested") {
      // A decision (imported or manual) overrides a pending suggestion.
      updated++;
      byKey.set(key, alignment);
    } else kept++;
  }
  return { set: { ...set, alignments: sortAlignments([...byKey.values()]) }, added, updated, kept };
}

export function sortAlignments(alignments: Alignment[]): Alignment[] {
  return alignments.sort(
    (a, b) => compare(a.source, b.source) || (b.score ?? 0) - (a.score ?? 0) || compare(a.target, b.target),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ReviewDecision {
  source: string;
  target: string;
  status: "accepted" | "rejected";
  /** On acceptance, the reviewer may settle a different relation (a suggested closeMatch is in fact exact). */
  relation?: MatchRelation;
}

/**
 * Applies a person's decisions. A decision on a pair the set does not hold is refused (a mistyped IRI
 * must not create an alignment), unless it names a relation: then it is added as a manual alignment.
 */
export function reviewAlignments(
  set: AlignmentSet,
  decisions: ReviewDecision[],
  reviewer: string,
  at: string,
): { set: AlignmentSet; accepted: number; rejected: number; added: number } {
  const alignments = set.alignments.map((a) => ({ ...a }));
  const byKey = new Map(alignments.map((a) => [alignmentKey(a.source, a.target), a]));
  let accepted = 0;
  let rejected = 0;
  let added = 0;
  for (const decision of decisions) {
    let alignment = byKey.get(alignmentKey(decision.source, decision.target));
    if (!alignment) {
      if (!decision.relation)
        throw new AlignmentError(
          `no alignment ${decision.source} → ${decision.target} in the set (give a relation to add one by hand)`,
        );
      alignment = {
        source: decision.source,
        target: decision.target,
        relation: decision.relation,
        status: decision.status,
        origin: "manual",
        ...(set.source !== undefined && { sourceScheme: set.source }),
        ...(set.target !== undefined && { targetScheme: set.target }),
      };
      alignments.push(alignment);
      byKey.set(alignmentKey(decision.source, decision.target), alignment);
      added++;
    }
    alignment.status = decision.status;
    if (decision.relation) alignment.relation = decision.relation;
    alignment.reviewedBy = reviewer;
    alignment.reviewedAt = at;
    if (decision.status === "accepted") accepted++;
    else rejected++;
  }
  return { set: { ...set, alignments: sortAlignments(alignments) }, accepted, rejected, added };
}

/** Counts per status, for summaries. */
export function countByStatus(set: AlignmentSet): Record<AlignmentStatus, number> {
  const counts: Record<AlignmentStatus, number> = { suggested: 0, accepted: 0, rejected: 0 };
  for (const a of set.alignments) counts[a.status]++;
  return counts;
}
