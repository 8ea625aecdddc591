/**
 * The `scorm` format: the SCORM 2004 run-time data of one SCO attempt (learner, SCO, attempt, session
 * times and the flat cmi.* map) → xAPI statements per the ADL xAPI SCORM Profile. Owns the record shape
 * (`ScormAttempt`), the profile's terms (`profile.ts`) and the translation (`convert.ts`).
 */
import { ConversionError, type Format, perRecord } from "../converter.js";
import { convertScorm, type ScormConfig } from "./convert.js";
import { ACTIVITY_TYPES, SCORM_PROFILE, VERBS } from "./profile.js";

export {
  addDuration,
  convertScorm,
  type ScormAttempt,
  type ScormConfig,
  STATEMENT_NAMESPACE,
} from "./convert.js";
export { SCORM_PROFILE } from "./profile.js";

/** Checks the configuration (`homePage`, `interactionVerb`, `language`) before any record is read. */
export function scormConfig(config: unknown): ScormConfig {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new ConversionError("must be an object", "config");
  const c = config as Record<string, unknown>;
  const out: ScormConfig = {};
  if (c.homePage !== undefined) {
    if (typeof c.homePage !== "string" || !/^https?:\/\/\S+$/i.test(c.homePage)) {
      throw new ConversionError("must be an http(s) URL", "config.homePage");
    }
    out.homePage = c.homePage;
  }
  if (c.interactionVerb !== undefined) {
    if (c.interactionVerb !== "responded" && c.interactionVerb !== "answered") {
      throw new ConversionError('must be "responded" or "answered"', "config.interactionVerb");
    }
    out.interactionVerb = c.interactionVerb;
  }
  if (c.language !== undefined) {
    if (typeof c.language !== "string" || c.language === "") {
      throw new ConversionError("must be a language tag", "config.language");
    }
    out.language = c.language;
  }
  return out;
}

export const scormFormat: Format = {
  name: "scorm",
  description: "SCORM 2004 run-time data (one attempt's cmi.* values) → xAPI per the ADL xAPI SCORM Profile",
  converter(config) {
    const settings = scormConfig(config);
    return perRecord((value) => convertScorm(value, settings));
  },
};

export const scormVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: Object.values(VERBS).sort(),
  // The profile activity is a category activity, listed with the types it is used beside.
  activityTypes: Object.values(ACTIVITY_TYPES).sort(),
  extensions: [],
};

/** The activity every statement carries in `contextActivities.category`. */
export const scormCategory = SCORM_PROFILE;
