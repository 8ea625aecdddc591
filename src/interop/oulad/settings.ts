/**
 * The OULAD converter's configuration: where actors' accounts and activities live, the statement-id
 * namespace, and the calendar dates of the presentations. OULAD gives every date as a number of days
 * relative to the start of its module-presentation and publishes no start dates: by default a
 * presentation `YYYYB` starts on YYYY-02-01 and `YYYYJ` on YYYY-10-01 (B presentations start in
 * February, J in October, as OULAD's readme says); `presentationStarts` overrides any of them.
 */
import { isIri, isUuid } from "../../xapi/index.js";

export interface OuladSettings {
  /** The account homePage of every learner (the name is id_student). */
  homePage: string;
  /** The prefix of the activity IRIs (modules, presentations, assessments, VLE sites). */
  activityBase: string;
  /** The namespace of the statements' UUIDv5 ids. */
  namespace: string;
  /** Explicit start dates (YYYY-MM-DD) by code_presentation, over the B/J rule. */
  presentationStarts: Record<string, string>;
  /**
   * Off by default. When true, each registration statement carries the learner's studentInfo
   * demographics (ATTRIBUTE_COLUMNS) as context extensions (ATTRIBUTE_EXTENSIONS), so that a dataset
   * build can declare them under its `attributes:` key — and only there, as quasi-identifiers that the
   * build's risk check measures. Without it the demographics are never read.
   */
  attributes: boolean;
}

export const DEFAULT_SETTINGS: OuladSettings = {
  homePage: "https://oulad.open.ac.uk",
  activityBase: "https://oulad.open.ac.uk",
  namespace: "e6128996-043a-4e44-9f79-a356fc0dbb2b",
  presentationStarts: {},
  attributes: false,
};

/** A configuration that cannot be used; the message names the key. */
export class OuladConfigError extends Error {
  constructor(key: string, reason: string) {
    super(`oulad configuration: ${key}: ${reason}`);
    this.name = "OuladConfigError";
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayOf(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  return new Date(t).toISOString().startsWith(text) ? t : undefined;
}

/** Checks the configuration (the parsed --config file, or undefined for the defaults). */
export function ouladSettings(config: unknown): OuladSettings {
  if (config === undefined || config === null) return DEFAULT_SETTINGS;
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new OuladConfigError("(root)", "must be a JSON object");
  }
  const c = config as Record<string, unknown>;
  const allowed = ["homePage", "activityBase", "namespace", "presentationStarts", "attributes", "$comment"];
  for (const key of Object.keys(c)) {
    if (!allowed.includes(key))
      throw new OuladConfigError(key, `unknown key (allowed: ${allowed.join(", ")})`);
  }
  const out: OuladSettings = { ...DEFAULT_SETTINGS, presentationStarts: {} };
  for (const key of ["homePage", "activityBase"] as const) {
    if (c[key] === undefined) continue;
    if (typeof c[key] !== "string" || !isIri(c[key]))
      throw new OuladConfigError(key, "must be an absolute IRI");
    out[key] = (c[key] as string).replace(/\/+$/, "");
  }
  if (c.namespace !== undefined) {
    if (typeof c.namespace !== "string" || !isUuid(c.namespace)) {
      throw new OuladConfigError("namespace", "must be a UUID");
    }
    out.namespace = c.namespace.toLowerCase();
  }
  if (c.attributes !== undefined) {
    if (typeof c.attributes !== "boolean") throw new OuladConfigError("attributes", "must be true or false");
    out.attributes = c.attributes;
  }
  if (c.presentationStarts !== undefined) {
    const starts = c.presentationStarts;
    if (typeof starts !== "object" || starts === null || Array.isArray(starts)) {
      throw new OuladConfigError(
        "presentationStarts",
        'must map code_presentation to a date, e.g. {"2013J": "2013-10-01"}',
      );
    }
    for (const [code, date] of Object.entries(starts)) {
      if (typeof date !== "string" || dayOf(date) === undefined) {
        throw new OuladConfigError(
          `presentationStarts.${code}`,
          `${JSON.stringify(date)} is not a date YYYY-MM-DD`,
        );
      }
      out.presentationStarts[code] = date;
    }
  }
  return out;
}

/**
 * Epoch milliseconds of the start (00:00 UTC) of a presentation: its configured date, else February 1st
 * of YYYY for `YYYYB` and October 1st for `YYYYJ`; undefined for a code that follows neither.
 */
export function presentationStart(settings: OuladSettings, code: string): number | undefined {
  const configured = settings.presentationStarts[code];
  if (configured !== undefined) return dayOf(configured);
  const m = /^(\d{4})([BJ])$/.exec(code);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, m[2] === "B" ? 1 : 9, 1);
}
