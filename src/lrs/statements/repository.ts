import type { Queryable, SqlValue } from "../../store/index.js";
import type { IndexTail } from "./tail.js";

/** One statement row as stored. */
export interface StatementRow {
  seq: number;
  id: string;
  stored: string;
  voided: number;
  body: string;
  credential: string;
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

const ROW = "s.seq, s.id, s.stored, s.voided, s.body, s.credential";

// CROSS JOIN makes SQLite, which keeps no statistics, drive the lookup from the id index rather than
// scan the store's rows; for PostgreSQL it is an inner join like any other.

/** Every SQL statement the Statements resource runs; the same text serves SQLite and PostgreSQL. */
export const statementSql = {
  findByIds: (n: number) =>
    `SELECT ${ROW} FROM statement_ids i CROSS JOIN statements s
     WHERE s.seq = i.seq AND i.id_key IN (${marks(n)}) AND s.store_id = ? AND s.id IN (${marks(n)})`,
  findBySeqs: (n: number) =>
    `SELECT ${ROW} FROM statements s WHERE s.seq IN (${marks(n)}) AND s.store_id = ?`,
  markVoided: (n: number) => `UPDATE statements SET voided = 1 WHERE seq IN (${marks(n)})`,
  referrers: (n: number) =>
    `SELECT r.target_id, s.seq, s.body FROM statement_refs r JOIN statements s ON s.seq = r.seq
     WHERE r.store_id = ? AND r.target_id IN (${marks(n)})`,
  copiesOf: (n: number) => `SELECT seq, term FROM statement_copies WHERE seq IN (${marks(n)})`,
};

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

/** The statements of a store with these ids, from the on-disk index and the index tail. */
export async function findByIds(
  tx: Queryable,
  tail: IndexTail,
  storeId: string,
  ids: readonly string[],
): Promise<StatementRow[]> {
  // The tail first: a flush between the two reads moves entries from the tail to the index, not back.
  const recent = tail.seqsOf(storeId, ids);
  const indexed = await inChunks(ids, (chunk) =>
    tx.all<StatementRow>(statementSql.findByIds(chunk.length), [...chunk.map(idKey), storeId, ...chunk]),
  );
  if (recent.length === 0) return indexed;
  // The tail's sequence numbers are checked against the rows: a stale entry names another statement.
  const wanted = new Set(ids);
  const seen = new Set(indexed.map((r) => Number(r.seq)));
  const rows = await inChunks(recent, (chunk) =>
    tx.all<StatementRow>(statementSql.findBySeqs(chunk.length), [...chunk, storeId]),
  );
  return [...indexed, ...rows.filter((r) => wanted.has(r.id) && !seen.has(Number(r.seq)))];
}

/**
 * Inserts the statement rows and their reference rows (the index rows are the tail's: see tail.ts).
 * Sequence numbers come back in insertion order.
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
  const refRows: SqlValue[][] = [];
  rows.forEach((row, i) => {
    if (row.refTarget) refRows.push([storeId, row.refTarget, seqs[i] as number]);
  });
  await tx.insertMany("statement_refs", ["store_id", "target_id", "seq"], refRows, "ON CONFLICT DO NOTHING");
  return seqs;
}

export async function markVoided(tx: Queryable, seqs: readonly number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) {
    const chunk = seqs.slice(i, i + 500);
    await tx.run(statementSql.markVoided(chunk.length), chunk);
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
