/**
 * ODRL 2.2 policies read into a plain model, from Turtle (n3) or from compact JSON-LD under the ODRL
 * context (`http://www.w3.org/ns/odrl.jsonld`, built in: nothing is fetched). Both go through the same
 * triples, so a policy means the same in either syntax. Policy-level target, assigner, assignee and
 * action are pushed down to the rules that lack them (ODRL 2.2 §2.7); `inheritFrom` is resolved against
 * the other policies read with it.
 */
import { Parser, type Quad } from "n3";
import { ODRL, RDF, XSD } from "./vocab.js";

export type Term =
  | { kind: "iri"; value: string }
  | { kind: "blank"; value: string }
  | { kind: "literal"; value: string; datatype: string; language?: string };
export interface Triple {
  s: Term;
  p: string;
  o: Term;
}

export class PolicyError extends Error {}

export type ConflictStrategy = "perm" | "prohibit" | "invalid";
export type RuleKind = "permission" | "prohibition" | "obligation" | "duty" | "remedy" | "consequence";

export interface Constraint {
  kind: "constraint";
  id: string;
  leftOperand: string;
  operator: string;
  rightOperand: Term[];
  rightOperandReference?: string;
  dataType?: string;
  unit?: string;
}
export interface LogicalConstraint {
  kind: "logical";
  id: string;
  operator: "or" | "xone" | "and" | "andSequence";
  constraints: ConstraintNode[];
}
export type ConstraintNode = Constraint | LogicalConstraint;

export interface Rule {
  id: string;
  kind: RuleKind;
  actions: string[];
  /** Refinements of the action (ODRL's `action: {rdf:value, refinement}`). */
  refinements: ConstraintNode[];
  targets: string[];
  assigners: string[];
  assignees: string[];
  constraints: ConstraintNode[];
  /** Duties of a permission, consequences of a duty, remedies of a prohibition. */
  duties: Rule[];
  consequences: Rule[];
  remedies: Rule[];
}

export interface Policy {
  id: string;
  type: "Set" | "Offer" | "Agreement" | "Policy" | "Request" | "Privacy" | "Ticket" | "Assertion";
  conflict: ConflictStrategy;
  conflictDeclared: boolean;
  profiles: string[];
  inheritFrom: string[];
  permissions: Rule[];
  prohibitions: Rule[];
  obligations: Rule[];
}

const POLICY_TYPES = new Set([
  "Set",
  "Offer",
  "Agreement",
  "Policy",
  "Request",
  "Privacy",
  "Ticket",
  "Assertion",
]);

export class Graph {
  private readonly bySubject = new Map<string, Map<string, Term[]>>();
  readonly triples: Triple[];
  constructor(triples: Triple[]) {
    this.triples = triples;
    for (const t of triples) {
      const key = keyOf(t.s);
      let props = this.bySubject.get(key);
      if (!props) {
        props = new Map();
        this.bySubject.set(key, props);
      }
      const list = props.get(t.p);
      if (list) list.push(t.o);
      else props.set(t.p, [t.o]);
    }
  }
  objects(s: Term, p: string): Term[] {
    return this.bySubject.get(keyOf(s))?.get(p) ?? [];
  }
  one(s: Term, p: string): Term | undefined {
    return this.objects(s, p)[0];
  }
  subjectsOfType(type: string): Term[] {
    return this.triples
      .filter((t) => t.p === `${RDF}type` && t.o.kind === "iri" && t.o.value === type)
      .map((t) => t.s);
  }
  /** An RDF collection, a `[ rdf:list (…) ]` wrapper, or the node itself. */
  list(node: Term): Term[] {
    const wrapped = this.one(node, `${RDF}list`) ?? this.one(node, `${RDF}value`);
    if (wrapped && this.objects(node, `${ODRL}leftOperand`).length === 0) return this.list(wrapped);
    if (node.kind === "iri" && node.value === `${RDF}nil`) return [];
    const first = this.one(node, `${RDF}first`);
    if (!first) return [node];
    const rest = this.one(node, `${RDF}rest`);
    return [first, ...(rest ? this.list(rest) : [])];
  }
}

export function keyOf(t: Term): string {
  return t.kind === "blank" ? `_:${t.value}` : t.value;
}

// ---------------------------------------------------------------- Turtle

