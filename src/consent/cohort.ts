/**
 * A set of pseudonyms held as one sorted, duplicate-free array (pure): what `consentingLearners`
 * returns. A million strings in a JavaScript `Set` cost as much again as reading them from the
 * database; a sorted array answers `has` by binary search, iterates in order (handy for merge joins
 * and for writing a build's selection), and is built without hashing.
 */
export class PseudonymSet implements ReadonlySet<string> {
  private readonly items: readonly string[];

  /** `items` sorted (code-unit order) or not; duplicates are dropped. */
  constructor(items: readonly string[] = []) {
    let sorted = true;
    for (let i = 1; i < items.length; i++)
      if ((items[i - 1] as string) >= (items[i] as string)) {
        sorted = false;
        break;
      }
    if (sorted) this.items = items;
    else {
      const copy = [...items].sort();
      this.items = copy.filter((v, i) => i === 0 || v !== copy[i - 1]);
    }
  }

  /** The union of sorted sets (a k-way merge). */
  static union(sets: readonly PseudonymSet[]): PseudonymSet {
    if (sets.length === 1) return sets[0] as PseudonymSet;
    return new PseudonymSet(sets.flatMap((s) => s.items));
  }

  get size(): number {
    return this.items.length;
  }

  has(value: string): boolean {
    let lo = 0;
    let hi = this.items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.items[mid] as string;
      if (v === value) return true;
      if (v < value) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The pseudonyms, sorted. */
  toArray(): readonly string[] {
    return this.items;
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const v of this.items) fn.call(thisArg, v, v, this);
  }

  *entries(): SetIterator<[string, string]> {
    for (const v of this.items) yield [v, v];
  }

  keys(): SetIterator<string> {
    return this.values();
  }

  *values(): SetIterator<string> {
    yield* this.items;
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }
}
