/**
 * The pure rules of enforcement: the steps of the data's path, what kind of duty an ODRL duty is and
 * when it falls due, the anonymization level an agreement asks for, and the step rule that keeps a
 * release waiting for anonymization. No I/O here.
 */

import type { AccessRequest } from "../odrl/evaluate.js";
import type { ConstraintNode, Policy, Rule } from "../odrl/parse.js";
import { LP_TERMS, ODRL } from "../odrl/vocab.js";

/** The points of the data's path where a decision is asked (DESIGN.md, "The data's path"). */
export const STEPS = [
  "catalog-access",
  "negotiation",
  "transfer",
  "dataset-build",
  "training-admission",
  "model-release",
  "export-download",
] as const;
export type Step = (typeof STEPS)[number];

export function isStep(value: unknown): value is Step {
  return typeof value === "string" && (STEPS as readonly string[]).includes(value);
}

/** Steps that let something leave the environment: they wait for every anonymize duty to be met. */
export const RELEASE_STEPS: ReadonlySet<Step> = new Set<Step>(["model-release", "export-download"]);

/** How a duty is fulfilled depends on its action. */
export type DutyKind = "deletion" | "anonymization" | "inform" | "nextPolicy" | "other";
export const DUTY_KINDS: readonly DutyKind[] = ["deletion", "anonymization", "inform", "nextPolicy", "other"];

export function dutyKindOf(actions: readonly string[]): DutyKind {
  const a = new Set(actions);
  if (a.has(`${ODRL}delete`)) return "deletion";
  if (a.has(`${ODRL}anonymize`)) return "anonymization";
  if (a.has(`${ODRL}inform`)) return "inform";
  if (a.has(`${ODRL}nextPolicy`)) return "nextPolicy";
  return "other";
}

export type DutyState = "open" | "fulfilled" | "violated";

/**
 * When a duty falls due: the earliest upper bound its dateTime constraints give (`lt`, `lteq`, `eq`),
 * found through `and`/`andSequence`, not through `or`/`xone` (there the bound is not certain). A duty
 * without one never falls due by itself (it is met, or violated by a consequence of something else).
 */
export function dueDateOf(constraints: readonly ConstraintNode[]): string | undefined {
  let due: number | undefined;
  const walk = (node: ConstraintNode) => {
    if (node.kind === "logical") {
      if (node.operator === "and" || node.operator === "andSequence") node.constraints.forEach(walk);
      return;
    }
    if (node.leftOperand !== `${ODRL}dateTime`) return;
    if (![`${ODRL}lt`, `${ODRL}lteq`, `${ODRL}eq`].includes(node.operator)) return;
    const value = node.rightOperand[0]?.value;
    const t = value === undefined ? Number.NaN : Date.parse(value);
    if (!Number.isNaN(t) && (due === undefined || t < due)) due = t;
  };
  constraints.forEach(walk);
  return due === undefined ? undefined : new Date(due).toISOString();
}

/** Every rule of a policy by id: permissions, prohibitions, obligations and, under them, duties, consequences and remedies. */
export function rulesById(policy: Policy): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  const walk = (rule: Rule) => {
    if (!rules.has(rule.id)) rules.set(rule.id, rule);
    for (const r of [...rule.duties, ...rule.consequences, ...rule.remedies]) walk(r);
  };
  for (const r of [...policy.permissions, ...policy.prohibitions, ...policy.obligations]) walk(r);
  return rules;
}

/** ODRL nextPolicy duties: the policy (its IRI, the duty's target) that must travel with derived assets. */
export interface NextPolicy {
  duty: string;
  /** The permission it comes from. */
  from: string;
  policy: string;
}

export function nextPoliciesOf(policy: Policy): NextPolicy[] {
  const out: NextPolicy[] = [];
  for (const permission of policy.permissions)
    for (const duty of permission.duties)
      if (duty.actions.includes(`${ODRL}nextPolicy`))
        // A duty inherits the policy's target when it names none; its own target is the next policy.
        for (const target of duty.targets.filter((t) => !permission.targets.includes(t)).slice(0, 1))
          out.push({ duty: duty.id, from: permission.id, policy: target });
  return out;
}

/** The level an anonymization must reach: at least `minK` records per class, average risk at most `maxAverageRisk`. */
export interface AnonymizationLevel {
  minK: number;
  maxAverageRisk: number;
  /** Where the level was read. */
  source: string;
}

/** A risk report as the pool module gives it (privacy/risk): class size and re-identification risk. */
export interface RiskReport {
  k: number;
  averageRisk: number;
  highestRisk?: number;
  [more: string]: unknown;
}

const LOWER_BOUND_OPERATORS = new Set([`${ODRL}gteq`, `${ODRL}gt`, `${ODRL}eq`]);
export const LP_MAX_RISK = "https://w3id.org/learnpool/odrl/maxRisk";

function numbers(nodes: readonly ConstraintNode[], leftOperand: string, operators: Set<string>): number[] {
  const out: number[] = [];
  const walk = (node: ConstraintNode) => {
    if (node.kind === "logical") {
      if (node.operator === "and" || node.operator === "andSequence") node.constraints.forEach(walk);
      return;
    }
    if (node.leftOperand !== leftOperand || !operators.has(node.operator)) return;
    const n = Number(node.rightOperand[0]?.value);
    // `gt 4` asks for at least 5 records per class.
    if (Number.isFinite(n)) out.push(node.operator === `${ODRL}gt` ? Math.floor(n) + 1 : n);
  };
  nodes.forEach(walk);
  return out;
}

