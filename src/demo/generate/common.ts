/** What every provider's generator shares: the in-memory file, the provider's output, CSV and time helpers. */
import { createHash } from "node:crypto";
import type { Enrolment, Learner, ProviderId } from "./population.js";
import type { Rng } from "./random.js";

/**
 * The learner attributes some providers declare in their statements (the school, the training centre
 * and the employment service know their learners' age band and region): the data space's shared
 * context extensions, the quasi-identifiers of a dataset's risk check.
 */
export const ATTRIBUTE_EXTENSIONS = {
  ageBand: "https://w3id.org/learnpool/xapi/extensions/age-band",
  region: "https://w3id.org/learnpool/xapi/extensions/region",
} as const;

/** The mapping's context extensions of the two attributes, from the CSV's `tranche_age` and `region`. */
export const attributeMapping = (): Record<string, string> => ({
  [ATTRIBUTE_EXTENSIONS.ageBand]: "{tranche_age}",
  [ATTRIBUTE_EXTENSIONS.region]: "{region}",
});

/** A file of the generated data space, relative to its folder. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** How a provider's statements name a learner: the identifier linkage pseudonymizes. */
export interface ProviderIdentifier {
  kind: "email" | "ine";
  /** The agents' shape: `mbox`, or an `account` whose name is the identifier under this homePage. */
  agent: "mbox" | "account";
  homePage?: string;
}

/** One learner as a provider knows them. */
export interface RosterEntry {
  /** The provider's own id for the learner (username, user id, trainee number…). */
  localId: string;
  givenName: string;
  familyName: string;
  /** The identifier as the provider wrote it (case and spacing as typed there). */
  identifier: string;
  /** Ground truth, for evaluation only: the learner's key. Not in the provider's roster file. */
  learner: string;
  /** A minor's legal guardian, as the school's register (and the app, from it) holds them. */
  guardian?: { givenName: string; familyName: string; email: string };
}

export interface ProviderData {
  provider: ProviderId;
  name: string;
  /** The `--from` format of its native files. */
  format: "xapi" | "edx" | "moodle" | "csv";
  /** Path of the file to convert, and of the converter's configuration when it takes one. */
  input: string;
  config?: string;
  identifier: ProviderIdentifier;
  roster: RosterEntry[];
  /** Native records written (events, log rows, CSV rows, statements). */
  records: number;
  files: GeneratedFile[];
}

/** A CSV cell: quoted when it holds the delimiter, a quote or a line break. */
export function csvLine(cells: readonly (string | number | undefined)[], delimiter = ","): string {
  return cells
    .map((cell) => {
      const text = cell === undefined ? "" : String(cell);
      return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(delimiter);
}

export function csvText(
  header: readonly string[],
  rows: readonly (readonly (string | number | undefined)[])[],
  delimiter = ",",
): string {
  return `${[header, ...rows].map((r) => csvLine(r, delimiter)).join("\n")}\n`;
}

/** The roster as a CSV `learnpool deidentify --roster` reads; guardians' columns where minors are. */
export function rosterFile(path: string, roster: readonly RosterEntry[], kind: string): GeneratedFile {
  const guardians = roster.some((r) => r.guardian);
  const header = ["local_id", "given_name", "family_name", "identifier_kind", "identifier"];
  if (guardians) header.push("guardian_given_name", "guardian_family_name", "guardian_email");
  return {
    path,
    content: csvText(
      header,
      roster.map((r) => {
        const row = [r.localId, r.givenName, r.familyName, kind, r.identifier];
        if (guardians)
          row.push(r.guardian?.givenName ?? "", r.guardian?.familyName ?? "", r.guardian?.email ?? "");
        return row;
      }),
    ),
  };
}

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

const DAY = 86_400_000;
/** Weekdays more than weekends. */
const WEEKDAYS: readonly (readonly [number, number])[] = [
  [0, 1.2],
  [1, 1.2],
  [2, 1.3],
  [3, 1.2],
  [4, 1],
  [5, 0.6],
  [6, 0.6],
];
const HOURS: readonly (readonly [number, number])[] = [
  [7, 1],
  [8, 2],
  [12, 2],
  [15, 2],
  [17, 3],
  [19, 3],
];

/**
 * The instants of one week's sessions, sorted and distinct: weekdays more than weekends, daytime and
 * evening hours, with milliseconds so that no two events of a learner share an instant.
 */
export function sessionTimes(rng: Rng, start: string, week: number, sessions: number): number[] {
  const base = Date.parse(`${start}T00:00:00Z`) + week * 7 * DAY;
  const times = new Set<number>();
  while (times.size < sessions) {
    const day = rng.weighted(WEEKDAYS);
    // Local evenings and days, in UTC (Paris is one or two hours ahead).
    const hour = rng.weighted(HOURS);
    times.add(base + day * DAY + (hour + rng.float() * 2) * 3_600_000 + rng.int(0, 999));
  }
  return [...times].sort((a, b) => a - b);
}

/** Learners by key, for providers that walk enrolments. */
export function byKey(learners: readonly Learner[]): Map<string, Learner> {
  return new Map(learners.map((l) => [l.key, l]));
}

export function enrolmentsAt(enrolments: readonly Enrolment[], provider: ProviderId): Enrolment[] {
  return enrolments.filter((e) => e.provider === provider);
}

/** An e-mail as a person or a clerk typed it: sometimes capitalized, sometimes all upper case. */
export function typedEmail(rng: Rng, email: string): string {
  const r = rng.float();
  if (r < 0.15) return email.toUpperCase();
  if (r < 0.4) {
    const [local, domain] = email.split("@") as [string, string];
    const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
    return `${local.split(".").map(cap).join(".")}@${domain}`;
  }
  return email;
}

const namespaces = new Map<string, Buffer>();

/** RFC 9562 UUIDv5 (SHA-1 of namespace and name): the same as the uuid package's, several times faster. */
export function uuid5(name: string, namespace: string): string {
  let ns = namespaces.get(namespace);
  if (ns === undefined) {
    ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
    namespaces.set(namespace, ns);
  }
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
