/**
 * An evaluation written as a compliance report in the ODRL Compliance Report Model of the W3C ODRL
 * community group's formal semantics (https://w3id.org/force/compliance-report#): a PolicyReport with
 * one rule report per rule (attemptState, activationState), premise reports (TargetReport, PartyReport,
 * ActionReport, ConstraintReport with satisfactionState, constraintLeftOperand and, for logical
 * constraints, constraintLogicalOperand and nested premiseReport), and duties as conditionReport with
 * performanceState and deonticState. Learnpool adds its decision and reason under its profile IRI.
 */
import { randomUUID } from "node:crypto";
import type { Evaluation, PremiseReport, RuleReport, WorldState } from "./evaluate.js";
import { DCT, LP, ODRL, RDF, REPORT, XSD } from "./vocab.js";

type Obj = { kind: "iri"; value: string } | { kind: "literal"; value: string; datatype: string };
interface Node {
  id: string;
  props: [string, Obj][];
}

export interface ReportOptions {
  /** The request's IRI (policyRequest) and the request rule's IRI (ruleRequest). */
  request?: string;
  ruleRequest?: string;
  created?: string;
  state?: WorldState;
  /** Identifiers for the report's nodes (default random urn:uuid). */
  newId?: () => string;
}

const iri = (value: string): Obj => ({ kind: "iri", value });
const lit = (value: string, datatype = `${XSD}string`): Obj => ({ kind: "literal", value, datatype });

/** The report as nodes (subject → properties), the first being the PolicyReport. */
export function reportNodes(evaluation: Evaluation, options: ReportOptions = {}): Node[] {
  const newId = options.newId ?? (() => `urn:uuid:${randomUUID()}`);
  const nodes: Node[] = [];
  const top: Node = { id: newId(), props: [] };
  nodes.push(top);
  top.props.push([`${RDF}type`, iri(`${REPORT}PolicyReport`)]);
  top.props.push([`${DCT}created`, lit(options.created ?? new Date().toISOString(), `${XSD}dateTime`)]);
  top.props.push([`${REPORT}policy`, iri(evaluation.policy)]);
  if (options.request) top.props.push([`${REPORT}policyRequest`, iri(options.request)]);
  top.props.push([`${LP}decision`, iri(`${LP}${evaluation.decision}`)]);
  top.props.push([`${LP}reason`, lit(evaluation.reason)]);

  const premise = (p: PremiseReport): string => {
    const node: Node = { id: newId(), props: [[`${RDF}type`, iri(REPORT + p.type)]] };
    nodes.push(node);
    if (p.constraint)
      node.props.push([
        `${REPORT}constraint`,
        iri(p.constraint.startsWith("_:") ? `urn:learnpool:${p.constraint.slice(2)}` : p.constraint),
      ]);
    if (p.children) {
      node.props.push([`${REPORT}constraintLogicalOperand`, iri(p.operator ?? `${ODRL}and`)]);
      for (const c of p.children) node.props.push([`${REPORT}premiseReport`, iri(premise(c))]);
    }
    if (p.constraintLeftOperand !== undefined) {
      const v = p.constraintLeftOperand;
      const value = Array.isArray(v) ? v.join(" ") : String(v);
      const datatype =
        p.leftOperand === `${ODRL}dateTime`
          ? `${XSD}dateTime`
          : typeof v === "number"
            ? Number.isInteger(v)
              ? `${XSD}integer`
              : `${XSD}decimal`
            : `${XSD}string`;
      node.props.push([
        `${REPORT}constraintLeftOperand`,
        /^[a-z]+:\/\//i.test(value) || value.startsWith("urn:") ? iri(value) : lit(value, datatype),
      ]);
    }
    if (p.operator && !p.children) node.props.push([`${REPORT}constraintOperator`, iri(p.operator)]);
    for (const r of p.constraintRightOperand ?? [])
      node.props.push([`${REPORT}constraintRightOperand`, /^[a-z]+:/i.test(r) ? iri(r) : lit(r)]);
    node.props.push([`${REPORT}satisfactionState`, iri(REPORT + p.satisfactionState)]);
    if (p.reason) node.props.push([`${LP}reason`, lit(p.reason)]);
    return node.id;
  };

  const rule = (r: RuleReport): string => {
    const node: Node = { id: newId(), props: [[`${RDF}type`, iri(REPORT + r.type)]] };
    nodes.push(node);
    node.props.push([
      `${REPORT}rule`,
      iri(r.rule.startsWith("_:") ? `urn:learnpool:${r.rule.slice(2)}` : r.rule),
    ]);
    if (options.ruleRequest) node.props.push([`${REPORT}ruleRequest`, iri(options.ruleRequest)]);
    for (const p of r.premiseReports) node.props.push([`${REPORT}premiseReport`, iri(premise(p))]);
    for (const d of r.duties) node.props.push([`${REPORT}conditionReport`, iri(rule(d))]);
    if (r.type === "DutyReport" || r.type === "ObligationReport") {
      const s = options.state?.duties?.[r.rule];
      node.props.push([
        `${REPORT}performanceState`,
        iri(REPORT + (s === "fulfilled" ? "Performed" : s === "violated" ? "Unperformed" : "Unknown")),
      ]);
      node.props.push([
        `${REPORT}deonticState`,
        iri(REPORT + (s === "fulfilled" ? "Fulfilled" : s === "violated" ? "Violated" : "NonSet")),
      ]);
    } else node.props.push([`${REPORT}attemptState`, iri(REPORT + r.attemptState)]);
    node.props.push([`${REPORT}activationState`, iri(REPORT + r.activationState)]);
    return node.id;
  };
  for (const r of evaluation.ruleReports) top.props.push([`${REPORT}ruleReport`, iri(rule(r))]);
  return nodes;
}

