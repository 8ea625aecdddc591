import { TrainError } from "./errors.js";
import { gaussian, seededRandom } from "./random.js";
import type { FeatureTable } from "./table.js";

/**
 * A seeded binary-classification table for benchmarks and tests (default 100,000 × 50): a linear
 * signal on the first ten features, an interaction, a threshold and a sine that a linear model
 * cannot take, two small-integer features, 5 % missing values in two columns, and pure noise in the
 * rest. About 30 % positives. Same seed → same table.
 */
export interface SyntheticOptions {
  readonly rows?: number;
  readonly features?: number;
  readonly seed?: number;
}

export interface SyntheticTable {
  readonly table: FeatureTable;
  readonly labels: Uint8Array;
}

export function syntheticTable(options: SyntheticOptions = {}): SyntheticTable {
  const rows = options.rows ?? 100_000;
  const p = options.features ?? 50;
  const seed = options.seed ?? 1;
  if (!(Number.isInteger(rows) && rows >= 2)) throw new TrainError("synthetic.rows: an integer ≥ 2");
  if (!(Number.isInteger(p) && p >= 16)) throw new TrainError("synthetic.features: an integer ≥ 16");
  const random = seededRandom(seed);
  const columns = Array.from({ length: p }, () => new Float64Array(rows));
  const labels = new Uint8Array(rows);
  const weights = [1.2, -0.9, 0.7, -0.6, 0.5, 0.45, -0.4, 0.3, -0.25, 0.2];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < p; j++) columns[j]![i] = gaussian(random);
    // Correlated pair: feature 15 echoes feature 0.
    columns[15]![i] = 0.8 * columns[0]![i]! + 0.6 * columns[15]![i]!;
    // Small-integer features (counts of something).
    columns[13]![i] = Math.floor(random() * 6);
    columns[14]![i] = Math.floor(random() * 3);
    let logit = -1.1;
    weights.forEach((w, j) => {
      logit += w * columns[j]![i]!;
    });
    logit += 1.1 * columns[10]![i]! * columns[11]![i]!;
    logit += 1.0 * Math.sin(2 * columns[12]![i]!);
    logit += columns[13]![i]! >= 4 ? 0.9 : 0;
    logit += columns[14]![i] === 1 ? -0.6 : 0;
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    // Missing values after the label is drawn: the model must route them.
    if (random() < 0.05) columns[1]![i] = Number.NaN;
    if (random() < 0.05) columns[10]![i] = Number.NaN;
  }
  const names = Array.from({ length: p }, (_, j) => `x${String(j).padStart(2, "0")}`);
  return { table: { names, columns, rows }, labels };
}
