/** Turtle, N-Triples, TriG and N-Quads to triples, through the n3 parser (graphs are merged). */
import { Parser, type Quad } from "n3";
import type { Triple } from "./skos.js";

export class TurtleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TurtleError";
  }
}

export function triplesFromTurtle(text: string, options: { base?: string; format?: string } = {}): Triple[] {
  const parser = new Parser({
    ...(options.base !== undefined && { baseIRI: options.base }),
    ...(options.format !== undefined && { format: options.format }),
  });
  let quads: Quad[];
  try {
    quads = parser.parse(text);
  } catch (error) {
    throw new TurtleError(error instanceof Error ? error.message : String(error));
  }
  const triples: Triple[] = [];
  for (const quad of quads) {
    const triple = tripleOfQuad(quad);
    if (triple) triples.push(triple);
  }
  return triples;
}

/** An n3 quad as a triple (its graph dropped); undefined for what SKOS cannot use (quoted triples). */
export function tripleOfQuad(quad: Quad): Triple | undefined {
  const subject = quad.subject.termType === "BlankNode" ? `_:${quad.subject.value}` : quad.subject.value;
  const object = quad.object;
  if (object.termType === "Literal")
    return {
      subject,
      predicate: quad.predicate.value,
      object: object.language
        ? { kind: "literal", value: object.value, language: object.language }
        : { kind: "literal", value: object.value },
    };
  if (object.termType === "NamedNode" || object.termType === "BlankNode")
    return {
      subject,
      predicate: quad.predicate.value,
      object: { kind: "iri", value: object.termType === "BlankNode" ? `_:${object.value}` : object.value },
    };
  return undefined;
}
