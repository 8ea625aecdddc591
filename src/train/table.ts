import { TrainError } from "./errors.js";

/**
 * A numeric table for training: one Float64Array per feature (column-major, so that binning and
 * standardization read a column at a time), NaN for a missing value, and 0/1 labels beside it.
 */
export interface FeatureTable {
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
  readonly rows: number;
}

/** Checks the table's shape and names; every model and metric relies on it. */
export function checkTable(table: FeatureTable, where = "table"): void {
  if (table.names.length === 0) throw new TrainError(`${where}: no feature`);
  if (table.names.length !== table.columns.length) {
    throw new TrainError(`${where}: ${table.names.length} names for ${table.columns.length} columns`);
  }
  const seen = new Set<string>();
  table.names.forEach((name, j) => {
    if (name === "") throw new TrainError(`${where}: feature ${j} has an empty name`);
    if (seen.has(name)) throw new TrainError(`${where}: feature name "${name}" appears twice`);
    seen.add(name);
    const column = table.columns[j]!;
    if (column.length !== table.rows) {
      throw new TrainError(`${where}: column "${name}" has ${column.length} rows, expected ${table.rows}`);
    }
    for (let i = 0; i < column.length; i++) {
      const v = column[i]!;
      if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
        throw new TrainError(`${where}: column "${name}" row ${i} is infinite`);
      }
    }
  });
}

/** Checks a table to predict on carries the model's features, in the model's order. */
export function checkFeatures(names: readonly string[], table: FeatureTable): void {
  checkTable(table, "prediction table");
  if (names.length !== table.names.length || names.some((name, j) => table.names[j] !== name)) {
    throw new TrainError(
      `prediction table: features [${table.names.join(", ")}] differ from the model's [${names.join(", ")}]`,
    );
  }
}

/** Checks labels are 0/1, one per row, and (for training) that both classes occur. */
export function checkLabels(
  labels: ArrayLike<number>,
  rows: number,
  where = "labels",
  bothClasses = true,
): void {
  if (labels.length !== rows) throw new TrainError(`${where}: ${labels.length} labels for ${rows} rows`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new TrainError(`${where}: row ${i} is ${String(y)}, expected 0 or 1`);
    positives += y;
  }
  if (bothClasses && (positives === 0 || positives === rows)) {
    throw new TrainError(`${where}: only one class present (${positives} positives of ${rows})`);
  }
}

/** A table from row arrays (tests, small inputs); null or undefined become missing. */
export function tableFromRows(
  names: readonly string[],
  rows: readonly (readonly (number | null | undefined)[])[],
): FeatureTable {
  const columns = names.map(() => new Float64Array(rows.length));
  rows.forEach((row, i) => {
    if (row.length !== names.length) {
      throw new TrainError(`rows: row ${i} has ${row.length} values, expected ${names.length}`);
    }
    row.forEach((v, j) => {
      columns[j]![i] = v ?? Number.NaN;
    });
  });
  const table = { names: [...names], columns, rows: rows.length };
  checkTable(table, "rows");
  return table;
}

/** The rows at `indices`, in that order (train/validation/test cuts of one table). */
export function selectRows(table: FeatureTable, indices: ArrayLike<number>): FeatureTable {
  const columns = table.columns.map((column) => {
    const out = new Float64Array(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = column[indices[k]!]!;
    return out;
  });
  return { names: table.names, columns, rows: indices.length };
}

/** Class weights: explicit, or "balanced" (each class weighs half of the total). */
export type ClassWeights = "balanced" | { readonly negative: number; readonly positive: number };

export function rowWeights(labels: ArrayLike<number>, classWeights: ClassWeights | undefined): Float64Array {
  const w = new Float64Array(labels.length);
  let wNeg = 1;
  let wPos = 1;
  if (classWeights === "balanced") {
    let positives = 0;
    for (let i = 0; i < labels.length; i++) positives += labels[i]!;
    const n = labels.length;
    wPos = positives > 0 ? n / (2 * positives) : 1;
    wNeg = n - positives > 0 ? n / (2 * (n - positives)) : 1;
  } else if (classWeights) {
    for (const [key, v] of Object.entries(classWeights)) {
      if (!(Number.isFinite(v) && v > 0))
        throw new TrainError(`classWeights.${key}: must be a positive number`);
    }
    wNeg = classWeights.negative;
    wPos = classWeights.positive;
  }
  for (let i = 0; i < labels.length; i++) w[i] = labels[i] === 1 ? wPos : wNeg;
  return w;
}
