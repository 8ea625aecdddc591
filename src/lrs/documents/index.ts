export type { Preconditions } from "./concurrency.js";
export type { DocumentContent } from "./content.js";
export type { DocumentKind } from "./params.js";
export type { StoredDocument } from "./repository.js";
export { type DocumentRead, DocumentService, type DocumentWrite } from "./service.js";
