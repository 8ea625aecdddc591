/**
 * The ODRL evaluator, pure: a policy compiled once into closures, then asked about requests under a
 * state of the world. Nothing is parsed at evaluation time. Fail closed: a value the state does not
 * give, an operator or left operand the engine does not know, or a malformed operand makes a
 * permission inactive and a prohibition active, and the report says which constraint and why.
 */
import { type ConstraintNode, type Policy, PolicyError, type Rule, type Term } from "./parse.js";
import {
  actionAncestors,
  DPV,
  DPV_PURPOSES,
  EEA,
  EU,
  KNOWN_LEFT_OPERANDS,
  LP,
  LP_TERMS,
  ODRL,
  OPERATORS,
  REGION_EEA,
  REGION_EU,
  XSD,
} from "./vocab.js";

export type Scalar = string | number | boolean;
export type ContextValue = Scalar | Scalar[];

/** What is asked: may `assignee` do `action` on `target`, with these context values (purpose, spatial…)? */
export interface AccessRequest {
  id?: string;
  action: string;
  target?: string;
  assignee?: string;
  assigner?: string;
  /** Left-operand values of the request: keys are IRIs, `odrl:x`/`lp:x` names, or bare ODRL/profile names. */
  context?: Record<string, ContextValue>;
}

/** The state of the world: what the evaluator may not invent. */
export interface WorldState {
  /** The current time (xsd:dateTime); without it, dateTime constraints are unknown. */
  dateTime?: string;
  /** When use started (for elapsedTime), overall or per rule id. */
  since?: string | Record<string, string>;
  /** Executions of each rule's action so far (for count): rule id → number. */
  counts?: Record<string, number>;
  /** Other left-operand values known about the world, same keys as a request's context. */
  values?: Record<string, ContextValue>;
  /** Membership of assets and parties in collections (ODRL partOf): member → collections. */
  partOf?: Record<string, string[]>;
  /** Duties already fulfilled or violated: duty id → state. */
  duties?: Record<string, "fulfilled" | "violated">;
  /** Classes of individuals (rdf:type): a request's purpose may be an instance of a DPV purpose. */
  types?: Record<string, string[]>;
}

export type Decision = "Permit" | "Deny" | "NotApplicable";
export type Satisfaction = "Satisfied" | "Unsatisfied" | "Unknown";

export interface PremiseReport {
  type: "TargetReport" | "PartyReport" | "ActionReport" | "ConstraintReport";
  satisfactionState: Satisfaction;
  constraint?: string;
  leftOperand?: string;
  operator?: string;
  constraintLeftOperand?: ContextValue;
  constraintRightOperand?: string[];
  reason?: string;
  children?: PremiseReport[];
}

export interface RuleReport {
  type: "PermissionReport" | "ProhibitionReport" | "ObligationReport" | "DutyReport";
  rule: string;
  /** The request is evaluated against every rule (the suite's reports say Attempted throughout). */
  attemptState: "Attempted" | "NotAttempted";
  /** Whether the rule's action, target and parties cover the request. */
  inScope: boolean;
  activationState: "Active" | "Inactive";
  premiseReports: PremiseReport[];
  duties: RuleReport[];
}

export interface DutyToFulfil {
  duty: string;
  /** The permission or policy (obligation) it comes from. */
  from: string;
  actions: string[];
  constraints: ConstraintNode[];
  state: "pending" | "fulfilled" | "violated";
  consequences: string[];
}

export interface Evaluation {
  decision: Decision;
  /** Why, in one sentence naming the rule and constraint that decided. */
  reason: string;
  decidingRule?: string;
  decidingConstraint?: string;
  duties: DutyToFulfil[];
  /** Remedies of the prohibition that denied. */
  remedies: string[];
  ruleReports: RuleReport[];
  policy: string;
}

type Kind = "datetime" | "duration" | "number" | "purpose" | "spatial" | "term";
type Typed = number | string;