export function turtleTriples(text: string, baseIRI = "urn:learnpool:"): Triple[] {
  let quads: Quad[];
  try {
    quads = new Parser({ baseIRI }).parse(text) as unknown as Quad[];
  } catch (err) {
    throw new PolicyError(`malformed Turtle: ${(err as Error).message}`);
  }
  const term = (t: {
    termType: string;
    value: string;
    datatype?: { value: string };
    language?: string;
  }): Term =>
    t.termType === "NamedNode"
      ? { kind: "iri", value: t.value }
      : t.termType === "BlankNode"
        ? { kind: "blank", value: t.value }
        : {
            kind: "literal",
            value: t.value,
            datatype: t.datatype?.value ?? `${XSD}string`,
            ...(t.language ? { language: t.language } : {}),
          };
  return quads.map((q) => ({ s: term(q.subject), p: q.predicate.value, o: term(q.object) }));
}

// ---------------------------------------------------------------- JSON-LD (ODRL context, built in)

const ODRL_CONTEXT_URLS = new Set([
  "http://www.w3.org/ns/odrl.jsonld",
  "https://www.w3.org/ns/odrl.jsonld",
  "http://www.w3.org/ns/odrl/2/",
]);
const PREFIXES: Record<string, string> = {
  odrl: ODRL,
  rdf: RDF,
  rdfs: "http://www.w3.org/2000/01/rdf-schema#",
  xsd: XSD,
  owl: "http://www.w3.org/2002/07/owl#",
  skos: "http://www.w3.org/2004/02/skos/core#",
  dct: "http://purl.org/dc/terms/",
  dc: "http://purl.org/dc/terms/",
  vcard: "http://www.w3.org/2006/vcard/ns#",
  foaf: "http://xmlns.com/foaf/0.1/",
  schema: "http://schema.org/",
  cc: "http://creativecommons.org/ns#",
  dpv: "https://w3id.org/dpv#",
  lp: "https://w3id.org/learnpool/odrl/",
};
/** Terms of the ODRL context whose values are IRIs (`@type: @id`). */
const ID_TERMS = new Set([
  "target",
  "assigner",
  "assignee",
  "inheritFrom",
  "profile",
  "rightOperandReference",
  "partOf",
  "source",
  "dataType",
  "unit",
  "uid",
  "hasPolicy",
  "output",
  "function",
  "relation",
  "failure",
  "attributedParty",
  "compensatedParty",
  "trackingParty",
  "informedParty",
  "consentingTo",
  "consentedParty",
]);
/** Terms whose values are ODRL vocabulary terms (`@type: @vocab`). */
const VOCAB_TERMS = new Set(["action", "leftOperand", "operator", "conflict", "includedIn", "implies"]);
/** Terms under `@container: @list`. */
const LIST_TERMS = new Set(["or", "xone", "and", "andSequence"]);

interface Ctx {
  prefixes: Record<string, string>;
  terms: Record<string, string>;
  vocab?: string;
}

function expandIri(value: string, ctx: Ctx, vocab: boolean): string {
  if (vocab && ctx.terms[value]) return ctx.terms[value];
  const colon = value.indexOf(":");
  if (colon > 0) {
    const prefix = value.slice(0, colon);
    const rest = value.slice(colon + 1);
    if (!rest.startsWith("//") && ctx.prefixes[prefix] !== undefined) return ctx.prefixes[prefix] + rest;
    return value;
  }
  if (vocab) return (ctx.vocab ?? ODRL) + value;
  return value;
}

