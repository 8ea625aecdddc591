/**
 * The two decisions the catalog asks the policy engine, pure:
 *
 * - **Purpose fit** (discovery): does an offer let this consumer use the data for this purpose? The
 *   offer is evaluated for `{action: odrl:use, assignee: consumer, context: {purpose}}` at the current
 *   time. Permit → `permitted`. Otherwise, constraints on state the catalog cannot know at discovery
 *   (minimum k, consent status, elapsed time, the consumer's location when the directory does not say…)
 *   do not hide the offer: a permission that covers the request and has no constraint *known* to fail
 *   makes it `conditional`, with those constraints listed; a prohibition that applies only because its
 *   constraints are unknown (fail closed) is listed the same way, one whose constraints hold refuses.
 *   NotApplicable (no rule covers `use`) is kept only when the offer permits, for that purpose, an
 *   action included in `use` (odrl:read, odrl:aggregate, odrl:derive…): the fit then names those
 *   narrower actions. An offer that names other assignees is never found.
 * - **Access** (seeing an entry): the entry's access policy, evaluated for `{action: odrl:read,
 *   assignee: viewer, target: dataset}`, must Permit; fail closed (unknown → hidden). Without an access
 *   policy every authenticated participant sees the entry; the provider always sees its own.
 */
import {
  type AccessRequest,
  type CompiledPolicy,
  type ContextValue,
  type Evaluation,
  evaluate,
  type PremiseReport,
  type RuleReport,
  type WorldState,
} from "../odrl/evaluate.js";
import { actionAncestors, DPV, LP, ODRL } from "../odrl/vocab.js";

export type PurposeFit =
  | {
      fit: "permitted" | "conditional";
      /** The actions granted for the purpose: odrl:use, or narrower ones. */
      actions: string[];
      /** Constraints whose state is unknown at discovery, as `left operator right`. */
      conditions: string[];
      reason: string;
    }
  | { fit: "refused"; reason: string };

/** Who asks, as the engine sees them: their party IRI, collections and known attributes. */
export interface PartyFacts {
  iri: string;
  /** Collections the party belongs to (ODRL partOf), e.g. a research-organisation group. */
  partOf?: string[];
  /** Left-operand values known about the party (e.g. `spatial: "FR"`). */
  values?: Record<string, ContextValue>;
}

const USE = `${ODRL}use`;
const READ = `${ODRL}read`;

function stateFor(party: PartyFacts | undefined, now: Date): WorldState {
  return {
    dateTime: now.toISOString(),
    ...(party?.values ? { values: party.values } : {}),
    ...(party?.partOf && party.partOf.length > 0 ? { partOf: { [party.iri]: party.partOf } } : {}),
  };
}

function shortName(iri: string): string {
  for (const [prefix, ns] of [
    ["odrl", ODRL],
    ["lp", LP],
    ["dpv", DPV],
  ] as const)
    if (iri.startsWith(ns)) return `${prefix}:${iri.slice(ns.length)}`;
  return iri;
}

/** The unknown leaves of a premise, described. */
function unknownLeaves(p: PremiseReport): string[] {
  if (p.satisfactionState !== "Unknown") return [];
  if (p.children && p.children.length > 0) return p.children.flatMap(unknownLeaves);
  const right = (p.constraintRightOperand ?? []).map(shortName).join(", ");
  return [`${shortName(p.leftOperand ?? "")} ${shortName(p.operator ?? "")} ${right}`.trim()];
}

const constraintPremises = (r: RuleReport) => r.premiseReports.filter((p) => p.type === "ConstraintReport");

type Classified = { fit: "permitted" | "conditional"; conditions: string[]; reason: string } | undefined;

