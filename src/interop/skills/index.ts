/**
 * Skills interoperability: competency frameworks (SKOS concept schemes from JSON-LD, Turtle or ESCO's
 * CSV export, labels kept in every language), alignments between two frameworks (SKOS mapping
 * relations imported, or suggested from multilingual label similarity and reviewed by a person), and
 * the translation of the competencies a statement carries into another framework for pooling.
 */

export * from "./alignments.js";
export * from "./competencies.js";
export * from "./esco-csv.js";
export * from "./files.js";
export * from "./framework.js";
export { JsonLdError, KNOWN_CONTEXTS, triplesFromJsonLd } from "./jsonld.js";
export { contentTokens, normalizeLabel, primaryLanguage, trigrams } from "./normalize.js";
export { type SkosImport, type SkosOptions, skosFromTriples, type Term, type Triple } from "./skos.js";
export * from "./suggest.js";
export { TurtleError, triplesFromTurtle } from "./turtle.js";
