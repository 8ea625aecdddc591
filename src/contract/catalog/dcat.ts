/**
 * Catalog entries as DCAT 3 JSON-LD in the Dataspace Protocol 2025-1 compact form (pure): the DSP
 * context is named, never fetched, and the terms it lacks (themes, time span, personal-data categories,
 * volumes, the xAPI vocabulary) are written with prefixes declared inline. Offers are rewritten from
 * the ODRL context the engine reads into the DSP form: `@id`, `@type: Offer`, no target.
 */
import { DPV, LP } from "../odrl/vocab.js";
import type { CatalogEntry } from "./entry.js";
import { DCAT, DCT, DPV_PD, DSP_CONTEXT, FORMATS, LP_CATALOG } from "./vocabulary.js";

export const CATALOG_CONTEXT = [
  DSP_CONTEXT,
  {
    dcat: DCAT,
    dct: DCT,
    dpv: DPV,
    "dpv-pd": DPV_PD,
    lpc: LP_CATALOG,
    xsd: "http://www.w3.org/2001/XMLSchema#",
  },
] as const;

/** Where the Dataspace Protocol endpoints of this environment are (the catalog's DataService). */
export interface DataService {
  id: string;
  endpointURL: string;
}

const PREFIXES: [string, string][] = [
  ["dpv:", DPV],
  ["lp:", LP],
];

/** Prefixed names the DSP context does not declare, expanded; ODRL's own names stay as written. */
function expandValues(value: unknown): unknown {
  if (typeof value === "string") {
    for (const [p, ns] of PREFIXES) if (value.startsWith(p)) return ns + value.slice(p.length);
    return value;
  }
  if (Array.isArray(value)) return value.map(expandValues);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === "@context") continue;
      out[k === "uid" ? "@id" : k] = expandValues(v);
    }
    return out;
  }
  return value;
}

/** The offer in DSP compact form: its `@id`, `@type: Offer`, no target (the dataset holds it). */
export function dspOffer(offer: Record<string, unknown>, id: string): Record<string, unknown> {
  const body = expandValues(offer) as Record<string, unknown>;
  for (const k of ["@id", "@type", "type", "target"]) delete body[k];
  const rules = (key: string) => {
    const v = body[key];
    if (v === undefined) return;
    body[key] = (Array.isArray(v) ? v : [v]).map((r) => {
      if (!r || typeof r !== "object") return r;
      const { target: _target, ...rest } = r as Record<string, unknown>;
      return rest;
    });
  };
  rules("permission");
  rules("prohibition");
  rules("obligation");
  return { "@id": id, "@type": "Offer", ...body };
}

const isIri = (v: string) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(v);
const node = (v: string) => (isIri(v) ? { "@id": v } : v);
const dateTime = (v: string) => ({ "@value": v, "@type": "xsd:dateTime" });
const counted = (terms: { id: string; statements: number }[]) =>
  terms.map((t) => ({ "@id": t.id, "lpc:statementCount": t.statements }));

/** One dataset, without `@context` (a catalog holds many; `datasetDocument` adds it). */
export function datasetNode(e: CatalogEntry, service: DataService): Record<string, unknown> {
  const d = e.description;
  const s = e.statistics;
  return {
    "@id": e.dataset,
    "@type": "Dataset",
    title: d.title,
    description: [{ "@value": d.description, "@language": d.language }],
    keyword: d.keywords,
    "dcat:theme": d.themes.map(node),
    "dcat:version": String(e.version),
    "dct:issued": dateTime(e.publishedAt),
    "dct:publisher": { "@id": e.publisher },
    ...(s.temporal
      ? {
          "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": dateTime(s.temporal.start),
            "dcat:endDate": dateTime(s.temporal.end),
          },
        }
      : {}),
    "dpv:hasPersonalData": d.dataCategories.map((c) => ({ "@id": c })),
    "lpc:statementCount": s.statements,
    "lpc:learnerCount": s.learners,
    "lpc:derivedAt": dateTime(s.derivedAt),
    "lpc:verb": counted(s.verbs),
    "lpc:xapiProfile": counted(s.profiles),
    "lpc:activityType": counted(s.activityTypes),
    ...(e.withdrawn ? { "lpc:withdrawn": dateTime(e.withdrawn.at) } : {}),
    hasPolicy: [dspOffer(e.offer, e.offerId)],
    distribution: d.formats.map((f) => ({
      "@type": "Distribution",
      format: f,
      "dcat:mediaType": FORMATS[f]?.mediaType,
      ...(FORMATS[f]?.conformsTo ? { "dct:conformsTo": { "@id": FORMATS[f].conformsTo } } : {}),
      accessService: { "@id": service.id, "@type": "DataService", endpointURL: service.endpointURL },
    })),
  };
}

/** `GET /catalog/datasets/:id`: one dataset with its context. */
export function datasetDocument(e: CatalogEntry, service: DataService): Record<string, unknown> {
  return { "@context": CATALOG_CONTEXT, ...datasetNode(e, service) };
}

/** `POST /catalog/request`: the catalog the requesting participant may see. */
export function catalogDocument(
  entries: CatalogEntry[],
  options: { id: string; participantId: string; service: DataService },
): Record<string, unknown> {
  return {
    "@context": CATALOG_CONTEXT,
    "@id": options.id,
    "@type": "Catalog",
    participantId: options.participantId,
    service: [
      {
        "@id": options.service.id,
        "@type": "DataService",
        endpointURL: options.service.endpointURL,
      },
    ],
    dataset: entries.map((e) => datasetNode(e, options.service)),
  };
}

/** The Dataspace Protocol's error body for the catalog. */
export function catalogErrorDocument(code: string, reasons: string[]): Record<string, unknown> {
  return { "@context": [DSP_CONTEXT], "@type": "CatalogError", code, reason: reasons };
}