interface Env {
  values: Map<string, Scalar[]>;
  now: number | undefined;
  state: WorldState;
  ruleId: string;
  nowText: string | undefined;
  /** Request values already typed, per left operand and kind: each is converted once per evaluation. */
  typedCache: Map<string, Typed[]>;
  actions: Set<string>;
}

type ConstraintFn = (env: Env) => PremiseReport;

const PREFIXES: Record<string, string> = { odrl: ODRL, lp: LP, dpv: DPV, xsd: XSD };
const LP_NAMES = new Set(Object.keys(LP_TERMS));

/** A left operand or value key as an IRI: `purpose` → odrl:purpose, `minK` → lp:minK, `dpv:X` expanded. */
export function expandName(key: string, bare: "odrl" | "none" = "odrl"): string {
  const colon = key.indexOf(":");
  if (colon > 0 && PREFIXES[key.slice(0, colon)] && !key.startsWith("http"))
    return PREFIXES[key.slice(0, colon)] + key.slice(colon + 1);
  if (colon < 0 && bare === "odrl") return LP_NAMES.has(key) ? LP + key : ODRL + key;
  return key;
}

function kindOf(leftOperand: string, right: Term[]): Kind {
  switch (leftOperand) {
    case `${ODRL}dateTime`:
      return "datetime";
    case `${ODRL}elapsedTime`:
    case `${ODRL}meteredTime`:
      return "duration";
    case `${ODRL}count`:
    case `${ODRL}percentage`:
    case `${ODRL}payAmount`:
    case LP_TERMS.minK:
    case LP_TERMS.maxEpsilon:
    case LP_TERMS.maxAdvantage:
      return "number";
    case `${ODRL}purpose`:
      return "purpose";
    case `${ODRL}spatial`:
      return "spatial";
  }
  const dt = right[0]?.kind === "literal" ? right[0].datatype : "";
  if (dt === `${XSD}dateTime` || dt === `${XSD}date`) return "datetime";
  if (dt === `${XSD}duration`) return "duration";
  if (/#(integer|decimal|double|float|int|long|nonNegativeInteger|positiveInteger)$/.test(dt))
    return "number";
  return "term";
}

/** xsd:duration in milliseconds (a month as 30 days, a year as 365 days). */
export function durationMs(text: string): number {
  const m =
    /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text.trim(),
    );
  if (!m || text.trim() === "P" || text.trim().endsWith("T"))
    throw new PolicyError(`not an xsd:duration: ${text}`);
  const n = (i: number) => Number(m[i] ?? 0);
  const days = n(2) * 365 + n(3) * 30 + n(4) * 7 + n(5);
  const ms = ((days * 24 + n(6)) * 60 + n(7)) * 60_000 + n(8) * 1000;
  return m[1] ? -ms : ms;
}

function dateMs(text: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text.trim())
    ? Date.parse(`${text.trim()}T00:00:00Z`)
    : Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(t))
    throw new PolicyError(`not an xsd:dateTime: ${text}`);
  return t;
}