/**
 * The level an anonymize duty asks for: its own `lp:minK` constraint, else the strictest `lp:minK`
 * of the agreement's permissions. The average risk is at most `lp:maxRisk` when the duty or the
 * agreement states one, else 1/minK (what k-anonymity promises of every record). Undefined when the
 * agreement states no level: the duty then cannot be met (fail closed).
 */
export function anonymizationLevelOf(duty: Rule, policy: Policy): AnonymizationLevel | undefined {
  const own = numbers(duty.constraints, LP_TERMS.minK, LOWER_BOUND_OPERATORS);
  const all = policy.permissions.flatMap((p) =>
    numbers([...p.constraints, ...p.refinements], LP_TERMS.minK, LOWER_BOUND_OPERATORS),
  );
  const minK = own.length > 0 ? Math.max(...own) : all.length > 0 ? Math.max(...all) : undefined;
  if (minK === undefined || minK < 1) return undefined;
  const upper = new Set([`${ODRL}lteq`, `${ODRL}lt`, `${ODRL}eq`]);
  const ownRisk = numbers(duty.constraints, LP_MAX_RISK, upper);
  const anyRisk = policy.permissions.flatMap((p) => numbers(p.constraints, LP_MAX_RISK, upper));
  const risks = ownRisk.length > 0 ? ownRisk : anyRisk;
  return {
    minK,
    maxAverageRisk: risks.length > 0 ? Math.min(...risks) : 1 / minK,
    source: own.length > 0 ? `duty ${duty.id}` : "the agreement's lp:minK",
  };
}

/** Whether a risk report meets the level; the reason names the first shortfall. */
export function meetsAnonymizationLevel(
  report: unknown,
  level: AnonymizationLevel | undefined,
): { ok: true } | { ok: false; reason: string } {
  if (!level)
    return {
      ok: false,
      reason: "the agreement states no lp:minK: the anonymization level cannot be checked",
    };
  const r = report as Partial<RiskReport> | null;
  if (!r || typeof r !== "object" || typeof r.k !== "number" || typeof r.averageRisk !== "number")
    return { ok: false, reason: "a risk report is {k, averageRisk, highestRisk?} with numbers" };
  if (!Number.isFinite(r.k) || !Number.isFinite(r.averageRisk))
    return { ok: false, reason: "the risk report's k and averageRisk must be finite numbers" };
  if (r.k < level.minK) return { ok: false, reason: `k = ${r.k} is below the agreed minimum ${level.minK}` };
  if (r.averageRisk > level.maxAverageRisk)
    return {
      ok: false,
      reason: `the average re-identification risk ${r.averageRisk} exceeds the agreed ${level.maxAverageRisk}`,
    };
  if (typeof r.highestRisk === "number" && r.highestRisk > 1 / level.minK)
    return { ok: false, reason: `the highest risk ${r.highestRisk} exceeds 1/${level.minK}` };
  return { ok: true };
}

/**
 * The step rule on top of the policy: nothing leaves the environment (model release, export download)
 * while an anonymize duty of the agreement is open — anonymization is a duty to meet *before* release.
 */
export function releaseBlockedBy(step: Step, openDuties: readonly { duty: string; kind: DutyKind }[]) {
  if (!RELEASE_STEPS.has(step)) return undefined;
  return openDuties.find((d) => d.kind === "anonymization");
}

/** What an inform duty's evidence records: who was informed, and when. */
export interface InformRecord {
  informed: string[];
  at: string;
  how?: string;
}

export function checkInformRecord(
  value: unknown,
): { ok: true; record: InformRecord } | { ok: false; reason: string } {
  const v = value as Partial<InformRecord> | null;
  const informed = typeof v?.informed === "string" ? [v.informed] : v?.informed;
  if (
    !v ||
    !Array.isArray(informed) ||
    informed.length === 0 ||
    !informed.every((x) => typeof x === "string" && x.length > 0) ||
    typeof v.at !== "string" ||
    Number.isNaN(Date.parse(v.at))
  )
    return { ok: false, reason: "an inform record is {informed: [who, …], at: ISO 8601, how?}" };
  return {
    ok: true,
    record: {
      informed,
      at: new Date(v.at).toISOString(),
      ...(typeof v.how === "string" ? { how: v.how } : {}),
    },
  };
}

const PURPOSE_OPERATORS = new Set([`${ODRL}eq`, `${ODRL}isA`, `${ODRL}isAnyOf`, `${ODRL}isAllOf`]);

/**
 * The purposes a policy's permissions are granted for, in order: the right operands of their
 * `purpose eq|isA|isAnyOf|isAllOf` constraints (not those of prohibitions, which say what is excluded).
 */
export function declaredPurposes(policy: Policy): string[] {
  const out: string[] = [];
  const walk = (node: ConstraintNode) => {
    if (node.kind === "logical") return node.constraints.forEach(walk);
    if (node.leftOperand !== `${ODRL}purpose` || !PURPOSE_OPERATORS.has(node.operator)) return;
    for (const term of node.rightOperand) if (!out.includes(term.value)) out.push(term.value);
  };
  for (const rule of policy.permissions) rule.constraints.forEach(walk);
  return out;
}

/**
 * What a transfer under an agreement asks of its policy: the consumer uses the agreement's dataset,
 * for the purpose the agreement declares, and receives it itself.
 */
export function transferRequestOf(policy: Policy, consumerIri: string): AccessRequest {
  const target = policy.permissions.flatMap((r) => r.targets)[0];
  const purpose = declaredPurposes(policy)[0];
  return {
    action: `${ODRL}use`,
    ...(target ? { target } : {}),
    assignee: consumerIri,
    context: { ...(purpose ? { purpose } : {}), recipient: consumerIri },
  };
}
