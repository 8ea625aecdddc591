/**
 * De-identification profiles: the declarative, versioned rules a provider applies to its learning
 * traces before they leave it (`learnpool deidentify`, transfers). A profile is JSON or YAML; it is
 * read and validated here, every problem named by its key (`timestamps.coarsen: …`), and turned into
 * the frozen `DeidentificationProfile` the pure rules of `deidentify.ts` take.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { IdentifierKind } from "./identifiers.js";

/** Agent positions other than actor and object (which are always pseudonymized). */
export const OPTIONAL_AGENT_FIELDS = [
  "instructor",
  "team",
  "contextAgents",
  "contextGroups",
  "authority",
] as const;
export type OptionalAgentField = (typeof OPTIONAL_AGENT_FIELDS)[number];

/** Free-text rules: which texts the scrubber rewrites. */
export const FREE_TEXT_FIELDS = [
  "result.response",
  "activity.name",
  "activity.description",
  "activity.interactionComponents",
  "attachment.display",
  "attachment.description",
  "extensions",
] as const;
export type FreeTextField = (typeof FREE_TEXT_FIELDS)[number];

export type Coarsening = "hour" | "day" | "week";

export interface DeidentificationProfile {
  id: string;
  version: string;
  /** The pseudonymization domain's IRI: the homePage of every pseudonymous account. */
  domain: string;
  agents: {
    /** What becomes of agents in each optional position: pseudonymized or removed. */
    fields: Record<OptionalAgentField, "pseudonymize" | "drop">;
    /**
     * `mbox_sha1sum`: the SHA-1 of an e-mail address is reversible by a dictionary of addresses, so it
     * never leaves as it is. `rekey` (default): pseudonymized like any identifier (as an account of
     * namespace `urn:xapi:mbox_sha1sum`), which links the statements carrying the same hash but not
     * to those carrying the clear address. `reject`: such statements are rejected.
     */
    mboxSha1sum: "rekey" | "reject";
    /** Account homePages whose names are really e-mails, INEs or phones: normalized as those kinds. */
    accountKinds: Record<string, IdentifierKind>;
  };
  extensions: {
    /** Allow-lists by IRI: anything not listed is dropped. */
    result: ReadonlySet<string>;
    context: ReadonlySet<string>;
    activity: ReadonlySet<string>;
    /** Kept extensions whose value is an identifier of the source (session ids): replaced by a keyed UUID. */
    rekey: ReadonlySet<string>;
  };
  freeText: {
    fields: ReadonlySet<FreeTextField>;
    /** Which activities' names and descriptions are scrubbed: all, or user-generated content only. */
    activities: "all" | "userGenerated";
    /** Activity types whose names and descriptions are written by users (forum posts, comments…). */
    userGeneratedTypes: ReadonlySet<string>;
    /** Which roster name parts are scrubbed alone: every part, or family names only (full names always). */
    nameParts: "all" | "family";
  };
  timestamps: {
    /** A per-learner keyed offset within ±maxDays (whole seconds), the same for all of a learner's statements. */
    shift?: { maxDays: number };
    coarsen?: Coarsening;
  };
  ids: {
    /** Statement ids, StatementRef targets and registrations re-derived by a keyed MAC (default true). */
    rederive: boolean;
  };
  attachments: "drop" | "keep";
}