function country(value: string): string {
  const v = expandName(value.trim(), "none");
  if (v === "EEA" || v === REGION_EEA) return REGION_EEA;
  if (v === "EU" || v === REGION_EU) return REGION_EU;
  const m = /(?:^|[:/#])([A-Za-z]{2})$/.exec(v);
  return m ? m[1]!.toUpperCase() : v;
}

function typed(kind: Kind, value: Scalar): Typed {
  switch (kind) {
    case "datetime":
      return dateMs(String(value));
    case "duration":
      return typeof value === "number" ? value : durationMs(String(value));
    case "number": {
      const n = typeof value === "number" ? value : Number(String(value).trim());
      if (String(value).trim() === "" || !Number.isFinite(n)) throw new PolicyError(`not a number: ${value}`);
      return n;
    }
    case "spatial":
      return country(String(value));
    case "purpose":
      return expandName(String(value), "none");
    default:
      return typeof value === "string" ? expandName(value, "none") : String(value);
  }
}

const EEA_SET = new Set(EEA);
const EU_SET = new Set(EU);
const purposeAncestors = new Map<string, Set<string>>();
function ancestorsOfPurpose(p: string): Set<string> {
  let set = purposeAncestors.get(p);
  if (set) return set;
  set = new Set([p]);
  const stack = [p];
  while (stack.length > 0)
    for (const b of DPV_PURPOSES.get(stack.pop()!) ?? [])
      if (!set.has(b)) {
        set.add(b);
        stack.push(b);
      }
  purposeAncestors.set(p, set);
  return set;
}

/** Whether `narrow` is `broad` or falls under it (DPV broader links, EEA/EU membership). */
function covers(kind: Kind, narrow: Typed, broad: Typed): boolean {
  if (narrow === broad) return true;
  if (kind === "purpose") return ancestorsOfPurpose(narrow as string).has(broad as string);
  if (kind === "spatial") {
    if (broad === REGION_EEA) return EEA_SET.has(narrow as string) || narrow === REGION_EU;
    if (broad === REGION_EU) return EU_SET.has(narrow as string);
  }
  return false;
}

const NO_TYPES: string[] = [];
function typesOf(v: Typed, types: WorldState["types"]): string[] {
  return (typeof v === "string" && types?.[v]) || NO_TYPES;
}

function termText(t: Term): string {
  return t.value;
}

function compileConstraint(node: ConstraintNode, ruleId: string): ConstraintFn {
  if (node.kind === "logical") {
    const parts = node.constraints.map((c) => compileConstraint(c, ruleId));
    const op = node.operator;
    return (env) => {
      const children: PremiseReport[] = [];
      let satisfied = 0;
      let unknown = 0;
      for (const part of parts) {
        const r = part(env);
        children.push(r);
        if (r.satisfactionState === "Satisfied") satisfied++;
        else if (r.satisfactionState === "Unknown") {
          unknown++;
          if (op === "andSequence") break;
        } else if (op === "andSequence") break;
      }
      let state: Satisfaction;
      if (op === "or") state = satisfied > 0 ? "Satisfied" : unknown > 0 ? "Unknown" : "Unsatisfied";
      else if (op === "xone") state = unknown > 0 ? "Unknown" : satisfied === 1 ? "Satisfied" : "Unsatisfied";
      else
        state =
          satisfied === parts.length
            ? "Satisfied"
            : unknown > 0 && satisfied + unknown === children.length && children.length === parts.length
              ? "Unknown"
              : satisfied === parts.length
                ? "Satisfied"
                : children.some((c) => c.satisfactionState === "Unsatisfied")
                  ? "Unsatisfied"
                  : "Unknown";
      return {
        type: "ConstraintReport",
        satisfactionState: state,
        constraint: node.id,
        operator: ODRL + op,
        children,
      };
    };
  }
  const base = {
    type: "ConstraintReport" as const,
    constraint: node.id,
    leftOperand: node.leftOperand,
    operator: node.operator,
    constraintRightOperand: node.rightOperand.map(termText),
  };
  const fail =
    (reason: string): ConstraintFn =>
    () => ({ ...base, satisfactionState: "Unknown", reason });
  if (!OPERATORS.has(node.operator)) return fail(`unknown operator ${node.operator}`);
  // A left operand this engine does not know has no meaning here (its order, its hierarchy), whatever
  // value a request gives for it: unknown, never compared as a bare term.
  if (!KNOWN_LEFT_OPERANDS.has(node.leftOperand))
    return fail(`no value for ${node.leftOperand} (a left operand this engine does not know)`);
  if (node.rightOperandReference)
    return fail("rightOperandReference is not dereferenced (nothing is fetched)");
  const kind = kindOf(node.leftOperand, node.rightOperand);
  let right: Typed[];
  try {
    right = node.rightOperand.map((t) => typed(kind, t.kind === "literal" ? t.value : t.value));
  } catch (err) {
    return fail(`malformed rightOperand: ${(err as Error).message}`);
  }
  const op = node.operator.slice(ODRL.length);
  const ordered = kind === "datetime" || kind === "duration" || kind === "number";
  if (["lt", "lteq", "gt", "gteq"].includes(op) && (!ordered || right.length !== 1))
    return fail(`operator ${op} needs one ordered (number, dateTime, duration) right operand`);
  const r0 = right[0]!;
  const anyCovers = (v: Typed) => right.some((r) => covers(kind, v, r));
  const test = (vals: Typed[], types: WorldState["types"]): boolean => {
    switch (op) {
      case "eq":
        return (
          vals.length > 0 &&
          (kind === "purpose" || kind === "spatial"
            ? vals.every(anyCovers)
            : vals.length === right.length && vals.every((v) => right.includes(v)))
        );
      case "neq":
        return !(kind === "purpose" || kind === "spatial"
          ? vals.every(anyCovers)
          : vals.length === right.length && vals.every((v) => right.includes(v)));
      case "lt":
        return vals.length === 1 && (vals[0] as number) < (r0 as number);
      case "lteq":
        return vals.length === 1 && (vals[0] as number) <= (r0 as number);
      case "gt":
        return vals.length === 1 && (vals[0] as number) > (r0 as number);
      case "gteq":
        return vals.length === 1 && (vals[0] as number) >= (r0 as number);
      case "isA":
        // A value is a class under the right operand (dpv:AcademicResearch isA dpv:ResearchAndDevelopment)
        // or an individual whose rdf:type is (ex:purpose a dpv:AccountManagement).
        return vals.length > 0 && vals.every((v) => anyCovers(v) || typesOf(v, types).some(anyCovers));
      case "isPartOf":
      case "isAnyOf":
        return vals.length > 0 && vals.every(anyCovers);
      case "hasPart":
      case "isAllOf":
        return right.every((r) => vals.some((v) => covers(kind, v, r)));
      case "isNoneOf":
        return !vals.some(anyCovers);
      default:
        return false;
    }
  };
  const lo = node.leftOperand;
  const cacheKey = `${lo}|${kind}`;
  // Decided once here, not per evaluation.
  const source =
    lo === `${ODRL}dateTime`
      ? "now"
      : lo === `${ODRL}count`
        ? "count"
        : lo === `${ODRL}elapsedTime`
          ? "elapsed"
          : "value";
  const temporal = kind === "datetime" || kind === "duration";
  const missing = `no value for ${lo}`;
  const report = (
    satisfactionState: Satisfaction,
    extra: { reason?: string; constraintLeftOperand?: ContextValue },
  ): PremiseReport => ({
    type: "ConstraintReport",
    constraint: node.id,
    leftOperand: lo,
    operator: node.operator,
    constraintRightOperand: base.constraintRightOperand,
    satisfactionState,
    ...extra,
  });
  return (env) => {
    let raw: Scalar[] | undefined;
    if (source === "now") raw = env.now === undefined ? env.values.get(lo) : [env.now];
    else if (source === "count") {
      const counts = env.state.counts;
      raw = counts ? [(counts[env.ruleId] ?? 0) + 1] : env.values.get(lo);
    } else if (source === "elapsed") {
      raw = env.values.get(lo);
      if (!raw && env.now !== undefined && env.state.since) {
        const since = typeof env.state.since === "string" ? env.state.since : env.state.since[env.ruleId];
        if (since) {
          const start = Date.parse(since);
          // A malformed start is as good as none: unknown, never a throw out of a pure evaluation.
          if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(start))
            return report("Unknown", { reason: `malformed value: not an xsd:dateTime: ${since}` });
          raw = [env.now - start];
        }
      }
    } else raw = env.values.get(lo);
    if (!raw || raw.length === 0) return report("Unknown", { reason: missing });
    const cacheable = source === "value" || source === "now";
    let vals = cacheable ? env.typedCache.get(cacheKey) : undefined;
    if (!vals) {
      try {
        vals = raw.map((v) => (typeof v === "number" && temporal ? v : typed(kind, v)));
      } catch (err) {
        return report("Unknown", { reason: `malformed value: ${(err as Error).message}` });
      }
      if (cacheable) env.typedCache.set(cacheKey, vals);
    }
    const shown = raw.length === 1 ? (source === "now" ? (env.nowText ?? raw[0]!) : raw[0]!) : raw;
    return report(test(vals, env.state.types) ? "Satisfied" : "Unsatisfied", {
      constraintLeftOperand: shown,
    });
  };
}

interface CompiledRule {
  rule: Rule;
  type: RuleReport["type"];
  actionSet: Set<string>;
  targets: Set<string>;
  assignees: Set<string>;
  constraints: ConstraintFn[];
  duties: CompiledRule[];
}

function compileRule(rule: Rule, type: RuleReport["type"]): CompiledRule {
  return {
    rule,
    type,
    actionSet: new Set(rule.actions),
    targets: new Set(rule.targets),
    assignees: new Set(rule.assignees),
    constraints: [...rule.constraints, ...rule.refinements].map((c) => compileConstraint(c, rule.id)),
    duties: rule.duties.map((d) => compileRule(d, "DutyReport")),
  };
}

export interface CompiledPolicy {
  policy: Policy;
  permissions: CompiledRule[];
  prohibitions: CompiledRule[];
  obligations: CompiledRule[];
}

/** Precompiles a policy: constraints become closures, right operands typed once. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  return {
    policy,
    permissions: policy.permissions.map((r) => compileRule(r, "PermissionReport")),
    prohibitions: policy.prohibitions.map((r) => compileRule(r, "ProhibitionReport")),
    obligations: policy.obligations.map((r) => compileRule(r, "ObligationReport")),
  };
}

function member(value: string | undefined, set: Set<string>, state: WorldState): boolean {
  if (value === undefined) return false;
  if (set.has(value)) return true;
  const seen = new Set<string>();
  const stack = [value];
  const partOf = state.partOf;
  if (!partOf) return false;
  while (stack.length > 0) {
    const next = stack.pop()!;
    for (const parent of partOf[next] ?? []) {
      if (set.has(parent)) return true;
      if (!seen.has(parent)) {
        seen.add(parent);
        stack.push(parent);
      }
    }
  }
  return false;
}

function ruleReport(c: CompiledRule, request: AccessRequest, env: Env, withScope: boolean): RuleReport {
  const premises: PremiseReport[] = [];
  let inScope = true;
  if (withScope) {
    if (c.targets.size > 0) {
      const ok = member(request.target, c.targets, env.state);
      inScope &&= ok;
      premises.push({ type: "TargetReport", satisfactionState: ok ? "Satisfied" : "Unsatisfied" });
    }
    if (c.assignees.size > 0) {
      const ok = member(request.assignee, c.assignees, env.state);
      inScope &&= ok;
      premises.push({ type: "PartyReport", satisfactionState: ok ? "Satisfied" : "Unsatisfied" });
    }
    // A rule without an action covers every action (the formal semantics' "everybody can do everything").
    if (c.actionSet.size > 0) {
      let ok = false;
      for (const a of env.actions)
        if (c.actionSet.has(a)) {
          ok = true;
          break;
        }
      inScope &&= ok;
      premises.push({ type: "ActionReport", satisfactionState: ok ? "Satisfied" : "Unsatisfied" });
    }
  }
  env.ruleId = c.rule.id;
  let satisfied = true;
  let unknown = false;
  for (const fn of c.constraints) {
    const r = fn(env);
    premises.push(r);
    if (r.satisfactionState !== "Satisfied") satisfied = false;
    if (r.satisfactionState === "Unknown") unknown = true;
  }
  // Fail closed: a prohibition whose constraints cannot be decided is taken as active.
  const active = inScope && (satisfied || (c.type === "ProhibitionReport" && unknown));
  return {
    type: c.type,
    rule: c.rule.id,
    attemptState: "Attempted",
    inScope,
    activationState: active ? "Active" : "Inactive",
    premiseReports: premises,
    duties: c.duties.map((d) => ruleReport(d, request, env, false)),
  };
}

function firstBlocking(report: RuleReport): PremiseReport | undefined {
  const walk = (p: PremiseReport): PremiseReport | undefined =>
    p.satisfactionState === "Satisfied" ? undefined : (p.children?.map(walk).find(Boolean) ?? p);
  for (const p of report.premiseReports) {
    const b = walk(p);
    if (b) return b;
  }
  return undefined;
}

function describe(p: PremiseReport | undefined): string {
  if (!p) return "";
  if (p.type !== "ConstraintReport") return `${p.type.replace("Report", "").toLowerCase()} does not match`;
  const left = p.leftOperand ?? p.operator ?? "";
  return p.reason
    ? `constraint ${p.constraint} (${left}): ${p.reason}`
    : `constraint ${p.constraint} (${left} ${p.operator?.replace(ODRL, "")} ${p.constraintRightOperand?.join(", ")}) is ${p.satisfactionState.toLowerCase()} by ${JSON.stringify(p.constraintLeftOperand)}`;
}

const actionSets = new Map<string, Set<string>>();
function actionSetOf(action: string): Set<string> {
  let set = actionSets.get(action);
  if (!set) {
    set = new Set(actionAncestors(action));
    if (actionSets.size < 10_000) actionSets.set(action, set);
  }
  return set;
}

function contextMap(request: AccessRequest, state: WorldState): Map<string, Scalar[]> {
  const values = new Map<string, Scalar[]>();
  for (const source of [state.values, request.context])
    if (source)
      for (const key in source) {
        const v = source[key]!;
        values.set(expandName(key), Array.isArray(v) ? v : [v]);
      }
  return values;
}

/** Evaluates a request against a compiled policy under a state of the world. Pure. */
export function evaluate(
  compiled: CompiledPolicy,
  request: AccessRequest,
  state: WorldState = {},
): Evaluation {
  const policyId = compiled.policy.id;
  const deny = (reason: string, extra: Partial<Evaluation> = {}): Evaluation => ({
    decision: "Deny",
    reason,
    duties: [],
    remedies: [],
    ruleReports: [],
    policy: policyId,
    ...extra,
  });
  if (!request || typeof request.action !== "string" || request.action === "")
    return deny("malformed request: no action");
  let now: number | undefined;
  try {
    now = state.dateTime === undefined ? undefined : dateMs(state.dateTime);
  } catch (err) {
    return deny(`malformed state: ${(err as Error).message}`);
  }
  const env: Env = {
    values: contextMap(request, state),
    now,
    state,
    ruleId: "",
    nowText: state.dateTime,
    typedCache: new Map(),
    actions: actionSetOf(request.action),
  };
  const permissions = compiled.permissions.map((c) => ruleReport(c, request, env, true));
  const prohibitions = compiled.prohibitions.map((c) => ruleReport(c, request, env, true));
  const obligations = compiled.obligations.map((c) => ruleReport(c, request, env, false));
  const ruleReports = [...permissions, ...prohibitions, ...obligations];

  const dutiesOf = (c: CompiledRule, from: string): DutyToFulfil[] =>
    c.duties.map((d) => ({
      duty: d.rule.id,
      from,
      actions: d.rule.actions,
      constraints: d.rule.constraints,
      state: state.duties?.[d.rule.id] ?? "pending",
      consequences: d.rule.consequences.map((q) => q.id),
    }));
  const obligationDuties: DutyToFulfil[] = compiled.obligations.map((o) => ({
    duty: o.rule.id,
    from: policyId,
    actions: o.rule.actions,
    constraints: o.rule.constraints,
    state: state.duties?.[o.rule.id] ?? "pending",
    consequences: o.rule.consequences.map((q) => q.id),
  }));

  // A permission whose duty is already violated no longer grants anything.
  const activePermissions: number[] = [];
  let violated: string | undefined;
  permissions.forEach((r, i) => {
    if (r.activationState !== "Active") return;
    const bad = compiled.permissions[i]!.duties.find((d) => state.duties?.[d.rule.id] === "violated");
    if (bad) {
      violated ??= `permission ${r.rule} is void: its duty ${bad.rule.id} was violated`;
      // As the suite reports it (testcase 061): a permission whose duty was violated is Inactive.
      r.activationState = "Inactive";
    } else activePermissions.push(i);
  });
  const activeProhibition = prohibitions.findIndex((r) => r.activationState === "Active");
  const base = { ruleReports, policy: policyId };

  if (activeProhibition >= 0) {
    const pr = prohibitions[activeProhibition]!;
    const remedies = compiled.prohibitions[activeProhibition]!.rule.remedies.map((r) => r.id);
    const unknown = firstBlocking(pr);
    const why = `prohibition ${pr.rule} applies${unknown ? ` (fail closed: ${describe(unknown)})` : ""}`;
    if (activePermissions.length > 0) {
      const strategy = compiled.policy.conflict;
      const perm = permissions[activePermissions[0]!]!;
      if (strategy === "perm")
        return {
          decision: "Permit",
          reason: `permission ${perm.rule} and ${why}; the policy's conflict strategy is perm`,
          decidingRule: perm.rule,
          duties: [...dutiesOf(compiled.permissions[activePermissions[0]!]!, perm.rule), ...obligationDuties],
          remedies: [],
          ...base,
        };
      return {
        decision: "Deny",
        reason:
          strategy === "invalid"
            ? `permission ${perm.rule} and ${why} conflict; the policy's conflict strategy is invalid: the policy is void`
            : `permission ${perm.rule} and ${why}; prohibition wins (conflict strategy prohibit)`,
        decidingRule: pr.rule,
        ...(unknown?.constraint ? { decidingConstraint: unknown.constraint } : {}),
        duties: [],
        remedies,
        ...base,
      };
    }
    return {
      decision: "Deny",
      reason: why,
      decidingRule: pr.rule,
      ...(unknown?.constraint ? { decidingConstraint: unknown.constraint } : {}),
      duties: [],
      remedies,
      ...base,
    };
  }
  if (activePermissions.length > 0) {
    const i = activePermissions[0]!;
    const perm = permissions[i]!;
    const c = compiled.permissions[i]!;
    return {
      decision: "Permit",
      reason: `permission ${perm.rule} applies and its constraints are satisfied`,
      decidingRule: perm.rule,
      duties: [...dutiesOf(c, perm.rule), ...obligationDuties],
      remedies: [],
      ...base,
    };
  }
  const attempted = permissions.find((r) => r.inScope);
  if (violated) return { ...deny(violated), ...base, decidingRule: violated.split(" ")[1]! };
  if (attempted) {
    const blocking = firstBlocking(attempted);
    return {
      ...deny(`permission ${attempted.rule} covers the request but ${describe(blocking)}`),
      ...base,
      decidingRule: attempted.rule,
      ...(blocking?.constraint ? { decidingConstraint: blocking.constraint } : {}),
    };
  }
  return {
    decision: "NotApplicable",
    reason: "no rule of the policy covers this action, target and assignee",
    duties: [],
    remedies: [],
    ...base,
  };
}

/** Reads a request's JSON (our shape); throws PolicyError when malformed. */
export function readRequest(value: unknown): AccessRequest {
  if (!value || typeof value !== "object") throw new PolicyError("a request must be a JSON object");
  const o = value as Record<string, unknown>;
  if (typeof o.action !== "string") throw new PolicyError("a request needs an action");
  const iri = (k: string) =>
    typeof o[k] === "string" ? { [k]: expandName(o[k] as string, k === "action" ? "odrl" : "none") } : {};
  if (o.context !== undefined && (typeof o.context !== "object" || o.context === null))
    throw new PolicyError("a request's context must be an object");
  return {
    ...(typeof o.id === "string" ? { id: o.id } : {}),
    action: expandName(o.action, "odrl"),
    ...iri("target"),
    ...iri("assignee"),
    ...iri("assigner"),
    ...(o.context ? { context: o.context as Record<string, ContextValue> } : {}),
  };
}