function classify(ev: Evaluation): Classified {
  if (ev.decision === "Permit") return { fit: "permitted", conditions: [], reason: ev.reason };
  const permissions = ev.ruleReports.filter((r) => r.type === "PermissionReport");
  const prohibitions = ev.ruleReports.filter((r) => r.type === "ProhibitionReport" && r.inScope);
  // A prohibition whose constraints all hold refuses, whatever is unknown elsewhere.
  if (prohibitions.some((r) => constraintPremises(r).every((p) => p.satisfactionState === "Satisfied")))
    return undefined;
  const candidates = permissions
    .filter((r) => r.inScope && r.premiseReports.every((p) => p.satisfactionState !== "Unsatisfied"))
    .map((r) => constraintPremises(r).flatMap(unknownLeaves));
  if (candidates.length === 0) return undefined;
  const fewest = candidates.reduce((a, b) => (b.length < a.length ? b : a));
  const failClosed = prohibitions
    .filter((r) => !constraintPremises(r).some((p) => p.satisfactionState === "Unsatisfied"))
    .flatMap((r) =>
      constraintPremises(r)
        .flatMap(unknownLeaves)
        .map((c) => `not (${c})`),
    );
  const conditions = [...new Set([...fewest, ...failClosed])];
  return {
    fit: conditions.length === 0 ? "permitted" : "conditional",
    conditions,
    reason:
      conditions.length === 0
        ? ev.reason
        : `permitted if, when used: ${conditions.join("; ")} (unknown at discovery)`,
  };
}

/** Whether an offer lets `consumer` use its dataset for `purpose` (see the file's comment). */
export function purposeFit(
  offer: CompiledPolicy,
  consumer: PartyFacts | undefined,
  /** Undefined: no purpose stated (an offer that declares none). */
  purpose: string | undefined,
  dataset: string,
  now: Date,
): PurposeFit {
  const state = stateFor(consumer, now);
  const ask = (action: string): { ev: Evaluation; c: Classified } => {
    const request: AccessRequest = {
      action,
      target: dataset,
      ...(consumer ? { assignee: consumer.iri } : {}),
      ...(purpose !== undefined ? { context: { purpose } } : {}),
    };
    const ev = evaluate(offer, request, state);
    return { ev, c: classify(ev) };
  };
  const whole = ask(USE);
  if (whole.c) return { ...whole.c, actions: [USE] };
  if (whole.ev.decision !== "NotApplicable") return { fit: "refused", reason: whole.ev.reason };
  const narrower = [
    ...new Set(
      offer.policy.permissions
        .flatMap((r) => r.actions)
        .filter((a) => a !== USE && actionAncestors(a).includes(USE)),
    ),
  ];
  const fits = narrower.map((a) => ({ action: a, c: ask(a).c })).filter((f) => f.c !== undefined);
  if (fits.length === 0) return { fit: "refused", reason: whole.ev.reason };
  const conditions = [...new Set(fits.flatMap((f) => f.c!.conditions))];
  const actions = fits.map((f) => f.action);
  return {
    fit: fits.some((f) => f.c!.fit === "permitted") && conditions.length === 0 ? "permitted" : "conditional",
    actions,
    conditions,
    reason: `only ${actions.map(shortName).join(", ")} (narrower than odrl:use) for this purpose${conditions.length ? `, if: ${conditions.join("; ")}` : ""}`,
  };
}

export interface AccessDecision {
  visible: boolean;
  reason: string;
}

/** Whether `viewer` may see an entry (see the file's comment); `owner` is the providing party. */
export function accessDecision(
  policy: CompiledPolicy | undefined,
  viewer: PartyFacts | undefined,
  owner: string,
  dataset: string,
  now: Date,
): AccessDecision {
  if (viewer === undefined) return { visible: true, reason: "the operator sees every entry" };
  if (viewer.iri === owner) return { visible: true, reason: "the provider sees its own entries" };
  if (!policy) return { visible: true, reason: "no access policy: visible to every participant" };
  const ev = evaluate(policy, { action: READ, assignee: viewer.iri, target: dataset }, stateFor(viewer, now));
  return ev.decision === "Permit"
    ? { visible: true, reason: ev.reason }
    : { visible: false, reason: `access policy ${ev.policy}: ${ev.decision}: ${ev.reason}` };
}
