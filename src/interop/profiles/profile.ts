/**
 * xAPI Profiles (the ADL xAPI Profiles specification 1.0): the parts of a profile document that
 * statements are checked against — its statement templates, their determining properties and rules.
 * A profile is JSON-LD; it is read here as the JSON its context describes (`id`/`@id`, `type`/`@type`),
 * without a JSON-LD processor, tolerating the drafts' `rule` for `presence` and single strings for
 * `any`/`all`/`none`, since published profiles carry both.
 */
import { isObject } from "../json.js";

export type Presence = "included" | "excluded" | "recommended";

/** A Statement Template Rule: what must (not) be at a JSONPath `location` of a matching statement. */
export interface TemplateRule {
  location: string;
  selector?: string;
  presence?: Presence;
  any?: unknown[];
  all?: unknown[];
  none?: unknown[];
  scopeNote?: string;
}

/** The determining properties: a statement matches a template when it has all that the template sets. */
export interface DeterminingProperties {
  verb?: string;
  objectActivityType?: string;
  contextGroupingActivityType?: string[];
  contextParentActivityType?: string[];
  contextOtherActivityType?: string[];
  contextCategoryActivityType?: string[];
  attachmentUsageType?: string[];
}

export interface StatementTemplate extends DeterminingProperties {
  id: string;
  label?: string;
  rules: TemplateRule[];
}

export interface Profile {
  id: string;
  label?: string;
  templates: StatementTemplate[];
}

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileError";
  }
}

/** A language map's English text (or its first), or a plain string as it is. */
function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (!isObject(value)) return undefined;
  const en = value.en ?? value["en-US"] ?? Object.values(value)[0];
  return typeof en === "string" ? en : undefined;
}

function idOf(node: Record<string, unknown>): string | undefined {
  const id = node.id ?? node["@id"];
  return typeof id === "string" ? id : undefined;
}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === "string")) throw new ProfileError(`${where} must be IRIs`);
  return list as string[];
}

function values(value: unknown): unknown[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

const PRESENCES = new Set(["included", "excluded", "recommended"]);
const TYPE_LISTS = [
  "contextGroupingActivityType",
  "contextParentActivityType",
  "contextOtherActivityType",
  "contextCategoryActivityType",
  "attachmentUsageType",
] as const;

function readRule(node: unknown, where: string): TemplateRule {
  if (!isObject(node) || typeof node.location !== "string") {
    throw new ProfileError(`${where} must be an object with a JSONPath 'location'`);
  }
  const presence = node.presence ?? node.rule;
  if (presence !== undefined && !(typeof presence === "string" && PRESENCES.has(presence))) {
    throw new ProfileError(`${where}.presence must be included, excluded or recommended`);
  }
  const rule: TemplateRule = { location: node.location };
  if (typeof node.selector === "string") rule.selector = node.selector;
  if (presence !== undefined) rule.presence = presence as Presence;
  const any = values(node.any);
  const all = values(node.all);
  const none = values(node.none);
  if (any) rule.any = any;
  if (all) rule.all = all;
  if (none) rule.none = none;
  const note = text(node.scopeNote);
  if (note) rule.scopeNote = note;
  if (!rule.presence && !any && !all && !none) {
    throw new ProfileError(`${where} must have at least one of presence, any, all, none`);
  }
  return rule;
}

function readTemplate(node: unknown, where: string): StatementTemplate {
  if (!isObject(node)) throw new ProfileError(`${where} must be an object`);
  const id = idOf(node);
  if (!id) throw new ProfileError(`${where} has no id`);
  const rules = node.rules === undefined ? [] : node.rules;
  if (!Array.isArray(rules)) throw new ProfileError(`${where}.rules must be an array`);
  const template: StatementTemplate = {
    id,
    rules: rules.map((rule, i) => readRule(rule, `${where}.rules[${i}]`)),
  };
  const label = text(node.prefLabel);
  if (label) template.label = label;
  if (typeof node.verb === "string") template.verb = node.verb;
  if (typeof node.objectActivityType === "string") template.objectActivityType = node.objectActivityType;
  for (const key of TYPE_LISTS) {
    const list = strings(node[key], `${where}.${key}`);
    if (list) template[key] = list;
  }
  return template;
}

/** Reads a profile document (parsed JSON-LD); throws ProfileError naming what is wrong and where. */
export function readProfile(document: unknown): Profile {
  if (!isObject(document)) throw new ProfileError("a profile must be a JSON object");
  const id = idOf(document);
  if (!id) throw new ProfileError("the profile has no id");
  const templates = document.templates ?? [];
  if (!Array.isArray(templates)) throw new ProfileError("templates must be an array");
  const profile: Profile = {
    id,
    templates: templates.map((t, i) => readTemplate(t, `templates[${i}]`)),
  };
  const label = text(document.prefLabel);
  if (label) profile.label = label;
  return profile;
}
