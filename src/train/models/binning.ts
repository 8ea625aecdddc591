import type { FeatureTable } from "../table.js";

/** The code a missing value (NaN) gets: a bin of its own, whose direction each split learns. */
export const MISSING_BIN = 255;
/** The threshold of a split that sends every present value left (and missing ones right). */
export const ALL_PRESENT = 3.4028234663852886e38;

/**
 * Quantile bins per feature: `edges[f]` are float32 thresholds, increasing; a value v falls in the
 * first bin b with fround(v) ≤ edges[f][b], or in the last bin (edges.length) when above them all.
 * Thresholds are float32 so that the trees give the same answers on float32 input (ONNX) as here.
 */
export function quantileEdges(column: Float64Array, maxBins: number): Float32Array {
  let present = 0;
  for (let i = 0; i < column.length; i++) if (!Number.isNaN(column[i]!)) present++;
  const sorted = new Float64Array(present);
  let k = 0;
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    if (!Number.isNaN(v)) sorted[k++] = Math.fround(v);
  }
  sorted.sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length && distinct.length <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  }
  const edges: number[] = [];
  const push = (edge: number) => {
    const e = Math.fround(edge);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  };
  if (distinct.length <= maxBins) {
    // Few values: one bin each, cut half-way between neighbours.
    for (let i = 0; i + 1 < distinct.length; i++) push((distinct[i]! + distinct[i + 1]!) / 2);
    return Float32Array.from(edges);
  }
  for (let b = 1; b < maxBins; b++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((b * sorted.length) / maxBins))]!;
    if (v < sorted[sorted.length - 1]!) push(v);
  }
  return Float32Array.from(edges);
}

/**
 * Bin codes, one byte each, a column per feature: a histogram pass then works on one feature's
 * 256 slots at a time, which stay in the L1 cache.
 */
export function binTable(table: FeatureTable, edges: readonly Float32Array[]): Uint8Array[] {
  return table.columns.map((column, f) => {
    const e = edges[f]!;
    const size = e.length;
    const out = new Uint8Array(table.rows);
    for (let i = 0; i < table.rows; i++) {
      const value = column[i]!;
      if (Number.isNaN(value)) {
        out[i] = MISSING_BIN;
        continue;
      }
      // First edge ≥ fround(v), by binary search.
      const v = Math.fround(value);
      let lo = 0;
      let hi = size;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v <= e[mid]!) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  });
}
