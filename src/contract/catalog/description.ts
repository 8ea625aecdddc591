/**
 * The description of a dataset offer, pure: what the provider states (title, description, themes,
 * keywords, personal-data categories, formats), read and checked with every problem named, and what is
 * derived from the provider's store (volumes, time span, verbs, xAPI profiles, activity types).
 */
import { CatalogError } from "./errors.js";
import { DATA_CATEGORIES, dataCategoryIri, FORMATS } from "./vocabulary.js";

/** What the provider states about a dataset. */
export interface ProviderDescription {
  title: string;
  description: string;
  /** The language of title and description (BCP 47), "en" unless given. */
  language: string;
  /** dcat:theme: IRIs of concepts (or plain labels). */
  themes: string[];
  keywords: string[];
  /** DPV personal-data categories, as IRIs. */
  dataCategories: string[];
  /** Distribution formats, keys of FORMATS. */
  formats: string[];
}

/** An IRI (verb, profile, activity type) and how many statements carry it. */
export interface TermCount {
  id: string;
  statements: number;
}

/** What the catalog derives from the provider's store: aggregates only, never a learner. */
export interface DerivedStatistics {
  derivedAt: string;
  /** Statements neither voided nor voiding. */
  statements: number;
  /** Distinct agents as actors (by IFI); groups are not counted. */
  learners: number;
  /** The span of the statements' timestamps (UTC), or null for an empty store. */
  temporal: { start: string; end: string } | null;
  verbs: TermCount[];
  /** xAPI profiles: ids of context.contextActivities.category. */
  profiles: TermCount[];
  activityTypes: TermCount[];
}

const FIELDS = new Set([
  "title",
  "description",
  "language",
  "themes",
  "keywords",
  "dataCategories",
  "formats",
]);

function strings(value: unknown, field: string, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.trim() !== "")) {
    problems.push(`${field} must be a list of non-empty strings`);
    return [];
  }
  return [...new Set(value.map((v: string) => v.trim()))];
}

/** Reads the provider's part of a description; a CatalogError lists every problem. */
export function readProviderDescription(value: unknown): ProviderDescription {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new CatalogError(400, "the description must be an object with a title and a description");
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(o))
    if (!FIELDS.has(key))
      problems.push(
        `unknown field ${key} (expected ${[...FIELDS].join(", ")}; volumes, verbs and the time span are derived)`,
      );
  const text = (field: string, max: number): string => {
    const v = o[field];
    if (typeof v !== "string" || v.trim() === "") {
      problems.push(`${field} is required and must be a non-empty string`);
      return "";
    }
    if (v.length > max) problems.push(`${field} is longer than ${max} characters`);
    return v.trim();
  };
  const title = text("title", 300);
  const description = text("description", 20_000);
  const language = o.language === undefined ? "en" : o.language;
  if (typeof language !== "string" || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language))
    problems.push("language must be a BCP 47 tag such as en or fr-FR");
  const themes = strings(o.themes, "themes", problems);
  const keywords = strings(o.keywords, "keywords", problems);
  const dataCategories = strings(o.dataCategories, "dataCategories", problems).flatMap((term) => {
    const iri = dataCategoryIri(term);
    if (!iri)
      problems.push(
        `data category ${term} is not one the catalog knows (DPV pd: ${Object.keys(DATA_CATEGORIES).join(", ")})`,
      );
    return iri ? [iri] : [];
  });
  const formats = o.formats === undefined ? ["xapi+json"] : strings(o.formats, "formats", problems);
  for (const f of formats)
    if (!Object.hasOwn(FORMATS, f))
      problems.push(`format ${f} is not one the catalog delivers (${Object.keys(FORMATS).join(", ")})`);
  if (o.formats !== undefined && formats.length === 0 && problems.length === 0)
    problems.push("formats must name at least one format");
  if (problems.length > 0)
    throw new CatalogError(400, `the description is not valid: ${problems.join("; ")}`, problems);
  return {
    title,
    description,
    language: language as string,
    themes,
    keywords,
    dataCategories: [...new Set(dataCategories)],
    formats,
  };
}

/** The lower-cased text free-text search runs over. */
export function searchText(d: ProviderDescription): string {
  return [d.title, d.description, ...d.keywords].join("\n").toLowerCase();
}

export type TermKind = "theme" | "keyword" | "category" | "format" | "verb" | "profile" | "activityType";

/** The (kind, value) pairs an entry can be found by. */
export function searchTerms(d: ProviderDescription, s: DerivedStatistics): [TermKind, string][] {
  const out: [TermKind, string][] = [
    ...d.themes.map((v): [TermKind, string] => ["theme", v]),
    ...d.keywords.map((v): [TermKind, string] => ["keyword", v.toLowerCase()]),
    ...d.dataCategories.map((v): [TermKind, string] => ["category", v]),
    ...d.formats.map((v): [TermKind, string] => ["format", v]),
    ...s.verbs.map((v): [TermKind, string] => ["verb", v.id]),
    ...s.profiles.map((v): [TermKind, string] => ["profile", v.id]),
    ...s.activityTypes.map((v): [TermKind, string] => ["activityType", v.id]),
  ];
  const seen = new Set<string>();
  return out.filter(([k, v]) => {
    const key = `${k} ${v}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
