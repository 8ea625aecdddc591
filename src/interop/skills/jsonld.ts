/**
 * JSON-LD to triples, for SKOS files, without fetching anything: the expansion rules SKOS exports use
 * (contexts with prefixes, @vocab, typed and language-container terms, @graph, nested nodes, expanded
 * form). A remote context is never fetched: a few are built in; any other is reported, and the file is
 * still read through its prefixed names, full IRIs, and — only then — bare SKOS property names.
 */
import { isObject } from "../json.js";
import { SKOS } from "./alignments.js";
import { RDF_TYPE, type Term, type Triple } from "./skos.js";

interface TermDefinition {
  id: string;
  /** "@id" or "@vocab" when the values are IRIs; a datatype IRI otherwise. */
  type?: string;
  container?: string;
  /** Language of plain strings; null says "no language" even under a default. */
  language?: string | null;
}

interface Context {
  terms: Map<string, TermDefinition | null>;
  vocab?: string;
  base?: string;
  language?: string;
}

const WELL_KNOWN_PREFIXES: Record<string, string> = {
  skos: SKOS,
  skosxl: "http://www.w3.org/2008/05/skos-xl#",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  rdfs: "http://www.w3.org/2000/01/rdf-schema#",
  dct: "http://purl.org/dc/terms/",
  dcterms: "http://purl.org/dc/terms/",
  dc: "http://purl.org/dc/elements/1.1/",
  esco: "http://data.europa.eu/esco/model#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
};

const SKOS_LITERAL_TERMS = [
  "prefLabel",
  "altLabel",
  "hiddenLabel",
  "definition",
  "scopeNote",
  "note",
  "notation",
  "example",
  "editorialNote",
  "changeNote",
  "historyNote",
];
const SKOS_IRI_TERMS = [
  "inScheme",
  "topConceptOf",
  "hasTopConcept",
  "broader",
  "narrower",
  "related",
  "broaderTransitive",
  "narrowerTransitive",
  "exactMatch",
  "closeMatch",
  "broadMatch",
  "narrowMatch",
  "relatedMatch",
  "member",
];
const SKOS_CLASSES = ["Concept", "ConceptScheme", "Collection"];
const SKOS_IRI_PROPERTIES = new Set(SKOS_IRI_TERMS.map((t) => `${SKOS}${t}`));

/** A context defining every SKOS term by its local name (what hand-written SKOS JSON-LD assumes). */
function skosContext(languageContainers: boolean): Record<string, unknown> {
  const context: Record<string, unknown> = { skos: SKOS, id: "@id", type: "@type" };
  for (const term of SKOS_LITERAL_TERMS)
    context[term] =
      languageContainers && term !== "notation"
        ? { "@id": `${SKOS}${term}`, "@container": "@language" }
        : `${SKOS}${term}`;
  for (const term of SKOS_IRI_TERMS) context[term] = { "@id": `${SKOS}${term}`, "@type": "@id" };
  for (const term of SKOS_CLASSES) context[term] = `${SKOS}${term}`;
  return context;
}

/** Remote contexts known without a fetch, by IRI (with or without a trailing slash or `.jsonld`). */
export const KNOWN_CONTEXTS: Record<string, Record<string, unknown>> = {
  // The SKOS namespace is not itself a JSON-LD context, but files that name it mean these terms.
  "http://www.w3.org/2004/02/skos/core": skosContext(false),
  "https://www.w3.org/2004/02/skos/core": skosContext(false),
  // The xAPI Profiles context (xAPI Profile specification), which reuses SKOS with language maps.
  "https://w3id.org/xapi/profiles/context": {
    ...skosContext(true),
    "@version": 1.1,
    Concept: `${SKOS}Concept`,
    ConceptScheme: `${SKOS}ConceptScheme`,
  },
};

function knownContext(iri: string): Record<string, unknown> | undefined {
  const key = iri
    .replace(/#$/, "")
    .replace(/\.jsonld$/, "")
    .replace(/\/$/, "");
  return KNOWN_CONTEXTS[key];
}

export class JsonLdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonLdError";
  }
}

export interface JsonLdResult {
  triples: Triple[];
  warnings: string[];
}

/** Turns a parsed JSON-LD document into triples. */
export function triplesFromJsonLd(document: unknown, options: { base?: string } = {}): JsonLdResult {
  const reader = new JsonLdReader();
  const root: Context = { terms: new Map(), ...(options.base !== undefined && { base: options.base }) };
  if (Array.isArray(document)) for (const item of document) reader.node(item, root);
  else if (isObject(document)) reader.node(document, root);
  else throw new JsonLdError("a JSON-LD document is an object or an array");
  if (reader.unknownRemote.size > 0 && reader.bareSkosTerms > 0)
    reader.warnings.push(
      `bare property names were read as SKOS terms (${reader.bareSkosTerms} values) because the context could not be loaded`,
    );
  return { triples: reader.triples, warnings: reader.warnings };
}