function readContext(context: unknown, ctx: Ctx): Ctx {
  const next: Ctx = {
    prefixes: { ...ctx.prefixes },
    terms: { ...ctx.terms },
    ...(ctx.vocab ? { vocab: ctx.vocab } : {}),
  };
  for (const c of Array.isArray(context) ? context : [context]) {
    if (c === null || c === undefined) continue;
    if (typeof c === "string") {
      if (!ODRL_CONTEXT_URLS.has(c))
        throw new PolicyError(`unknown remote JSON-LD context ${c} (nothing is fetched)`);
      continue;
    }
    if (typeof c !== "object") throw new PolicyError("malformed @context");
    for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
      if (k === "@vocab" && typeof v === "string") next.vocab = v;
      else if (typeof v === "string") {
        if (/[:/#]$/.test(v)) next.prefixes[k] = v;
        else next.terms[k] = expandIri(v, next, false);
      } else if (v && typeof v === "object" && typeof (v as { "@id"?: unknown })["@id"] === "string")
        next.terms[k] = expandIri((v as { "@id": string })["@id"], next, false);
    }
  }
  return next;
}

export function jsonldTriples(doc: unknown): Triple[] {
  const triples: Triple[] = [];
  let blank = 0;
  const fresh = (): Term => ({ kind: "blank", value: `b${blank++}` });
  const subjectOf = (id: string | undefined, ctx: Ctx): Term =>
    id === undefined
      ? fresh()
      : id.startsWith("_:")
        ? { kind: "blank", value: id.slice(2) }
        : { kind: "iri", value: expandIri(id, ctx, false) };

  const predicate = (key: string, ctx: Ctx): string => {
    if (ctx.terms[key]) return ctx.terms[key];
    if (key.includes(":")) return expandIri(key, ctx, false);
    return (ctx.vocab ?? ODRL) + key;
  };

  const literal = (v: unknown): Term => {
    if (typeof v === "number")
      return {
        kind: "literal",
        value: String(v),
        datatype: Number.isInteger(v) ? `${XSD}integer` : `${XSD}decimal`,
      };
    if (typeof v === "boolean") return { kind: "literal", value: String(v), datatype: `${XSD}boolean` };
    return { kind: "literal", value: String(v), datatype: `${XSD}string` };
  };

  const value = (key: string, v: unknown, ctx: Ctx): Term => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ("@value" in o) {
        const type = typeof o["@type"] === "string" ? expandIri(o["@type"] as string, ctx, false) : undefined;
        const lit = literal(o["@value"]);
        return type ? { kind: "literal", value: String(o["@value"]), datatype: type } : lit;
      }
      return node(o, ctx);
    }
    if (typeof v === "string") {
      if (VOCAB_TERMS.has(key)) return { kind: "iri", value: expandIri(v, ctx, true) };
      if (ID_TERMS.has(key)) return { kind: "iri", value: expandIri(v, ctx, false) };
    }
    return literal(v);
  };

  const node = (o: Record<string, unknown>, outer: Ctx): Term => {
    const ctx = "@context" in o ? readContext(o["@context"], outer) : outer;
    const id = (o["@id"] ?? o.uid ?? o["@uid"]) as string | undefined;
    if (id !== undefined && typeof id !== "string") throw new PolicyError("an @id/uid must be a string");
    const s = subjectOf(id, ctx);
    if (Array.isArray(o["@graph"])) {
      for (const g of o["@graph"]) if (g && typeof g === "object") node(g as Record<string, unknown>, ctx);
    }
    for (const [key, raw] of Object.entries(o)) {
      if (key === "@context" || key === "@id" || key === "@graph") continue;
      if (key === "@type" || key === "type") {
        for (const t of Array.isArray(raw) ? raw : [raw])
          if (typeof t === "string")
            triples.push({ s, p: `${RDF}type`, o: { kind: "iri", value: expandIri(t, ctx, true) } });
        continue;
      }
      const p = key === "uid" ? `${ODRL}uid` : predicate(key, ctx);
      const values = Array.isArray(raw) ? raw : [raw];
      if (LIST_TERMS.has(key)) {
        // A list of constraints: kept in order as an RDF collection.
        let head: Term = { kind: "iri", value: `${RDF}nil` };
        for (let i = values.length - 1; i >= 0; i--) {
          const cell = fresh();
          triples.push({ s: cell, p: `${RDF}first`, o: value(key, values[i], ctx) });
          triples.push({ s: cell, p: `${RDF}rest`, o: head });
          head = cell;
        }
        triples.push({ s, p, o: head });
        continue;
      }
      for (const v of values) {
        if (v === null) continue;
        triples.push({ s, p, o: value(key, v, ctx) });
      }
    }
    return s;
  };

  const base: Ctx = { prefixes: { ...PREFIXES }, terms: {} };
  for (const top of Array.isArray(doc) ? doc : [doc]) {
    if (!top || typeof top !== "object") throw new PolicyError("a JSON-LD policy must be an object");
    node(top as Record<string, unknown>, base);
  }
  return triples;
}

// ---------------------------------------------------------------- model

const iris = (terms: Term[]): string[] => terms.filter((t) => t.kind === "iri").map((t) => t.value);

function ruleId(t: Term): string {
  return t.kind === "iri" ? t.value : `_:${t.value}`;
}

