import type { Queryable } from "../../store/index.js";
import type { IndexEntry } from "./indexing.js";

/**
 * The dictionary of index terms: each (store, kind, value) — an agent's IFI, an activity IRI, a
 * verb… — gets a small integer once, so that the statement index holds (term, seq) pairs of integers:
 * several times cheaper to write and to search than rows of long IRIs.
 * Term ids never change and are never deleted, so a process may remember them; ids made inside a
 * transaction are remembered only once it commits.
 */
export class TermDictionary {
  private readonly known = new Map<string, number>();
  private static readonly MAX_CACHED = 500_000;

  static key(storeId: string, kind: string, value: string): string {
    return `${storeId}\u0000${kind}\u0000${value}`;
  }

  /** Looks up terms without creating any; missing ones are absent from the result. */
  async find(q: Queryable, storeId: string, entries: readonly IndexEntry[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const missing: IndexEntry[] = [];
    for (const e of entries) {
      const key = TermDictionary.key(storeId, e.kind, e.value);
      const id = this.known.get(key);
      if (id === undefined) missing.push(e);
      else found.set(key, id);
    }
    for (const [key, id] of await this.select(q, storeId, missing)) {
      found.set(key, id);
      this.remember(key, id);
    }
    return found;
  }

  /**
   * Finds or creates the terms inside a write transaction. Returns the ids and a `commit` to call once
   * the transaction has committed.
   */
  async ensure(
    tx: Queryable,
    storeId: string,
    entries: readonly IndexEntry[],
  ): Promise<{ ids: Map<string, number>; commit: () => void }> {
    const ids = new Map<string, number>();
    const missing = new Map<string, IndexEntry>();
    for (const e of entries) {
      const key = TermDictionary.key(storeId, e.kind, e.value);
      const id = this.known.get(key);
      if (id === undefined) missing.set(key, e);
      else ids.set(key, id);
    }
    const fresh = new Map<string, number>();
    if (missing.size > 0) {
      const list = [...missing.values()];
      let got = await this.select(tx, storeId, list);
      const absent = list.filter((e) => !got.has(TermDictionary.key(storeId, e.kind, e.value)));
      if (absent.length > 0) {
        await tx.insertMany(
          "terms",
          ["store_id", "kind", "value"],
          absent.map((e) => [storeId, e.kind, e.value]),
          "ON CONFLICT DO NOTHING",
        );
        got = new Map([...got, ...(await this.select(tx, storeId, absent))]);
      }
      for (const [key, id] of got) {
        ids.set(key, id);
        fresh.set(key, id);
      }
    }
    return {
      ids,
      commit: () => {
        for (const [key, id] of fresh) this.remember(key, id);
      },
    };
  }

  private remember(key: string, id: number): void {
    if (this.known.size >= TermDictionary.MAX_CACHED) this.known.clear();
    this.known.set(key, id);
  }

  private async select(
    q: Queryable,
    storeId: string,
    entries: readonly IndexEntry[],
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const byKind = new Map<string, string[]>();
    for (const e of entries) {
      const list = byKind.get(e.kind) ?? [];
      list.push(e.value);
      byKind.set(e.kind, list);
    }
    for (const [kind, values] of byKind) {
      for (let i = 0; i < values.length; i += 500) {
        const chunk = [...new Set(values.slice(i, i + 500))];
        const rows = await q.all<{ id: number; value: string }>(
          `SELECT id, value FROM terms WHERE store_id = ? AND kind = ? AND value IN (${chunk.map(() => "?").join(", ")})`,
          [storeId, kind, ...chunk],
        );
        for (const row of rows) out.set(TermDictionary.key(storeId, kind, row.value), Number(row.id));
      }
    }
    return out;
  }
}
