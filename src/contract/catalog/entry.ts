import type { PurposeFit } from "./decisions.js";
import type { DerivedStatistics, ProviderDescription } from "./description.js";

/** One version of a catalog entry: a dataset offer as it was published. Never changed once stored. */
export interface CatalogEntry {
  /** The dataset's identifier (`urn:uuid:…`), the same across versions. */
  dataset: string;
  version: number;
  /** The newest version of this dataset. */
  latestVersion: number;
  /** The providing participant's store id. */
  provider: string;
  /** The provider as an ODRL party: the offer's assigner. */
  publisher: string;
  publishedAt: string;
  description: ProviderDescription;
  statistics: DerivedStatistics;
  offerId: string;
  /** The ODRL Offer, JSON-LD as published. */
  offer: Record<string, unknown>;
  /** Who may see the entry (an ODRL Set), when restricted. */
  accessPolicy?: Record<string, unknown>;
  /** Set when this version has been withdrawn; it stays readable. */
  withdrawn?: { at: string; reason: string };
}

/** A search result: the entry, and how its offer fits the purpose asked, when one was. */
export interface CatalogHit extends CatalogEntry {
  purposeFit?: PurposeFit;
}

export interface CatalogPage {
  items: CatalogHit[];
  /** Matching entries the viewer may see. */
  total: number;
  offset: number;
  limit: number;
  /** The offset of the next page, when there is one. */
  next?: number;
}
