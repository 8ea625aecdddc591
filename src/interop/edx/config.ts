/**
 * The lookups ERB makes in the LMS while transforming (a learner's anonymous id, a course's display name)
 * and its settings (LMS_ROOT_URL, its version string), supplied as configuration so that the converter
 * stays a pure function. A deployment passes real tables exported from the LMS, or a secret from which
 * stable anonymous ids are derived; the fixtures' producer used one id for everyone.
 */
import { createHmac } from "node:crypto";
import type { Actor, Course } from "./statement.js";

export interface EdxConfig {
  /** The LMS root URL (ERB's LMS_ROOT_URL), also the actor account's homePage; no trailing slash. */
  platformUrl: string;
  /** Value of the transformer-version context extension, e.g. `event-routing-backends@9.3.0`. */
  transformerVersion: string;
  /** Course display names by course id (ERB reads the course overview). */
  courseNames?: Record<string, string>;
  /** Display name of a course absent from courseNames; ERB's own fallback is "Unknown Course". */
  defaultCourseName?: string;
  /** Anonymous ids (ERB's external XAPI user id) by username and/or by user id (as a string). */
  anonymousIds?: Record<string, string>;
  /**
   * Secret for deriving the anonymous id of a learner absent from anonymousIds: the UUID made of the first
   * 16 bytes of HMAC-SHA256(secret, username-or-user-id), version nibble 8 and RFC 4122 variant.
   */
  anonymousIdSecret?: string;
  /** One anonymous id for every learner (and for anonymous users), as the fixtures' producer used. */
  anonymousId?: string;
  /**
   * Read raw tracking.log lines as ERB's `transform_tracking_logs` does: `event` (parsed when it is a JSON
   * string) becomes `data` and `time` becomes `timestamp`. Off by default: ERB's live path gets `data`.
   */
  trackingLog?: boolean;
}

export interface ResolvedConfig {
  platformUrl: string;
  transformerVersion: string;
  courseName(courseId: string): string;
  /** The learner's anonymous id, or undefined when no source of ids covers them. */
  anonymousId(usernameOrId: string | undefined): string | undefined;
  trackingLog: boolean;
  /** Learners met so far, by anonymous id: their JSON and statement-id prefixes, built once. */
  actors: Map<string, Actor>;
  /** Courses met so far, by course id: IRI and display name, built once. */
  courses: Map<string, Course>;
}

function invalid(message: string): never {
  throw new Error(`edx configuration: ${message}`);
}

function stringMap(value: unknown, key: string): Map<string, string> {
  const map = new Map<string, string>();
  if (value === undefined) return map;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    invalid(`${key} must be an object`);
  for (const [name, item] of Object.entries(value)) {
    if (typeof item !== "string") invalid(`${key}.${name} must be a string`);
    map.set(name, item);
  }
  return map;
}

function optionalText(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") invalid(`${key} must be a non-empty string`);
  return value;
}

/** A UUID-shaped keyed pseudonym: stable for a learner under one secret, not reversible without it. */
export function deriveAnonymousId(secret: string, usernameOrId: string): string {
  const digest = createHmac("sha256", secret).update(usernameOrId).digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Checks a parsed configuration file and turns it into lookups. */
export function resolveConfig(raw: unknown): ResolvedConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    invalid("expected an object with platformUrl and transformerVersion (pass --config)");
  }
  const config = raw as Record<string, unknown>;
  const platformUrl = optionalText(config, "platformUrl") ?? invalid("platformUrl is required");
  const transformerVersion =
    optionalText(config, "transformerVersion") ?? invalid("transformerVersion is required");
  const courseNames = stringMap(config.courseNames, "courseNames");
  const defaultCourseName = optionalText(config, "defaultCourseName") ?? "Unknown Course";
  const anonymousIds = stringMap(config.anonymousIds, "anonymousIds");
  const secret = optionalText(config, "anonymousIdSecret");
  const fixedId = optionalText(config, "anonymousId");
  if (config.trackingLog !== undefined && typeof config.trackingLog !== "boolean") {
    invalid("trackingLog must be true or false");
  }
  const derived = new Map<string, string>();
  return {
    platformUrl: platformUrl.replace(/\/+$/, ""),
    transformerVersion,
    trackingLog: config.trackingLog === true,
    actors: new Map(),
    courses: new Map(),
    courseName: (courseId) => courseNames.get(courseId) ?? defaultCourseName,
    anonymousId(usernameOrId) {
      if (usernameOrId !== undefined) {
        const known = anonymousIds.get(usernameOrId);
        if (known !== undefined) return known;
        if (secret !== undefined) {
          let id = derived.get(usernameOrId);
          if (id === undefined) {
            // Learners are few next to events: a bounded cache saves an HMAC per event.
            if (derived.size >= 100_000) derived.clear();
            id = deriveAnonymousId(secret, usernameOrId);
            derived.set(usernameOrId, id);
          }
          return id;
        }
      }
      return fixedId;
    },
  };
}
