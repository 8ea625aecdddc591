/**
 * The competency framework as Learnpool holds it: a SKOS concept scheme reduced to what alignment and
 * translation need, with labels kept in every language the source carries.
 */
import { isObject } from "../json.js";

/** A language tag → one text (SKOS allows one prefLabel per language). */
export type LangMap = Record<string, string>;
/** A language tag → several texts (altLabels, hiddenLabels). */
export type LangListMap = Record<string, string[]>;

export interface Concept {
  iri: string;
  prefLabel: LangMap;
  altLabels: LangListMap;
  /** Spelling variants and misspellings (ESCO's hiddenLabels): matched on, never shown. */
  hiddenLabels: LangListMap;
  definition: LangMap;
  notation?: string;
  broader: string[];
  narrower: string[];
  /** True for the scheme's top concepts (skos:topConceptOf / hasTopConcept). */
  top?: boolean;
}

export interface Framework {
  /** The concept scheme's IRI. */
  id: string;
  title: LangMap;
  concepts: Map<string, Concept>;
}

/** The untagged language: SKOS literals without a tag are kept under this key. */
export const NO_LANGUAGE = "und";

export const FRAMEWORK_FORMAT = "learnpool-skills-framework/1";

/** The file form of a framework: a JSON object whose concepts are an array, in IRI order. */
export interface FrameworkFile {
  format: typeof FRAMEWORK_FORMAT;
  id: string;
  title: LangMap;
  languages: string[];
  concepts: Concept[];
}

export function emptyConcept(iri: string): Concept {
  return { iri, prefLabel: {}, altLabels: {}, hiddenLabels: {}, definition: {}, broader: [], narrower: [] };
}

/** Every language tag a framework's labels carry, sorted. */
export function frameworkLanguages(framework: Framework): string[] {
  const languages = new Set<string>();
  for (const concept of framework.concepts.values()) {
    for (const lang of Object.keys(concept.prefLabel)) languages.add(lang);
    for (const lang of Object.keys(concept.altLabels)) languages.add(lang);
  }
  return [...languages].sort();
}

/** Makes broader and narrower each other's inverse inside the framework, without duplicates. */
export function completeHierarchy(framework: Framework): void {
  for (const concept of framework.concepts.values()) {
    for (const parent of concept.broader) {
      const other = framework.concepts.get(parent);
      if (other && !other.narrower.includes(concept.iri)) other.narrower.push(concept.iri);
    }
    for (const child of concept.narrower) {
      const other = framework.concepts.get(child);
      if (other && !other.broader.includes(concept.iri)) other.broader.push(concept.iri);
    }
  }
  for (const concept of framework.concepts.values()) {
    concept.broader.sort();
    concept.narrower.sort();
  }
}

export function frameworkToFile(framework: Framework): FrameworkFile {
  const concepts = [...framework.concepts.values()].sort((a, b) =>
    a.iri < b.iri ? -1 : a.iri > b.iri ? 1 : 0,
  );
  return {
    format: FRAMEWORK_FORMAT,
    id: framework.id,
    title: framework.title,
    languages: frameworkLanguages(framework),
    concepts,
  };
}

export class FrameworkFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameworkFormatError";
  }
}

export function frameworkFromFile(value: unknown): Framework {
  if (!isObject(value) || value.format !== FRAMEWORK_FORMAT)
    throw new FrameworkFormatError(`not a framework file: "format" must be "${FRAMEWORK_FORMAT}"`);
  if (typeof value.id !== "string") throw new FrameworkFormatError('framework file: "id" must be a string');
  if (!Array.isArray(value.concepts))
    throw new FrameworkFormatError('framework file: "concepts" must be an array');
  const concepts = new Map<string, Concept>();
  value.concepts.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.iri !== "string")
      throw new FrameworkFormatError(`framework file: concepts[${i}] has no "iri"`);
    const concept: Concept = {
      iri: raw.iri,
      prefLabel: (raw.prefLabel as LangMap) ?? {},
      altLabels: (raw.altLabels as LangListMap) ?? {},
      hiddenLabels: (raw.hiddenLabels as LangListMap) ?? {},
      definition: (raw.definition as LangMap) ?? {},
      broader: (raw.broader as string[]) ?? [],
      narrower: (raw.narrower as string[]) ?? [],
    };
    if (typeof raw.notation === "string") concept.notation = raw.notation;
    if (raw.top === true) concept.top = true;
    concepts.set(concept.iri, concept);
  });
  return { id: value.id, title: isObject(value.title) ? (value.title as LangMap) : {}, concepts };
}

/** The label to show for a concept: the requested language, then English, then any. */
export function displayLabel(concept: Concept, lang?: string): string {
  const labels = concept.prefLabel;
  if (lang && labels[lang]) return labels[lang];
  return labels.en ?? Object.values(labels)[0] ?? concept.iri;
}

/** The framework with labels and definitions of the given languages only (untagged ones kept). */
export function keepLanguages(framework: Framework, languages: string[]): Framework {
  const wanted = new Set(languages.map((l) => l.toLowerCase()));
  const keep = (tag: string) =>
    tag === NO_LANGUAGE || wanted.has(tag.toLowerCase()) || wanted.has(tag.split("-")[0]!.toLowerCase());
  const filter = <T>(map: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(map).filter(([tag]) => keep(tag)));
  const concepts = new Map<string, Concept>();
  for (const [iri, concept] of framework.concepts)
    concepts.set(iri, {
      ...concept,
      prefLabel: filter(concept.prefLabel),
      altLabels: filter(concept.altLabels),
      hiddenLabels: filter(concept.hiddenLabels),
      definition: filter(concept.definition),
    });
  return { ...framework, title: filter(framework.title), concepts };
}
