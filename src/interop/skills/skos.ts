/**
 * SKOS read from a graph of triples, whatever syntax carried it (JSON-LD, Turtle): concept schemes
 * become frameworks, mapping relations between concepts become imported alignments.
 */
import { type Alignment, type MatchRelation, SKOS, sortAlignments } from "./alignments.js";
import {
  type Concept,
  completeHierarchy,
  emptyConcept,
  type Framework,
  type LangMap,
  NO_LANGUAGE,
} from "./framework.js";

export type Term = { kind: "iri"; value: string } | { kind: "literal"; value: string; language?: string };

/** One RDF triple; blank nodes are IRIs starting with `_:`. */
export interface Triple {
  subject: string;
  predicate: string;
  object: Term;
}

export const RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value";
const SKOSXL = "http://www.w3.org/2008/05/skos-xl#";
const ESCO = "http://data.europa.eu/esco/model#";
const DCT = "http://purl.org/dc/terms/";
const DC = "http://purl.org/dc/elements/1.1/";
const RDFS = "http://www.w3.org/2000/01/rdf-schema#";

/** Classes taken as skos:Concept: ESCO types its skills and occupations with its own subclasses. */
const CONCEPT_CLASSES = new Set([
  `${SKOS}Concept`,
  `${ESCO}Skill`,
  `${ESCO}Occupation`,
  `${ESCO}MemberConcept`,
  `${ESCO}KnowledgeSkillCompetence`,
]);
/** Labelled things that are not concepts. */
const NOT_CONCEPTS = new Set([`${SKOS}Collection`, `${SKOS}OrderedCollection`, `${SKOSXL}Label`]);
const MAPPING_PREDICATES: Record<string, MatchRelation> = {
  [`${SKOS}exactMatch`]: "exactMatch",
  [`${SKOS}closeMatch`]: "closeMatch",
  [`${SKOS}broadMatch`]: "broadMatch",
  [`${SKOS}narrowMatch`]: "narrowMatch",
  [`${SKOS}relatedMatch`]: "relatedMatch",
};

/** Predicates whose triples the SKOS reading uses: a large dump can drop every other triple as it streams. */
export const SKOS_READ_PREDICATES = new Set([
  RDF_TYPE,
  RDF_VALUE,
  ...[
    "prefLabel",
    "altLabel",
    "hiddenLabel",
    "definition",
    "notation",
    "inScheme",
    "topConceptOf",
    "hasTopConcept",
    "broader",
    "narrower",
    "broaderTransitive",
    "narrowerTransitive",
    "exactMatch",
    "closeMatch",
    "broadMatch",
    "narrowMatch",
    "relatedMatch",
  ].map((p) => `${SKOS}${p}`),
  ...["prefLabel", "altLabel", "hiddenLabel", "literalForm"].map((p) => `${SKOSXL}${p}`),
  `${ESCO}nodeLiteral`,
  `${ESCO}language`,
  `${DCT}title`,
  `${DCT}description`,
  `${DC}title`,
  `${RDFS}label`,
]);

/**
 * Whether a triple matters to the SKOS reading, keeping literals of the given languages only (all when
 * none are given; untagged literals always).
 */
export function skosTripleFilter(languages?: string[]): (triple: Triple) => boolean {
  const wanted =
    languages && languages.length > 0 ? new Set(languages.map((l) => l.toLowerCase())) : undefined;
  return (triple) => {
    if (!SKOS_READ_PREDICATES.has(triple.predicate)) return false;
    if (!wanted || triple.object.kind !== "literal" || triple.object.language === undefined) return true;
    const tag = triple.object.language.toLowerCase();
    return wanted.has(tag) || wanted.has(tag.split("-")[0]!);
  };
}

export interface SkosImport {
  frameworks: Framework[];
  /** Mapping relations found between concepts, as accepted imported alignments. */
  alignments: Alignment[];
  warnings: string[];
}

export interface SkosOptions {
  /** Scheme for concepts that name none (and the id when the graph declares no scheme at all). */
  defaultScheme?: string;
}