const TTL_PREFIXES: [string, string][] = [
  ["report", REPORT],
  ["odrl", ODRL],
  ["dct", DCT],
  ["xsd", XSD],
  ["lp", LP],
];

function ttlTerm(o: Obj): string {
  if (o.kind === "iri") {
    if (o.value === `${RDF}type`) return "a";
    for (const [p, ns] of TTL_PREFIXES)
      if (o.value.startsWith(ns) && /^[A-Za-z][\w-]*$/.test(o.value.slice(ns.length)))
        return `${p}:${o.value.slice(ns.length)}`;
    return `<${o.value}>`;
  }
  const text = JSON.stringify(o.value);
  return o.datatype === `${XSD}string` ? text : `${text}^^${ttlTerm(iri(o.datatype))}`;
}

export function reportTurtle(nodes: Node[]): string {
  const lines = TTL_PREFIXES.map(([p, ns]) => `@prefix ${p}: <${ns}>.`);
  lines.push("");
  for (const n of nodes) {
    const body = n.props.map(([p, o]) => `    ${ttlTerm(iri(p))} ${ttlTerm(o)}`).join(";\n");
    lines.push(`<${n.id}>\n${body}.`);
  }
  return `${lines.join("\n")}\n`;
}

/** The report in JSON-LD (flattened, with a context of the report vocabulary). */
export function reportJsonLd(nodes: Node[]): Record<string, unknown> {
  const compact = (value: string) => {
    for (const [p, ns] of TTL_PREFIXES) if (value.startsWith(ns)) return `${p}:${value.slice(ns.length)}`;
    return value;
  };
  const graph = nodes.map((n) => {
    const out: Record<string, unknown> = { "@id": n.id };
    for (const [p, o] of n.props) {
      const key = p === `${RDF}type` ? "@type" : compact(p);
      const value =
        o.kind === "iri"
          ? key === "@type"
            ? compact(o.value)
            : { "@id": compact(o.value) }
          : o.datatype === `${XSD}string`
            ? o.value
            : { "@value": o.value, "@type": compact(o.datatype) };
      const prev = out[key];
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return out;
  });
  return { "@context": Object.fromEntries(TTL_PREFIXES), "@graph": graph };
}