function readConstraint(g: Graph, node: Term, path: string): ConstraintNode {
  const id = node.kind === "iri" ? node.value : path;
  for (const op of ["or", "xone", "and", "andSequence"] as const) {
    // An RDF list of operands (the ODRL vocabulary's shape), or the operands as several values of the
    // property (`odrl:and <a>, <b>`, as the CG test suite writes them): both mean the same.
    const operands = g.objects(node, ODRL + op);
    if (operands.length > 0)
      return {
        kind: "logical",
        id,
        operator: op,
        constraints: operands
          .flatMap((o) => g.list(o))
          .map((c, i) => readConstraint(g, c, `${id}/${op}/${i}`)),
      };
  }
  const left = g.one(node, `${ODRL}leftOperand`);
  const operator = g.one(node, `${ODRL}operator`);
  if (left?.kind !== "iri") throw new PolicyError(`constraint ${id} has no leftOperand`);
  if (operator?.kind !== "iri") throw new PolicyError(`constraint ${id} has no operator`);
  const right = g.objects(node, `${ODRL}rightOperand`).flatMap((r) => (r.kind === "blank" ? g.list(r) : [r]));
  const reference = g.one(node, `${ODRL}rightOperandReference`);
  if (right.length === 0 && !reference) throw new PolicyError(`constraint ${id} has no rightOperand`);
  const dataType = g.one(node, `${ODRL}dataType`);
  const unit = g.one(node, `${ODRL}unit`);
  return {
    kind: "constraint",
    id,
    leftOperand: left.value,
    operator: operator.value,
    rightOperand: right,
    ...(reference?.kind === "iri" ? { rightOperandReference: reference.value } : {}),
    ...(dataType?.kind === "iri" ? { dataType: dataType.value } : {}),
    ...(unit?.kind === "iri" ? { unit: unit.value } : {}),
  };
}

function readRule(g: Graph, node: Term, kind: RuleKind): Rule {
  const id = ruleId(node);
  const actions: string[] = [];
  const refinements: ConstraintNode[] = [];
  for (const a of g.objects(node, `${ODRL}action`)) {
    if (a.kind === "iri") actions.push(a.value);
    else if (a.kind === "blank") {
      const v = g.one(a, `${RDF}value`);
      if (v?.kind !== "iri") throw new PolicyError(`rule ${id}: an action node without rdf:value`);
      actions.push(v.value);
      for (const [i, r] of g.objects(a, `${ODRL}refinement`).entries())
        refinements.push(readConstraint(g, r, `${id}/refinement/${i}`));
    } else throw new PolicyError(`rule ${id}: an action must be an IRI, not "${a.value}"`);
  }
  // A PartyCollection or AssetCollection with an odrl:source stands for the members of that source.
  const party = (p: string) =>
    g.objects(node, ODRL + p).flatMap((t) => {
      const iri = t.kind === "iri" ? t.value : g.one(t, `${ODRL}uid`)?.value;
      if (!iri || (t.kind !== "iri" && g.one(t, `${ODRL}uid`)?.kind !== "iri"))
        throw new PolicyError(`rule ${id}: ${p} must be an IRI`);
      return [iri, ...iris(g.objects(t, `${ODRL}source`))];
    });
  return {
    id,
    kind,
    actions,
    refinements,
    targets: party("target"),
    assigners: party("assigner"),
    assignees: party("assignee"),
    constraints: g
      .objects(node, `${ODRL}constraint`)
      .map((c, i) => readConstraint(g, c, `${id}/constraint/${i}`)),
    duties: g.objects(node, `${ODRL}duty`).map((d) => readRule(g, d, "duty")),
    consequences: g.objects(node, `${ODRL}consequence`).map((d) => readRule(g, d, "consequence")),
    remedies: g.objects(node, `${ODRL}remedy`).map((d) => readRule(g, d, "remedy")),
  };
}

function inherit(
  rule: Rule,
  from: { actions: string[]; targets: string[]; assigners: string[]; assignees: string[] },
): Rule {
  const pick = (own: string[], policy: string[]) => (own.length > 0 ? own : policy);
  return {
    ...rule,
    actions: pick(rule.actions, from.actions),
    targets: pick(rule.targets, from.targets),
    assigners: pick(rule.assigners, from.assigners),
    assignees: pick(rule.assignees, from.assignees),
    duties: rule.duties.map((d) => inherit(d, { ...from, actions: [] })),
  };
}