class JsonLdReader {
  readonly triples: Triple[] = [];
  readonly warnings: string[] = [];
  readonly unknownRemote = new Set<string>();
  bareSkosTerms = 0;
  private blank = 0;

  /** Reads a node object (or a top-level graph container) and returns its subject. */
  node(value: Record<string, unknown>, outer: Context): string | undefined {
    const ctx = "@context" in value ? this.context(outer, value["@context"]) : outer;
    const keys = Object.keys(value).filter((k) => k !== "@context");
    const keyword = (k: string) => this.keyword(ctx, k);
    const byKeyword = new Map<string, unknown>();
    for (const k of keys) if (keyword(k).startsWith("@")) byKeyword.set(keyword(k), value[k]);

    const graph = byKeyword.get("@graph");
    if (graph !== undefined) {
      for (const item of asArray(graph)) if (isObject(item)) this.node(item, ctx);
      // A graph container with nothing else describes no node of its own.
      if (keys.every((k) => keyword(k) === "@graph" || keyword(k) === "@id")) return undefined;
    }
    const rawId = byKeyword.get("@id");
    const subject = typeof rawId === "string" ? (this.iri(ctx, rawId, false) ?? rawId) : `_:b${++this.blank}`;
    for (const type of asArray(byKeyword.get("@type"))) {
      if (typeof type !== "string") continue;
      const iri = this.iri(ctx, type, true);
      if (iri) this.triples.push({ subject, predicate: RDF_TYPE, object: { kind: "iri", value: iri } });
    }
    for (const item of asArray(byKeyword.get("@included"))) if (isObject(item)) this.node(item, ctx);

    for (const key of keys) {
      if (keyword(key).startsWith("@")) continue;
      const predicate = this.iri(ctx, key, true, true);
      if (!predicate) continue;
      let definition = ctx.terms.get(key) ?? undefined;
      // SKOS's relations point at concepts: a plain string there is an IRI even without type coercion.
      if (!definition?.type && SKOS_IRI_PROPERTIES.has(predicate))
        definition = { ...definition, id: predicate, type: "@id" };
      for (const object of this.values(value[key], definition, ctx))
        this.triples.push({ subject, predicate, object });
    }
    return subject;
  }

  private values(value: unknown, definition: TermDefinition | undefined, ctx: Context): Term[] {
    if (value === null || value === undefined) return [];
    if (Array.isArray(value)) return value.flatMap((v) => this.values(v, definition, ctx));
    if (typeof value === "string") {
      if (definition?.type === "@id" || definition?.type === "@vocab") {
        const iri = this.iri(ctx, value, definition.type === "@vocab");
        return iri ? [{ kind: "iri", value: iri }] : [];
      }
      const language = definition && definition.language !== undefined ? definition.language : ctx.language;
      return [language ? { kind: "literal", value, language } : { kind: "literal", value }];
    }
    if (typeof value === "number" || typeof value === "boolean")
      return [{ kind: "literal", value: String(value) }];
    if (!isObject(value)) return [];
    const keyword = (k: string) => this.keyword(ctx, k);
    const entries = Object.entries(value).map(([k, v]) => [keyword(k), v] as const);
    const get = (name: string) => entries.find(([k]) => k === name)?.[1];
    if (get("@value") !== undefined) {
      const literal = get("@value");
      const language = get("@language");
      if (literal === null || typeof literal === "object") return [];
      return [
        typeof language === "string"
          ? { kind: "literal", value: String(literal), language }
          : { kind: "literal", value: String(literal) },
      ];
    }
    if (get("@list") !== undefined) return this.values(get("@list"), definition, ctx);
    if (get("@set") !== undefined) return this.values(get("@set"), definition, ctx);
    if (
      definition?.container === "@language" ||
      (definition?.type !== "@id" && looksLikeLanguageMap(value))
    ) {
      // A language map: {"en": "manage a team", "fr": ["gérer une équipe", ...]}.
      const out: Term[] = [];
      for (const [language, texts] of Object.entries(value))
        for (const text of asArray(texts))
          if (typeof text === "string")
            out.push(
              language === "@none"
                ? { kind: "literal", value: text }
                : { kind: "literal", value: text, language },
            );
      return out;
    }
    if (entries.length === 1 && get("@id") !== undefined && typeof get("@id") === "string") {
      const iri = this.iri(ctx, get("@id") as string, false);
      return iri ? [{ kind: "iri", value: iri }] : [];
    }
    // A nested node: described in place, pointed at by its subject.
    const subject = this.node(value, ctx);
    return subject ? [{ kind: "iri", value: subject }] : [];
  }

