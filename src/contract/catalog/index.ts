/**
 * The catalog of the data space (module `contract`): providers publish dataset offers, a DCAT 3
 * description with an ODRL Offer; consumers find them by text, theme, verb, xAPI profile, data
 * category, provider, time span and purpose. It owns:
 * - the description's rules and the statistics derived from a provider's store (`description.ts`,
 *   `statistics.ts`: SQL per dialect, aggregates only, no learner ever listed);
 * - the checks of offers and access policies (`offer.ts`) and the two engine decisions, purpose fit
 *   and access (`decisions.ts`, where their semantics are written down);
 * - versioned, append-only entries and withdrawals, search and audit (`service.ts`);
 * - DCAT / Dataspace Protocol 2025-1 JSON-LD (`dcat.ts`).
 */
export {
  CATALOG_CONTEXT,
  catalogDocument,
  catalogErrorDocument,
  type DataService,
  datasetDocument,
  datasetNode,
  dspOffer,
} from "./dcat.js";
export {
  type AccessDecision,
  accessDecision,
  type PartyFacts,
  type PurposeFit,
  purposeFit,
} from "./decisions.js";
export {
  type DerivedStatistics,
  type ProviderDescription,
  readProviderDescription,
  type TermCount,
} from "./description.js";
export type { CatalogEntry, CatalogHit, CatalogPage } from "./entry.js";
export { CatalogError } from "./errors.js";
export { type CheckedPolicy, readAccessPolicy, readOffer } from "./offer.js";
export {
  type Actor,
  Catalog,
  type CatalogOffer,
  type CatalogOptions,
  type CatalogQuery,
  MAX_PAGE,
  type ParticipantDirectory,
  type PublishRequest,
  purposeIri,
  registeredParticipants,
  storesOnly,
} from "./service.js";
export { deriveStatistics } from "./statistics.js";
export {
  DATA_CATEGORIES,
  DCAT,
  DCT,
  DPV_PD,
  DSP_CONTEXT,
  dataCategoryIri,
  datasetIri,
  FORMATS,
  LP_CATALOG,
  participantIri,
} from "./vocabulary.js";
