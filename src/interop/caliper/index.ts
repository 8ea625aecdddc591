/**
 * The `caliper` format: IMS Caliper 1.1 and 1.2 events (one event, or an envelope whose `data` holds
 * events and entities) → xAPI 2.0 statements. Owns the mapping tables (`vocabulary.ts`) and the per-event
 * translation (`convert.ts`); entities alone and anonymous actors are skipped with their reason.
 */
import { ConversionError, type Format, perRecord } from "../converter.js";
import { type CaliperConfig, convertCaliper } from "./convert.js";
import {
  ACTION_VERBS,
  ATTEMPTED,
  activityTypeOf,
  CALIPER_ACTION,
  CALIPER_ACTIONS,
  CALIPER_ENTITY_TYPES,
  EXT,
  MEDIA_VERBS,
} from "./vocabulary.js";

export { type CaliperConfig, convertCaliper, REGISTRATION_NAMESPACE } from "./convert.js";

/** Checks the configuration's shape (`homePage`, `registration`, `language`) before any record is read. */
export function caliperConfig(config: unknown): CaliperConfig {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new ConversionError("must be an object", "config");
  }
  const c = config as Record<string, unknown>;
  const out: CaliperConfig = {};
  if (c.homePage !== undefined) {
    if (typeof c.homePage !== "string" || !/^https?:\/\/\S+$/i.test(c.homePage)) {
      throw new ConversionError("must be an http(s) URL", "config.homePage");
    }
    out.homePage = c.homePage;
  }
  if (c.registration !== undefined) {
    if (c.registration !== "membership" && c.registration !== "none") {
      throw new ConversionError('must be "membership" or "none"', "config.registration");
    }
    out.registration = c.registration;
  }
  if (c.language !== undefined) {
    if (typeof c.language !== "string" || c.language === "") {
      throw new ConversionError("must be a language tag", "config.language");
    }
    out.language = c.language;
  }
  return out;
}

export const caliperFormat: Format = {
  name: "caliper",
  description: "IMS Caliper 1.1/1.2 events and envelopes → xAPI (ADL, video profile, Activity Streams verbs)",
  converter(config) {
    const settings = caliperConfig(config);
    return perRecord((value) => convertCaliper(value, settings));
  },
};

const allVerbs = new Set<string>([
  ...Object.values(ACTION_VERBS).map((v) => v.id),
  ...Object.values(MEDIA_VERBS).map((v) => v.id),
  ATTEMPTED.id,
]);
// Actions without an established verb are emitted as their Caliper action IRI.
for (const action of CALIPER_ACTIONS) {
  if (!(action in ACTION_VERBS)) allVerbs.add(`${CALIPER_ACTION}${action}`);
}

export const caliperVocabulary: { verbs: string[]; activityTypes: string[]; extensions: string[] } = {
  verbs: [...allVerbs].sort(),
  activityTypes: [
    ...new Set(
      CALIPER_ENTITY_TYPES.map((t) => activityTypeOf(t)).filter((t): t is string => t !== undefined),
    ),
  ].sort(),
  extensions: Object.values(EXT).sort(),
};
