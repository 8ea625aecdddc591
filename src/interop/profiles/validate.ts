/**
 * Statement Template validation of the xAPI Profiles specification: which templates a statement
 * matches (its determining properties), and which of their rules it breaks, with the JSONPath of each.
 * Pure: statements and profiles in, reports out.
 */
import { JSONPath } from "jsonpath-plus";
import { isObject } from "../json.js";
import type { DeterminingProperties, Profile, StatementTemplate, TemplateRule } from "./profile.js";

export interface RuleFailure {
  location: string;
  selector?: string;
  /** The requirement broken: a presence, or the value list that was not satisfied. */
  requirement: "included" | "excluded" | "recommended" | "any" | "all" | "none";
  message: string;
  /** The values found at the location (absent when there were none). */
  found?: unknown[];
  scopeNote?: string;
}

export interface TemplateResult {
  template: string;
  label?: string;
  /** Rules the statement breaks. */
  failures: RuleFailure[];
  /** `recommended` rules whose location holds nothing: advice, not failures. */
  recommendations: RuleFailure[];
}

export interface StatementReport {
  /** The statement's id, when it has one. */
  id?: string;
  /** The templates whose determining properties the statement has, with the rules it breaks. */
  matched: TemplateResult[];
  /** With a chosen template: why the statement does not match it. */
  mismatch?: string;
  /** No failure in any matched template (and, with a chosen template, that template matched). */
  valid: boolean;
}

function get(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The activity types of one list of context activities (`grouping`, `parent`, `other`, `category`). */
function contextTypes(statement: unknown, list: string): string[] {
  const activities = get(statement, "context", "contextActivities", list);
  const array = Array.isArray(activities) ? activities : activities === undefined ? [] : [activities];
  return array.map((a) => get(a, "definition", "type")).filter((t): t is string => typeof t === "string");
}

/** Why the statement lacks one of the template's determining properties, or undefined when it has them all. */
export function mismatch(statement: unknown, template: DeterminingProperties): string | undefined {
  if (template.verb !== undefined) {
    const verb = get(statement, "verb", "id");
    if (verb !== template.verb) return `its verb is ${String(verb)}, not ${template.verb}`;
  }
  if (template.objectActivityType !== undefined) {
    const type = get(statement, "object", "definition", "type");
    if (type !== template.objectActivityType)
      return `its object's activity type is ${String(type)}, not ${template.objectActivityType}`;
  }
  const lists: [keyof DeterminingProperties, string][] = [
    ["contextGroupingActivityType", "grouping"],
    ["contextParentActivityType", "parent"],
    ["contextOtherActivityType", "other"],
    ["contextCategoryActivityType", "category"],
  ];
  for (const [property, list] of lists) {
    const wanted = template[property] as string[] | undefined;
    if (!wanted) continue;
    const types = contextTypes(statement, list);
    const missing = wanted.find((type) => !types.includes(type));
    if (missing) return `no ${list} context activity has type ${missing}`;
  }
  if (template.attachmentUsageType) {
    const attachments = get(statement, "attachments");
    const usages = (Array.isArray(attachments) ? attachments : []).map((a) => get(a, "usageType"));
    const missing = template.attachmentUsageType.find((usage) => !usages.includes(usage));
    if (missing) return `no attachment has usageType ${missing}`;
  }
  return undefined;
}

/** Splits a location on its top-level `|` (the specification's union of paths), outside brackets and quotes. */
function alternatives(path: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(path.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(path.slice(start).trim());
  return parts;
}

/** The values a JSONPath finds (script evaluation off: profiles are data, not code). */
function query(path: string, json: unknown): unknown[] {
  return alternatives(path).flatMap(
    (p) => JSONPath({ path: p, json: json as object, wrap: true, eval: false }) as unknown[],
  );
}

/** The values a rule looks at: its location, then its selector inside each value found there. */
export function ruleValues(statement: unknown, rule: TemplateRule): unknown[] {
  const found = query(rule.location, statement);
  if (!rule.selector) return found;
  const selector = rule.selector;
  return found.flatMap((value) => query(selector, value));
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function failure(
  rule: TemplateRule,
  requirement: RuleFailure["requirement"],
  message: string,
  found: unknown[],
): RuleFailure {
  const result: RuleFailure = { location: rule.location, requirement, message };
  if (rule.selector) result.selector = rule.selector;
  if (found.length > 0) result.found = found;
  if (rule.scopeNote) result.scopeNote = rule.scopeNote;
  return result;
}

/** One rule against one statement: failures, and a recommendation when a recommended location is empty. */
export function checkRule(
  statement: unknown,
  rule: TemplateRule,
): { failures: RuleFailure[]; advice?: RuleFailure } {
  const found = ruleValues(statement, rule);
  const failures: RuleFailure[] = [];
  if (rule.presence === "included" && found.length === 0)
    failures.push(failure(rule, "included", "must be present and is not", found));
  if (rule.presence === "excluded" && found.length > 0)
    failures.push(failure(rule, "excluded", "must be absent and is present", found));
  // any, all and none constrain the values found; with nothing found they have nothing to constrain.
  if (found.length > 0) {
    if (rule.any && !found.some((v) => rule.any!.some((a) => same(v, a))))
      failures.push(failure(rule, "any", `must hold at least one of ${JSON.stringify(rule.any)}`, found));
    if (rule.all && !found.every((v) => rule.all!.some((a) => same(v, a))))
      failures.push(failure(rule, "all", `must hold only values among ${JSON.stringify(rule.all)}`, found));
    if (rule.none && found.some((v) => rule.none!.some((n) => same(v, n))))
      failures.push(failure(rule, "none", `must hold none of ${JSON.stringify(rule.none)}`, found));
  }
  if (rule.presence === "recommended" && found.length === 0)
    return { failures, advice: failure(rule, "recommended", "is recommended and absent", found) };
  return { failures };
}

export function checkTemplate(statement: unknown, template: StatementTemplate): TemplateResult {
  const result: TemplateResult = { template: template.id, failures: [], recommendations: [] };
  if (template.label) result.label = template.label;
  for (const rule of template.rules) {
    const { failures, advice } = checkRule(statement, rule);
    result.failures.push(...failures);
    if (advice) result.recommendations.push(advice);
  }
  return result;
}

/**
 * A statement against a profile: every template it matches, with its rules checked; or, with
 * `template`, against that one template only (not matching it is then a failure).
 */
export function checkStatement(
  statement: unknown,
  profile: Profile,
  options: { template?: string } = {},
): StatementReport {
  const report: StatementReport = { matched: [], valid: true };
  const id = get(statement, "id");
  if (typeof id === "string") report.id = id;
  let templates = profile.templates;
  if (options.template !== undefined) {
    const chosen = profile.templates.find((t) => t.id === options.template);
    if (!chosen) throw new Error(`the profile ${profile.id} has no template ${options.template}`);
    templates = [chosen];
  }
  for (const template of templates) {
    const why = mismatch(statement, template);
    if (why !== undefined) {
      if (options.template !== undefined) {
        report.mismatch = `does not match ${template.id}: ${why}`;
        report.valid = false;
      }
      continue;
    }
    const result = checkTemplate(statement, template);
    if (result.failures.length > 0) report.valid = false;
    report.matched.push(result);
  }
  return report;
}
