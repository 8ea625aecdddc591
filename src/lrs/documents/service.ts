import type { Database } from "../../store/index.js";
import type { XapiVersion } from "../../xapi/index.js";
import { LrsError } from "../errors.js";
import { allows } from "../scopes.js";
import type { Principal } from "../tenancy.js";
import { checkPreconditions, etagOf, hasPreconditions, type Preconditions } from "./concurrency.js";
import { DEFAULT_CONTENT_TYPE, type DocumentContent, mergeDocuments, postedObject } from "./content.js";
import {
  type DocumentKind,
  type DocumentMethod,
  type DocumentRequest,
  parseDocumentRequest,
} from "./params.js";
import {
  deleteDocument,
  deleteDocuments,
  documentIds,
  findDocument,
  type StoredDocument,
  saveDocument,
} from "./repository.js";

export type DocumentRead = { kind: "document"; document: StoredDocument } | { kind: "ids"; ids: string[] };

/** What a PUT or POST carries besides its parameters. */
export interface DocumentWrite extends Preconditions {
  contentType: string | undefined;
  content: Buffer;
}

type Single = DocumentRequest & { docId: string };

const hasId = (r: DocumentRequest): r is Single => r.docId !== undefined;

/**
 * The State, Activity Profile and Agent Profile resources. Every operation stays inside the caller's
 * store; writes to one store are serialized so that a precondition checked is still true when written.
 */
export class DocumentService {
  constructor(private readonly db: Database) {}

  /** GET: one document, or the ids of the documents matching (optionally changed since an instant). */
  async read(
    principal: Principal,
    kind: DocumentKind,
    version: XapiVersion,
    params: Record<string, string>,
  ): Promise<DocumentRead> {
    checkScope(principal, kind, "GET");
    const request = parseDocumentRequest(kind, "GET", params, version);
    if (!hasId(request)) {
      return { kind: "ids", ids: await documentIds(this.db, principal.storeId, request) };
    }
    const document = await findDocument(this.db, principal.storeId, request);
    if (!document) throw new LrsError(404, `no document '${request.docId}' here`);
    return { kind: "document", document };
  }

  /** PUT: stores the document as sent, replacing any. Returns its new ETag. */
  put(
    principal: Principal,
    kind: DocumentKind,
    version: XapiVersion,
    params: Record<string, string>,
    write: DocumentWrite,
  ) {
    return this.write("PUT", principal, kind, version, params, write);
  }

  /** POST: stores the document when absent, merges two JSON objects otherwise. Returns its new ETag. */
  post(
    principal: Principal,
    kind: DocumentKind,
    version: XapiVersion,
    params: Record<string, string>,
    write: DocumentWrite,
  ) {
    return this.write("POST", principal, kind, version, params, write);
  }

  /** DELETE: one document, or (State without stateId) every state of the activity and agent. */
  async remove(
    principal: Principal,
    kind: DocumentKind,
    version: XapiVersion,
    params: Record<string, string>,
    pre: Preconditions,
  ): Promise<void> {
    checkScope(principal, kind, "DELETE");
    const request = parseDocumentRequest(kind, "DELETE", params, version);
    await this.db.transaction(
      async (tx) => {
        if (!hasId(request)) return deleteDocuments(tx, principal.storeId, request);
        const current = await findDocument(tx, principal.storeId, request);
        checkPreconditions(pre, current?.etag);
        await deleteDocument(tx, principal.storeId, request);
      },
      { lock: lockName(principal) },
    );
  }

  private async write(
    method: "PUT" | "POST",
    principal: Principal,
    kind: DocumentKind,
    version: XapiVersion,
    params: Record<string, string>,
    write: DocumentWrite,
  ): Promise<string> {
    checkScope(principal, kind, method);
    const request = parseDocumentRequest(kind, method, params, version) as Single;
    const sent: DocumentContent = {
      contentType: write.contentType || DEFAULT_CONTENT_TYPE,
      content: write.content,
    };
    if (method === "POST") postedObject(sent);
    return this.db.transaction(
      async (tx) => {
        const current = await findDocument(tx, principal.storeId, request);
        checkPreconditions(write, current?.etag);
        if (method === "PUT" && current && !hasPreconditions(write) && guardsBlindPut(kind, version)) {
          throw new LrsError(
            409,
            "this document exists already: GET it, check its current state, then PUT again with If-Match set to its ETag",
          );
        }
        const next = method === "POST" && current ? mergeDocuments(current, sent) : sent;
        const etag = etagOf(next.content);
        await saveDocument(tx, principal.storeId, request, {
          ...next,
          etag,
          updated: new Date().toISOString(),
        });
        return etag;
      },
      { lock: lockName(principal) },
    );
  }
}

/**
 * A PUT without If-Match or If-None-Match onto an existing document is refused (409) for the profile
 * resources; xAPI exempts the State resource, but the xAPI 2.0 conformance suite expects the same
 * refusal there, so 2.0 requests get it and 1.0.3 requests keep the exemption.
 */
function guardsBlindPut(kind: DocumentKind, version: XapiVersion): boolean {
  return kind !== "state" || version === "2.0.0";
}

function lockName(principal: Principal): string {
  return `documents:${principal.storeId}`;
}

function checkScope(principal: Principal, kind: DocumentKind, method: DocumentMethod): void {
  const family = kind === "state" ? "state" : "profile";
  const access = method === "GET" ? (`${family}/read` as const) : (`${family}/write` as const);
  if (!allows(principal.scopes, access)) {
    throw new LrsError(
      403,
      `this credential may not ${method === "GET" ? "read" : "change"} documents here (scope ${family})`,
    );
  }
}
