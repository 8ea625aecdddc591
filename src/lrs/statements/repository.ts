import type { Dialect, Queryable, SqlValue } from "../../store/index.js";

/** One statement row as stored. */
export interface StatementRow {
  seq: number;
  id: string;
  stored: string;
  voided: number;
  body: string;
}

export interface NewStatementRow {
  id: string;
  stored: string;
  credential: string;
  body: string;
  /** The statement's own index terms (see terms.ts). */
  terms: number[];
  refTarget: string | undefined;
}

/** Every SQL statement the Statements resource runs; the same text serves SQLite and PostgreSQL. */
export const statementSql = {
  findByIds: (n: number, dialect: Dialect) =>
    `SELECT seq, id, stored, voided, body FROM statements ${byIdKey[dialect]} WHERE id_key IN (${marks(n)}) AND store_id = ? AND id IN (${marks(n)})`,
  markVoided: (n: number, dialect: Dialect) =>
    `UPDATE statements ${byIdKey[dialect]} SET voided = 1 WHERE id_key IN (${marks(n)}) AND store_id = ? AND id IN (${marks(n)})`,
  referrers: (n: number) =>
    `SELECT r.target_id, s.seq, s.body FROM statement_refs r JOIN statements s ON s.seq = r.seq
     WHERE r.store_id = ? AND r.target_id IN (${marks(n)})`,
  copiesOf: (n: number) => `SELECT seq, term FROM statement_copies WHERE seq IN (${marks(n)})`,
};

/**
 * SQLite without statistics would rather scan the store's rows than probe the id_key index for a
 * list of keys; PostgreSQL's planner needs no hint.
 */
export const byIdKey: Record<Dialect, string> = { sqlite: "INDEXED BY statements_id_key", postgres: "" };

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Runs `fn` over `items` in chunks small enough for any backend's parameter limit. */
export async function inChunks<T, R>(
  items: readonly T[],
  fn: (chunk: T[]) => Promise<R[]>,
  size = 500,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await fn(items.slice(i, i + size))));
  return out;
}

/**
 * The key statements are found by: the first 52 bits of the UUID, a safe JavaScript integer. An
 * integer index is several times cheaper to write than one on the UUID text; the full id (and store)
 * is still compared in every query, and ids are unique per store because writes to a store are
 * serialized and check first.
 */
export function idKey(id: string): number {
  // 8 + 4 + 1 hex digits: "xxxxxxxx-xxxx-x…" without the hyphen.
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 14), 16);
}

export async function findByIds(
  tx: Queryable,
  storeId: string,
  ids: readonly string[],
): Promise<StatementRow[]> {
  return inChunks(ids, (chunk) =>
    tx.all<StatementRow>(statementSql.findByIds(chunk.length, tx.dialect), [
      ...chunk.map(idKey),
      storeId,
      ...chunk,
    ]),
  );
}

/**
 * Inserts the statements with their index and reference rows. Sequence numbers come back in insertion
 * order.
 */
export async function insertStatements(
  tx: Queryable,
  storeId: string,
  rows: readonly NewStatementRow[],
): Promise<number[]> {
  const seqs: number[] = [];
  if (tx.dialect === "sqlite") {
    // One writer holds the database: the AUTOINCREMENT counter grows by one per row inserted, which
    // spares a RETURNING per row. The counter is checked afterwards all the same.
    const counter = "SELECT seq FROM sqlite_sequence WHERE name = 'statements'";
    const before = Number((await tx.one<{ seq: number }>(counter))?.seq ?? 0);
    await tx.insertMany(
      "statements",
      ["store_id", "id", "id_key", "stored", "credential", "voided", "body"],
      rows.map((row) => [storeId, row.id, idKey(row.id), row.stored, row.credential, 0, row.body]),
    );
    const after = Number((await tx.one<{ seq: number }>(counter))?.seq ?? 0);
    if (after !== before + rows.length) throw new Error("statement sequence numbers are not contiguous");
    for (let i = 1; i <= rows.length; i++) seqs.push(before + i);
  } else {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const params: SqlValue[] = [];
      const tuples = chunk.map((row) => {
        params.push(storeId, row.id, idKey(row.id), row.stored, row.credential, row.body);
        return "(?, ?, ?, ?, ?, 0, ?)";
      });
      const res = await tx.all<{ seq: number }>(
        `INSERT INTO statements (store_id, id, id_key, stored, credential, voided, body) VALUES ${tuples.join(", ")} RETURNING seq`,
        params,
      );
      // RETURNING keeps the VALUES order for a plain multi-row insert; sort to be safe: sequences grow.
      seqs.push(...res.map((r) => Number(r.seq)).sort((a, b) => a - b));
    }
  }
  const indexRows: SqlValue[][] = [];
  const refRows: SqlValue[][] = [];
  rows.forEach((row, i) => {
    const seq = seqs[i] as number;
    for (const term of row.terms) indexRows.push([term, seq]);
    if (row.refTarget) refRows.push([storeId, row.refTarget, seq]);
  });
  await tx.insertMany("statement_index", ["term", "seq"], indexRows, "ON CONFLICT DO NOTHING");
  await tx.insertMany("statement_refs", ["store_id", "target_id", "seq"], refRows, "ON CONFLICT DO NOTHING");
  return seqs;
}

export async function markVoided(tx: Queryable, storeId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await tx.run(statementSql.markVoided(chunk.length, tx.dialect), [...chunk.map(idKey), storeId, ...chunk]);
  }
}

/** The statements that target any of `targetIds` through a StatementRef. */
export async function referrersOf(
  tx: Queryable,
  storeId: string,
  targetIds: readonly string[],
): Promise<{ target_id: string; seq: number; body: string }[]> {
  return inChunks(targetIds, (chunk) => tx.all(statementSql.referrers(chunk.length), [storeId, ...chunk]));
}

/** The terms a statement took from the statements it targets through StatementRefs. */
export async function copiesOf(
  tx: Queryable,
  seqs: readonly number[],
): Promise<{ seq: number; term: number }[]> {
  return inChunks(seqs, (chunk) => tx.all(statementSql.copiesOf(chunk.length), chunk));
}

/** Adds terms to statements as copies: they match the filters their targets match. */
export async function addCopies(
  tx: Queryable,
  copies: readonly { seq: number; term: number }[],
): Promise<void> {
  await tx.insertMany(
    "statement_index",
    ["term", "seq"],
    copies.map((c) => [c.term, c.seq]),
    "ON CONFLICT DO NOTHING",
  );
  await tx.insertMany(
    "statement_copies",
    ["seq", "term"],
    copies.map((c) => [c.seq, c.term]),
    "ON CONFLICT DO NOTHING",
  );
}
