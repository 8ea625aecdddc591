/**
 * The terms a catalog entry is written in: DCAT 3 and Dublin Core, the Dataspace Protocol 2025-1
 * context, the DPV personal-data categories education uses, the distribution formats Learnpool can
 * deliver, and how a participant (a store) is named as an ODRL party.
 */

export const DCAT = "http://www.w3.org/ns/dcat#";
export const DCT = "http://purl.org/dc/terms/";
/** DPV's personal-data extension (prefix `pd`, formerly `dpv-pd`). */
export const DPV_PD = "https://w3id.org/dpv/pd#";
/** Learnpool's own catalog terms: volumes and the xAPI vocabulary a dataset uses. */
export const LP_CATALOG = "https://w3id.org/learnpool/catalog#";
/** The Dataspace Protocol 2025-1 context: named, never fetched. */
export { DSP_CONTEXT } from "../dsp/messages.js";
export const VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided";

/**
 * The DPV personal-data categories a provider may declare, the ones learning records carry. Kept
 * small on purpose so that searching by category finds what providers meant; add terms here.
 */
export const DATA_CATEGORIES: Readonly<Record<string, string>> = {
  Name: "learners' names",
  EmailAddress: "e-mail addresses (xAPI mbox)",
  Identifier: "identifiers and accounts (xAPI account, openid)",
  Age: "age",
  AgeRange: "age bands",
  BirthDate: "dates of birth",
  Gender: "gender",
  Nationality: "nationality",
  Country: "country of residence or study",
  Language: "language of study",
  Education: "education in general",
  EducationExperience: "courses followed, enrolments, progress",
  EducationQualification: "grades, diplomas, certifications",
  Behavioral: "learning behaviour: interactions, time on task",
  BrowsingBehavior: "navigation in the learning platform",
  LinkClicked: "resources opened",
  IPAddress: "IP addresses in platform logs",
  Disability: "disability and accommodations (special category)",
  Interest: "declared interests",
  Demographic: "socio-demographic attributes",
};

/** A category as an IRI: `EducationExperience`, `pd:…`, `dpv-pd:…` or the full IRI; undefined if not listed. */
export function dataCategoryIri(term: string): string | undefined {
  const t = term.trim();
  const local = t.startsWith(DPV_PD)
    ? t.slice(DPV_PD.length)
    : t.startsWith("https://w3id.org/dpv/2.0/pd#")
      ? t.slice("https://w3id.org/dpv/2.0/pd#".length)
      : /^(dpv-pd|pd):/.test(t)
        ? t.slice(t.indexOf(":") + 1)
        : t;
  return Object.hasOwn(DATA_CATEGORIES, local) ? DPV_PD + local : undefined;
}

/** The formats a dataset can be delivered in: dct:format token → media type and label. */
export const FORMATS: Readonly<Record<string, { mediaType: string; label: string; conformsTo?: string }>> = {
  "xapi+json": {
    mediaType: "application/json",
    label: "xAPI statements (JSON)",
    conformsTo: "https://standards.ieee.org/ieee/9274.1.1/7321/",
  },
  jsonl: { mediaType: "application/jsonl", label: "JSON Lines" },
  parquet: { mediaType: "application/vnd.apache.parquet", label: "Apache Parquet" },
  csv: { mediaType: "text/csv", label: "CSV" },
};

/** How a participant of the data space (known by its store id) is named in ODRL policies. */
export function participantIri(storeId: string): string {
  return `urn:learnpool:participant:${storeId}`;
}

/** Dataset identifiers are `urn:uuid:…`; the HTTP routes also take the bare UUID. */
export function datasetIri(id: string): string {
  const t = id.trim().toLowerCase();
  return t.startsWith("urn:uuid:") ? t : `urn:uuid:${t}`;
}

export const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