  /** The keyword a key stands for (`@id` for an `id` alias), or the key itself. */
  private keyword(ctx: Context, key: string): string {
    if (key.startsWith("@")) return key;
    const term = ctx.terms.get(key);
    if (term) return term.id;
    // Without its context, `id` and `type` are almost always the usual aliases.
    if (this.unknownRemote.size > 0 && (key === "id" || key === "type")) return `@${key}`;
    return key;
  }

  private context(active: Context, local: unknown): Context {
    if (Array.isArray(local)) return local.reduce<Context>((ctx, item) => this.context(ctx, item), active);
    if (local === null) return { terms: new Map() };
    if (typeof local === "string") {
      const known = knownContext(local);
      if (known) return this.context(active, known);
      if (!this.unknownRemote.has(local)) {
        this.unknownRemote.add(local);
        this.warnings.push(
          `remote context ${local} is not fetched and not built in: its terms are unknown; prefixed names, full IRIs and bare SKOS property names are read instead`,
        );
      }
      return active;
    }
    if (!isObject(local)) return active;
    const ctx: Context = { ...active, terms: new Map(active.terms) };
    if (typeof local["@vocab"] === "string")
      ctx.vocab = this.iri(ctx, local["@vocab"], true) ?? local["@vocab"];
    if (typeof local["@base"] === "string") ctx.base = local["@base"];
    if (typeof local["@language"] === "string") ctx.language = local["@language"];
    else if (local["@language"] === null) delete ctx.language;
    // Two passes: a term may use a prefix defined later in the same context.
    const pending = Object.entries(local).filter(([k]) => !k.startsWith("@"));
    for (const [term, def] of pending)
      if (typeof def === "string" && !def.startsWith("@")) ctx.terms.set(term, { id: def });
    for (const [term, def] of pending) {
      if (def === null) ctx.terms.set(term, null);
      else if (typeof def === "string") {
        ctx.terms.set(term, {
          id: def.startsWith("@") ? def : (this.iri(ctx, def, true, false, term) ?? def),
        });
      } else if (isObject(def)) {
        const rawId = typeof def["@id"] === "string" ? def["@id"] : term;
        const id = rawId.startsWith("@") ? rawId : (this.iri(ctx, rawId, true, false, term) ?? rawId);
        const definition: TermDefinition = { id };
        const type = def["@type"];
        if (typeof type === "string")
          definition.type = type.startsWith("@") ? type : (this.iri(ctx, type, true) ?? type);
        const container = asArray(def["@container"]).find(
          (c) => c === "@language" || c === "@list" || c === "@set",
        );
        if (typeof container === "string") definition.container = container;
        if (typeof def["@language"] === "string" || def["@language"] === null)
          definition.language = def["@language"] as string | null;
        ctx.terms.set(term, definition);
      }
    }
    return ctx;
  }

  /** Expands a term, compact IRI or relative IRI; undefined drops the property (as JSON-LD does). */
  private iri(
    ctx: Context,
    value: string,
    vocab: boolean,
    isProperty = false,
    defining?: string,
  ): string | undefined {
    if (value.startsWith("@")) return value;
    if (vocab && value !== defining) {
      const term = ctx.terms.get(value);
      if (term === null) return undefined;
      if (term) return term.id;
    }
    const colon = value.indexOf(":");
    if (colon > 0) {
      const prefix = value.slice(0, colon);
      const suffix = value.slice(colon + 1);
      if (suffix.startsWith("//") || prefix === "_") return value;
      const term = prefix !== defining ? ctx.terms.get(prefix) : undefined;
      if (term) return term.id + suffix;
      const known = WELL_KNOWN_PREFIXES[prefix];
      if (known) return known + suffix;
      return value;
    }
    if (vocab && ctx.vocab !== undefined) return ctx.vocab + value;
    if (!vocab && ctx.base !== undefined) {
      try {
        return new URL(value, ctx.base).href;
      } catch {
        return value;
      }
    }
    if (vocab) {
      if (
        isProperty &&
        this.unknownRemote.size > 0 &&
        [...SKOS_LITERAL_TERMS, ...SKOS_IRI_TERMS].includes(value)
      ) {
        this.bareSkosTerms++;
        return `${SKOS}${value}`;
      }
      if (!isProperty && this.unknownRemote.size > 0 && SKOS_CLASSES.includes(value))
        return `${SKOS}${value}`;
      return undefined;
    }
    return value;
  }
}

function looksLikeLanguageMap(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return (
    keys.length > 0 &&
    keys.every((k) => k === "@none" || /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/.test(k)) &&
    Object.values(value).every(
      (v) => typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string")),
    )
  );
}

function asArray(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
