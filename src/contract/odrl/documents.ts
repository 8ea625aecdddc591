/**
 * Requests and states of the world read from files: our JSON shapes, or RDF as the W3C ODRL
 * community group's test suite writes them (an `odrl:Request` policy with one permission naming
 * assignee, action and target; a state of the world whose `dct:issued` gives the current time and
 * whose `odrl:partOf` links give collection membership).
 */
import { type AccessRequest, readRequest, type WorldState } from "./evaluate.js";
import { type Graph, guessSyntax, keyOf, PolicyError, readGraph, type Syntax, type Term } from "./parse.js";
import { DCT, ODRL, RDF, REPORT } from "./vocab.js";

export interface RequestDocument {
  request: AccessRequest;
  /** IRIs for the report's policyRequest and ruleRequest, when the request is RDF. */
  requestId?: string;
  ruleRequestId?: string;
  /** The time the request carries (the suite's TemporalData parameter). */
  dateTime?: string;
  /** rdf:type of the request's IRI parameter values, as the request document states them. */
  types?: Record<string, string[]>;
}

const SOTW = "https://w3id.org/force/sotw#";

/** The newer shape of the suite: a sotw:EvaluationRequest with requested action, party, target and parameters. */
function evaluationRequest(g: Graph, req: Term): RequestDocument {
  const one = (p: string) => {
    const t = g.one(req, SOTW + p);
    if (t && t.kind !== "iri") throw new PolicyError(`the request's ${p} must be an IRI`);
    return t?.value;
  };
  const action = one("requestedAction");
  if (!action) throw new PolicyError("the evaluation request names no action");
  const context: Record<string, string | string[]> = {};
  const types: Record<string, string[]> = {};
  let dateTime: string | undefined;
  for (const param of g.objects(req, `${SOTW}requestParameter`)) {
    const feature = g.one(param, `${SOTW}describesFeature`)?.value;
    const term = g.one(param, `${SOTW}value`);
    const value = term?.value;
    if (!feature || value === undefined)
      throw new PolicyError("a request parameter without feature or value");
    if (term?.kind === "iri") {
      const classes = g.objects(term, `${RDF}type`).filter((t) => t.kind === "iri");
      if (classes.length > 0) types[value] = classes.map((t) => t.value);
    }
    if (feature === `${SOTW}TemporalData`) dateTime = value;
    else {
      const key =
        feature === `${SOTW}Purpose`
          ? `${ODRL}purpose`
          : feature === `${SOTW}DeliveryChannel`
            ? `${ODRL}deliveryChannel`
            : feature;
      const prev = context[key];
      context[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    }
  }
  const target = one("requestedTarget");
  const assignee = one("requestingParty");
  const id = keyOf(req);
  return {
    request: {
      action,
      ...(target ? { target } : {}),
      ...(assignee ? { assignee } : {}),
      ...(Object.keys(context).length ? { context } : {}),
    },
    requestId: id,
    ruleRequestId: id,
    ...(dateTime ? { dateTime } : {}),
    ...(Object.keys(types).length ? { types } : {}),
  };
}

function requestFromGraph(g: Graph): RequestDocument {
  const evaluation = g.subjectsOfType(`${SOTW}EvaluationRequest`)[0];
  if (evaluation) return evaluationRequest(g, evaluation);
  const req = g.subjectsOfType(`${ODRL}Request`)[0];
  if (!req) throw new PolicyError("no odrl:Request in the request document");
  const rule = g.one(req, `${ODRL}permission`);
  if (!rule) throw new PolicyError("the odrl:Request has no permission");
  const one = (p: string) => {
    const t = g.one(rule, ODRL + p) ?? g.one(req, ODRL + p);
    if (t && t.kind !== "iri") throw new PolicyError(`the request's ${p} must be an IRI`);
    return t?.value;
  };
  const action = one("action");
  if (!action) throw new PolicyError("the request names no action");
  const context: Record<string, string | number | string[]> = {};
  // Context values as constraints of the request (leftOperand eq rightOperand).
  for (const c of g.objects(rule, `${ODRL}constraint`)) {
    const left = g.one(c, `${ODRL}leftOperand`);
    const right = g.objects(c, `${ODRL}rightOperand`);
    if (left?.kind === "iri" && right.length > 0)
      context[left.value] = right.length === 1 ? right[0]!.value : right.map((r) => r.value);
  }
  const target = one("target");
  const assignee = one("assignee");
  const uid = g.one(req, `${ODRL}uid`);
  return {
    request: {
      action,
      ...(target ? { target } : {}),
      ...(assignee ? { assignee } : {}),
      ...(Object.keys(context).length ? { context } : {}),
    },
    requestId: uid?.kind === "iri" ? uid.value : keyOf(req),
    ...(rule.kind === "iri" ? { ruleRequestId: rule.value } : {}),
  };
}

/** A JSON document, or a PolicyError naming which document is malformed. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`malformed ${what} JSON: ${(err as Error).message}`);
  }
}

export function readRequestDocument(text: string, syntax: Syntax = guessSyntax(text)): RequestDocument {
  if (syntax === "jsonld") {
    const json = parseJson(text, "request");
    const o = json as Record<string, unknown>;
    const isRdf = o && typeof o === "object" && ("@context" in o || "@type" in o);
    if (!isRdf) {
      const request = readRequest(json);
      return { request, ...(request.id ? { requestId: request.id } : {}) };
    }
  }
  return requestFromGraph(readGraph(text, syntax));
}

function stateFromGraph(g: Graph): WorldState {
  const state: WorldState = {};
  for (const t of g.triples) {
    if (t.p === `${DCT}issued` && t.o.kind === "literal") state.dateTime = t.o.value;
    if (t.p === `${ODRL}partOf` && t.o.kind === "iri") {
      const partOf = state.partOf ?? {};
      state.partOf = partOf;
      const key = keyOf(t.s);
      partOf[key] = [...(partOf[key] ?? []), t.o.value];
    }
  }
  // Duty reports of earlier evaluations (the suite's testcases 060 and 061): report:rule with its
  // report:deonticState (Fulfilled/Violated) or, without one, its report:performanceState.
  for (const t of g.triples) {
    if (t.p !== `${REPORT}rule` || t.o.kind !== "iri") continue;
    const deontic = g.one(t.s, `${REPORT}deonticState`)?.value;
    const performance = g.one(t.s, `${REPORT}performanceState`)?.value;
    const s =
      deontic === `${REPORT}Fulfilled`
        ? "fulfilled"
        : deontic === `${REPORT}Violated`
          ? "violated"
          : deontic === undefined && performance === `${REPORT}Performed`
            ? "fulfilled"
            : deontic === undefined && performance === `${REPORT}Unperformed`
              ? "violated"
              : undefined;
    if (s) state.duties = { ...state.duties, [t.o.value]: s };
  }
  return state;
}

export function readStateDocument(text: string, syntax: Syntax = guessSyntax(text)): WorldState {
  if (syntax === "jsonld") {
    const json = parseJson(text, "state");
    if (!json || typeof json !== "object") throw new PolicyError("a state must be a JSON object");
    if (!("@context" in json) && !("@type" in json) && !("@graph" in json)) return json as WorldState;
  }
  return stateFromGraph(readGraph(text, syntax));
}

export type { Term };
export const RDF_TYPE = `${RDF}type`;
