import type { Queryable, SqlValue } from "../../store/index.js";
import type { DocumentContent } from "./content.js";
import type { DocumentRequest } from "./params.js";

/**
 * The SQL of the document resources, the same text on SQLite and PostgreSQL. A document's key is
 * (store, kind, activity, agent, registration, id); columns a kind does not use hold ''.
 */

export interface StoredDocument extends DocumentContent {
  etag: string;
  /** ISO instant of the last change. */
  updated: string;
}

const KEY = "store_id = ? AND kind = ? AND activity_id = ? AND agent = ? AND registration = ?";

function keyParams(storeId: string, r: DocumentRequest): SqlValue[] {
  return [storeId, r.kind, r.activityId, r.agent, r.registration];
}

/** The filter of a list or a bulk delete: a missing registration spans them all. */
function scope(storeId: string, r: DocumentRequest): { where: string; params: SqlValue[] } {
  if (r.hasRegistration) return { where: KEY, params: keyParams(storeId, r) };
  return {
    where: "store_id = ? AND kind = ? AND activity_id = ? AND agent = ?",
    params: [storeId, r.kind, r.activityId, r.agent],
  };
}

export async function findDocument(
  tx: Queryable,
  storeId: string,
  r: DocumentRequest & { docId: string },
): Promise<StoredDocument | undefined> {
  const row = await tx.one<{
    content_type: string;
    content: Buffer | Uint8Array;
    etag: string;
    updated: string;
  }>(`SELECT content_type, content, etag, updated FROM documents WHERE ${KEY} AND doc_id = ?`, [
    ...keyParams(storeId, r),
    r.docId,
  ]);
  return (
    row && {
      contentType: row.content_type,
      content: Buffer.from(row.content),
      etag: row.etag,
      updated: row.updated,
    }
  );
}

export async function saveDocument(
  tx: Queryable,
  storeId: string,
  r: DocumentRequest & { docId: string },
  doc: StoredDocument,
): Promise<void> {
  await tx.run(
    `INSERT INTO documents (store_id, kind, activity_id, agent, registration, doc_id, content_type, content, etag, updated)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (store_id, kind, activity_id, agent, registration, doc_id) DO UPDATE SET
       content_type = excluded.content_type, content = excluded.content, etag = excluded.etag, updated = excluded.updated`,
    [...keyParams(storeId, r), r.docId, doc.contentType, doc.content, doc.etag, doc.updated],
  );
}

export async function deleteDocument(tx: Queryable, storeId: string, r: DocumentRequest & { docId: string }) {
  await tx.run(`DELETE FROM documents WHERE ${KEY} AND doc_id = ?`, [...keyParams(storeId, r), r.docId]);
}

export async function deleteDocuments(tx: Queryable, storeId: string, r: DocumentRequest): Promise<void> {
  const { where, params } = scope(storeId, r);
  await tx.run(`DELETE FROM documents WHERE ${where}`, params);
}

export async function documentIds(tx: Queryable, storeId: string, r: DocumentRequest): Promise<string[]> {
  const { where, params } = scope(storeId, r);
  const since = r.since === undefined ? "" : " AND updated > ?";
  const rows = await tx.all<{ doc_id: string }>(
    `SELECT DISTINCT doc_id FROM documents WHERE ${where}${since} ORDER BY doc_id`,
    r.since === undefined ? params : [...params, r.since],
  );
  return rows.map((row) => row.doc_id);
}
