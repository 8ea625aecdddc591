/**
 * Consent records (pure): the structure of ISO/IEC TS 27560:2023 with W3C DPV terms. One record is
 * one decision: one purpose, one recipient, one personal-data category, for one learner, under the
 * agreement that asks for it. What a record asks is fixed when it is made; its notice and language
 * come with each request (a new notice is a new request on the same record); its state is the fold
 * of its events (states.ts).
 */
import { durationMs } from "../contract/index.js";
import { ConsentError } from "./errors.js";
import { checkPseudonym } from "./links.js";
import { type AgeClaim, checkAgeClaim } from "./minors.js";
import type { NoticeRef, RecordStatus } from "./states.js";
import {
  CONSENT_STATES,
  DATA_CATEGORY_IRIS,
  expand,
  LEGAL_BASIS,
  PURPOSES,
  RECIPIENT_CATEGORIES,
  RECORD_SCHEMA_VERSION,
} from "./vocab.js";

export type Retention = { duration: string } | { until: string };

export type { NoticeRef };

/** A recipient: the agreement's consumer (a participant), or a declared category of recipients. */
export interface Recipient {
  kind: "consumer" | "category";
  /** The participant id, or the category's IRI. */
  id: string;
  /** The consumer's IRI, or the category's label. */
  label: string;
}

/** The fixed part of a record (ISO/IEC TS 27560 mandatory fields, notice and language apart). */
export interface ConsentRecord {
  schemaVersion: string;
  id: string;
  /** The data subject: the learner's pseudonym in the agreement's linkage domain. */
  dataSubject: string;
  linkageDomain: string;
  agreement: string;
  /** The provider that asked, and authenticates the learner. */
  provider: string;
  purpose: string;
  dataCategory: string;
  recipient: Recipient;
  /** IRIs of the controllers. */
  controllers: string[];
  storageLocations: string[];
  retention: Retention;
  /** ISO 3166-1 alpha-2. */
  jurisdiction: string;
  legalBasis: string;
  withdrawalMethod: string;
  /** The agreement's end: no consent outlives it. */
  agreementNotAfter: string;
  createdAt: string;
}

/** What a provider submits to ask a learner's consent: the cross product of purposes, recipients and categories. */
export interface ConsentRequestInput {
  agreement: string;
  learner: string;
  notice: NoticeRef;
  /** BCP 47 language of the notice shown. */
  language: string;
  jurisdiction: string;
  purposes: string[];
  /** The consumer's participant id, or a recipient category IRI (`lp:PublicResearchInEducation`). */
  recipients: string[];
  dataCategories: string[];
  retention: Retention;
  storageLocations: string[];
  /** IRIs of the controllers; default the provider's. */
  controllers?: string[];
  withdrawalMethod?: string;
  /** The learner's age as the provider knows it (see minors.ts). */
  age?: AgeClaim;
}

export const DEFAULT_WITHDRAWAL_METHOD =
  "One click in the Learnpool consent portal, reached through the link your school or platform gives you: as easy as consenting.";

const nonEmptyStrings = (value: unknown, what: string): string[] => {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string" && v.trim()))
    throw new ConsentError(400, `${what} must be a non-empty list of strings`);
  return [...new Set(value.map((v: string) => v.trim()))];
};

export function checkNotice(value: unknown): NoticeRef {
  const n = value as Partial<NoticeRef> | null;
  if (
    !n ||
    typeof n.id !== "string" ||
    !n.id ||
    typeof n.digest !== "string" ||
    !/^[0-9a-f]{64}$/.test(n.digest)
  )
    throw new ConsentError(400, "notice must be {id, digest} with the SHA-256 (hex) of the notice shown");
  return { id: n.id, digest: n.digest };
}

export function checkRetention(value: unknown): Retention {
  const r = value as Record<string, unknown> | null;
  if (r && typeof r.duration === "string" && Object.keys(r).length === 1) {
    let ms = 0;
    try {
      ms = durationMs(r.duration);
    } catch {
      ms = 0;
    }
    if (ms > 0) return { duration: r.duration };
  }
  if (r && typeof r.until === "string" && Object.keys(r).length === 1 && !Number.isNaN(Date.parse(r.until)))
    return { until: new Date(r.until).toISOString() };
  throw new ConsentError(
    400,
    'retention must be {"duration": "P2Y"} (ISO 8601, positive) or {"until": "<date-time>"}',
  );
}