/** Every policy in a graph, with rule inheritance applied and `inheritFrom` resolved among them. */
export function policiesFromGraph(g: Graph): Policy[] {
  const nodes = new Map<string, { node: Term; type: Policy["type"] }>();
  for (const type of POLICY_TYPES)
    for (const s of g.subjectsOfType(ODRL + type))
      nodes.set(keyOf(s), { node: s, type: type as Policy["type"] });
  const raw = new Map<string, Policy>();
  for (const [key, { node, type }] of nodes) {
    const uid = g.one(node, `${ODRL}uid`);
    const id = uid?.kind === "iri" ? uid.value : key;
    const conflictTerm = g.one(node, `${ODRL}conflict`);
    let conflict: ConflictStrategy = "prohibit";
    if (conflictTerm) {
      const c = conflictTerm.value.replace(ODRL, "");
      if (c !== "perm" && c !== "prohibit" && c !== "invalid")
        throw new PolicyError(`policy ${id}: unknown conflict strategy ${conflictTerm.value}`);
      conflict = c;
    }
    const policyLevel = {
      actions: iris(g.objects(node, `${ODRL}action`)),
      targets: iris(g.objects(node, `${ODRL}target`)),
      assigners: iris(g.objects(node, `${ODRL}assigner`)),
      assignees: iris(g.objects(node, `${ODRL}assignee`)),
    };
    const rules = (p: string, kind: RuleKind) =>
      g.objects(node, ODRL + p).map((r) => inherit(readRule(g, r, kind), policyLevel));
    raw.set(id, {
      id,
      type,
      conflict,
      conflictDeclared: conflictTerm !== undefined,
      profiles: iris(g.objects(node, `${ODRL}profile`)),
      inheritFrom: iris(g.objects(node, `${ODRL}inheritFrom`)),
      permissions: rules("permission", "permission"),
      prohibitions: rules("prohibition", "prohibition"),
      obligations: rules("obligation", "obligation"),
    });
  }
  const resolved = new Map<string, Policy>();
  const resolve = (id: string, seen: string[]): Policy => {
    const done = resolved.get(id);
    if (done) return done;
    const p = raw.get(id);
    if (!p) throw new PolicyError(`inheritFrom ${id}: the parent policy was not given`);
    if (seen.includes(id)) throw new PolicyError(`inheritFrom cycle through ${id}`);
    let out = p;
    for (const parentId of p.inheritFrom) {
      const parent = resolve(parentId, [...seen, id]);
      if (parent.conflictDeclared && p.conflictDeclared && parent.conflict !== p.conflict)
        throw new PolicyError(
          `policy ${id} and its parent ${parentId} declare different conflict strategies`,
        );
      out = {
        ...out,
        conflict: p.conflictDeclared ? p.conflict : parent.conflict,
        conflictDeclared: p.conflictDeclared || parent.conflictDeclared,
        permissions: [...parent.permissions, ...out.permissions],
        prohibitions: [...parent.prohibitions, ...out.prohibitions],
        obligations: [...parent.obligations, ...out.obligations],
      };
    }
    resolved.set(id, out);
    return out;
  };
  return [...raw.keys()].map((id) => resolve(id, []));
}

export type Syntax = "turtle" | "jsonld";

export function guessSyntax(text: string): Syntax {
  const t = text.trimStart();
  return t.startsWith("{") || t.startsWith("[") ? "jsonld" : "turtle";
}

export function readGraph(text: string, syntax: Syntax = guessSyntax(text)): Graph {
  if (syntax === "turtle") return new Graph(turtleTriples(text));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`malformed JSON: ${(err as Error).message}`);
  }
  return new Graph(jsonldTriples(doc));
}

/** The policies of a document (Turtle or JSON-LD); throws PolicyError when malformed. */
export function parsePolicies(text: string, syntax?: Syntax): Policy[] {
  const policies = policiesFromGraph(readGraph(text, syntax));
  if (policies.length === 0) throw new PolicyError("no ODRL policy (Set, Offer, Agreement, Policy) found");
  return policies;
}

/** The one policy of a document, or the one named `id`. */
export function parsePolicy(text: string, options: { syntax?: Syntax; id?: string } = {}): Policy {
  const policies = parsePolicies(text, options.syntax).filter((p) => p.type !== "Request");
  const chosen = options.id
    ? policies.find((p) => p.id === options.id)
    : (policies.find((p) => !policies.some((q) => q.inheritFrom.includes(p.id))) ?? policies[0]);
  if (!chosen) throw new PolicyError(options.id ? `policy ${options.id} not found` : "no ODRL policy found");
  return chosen;
}