/** Interprets the SKOS in a graph. */
export function skosFromTriples(triples: Iterable<Triple>, options: SkosOptions = {}): SkosImport {
  const bySubject = new Map<string, Triple[]>();
  for (const triple of triples) {
    const list = bySubject.get(triple.subject);
    if (list) list.push(triple);
    else bySubject.set(triple.subject, [triple]);
  }
  const warnings: string[] = [];
  const schemes = new Set<string>();
  const conceptIris = new Set<string>();
  const schemeOf = new Map<string, Set<string>>();
  const addSchemeOf = (concept: string, scheme: string) => {
    const set = schemeOf.get(concept) ?? new Set<string>();
    set.add(scheme);
    schemeOf.set(concept, set);
  };
  const topConcepts = new Set<string>();

  for (const [subject, list] of bySubject) {
    for (const { predicate, object } of list) {
      if (predicate === RDF_TYPE && object.kind === "iri") {
        if (object.value === `${SKOS}ConceptScheme`) schemes.add(subject);
        else if (CONCEPT_CLASSES.has(object.value)) conceptIris.add(subject);
      } else if (object.kind === "iri") {
        if (predicate === `${SKOS}inScheme`) {
          conceptIris.add(subject);
          schemes.add(object.value);
          addSchemeOf(subject, object.value);
        } else if (predicate === `${SKOS}topConceptOf`) {
          conceptIris.add(subject);
          schemes.add(object.value);
          addSchemeOf(subject, object.value);
          topConcepts.add(subject);
        } else if (predicate === `${SKOS}hasTopConcept`) {
          schemes.add(subject);
          conceptIris.add(object.value);
          addSchemeOf(object.value, subject);
          topConcepts.add(object.value);
        }
      }
    }
  }
  // Labelled subjects that are neither schemes, collections nor label resources count as concepts:
  // many hand-written SKOS files type nothing.
  for (const [subject, list] of bySubject) {
    if (schemes.has(subject) || conceptIris.has(subject) || subject.startsWith("_:")) continue;
    if (
      list.some(
        (t) => t.predicate === RDF_TYPE && t.object.kind === "iri" && NOT_CONCEPTS.has(t.object.value),
      )
    )
      continue;
    if (list.some((t) => t.predicate === `${SKOS}prefLabel` || t.predicate === `${SKOSXL}prefLabel`))
      conceptIris.add(subject);
  }
  for (const scheme of schemes) conceptIris.delete(scheme);

  const schemeList = [...schemes].sort();
  const fallback = options.defaultScheme ?? (schemeList.length === 1 ? schemeList[0] : undefined);
  const frameworks = new Map<string, Framework>();
  const frameworkFor = (id: string): Framework => {
    let framework = frameworks.get(id);
    if (!framework) {
      framework = { id, title: schemeTitle(bySubject.get(id) ?? []), concepts: new Map() };
      frameworks.set(id, framework);
    }
    return framework;
  };
  for (const scheme of schemeList) frameworkFor(scheme);

  let homeless = 0;
  const conceptScheme = new Map<string, string>();
  for (const iri of [...conceptIris].sort()) {
    const concept = readConcept(iri, bySubject, warnings);
    if (topConcepts.has(iri)) concept.top = true;
    const own = [...(schemeOf.get(iri) ?? [])].sort();
    const homes = own.length > 0 ? own : fallback ? [fallback] : [];
    if (homes.length === 0) {
      homeless++;
      continue;
    }
    // A concept in several schemes (ESCO's skills are in "skills" and in "member-skills") belongs to each.
    for (const home of homes)
      frameworkFor(home).concepts.set(iri, homes.length > 1 ? structuredClone(concept) : concept);
    conceptScheme.set(iri, homes[0]!);
  }
  if (homeless > 0)
    warnings.push(
      schemeList.length === 0
        ? `${homeless} concept(s) and no scheme: give the scheme they belong to`
        : `${homeless} concept(s) name no scheme and the file declares ${schemeList.length} schemes: give a default scheme to keep them`,
    );

  const alignments: Alignment[] = [];
  for (const [subject, list] of bySubject) {
    if (!conceptIris.has(subject)) continue;
    for (const { predicate, object } of list) {
      const relation = MAPPING_PREDICATES[predicate];
      if (!relation || object.kind !== "iri") continue;
      const alignment: Alignment = {
        source: subject,
        target: object.value,
        relation,
        status: "accepted",
        origin: "imported",
      };
      const sourceScheme = conceptScheme.get(subject);
      const targetScheme = conceptScheme.get(object.value);
      if (sourceScheme) alignment.sourceScheme = sourceScheme;
      if (targetScheme) alignment.targetScheme = targetScheme;
      alignments.push(alignment);
    }
  }

  const result = [...frameworks.values()].filter((f) => f.concepts.size > 0 || schemes.has(f.id));
  for (const framework of result) completeHierarchy(framework);
  return { frameworks: result, alignments: sortAlignments(alignments), warnings };
}