export function checkPurpose(term: string): string {
  const iri = expand(term);
  if (!PURPOSES.has(iri))
    throw new ConsentError(
      400,
      `unknown purpose ${term}: a DPV purpose (dpv:AcademicResearch, dpv:TrainAIModel…) or lp:BroadResearchInEducation; dpv:Purpose is too broad to consent to`,
    );
  return iri;
}

export function checkDataCategory(term: string): string {
  const iri = expand(term);
  if (!DATA_CATEGORY_IRIS.has(iri))
    throw new ConsentError(
      400,
      `unknown personal-data category ${term}: a DPV pd: category (pd:EducationExperience…)`,
    );
  return iri;
}

/** The checked input, terms expanded to IRIs. Agreement-dependent checks are the service's. */
export function checkRequestInput(input: ConsentRequestInput): ConsentRequestInput {
  if (!input || typeof input !== "object") throw new ConsentError(400, "the request must be an object");
  if (typeof input.agreement !== "string" || !input.agreement)
    throw new ConsentError(400, "agreement must be the agreement's id");
  const learner = checkPseudonym(input.learner, "learner");
  if (typeof input.language !== "string" || !/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(input.language))
    throw new ConsentError(400, "language must be a BCP 47 tag (fr, en, fr-FR…)");
  if (typeof input.jurisdiction !== "string" || !/^[A-Z]{2}$/.test(input.jurisdiction))
    throw new ConsentError(400, "jurisdiction must be an ISO 3166-1 alpha-2 code (FR, DE…)");
  const recipients = nonEmptyStrings(input.recipients, "recipients").map((r) =>
    r.startsWith("lp:") ? expand(r) : r,
  );
  const checked: ConsentRequestInput = {
    agreement: input.agreement,
    learner,
    notice: checkNotice(input.notice),
    language: input.language,
    jurisdiction: input.jurisdiction,
    purposes: nonEmptyStrings(input.purposes, "purposes").map(checkPurpose),
    recipients,
    dataCategories: nonEmptyStrings(input.dataCategories, "dataCategories").map(checkDataCategory),
    retention: checkRetention(input.retention),
    storageLocations: nonEmptyStrings(input.storageLocations, "storageLocations"),
    withdrawalMethod: input.withdrawalMethod ?? DEFAULT_WITHDRAWAL_METHOD,
  };
  if (input.controllers !== undefined)
    checked.controllers = nonEmptyStrings(input.controllers, "controllers");
  if (input.age !== undefined) checked.age = checkAgeClaim(input.age);
  return checked;
}

export function recipientCategoryLabel(iri: string): string | undefined {
  return RECIPIENT_CATEGORIES[iri];
}

/**
 * The record as ISO/IEC TS 27560 lays it out, with DPV terms (JSON-LD), at a given state: what a
 * learner or an auditor downloads.
 */
export function toIso27560(record: ConsentRecord, status: RecordStatus): Record<string, unknown> {
  return {
    "@context": { dpv: "https://w3id.org/dpv#", pd: "https://w3id.org/dpv/pd#" },
    schemaVersion: record.schemaVersion,
    recordId: record.id,
    "dpv:hasDataSubject": { "@id": `urn:learnpool:pseudonym:${record.linkageDomain}:${record.dataSubject}` },
    notice: status.notice,
    language: status.language,
    "dpv:hasPurpose": [record.purpose],
    "dpv:hasPersonalData": [record.dataCategory],
    "dpv:hasDataController": record.controllers,
    "dpv:hasRecipient": [record.recipient],
    "dpv:hasStorageCondition": { locations: record.storageLocations },
    "dpv:hasDuration": record.retention,
    "dpv:hasJurisdiction": record.jurisdiction,
    "dpv:hasLegalBasis": record.legalBasis,
    withdrawalMethod: record.withdrawalMethod,
    "dpv:hasConsentStatus": CONSENT_STATES[status.state],
    agreement: record.agreement,
    guardian: status.guardian,
  };
}

export { LEGAL_BASIS, RECORD_SCHEMA_VERSION };
