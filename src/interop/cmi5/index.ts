/**
 * The `cmi5` format: one AU session (launch data and its events) → cmi5 defined statements (cmi5 Quartz):
 * the cmi5 and moveOn categories, the session id, launch mode, moveOn and mastery score extensions, and
 * the result each verb carries. Records that break a cmi5 rule are refused with the rule.
 */
import { ConversionError, type Format, perRecord } from "../converter.js";
import {
  CMI5_ACTIVITY_TYPES,
  CMI5_CATEGORY,
  CMI5_EXTENSIONS,
  CMI5_VERBS,
  type Cmi5Config,
  convertCmi5,
  MOVEON_CATEGORY,
} from "./convert.js";

export {
  CMI5_ACTIVITY_TYPES,
  CMI5_CATEGORY,
  CMI5_EXTENSIONS,
  CMI5_VERBS,
  type Cmi5Config,
  type Cmi5Verb,
  convertCmi5,
  MOVEON_CATEGORY,
  STATEMENT_NAMESPACE,
} from "./convert.js";

export function cmi5Config(config: unknown): Cmi5Config {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new ConversionError("must be an object", "config");
  const c = config as Record<string, unknown>;
  if (c.language !== undefined && (typeof c.language !== "string" || c.language === "")) {
    throw new ConversionError("must be a language tag", "config.language");
  }
  return c.language === undefined ? {} : { language: c.language as string };
}

export const cmi5Format: Format = {
  name: "cmi5",
  description:
    "cmi5 AU sessions (launch data and events) → cmi5 defined statements, checked against cmi5's rules",
  converter(config) {
    const settings = cmi5Config(config);
    return perRecord((value) => convertCmi5(value, settings));
  },
};

export const cmi5Vocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: Object.values(CMI5_VERBS).sort(),
  activityTypes: Object.values(CMI5_ACTIVITY_TYPES).sort(),
  extensions: Object.values(CMI5_EXTENSIONS).sort(),
};

/** The category activities cmi5 statements carry. */
export const cmi5Categories = [CMI5_CATEGORY, MOVEON_CATEGORY];
