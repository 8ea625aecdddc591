/**
 * The terms consent records are made of (pure tables): W3C DPV consent statuses, purposes (DPV and
 * Learnpool's own), personal-data categories (DPV pd:), legal bases, declared recipient categories,
 * and the age of digital consent per jurisdiction (GDPR Art. 8).
 */
import { DATA_CATEGORIES, DPV, DPV_PURPOSES, LP } from "../contract/index.js";

export { DPV, LP };
/** DPV personal-data categories. */
export const PD = "https://w3id.org/dpv/pd#";
/** ISO/IEC TS 27560:2023 is the structure; this is the version of our JSON rendering of it. */
export const RECORD_SCHEMA_VERSION = "learnpool-consent-record/1 (ISO/IEC TS 27560:2023)";

/**
 * The states of a consent record, each a DPV consent status (dpv:ConsentStatus). `unknown` is where a
 * record is before its first event; `requested` also holds a minor's half-given consent (DPV has no
 * "partly given": the status stays requested until the guardian has given too).
 */
export const CONSENT_STATES = {
  unknown: `${DPV}ConsentUnknown`,
  requested: `${DPV}ConsentRequested`,
  given: `${DPV}ConsentGiven`,
  renewed: `${DPV}RenewedConsentGiven`,
  refused: `${DPV}ConsentRefused`,
  withdrawn: `${DPV}ConsentWithdrawn`,
  expired: `${DPV}ConsentExpired`,
  invalidated: `${DPV}ConsentInvalidated`,
} as const;
export type ConsentState = keyof typeof CONSENT_STATES;
export const STATES = Object.keys(CONSENT_STATES) as ConsentState[];
/** DPV's ConsentStatusValidForProcessing: the states in which data may be processed. */
export const VALID_STATES: readonly ConsentState[] = ["given", "renewed"];

/** The lawful basis of every record here: consent (GDPR Art. 6(1)(a)), for a minor with Art. 8. */
export const LEGAL_BASIS = `${DPV}Consent`;

/**
 * Purposes a record may name: the DPV purposes the contract module knows, but not dpv:Purpose itself
 * (consent to "any purpose" is not specific), and Learnpool's broad research consent in education
 * (GDPR recital 33: consent "to certain areas of scientific research"), a purpose of its own that a
 * learner must choose explicitly; it never stands in for, nor is implied by, a narrower purpose.
 */
export const BROAD_RESEARCH = `${LP}BroadResearchInEducation`;
export const PURPOSES: ReadonlySet<string> = new Set([
  ...[...DPV_PURPOSES.keys()].filter((p) => p !== `${DPV}Purpose`),
  BROAD_RESEARCH,
]);

/** Expands `dpv:X`, `lp:X` and `pd:X` to IRIs; other text is returned as is. */
export function expand(term: string): string {
  const t = term.trim();
  if (t.startsWith("dpv:")) return DPV + t.slice(4);
  if (t.startsWith("lp:")) return LP + t.slice(3);
  if (t.startsWith("pd:")) return PD + t.slice(3);
  if (t.startsWith("dpv-pd:")) return PD + t.slice(7);
  return t;
}

/** The DPV pd: categories learning records carry (those the catalog knows). */
export const DATA_CATEGORY_IRIS: ReadonlySet<string> = new Set(
  Object.keys(DATA_CATEGORIES).map((k) => PD + k),
);

/**
 * Recipients declared as a category rather than a named consumer (ISO/IEC TS 27560 allows either):
 * the learner consents to any recipient of that kind the operator admits.
 */
export const RECIPIENT_CATEGORIES: Readonly<Record<string, string>> = {
  [`${LP}PublicResearchInEducation`]: "public research in education (universities, public research bodies)",
  [`${LP}PublicBodiesInEducation`]: "public bodies in charge of education and employment",
};

/**
 * The age of digital consent (GDPR Art. 8(1): 16 unless a member state chose 13 to 15) per
 * jurisdiction, ISO 3166-1 alpha-2. Source: the national laws implementing Art. 8 as compiled by the
 * European Commission's Better Internet for Kids "age of digital consent" map, and for FR the loi
 * Informatique et Libertés art. 45 (15), DE BDSG (no derogation: 16), ES LOPDGDD art. 7 (14), IT
 * D.lgs. 101/2018 art. 2-quinquies (14), GB Data Protection Act 2018 s. 9 (13). Configurable: the
 * registry takes another table. An unknown jurisdiction gets 16, the GDPR default.
 */
export const AGE_OF_DIGITAL_CONSENT: Readonly<Record<string, number>> = {
  AT: 14,
  BE: 13,
  BG: 14,
  CY: 14,
  CZ: 15,
  DE: 16,
  DK: 13,
  EE: 13,
  ES: 14,
  FI: 13,
  FR: 15,
  GB: 13,
  GR: 15,
  HR: 16,
  HU: 16,
  IE: 16,
  IS: 13,
  IT: 14,
  LI: 16,
  LT: 14,
  LU: 16,
  LV: 13,
  MT: 13,
  NL: 16,
  NO: 13,
  PL: 16,
  PT: 13,
  RO: 16,
  SE: 13,
  SI: 15,
  SK: 16,
};
export const DEFAULT_AGE_OF_DIGITAL_CONSENT = 16;