export class ProfileError extends Error {
  constructor(
    readonly key: string,
    message: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ""}de-identification profile: ${key}: ${message}`);
    this.name = "ProfileError";
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const ABSOLUTE_IRI = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;

/**
 * Extension IRIs that carry network or device identity (IP addresses, user agents) or geolocation:
 * they are dropped wherever they appear, so a profile cannot allow-list them. Matched on the words of
 * the IRI's last segment (`client-ip`, `userAgent`, `geo_location`, Matomo's `cip`, `ua`, `lat`…).
 */
const SENSITIVE_WORDS = new Set([
  "ip",
  "ips",
  "ipv4",
  "ipv6",
  "cip",
  "ipaddress",
  "remoteaddr",
  "forwardedfor",
  "useragent",
  "ua",
  "geo",
  "geoloc",
  "geolocation",
  "geoip",
  "latitude",
  "longitude",
  "lat",
  "lon",
  "lng",
]);

/** Whether an extension key (an IRI, or a plain key inside an extension's value) names IP, UA or geolocation. */
export function isSensitiveKey(key: string): boolean {
  const cut = Math.max(key.lastIndexOf("/"), key.lastIndexOf("#"), key.lastIndexOf(":"));
  const last = key.slice(cut + 1);
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (SENSITIVE_WORDS.has(w)) return true;
    const next = words[i + 1];
    if (next !== undefined && SENSITIVE_WORDS.has(w + next)) return true;
    if (w === "user" && next === "agent") return true;
    if (w === "forwarded" && next === "for") return true;
  }
  return false;
}

function allowList(value: unknown, key: string, source: string | undefined): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new ProfileError(key, "must be a list of extension IRIs", source);
  const out = new Set<string>();
  value.forEach((iri, i) => {
    if (typeof iri !== "string" || !ABSOLUTE_IRI.test(iri))
      throw new ProfileError(`${key}[${i}]`, "must be an absolute IRI", source);
    if (isSensitiveKey(iri))
      throw new ProfileError(
        `${key}[${i}]`,
        "names an IP address, user agent or geolocation, which are always dropped",
        source,
      );
    out.add(iri);
  });
  return out;
}

function oneOf<T extends string>(
  value: unknown,
  key: string,
  choices: readonly T[],
  fallback: T | undefined,
  source: string | undefined,
): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
  throw new ProfileError(key, `must be one of ${choices.join(", ")}`, source);
}

function known(obj: Obj, key: string, keys: readonly string[], source: string | undefined): void {
  for (const k of Object.keys(obj))
    if (!keys.includes(k))
      throw new ProfileError(
        key === "" ? k : `${key}.${k}`,
        `unknown key (expected ${keys.join(", ")})`,
        source,
      );
}

function section(root: Obj, key: string, source: string | undefined): Obj {
  const v = root[key];
  if (v === undefined) return {};
  if (!isObj(v)) throw new ProfileError(key, "must be a mapping", source);
  return v;
}

/** Validates a parsed profile document; `source` (a file name) prefixes every error. */
export function parseProfile(doc: unknown, source?: string): DeidentificationProfile {
  if (!isObj(doc)) throw new ProfileError("(root)", "must be a mapping", source);
  known(
    doc,
    "",
    ["id", "version", "domain", "agents", "extensions", "freeText", "timestamps", "ids", "attachments"],
    source,
  );
  if (typeof doc.id !== "string" || doc.id.trim() === "")
    throw new ProfileError("id", "required, a non-empty string", source);
  if (typeof doc.version !== "string" && typeof doc.version !== "number")
    throw new ProfileError("version", "required, a string such as 1.0.0", source);
  if (typeof doc.domain !== "string" || !ABSOLUTE_IRI.test(doc.domain))
    throw new ProfileError("domain", "required, the pseudonymization domain's absolute IRI", source);

  const agents = section(doc, "agents", source);
  known(agents, "agents", [...OPTIONAL_AGENT_FIELDS, "mboxSha1sum", "accountKinds"], source);
  const fields = {} as Record<OptionalAgentField, "pseudonymize" | "drop">;
  for (const f of OPTIONAL_AGENT_FIELDS)
    fields[f] = oneOf(agents[f], `agents.${f}`, ["pseudonymize", "drop"], "pseudonymize", source);
  const accountKinds: Record<string, IdentifierKind> = {};
  if (agents.accountKinds !== undefined) {
    if (!isObj(agents.accountKinds))
      throw new ProfileError(
        "agents.accountKinds",
        "must map account homePages to email, ine or phone",
        source,
      );
    for (const [homePage, kind] of Object.entries(agents.accountKinds))
      accountKinds[homePage] = oneOf(
        kind,
        `agents.accountKinds.${homePage}`,
        ["email", "ine", "phone", "account"],
        undefined,
        source,
      );
  }

  const ext = section(doc, "extensions", source);
  known(ext, "extensions", ["result", "context", "activity", "rekey"], source);
  const extensions = {
    result: allowList(ext.result, "extensions.result", source),
    context: allowList(ext.context, "extensions.context", source),
    activity: allowList(ext.activity, "extensions.activity", source),
    rekey: allowList(ext.rekey, "extensions.rekey", source),
  };
  for (const iri of extensions.rekey)
    if (!extensions.result.has(iri) && !extensions.context.has(iri) && !extensions.activity.has(iri))
      throw new ProfileError(
        "extensions.rekey",
        `${iri} is not in an allow-list, so it is dropped anyway`,
        source,
      );

  const text = section(doc, "freeText", source);
  known(text, "freeText", ["fields", "activities", "userGeneratedTypes", "nameParts"], source);
  const textFields = new Set<FreeTextField>();
  const listed = text.fields ?? [...FREE_TEXT_FIELDS];
  if (!Array.isArray(listed)) throw new ProfileError("freeText.fields", "must be a list", source);
  listed.forEach((f, i) => {
    textFields.add(oneOf(f, `freeText.fields[${i}]`, FREE_TEXT_FIELDS, undefined, source));
  });
  const userGeneratedTypes = allowList(text.userGeneratedTypes, "freeText.userGeneratedTypes", source);

  const time = section(doc, "timestamps", source);
  known(time, "timestamps", ["shift", "maxDays", "coarsen"], source);
  const timestamps: DeidentificationProfile["timestamps"] = {};
  if (time.shift !== undefined) {
    oneOf(time.shift, "timestamps.shift", ["keyed"], undefined, source);
    const maxDays = time.maxDays ?? 30;
    if (typeof maxDays !== "number" || !Number.isFinite(maxDays) || maxDays <= 0 || maxDays > 3650)
      throw new ProfileError("timestamps.maxDays", "must be a number of days in (0, 3650]", source);
    timestamps.shift = { maxDays };
  } else if (time.maxDays !== undefined)
    throw new ProfileError("timestamps.maxDays", "only with shift: keyed", source);
  if (time.coarsen !== undefined)
    timestamps.coarsen = oneOf<Coarsening>(
      time.coarsen,
      "timestamps.coarsen",
      ["hour", "day", "week"],
      undefined,
      source,
    );

  const ids = section(doc, "ids", source);
  known(ids, "ids", ["rederive"], source);
  if (ids.rederive !== undefined && typeof ids.rederive !== "boolean")
    throw new ProfileError("ids.rederive", "must be true or false", source);

  return {
    id: doc.id,
    version: String(doc.version),
    domain: doc.domain,
    agents: {
      fields,
      mboxSha1sum: oneOf(agents.mboxSha1sum, "agents.mboxSha1sum", ["rekey", "reject"], "rekey", source),
      accountKinds,
    },
    extensions,
    freeText: {
      fields: textFields,
      activities: oneOf(text.activities, "freeText.activities", ["all", "userGenerated"], "all", source),
      userGeneratedTypes,
      nameParts: oneOf(text.nameParts, "freeText.nameParts", ["all", "family"], "all", source),
    },
    timestamps,
    ids: { rederive: ids.rederive !== false },
    attachments: oneOf(doc.attachments, "attachments", ["drop", "keep"], "drop", source),
  };
}

/** Reads a profile file: YAML (`.yaml`, `.yml`) or JSON (anything else; YAML is tried when JSON fails). */
export function loadProfile(path: string): DeidentificationProfile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ProfileError(
      "(file)",
      `cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      path,
    );
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    if (/\.json$/i.test(path))
      throw new ProfileError("(file)", `malformed JSON: ${(err as Error).message}`, path);
    try {
      doc = parseYaml(text);
    } catch (yamlErr) {
      throw new ProfileError("(file)", `malformed YAML: ${(yamlErr as Error).message}`, path);
    }
  }
  return parseProfile(doc, path);
}
