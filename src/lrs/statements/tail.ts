import type { Database, Queryable, SqlValue } from "../../store/index.js";
import type { Statement } from "../../xapi/index.js";
import { indexEntries } from "./indexing.js";
import { idKey } from "./repository.js";
import { TermDictionary } from "./terms.js";

/** A statement stored but not yet in the on-disk index (statement_ids, statement_index). */
interface TailEntry {
  storeId: string;
  id: string;
  terms: number[];
}

export interface IndexedStatement {
  storeId: string;
  id: string;
  seq: number;
  terms: number[];
}

/**
 * The statement index, written two ways.
 *
 * On PostgreSQL (many processes may write) every statement's index rows go in with it, in its
 * transaction.
 *
 * On SQLite (one serving process) they are held in memory, the tail, and written in bulk once many
 * have gathered, sorted by key. Index keys are random (statement ids, each learner's term): written
 * as they come, every commit rewrites hundreds of scattered index pages, which is most of the cost of
 * ingestion and grows with the store; written sorted in bulk, each page is rewritten once per flush.
 * The statement rows themselves are durable at commit as before, so nothing acknowledged depends on
 * the tail: after a crash it is derived again from the rows past the watermark (the highest sequence
 * number indexed on disk). Reads that need the index flush the tail first, so queries see every
 * committed statement; lookups by id consult the tail directly.
 *
 * Entries are keyed by sequence number: if a transaction rolls back, SQLite gives its sequence numbers
 * to the next statements, whose entries replace the stale ones; a flush covers only committed rows.
 */
export class IndexTail {
  private readonly entries = new Map<number, TailEntry>();
  private readonly seqById = new Map<string, number>();
  private watermark = 0;
  private recovered: Promise<void> | undefined;
  private isReady = false;
  private flushing: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly terms: TermDictionary,
    /** Statements held before a flush starts on its own. */
    private readonly threshold = 65_536,
    /** A quiet store is indexed this long after its last write. */
    private readonly idleMs = 2_000,
  ) {}

  get deferred(): boolean {
    return this.db.dialect === "sqlite";
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Derives the tail again from the rows past the watermark, once per process. Await it before a
   * transaction that uses the tail: on SQLite a query outside the transaction would wait for it.
   */
  ready(): Promise<void> {
    if (!this.deferred) return Promise.resolve();
    this.recovered ??= this.recover().then(() => {
      this.isReady = true;
    });
    return this.recovered;
  }

  private check(): void {
    if (!this.isReady) throw new Error("the index tail is used before ready() resolved");
  }

  private async recover(): Promise<void> {
    const mark = await this.db.one<{ seq: number }>("SELECT seq FROM index_watermark WHERE id = 1");
    this.watermark = Number(mark?.seq ?? 0);
    let after = this.watermark;
    for (;;) {
      const rows = await this.db.all<{ seq: number; store_id: string; id: string; body: string }>(
        "SELECT seq, store_id, id, body FROM statements WHERE seq > ? ORDER BY seq LIMIT 5000",
        [after],
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        const entries = indexEntries(JSON.parse(row.body) as Statement);
        const found = await this.terms.find(this.db, row.store_id, entries);
        const terms = entries
          .map((e) => found.get(TermDictionary.key(row.store_id, e.kind, e.value)))
          .filter((t): t is number => t !== undefined);
        this.put({ storeId: row.store_id, id: row.id, seq: Number(row.seq), terms });
      }
      after = Number(rows[rows.length - 1]?.seq);
    }
  }

  /** Indexes statements just inserted in transaction `tx`: now on PostgreSQL, in the tail on SQLite. */
  async write(tx: Queryable, statements: readonly IndexedStatement[]): Promise<void> {
    if (!this.deferred) {
      await writeIndexRows(tx, statements);
      return;
    }
    this.check();
    for (const s of statements) this.put(s);
  }

  private put(s: IndexedStatement): void {
    this.entries.set(s.seq, { storeId: s.storeId, id: s.id, terms: s.terms });
    this.seqById.set(idOf(s.storeId, s.id), s.seq);
  }

  /** Sequence numbers the tail knows for these ids (to be checked against the rows: see above). */
  seqsOf(storeId: string, ids: readonly string[]): number[] {
    if (!this.deferred) return [];
    this.check();
    const seqs: number[] = [];
    for (const id of ids) {
      const seq = this.seqById.get(idOf(storeId, id));
      if (seq !== undefined) seqs.push(seq);
    }
    return seqs;
  }

  /** After a commit: flush when the tail is large, or later when writes stop. */
  written(): void {
    if (!this.deferred) return;
    if (this.entries.size >= this.threshold) {
      this.flush().catch(() => {
        // Left in the tail: the next read or write retries, and reports the error to its caller.
      });
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.flush().catch(() => {});
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Writes the tail to the on-disk index, sorted by key, in one transaction. */
  flush(): Promise<void> {
    if (!this.deferred) return Promise.resolve();
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    await this.ready();
    if (this.entries.size === 0) return;
    let upTo = 0;
    const flushed: number[] = [];
    await this.db.transaction(async (tx) => {
      // Only committed rows: a tail entry past the last sequence number belongs to a rolled-back write.
      const last = await tx.one<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'statements'");
      upTo = Number(last?.seq ?? 0);
      const batch: IndexedStatement[] = [];
      for (const [seq, entry] of this.entries) {
        if (seq <= upTo) {
          batch.push({ ...entry, seq });
          flushed.push(seq);
        }
      }
      await writeIndexRows(tx, batch);
      await tx.run("UPDATE index_watermark SET seq = ? WHERE id = 1 AND seq < ?", [upTo, upTo]);
    });
    for (const seq of flushed) {
      const entry = this.entries.get(seq);
      this.entries.delete(seq);
      if (entry && this.seqById.get(idOf(entry.storeId, entry.id)) === seq)
        this.seqById.delete(idOf(entry.storeId, entry.id));
    }
    this.watermark = Math.max(this.watermark, upTo);
  }

  close(): Promise<void> {
    clearTimeout(this.idleTimer);
    return this.flush();
  }
}

function idOf(storeId: string, id: string): string {
  return `${storeId}\u0000${id}`;
}

/** The index rows of statements, sorted by key so that each index page is written once. */
async function writeIndexRows(tx: Queryable, statements: readonly IndexedStatement[]): Promise<void> {
  if (statements.length === 0) return;
  const ids: SqlValue[][] = statements.map((s) => [idKey(s.id), s.seq]);
  ids.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  const byTerm = new Map<number, number[]>();
  for (const s of [...statements].sort((a, b) => a.seq - b.seq)) {
    for (const term of s.terms) {
      const seqs = byTerm.get(term);
      if (seqs) seqs.push(s.seq);
      else byTerm.set(term, [s.seq]);
    }
  }
  const index: SqlValue[][] = [];
  for (const term of [...byTerm.keys()].sort((a, b) => a - b)) {
    for (const seq of byTerm.get(term) as number[]) index.push([term, seq]);
  }
  await tx.insertMany("statement_ids", ["id_key", "seq"], ids, "ON CONFLICT DO NOTHING");
  await tx.insertMany("statement_index", ["term", "seq"], index, "ON CONFLICT DO NOTHING");
}