function readConcept(iri: string, bySubject: Map<string, Triple[]>, warnings: string[]): Concept {
  const concept = emptyConcept(iri);
  for (const { predicate, object } of bySubject.get(iri) ?? []) {
    switch (predicate) {
      case `${SKOS}prefLabel`:
      case `${SKOSXL}prefLabel`:
        for (const literal of literalsOf(object, bySubject)) {
          const lang = literal.language ?? NO_LANGUAGE;
          const previous = concept.prefLabel[lang];
          if (previous === undefined) concept.prefLabel[lang] = literal.value;
          else if (previous !== literal.value) {
            // SKOS allows one prefLabel per language; the other is kept as an altLabel, not lost.
            warnings.push(`${iri}: two prefLabels in "${lang}"; "${literal.value}" kept as an altLabel`);
            pushUnique(concept.altLabels, lang, literal.value);
          }
        }
        break;
      case `${SKOS}altLabel`:
      case `${SKOSXL}altLabel`:
        for (const literal of literalsOf(object, bySubject))
          pushUnique(concept.altLabels, literal.language ?? NO_LANGUAGE, literal.value);
        break;
      case `${SKOS}hiddenLabel`:
      case `${SKOSXL}hiddenLabel`:
        for (const literal of literalsOf(object, bySubject))
          pushUnique(concept.hiddenLabels, literal.language ?? NO_LANGUAGE, literal.value);
        break;
      case `${SKOS}definition`:
      case `${DCT}description`:
        for (const literal of literalsOf(object, bySubject)) {
          const lang = literal.language ?? NO_LANGUAGE;
          // skos:definition wins over dct:description (ESCO carries both).
          if (concept.definition[lang] === undefined || predicate === `${SKOS}definition`)
            concept.definition[lang] = literal.value;
        }
        break;
      case `${SKOS}notation`:
        if (object.kind === "literal") concept.notation = object.value;
        break;
      case `${SKOS}broader`:
      case `${SKOS}broaderTransitive`:
        if (object.kind === "iri" && !concept.broader.includes(object.value))
          concept.broader.push(object.value);
        break;
      case `${SKOS}narrower`:
      case `${SKOS}narrowerTransitive`:
        if (object.kind === "iri" && !concept.narrower.includes(object.value))
          concept.narrower.push(object.value);
        break;
    }
  }
  return concept;
}

/**
 * The literals a label or note property points at: a literal itself, or a resource carrying it
 * (a SKOS-XL label's literalForm, rdf:value, ESCO's nodeLiteral with its language).
 */
function literalsOf(
  term: Term,
  bySubject: Map<string, Triple[]>,
): Array<{ value: string; language?: string }> {
  if (term.kind === "literal") return [term];
  const node = bySubject.get(term.value) ?? [];
  const out: Array<{ value: string; language?: string }> = [];
  const escoLanguage = node.find((t) => t.predicate === `${ESCO}language` && t.object.kind === "literal")
    ?.object.value;
  for (const { predicate, object } of node) {
    if (object.kind !== "literal") continue;
    if (
      predicate === `${SKOSXL}literalForm` ||
      predicate === RDF_VALUE ||
      predicate === `${ESCO}nodeLiteral`
    ) {
      const language = object.language ?? escoLanguage;
      out.push(language ? { value: object.value, language } : { value: object.value });
    }
  }
  return out;
}

function schemeTitle(list: Triple[]): LangMap {
  const title: LangMap = {};
  for (const predicate of [`${DCT}title`, `${DC}title`, `${SKOS}prefLabel`, `${RDFS}label`]) {
    for (const t of list) {
      if (t.predicate !== predicate || t.object.kind !== "literal") continue;
      const lang = t.object.language ?? NO_LANGUAGE;
      if (title[lang] === undefined) title[lang] = t.object.value;
    }
  }
  return title;
}

function pushUnique(map: Record<string, string[]>, lang: string, value: string): void {
  const list = map[lang] ?? [];
  if (!list.includes(value)) list.push(value);
  map[lang] = list;
}
