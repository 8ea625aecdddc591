import type { Queryable, SqlValue } from "../../store/index.js";
import type { IndexEntry, IndexKind } from "./indexing.js";

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
  index: IndexEntry[];
  refTarget: string | undefined;
}

/** Every SQL statement the Statements resource runs; the same text serves SQLite and PostgreSQL. */
export const statementSql = {
  findByIds: (n: number) =>
    `SELECT seq, id, stored, voided, body FROM statements WHERE store_id = ? AND id IN (${marks(n)})`,
  findOne: "SELECT seq, id, stored, voided, body FROM statements WHERE store_id = ? AND id = ?",
  markVoided: (n: number) => `UPDATE statements SET voided = 1 WHERE store_id = ? AND id IN (${marks(n)})`,
  referrers: (n: number) =>
    `SELECT r.target_id, s.seq, s.body FROM statement_refs r JOIN statements s ON s.seq = r.seq
     WHERE r.store_id = ? AND r.target_id IN (${marks(n)})`,
  indexOf: (n: number) => `SELECT seq, kind, value FROM statement_index WHERE store_id = ? AND seq IN (${marks(n)})`,
};

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Runs `fn` over `items` in chunks small enough for any backend's parameter limit. */
export async function inChunks<T, R>(items: readonly T[], fn: (chunk: T[]) => Promise<R[]>, size = 500): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await fn(items.slice(i, i + size))));
  return out;
}

export async function findByIds(tx: Queryable, storeId: string, ids: readonly string[]): Promise<StatementRow[]> {
  return inChunks(ids, (chunk) => tx.all<StatementRow>(statementSql.findByIds(chunk.length), [storeId, ...chunk]));
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
    for (const row of rows) {
      const res = await tx.one<{ seq: number }>(
        "INSERT INTO statements (store_id, id, stored, credential, voided, body) VALUES (?, ?, ?, ?, 0, ?) RETURNING seq",
        [storeId, row.id, row.stored, row.credential, row.body],
      );
      seqs.push(Number(res?.seq));
    }
  } else {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const params: SqlValue[] = [];
      const tuples = chunk.map((row) => {
        params.push(storeId, row.id, row.stored, row.credential, row.body);
        return "(?, ?, ?, ?, 0, ?)";
      });
      const res = await tx.all<{ seq: number }>(
        `INSERT INTO statements (store_id, id, stored, credential, voided, body) VALUES ${tuples.join(", ")} RETURNING seq`,
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
    for (const entry of row.index) indexRows.push([storeId, entry.kind, entry.value, seq]);
    if (row.refTarget) refRows.push([storeId, row.refTarget, seq]);
  });
  await tx.insertMany("statement_index", ["store_id", "kind", "value", "seq"], indexRows, "ON CONFLICT DO NOTHING");
  await tx.insertMany("statement_refs", ["store_id", "target_id", "seq"], refRows, "ON CONFLICT DO NOTHING");
  return seqs;
}

export async function markVoided(tx: Queryable, storeId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await tx.run(statementSql.markVoided(chunk.length), [storeId, ...chunk]);
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

export async function indexOf(
  tx: Queryable,
  storeId: string,
  seqs: readonly number[],
): Promise<{ seq: number; kind: IndexKind; value: string }[]> {
  return inChunks(seqs, (chunk) => tx.all(statementSql.indexOf(chunk.length), [storeId, ...chunk]));
}

export async function copyIndex(
  tx: Queryable,
  storeId: string,
  entries: readonly { seq: number; kind: IndexKind; value: string }[],
): Promise<void> {
  await tx.insertMany(
    "statement_index",
    ["store_id", "kind", "value", "seq"],
    entries.map((e) => [storeId, e.kind, e.value, e.seq]),
    "ON CONFLICT DO NOTHING",
  );
}
