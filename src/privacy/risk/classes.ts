/**
 * Equivalence classes: the groups of records that share every quasi-identifier value, which is all an
 * attacker linking on those attributes can tell apart. Everything the risk measures need is the size
 * of each class (and, for the population models, how many classes have each size). Pure.
 */

/** How many classes have each size, ascending by size (ARX's `RiskModelHistogram`). */
export interface ClassSizeFrequencies {
  sizes: Int32Array;
  counts: Int32Array;
  /** Σ size × count. */
  records: number;
  /** Σ count. */
  classes: number;
}

export interface EquivalenceClasses {
  /** Size of each class, in order of first appearance. */
  sizes: Int32Array;
  /** The class of each row, −1 for a suppressed row. */
  classOfRow: Int32Array;
  /** Rows left out because every quasi-identifier holds the suppression marker. */
  suppressed: number;
}

export interface ClassOptions {
  /**
   * A row whose quasi-identifiers all equal this value is a suppressed record and belongs to no class
   * (ARX leaves suppressed records out of every risk measure). Default: none.
   */
  suppressedValue?: string;
}

export class RiskInputError extends Error {}

/** Groups rows by their values in the columns `qi` (column indices). */
export function equivalenceClasses(
  rows: readonly (readonly string[])[],
  qi: readonly number[],
  options: ClassOptions = {},
): EquivalenceClasses {
  if (qi.length === 0) throw new RiskInputError("at least one quasi-identifier is needed");
  const index = new Map<string, number>();
  const sizes: number[] = [];
  const classOfRow = new Int32Array(rows.length);
  let suppressed = 0;
  const marker = options.suppressedValue;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let key = "";
    let allSuppressed = marker !== undefined;
    for (let q = 0; q < qi.length; q++) {
      const value = row[qi[q]!];
      if (value === undefined) {
        throw new RiskInputError(`row ${r + 1} has no column ${qi[q]! + 1} (it has ${row.length})`);
      }
      if (value !== marker) allSuppressed = false;
      // The unit separator cannot be confused with a value's own characters in CSV text.
      key += q === 0 ? value : `\u001f${value}`;
    }
    if (allSuppressed) {
      classOfRow[r] = -1;
      suppressed++;
      continue;
    }
    let id = index.get(key);
    if (id === undefined) {
      id = sizes.length;
      index.set(key, id);
      sizes.push(0);
    }
    sizes[id]!++;
    classOfRow[r] = id;
  }
  return { sizes: Int32Array.from(sizes), classOfRow, suppressed };
}

/** Class-size frequencies of a list of class sizes (zeros are ignored: an empty class holds no record). */
export function classSizeFrequencies(classSizes: ArrayLike<number>): ClassSizeFrequencies {
  const bySize = new Map<number, number>();
  for (let i = 0; i < classSizes.length; i++) {
    const size = classSizes[i]!;
    if (!Number.isInteger(size) || size < 0) {
      throw new RiskInputError(`class size ${size} at position ${i} is not a non-negative integer`);
    }
    if (size > 0) bySize.set(size, (bySize.get(size) ?? 0) + 1);
  }
  const ordered = [...bySize.keys()].sort((a, b) => a - b);
  const sizes = Int32Array.from(ordered);
  const counts = Int32Array.from(ordered, (s) => bySize.get(s)!);
  let records = 0;
  let classes = 0;
  for (let i = 0; i < sizes.length; i++) {
    records += sizes[i]! * counts[i]!;
    classes += counts[i]!;
  }
  return { sizes, counts, records, classes };
}

/**
 * For journalist risk against a population table: the size, in the population, of each sample class.
 * The sample's rows must all occur in the population (it is a subset of it).
 */
export function populationClassSizes(
  sample: readonly (readonly string[])[],
  sampleQi: readonly number[],
  population: readonly (readonly string[])[],
  populationQi: readonly number[],
  options: ClassOptions = {},
): { sample: EquivalenceClasses; populationSizes: Int32Array } {
  if (sampleQi.length !== populationQi.length) {
    throw new RiskInputError("the sample and the population must have the same quasi-identifiers");
  }
  const keyOf = (row: readonly string[], qi: readonly number[]) => qi.map((c) => row[c]).join("\u001f");
  const inPopulation = new Map<string, number>();
  // ARX counts suppressed population rows too (it groups the superset ignoring outliers).
  for (const row of population) {
    const key = keyOf(row, populationQi);
    inPopulation.set(key, (inPopulation.get(key) ?? 0) + 1);
  }
  const classes = equivalenceClasses(sample, sampleQi, options);
  const populationSizes = new Int32Array(classes.sizes.length);
  const seen = new Uint8Array(classes.sizes.length);
  for (let r = 0; r < sample.length; r++) {
    const id = classes.classOfRow[r]!;
    if (id < 0 || seen[id]) continue;
    seen[id] = 1;
    const size = inPopulation.get(keyOf(sample[r]!, sampleQi)) ?? 0;
    if (size < classes.sizes[id]!) {
      throw new RiskInputError(
        `row ${r + 1} of the sample: its class has ${classes.sizes[id]} records in the sample but ${size} in the population (is the sample a subset of the population?)`,
      );
    }
    populationSizes[id] = size;
  }
  return { sample: classes, populationSizes };
}
