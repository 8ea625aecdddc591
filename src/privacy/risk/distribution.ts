/**
 * The distributions a risk report charts: the share of records per risk interval, with ARX's intervals
 * (`RiskModelSampleRiskDistribution`: (low, high], from 0 to 1e-8 up to (0.5, 1]), and the number of
 * records per class-size bucket. Pure.
 */
import type { ClassSizeFrequencies } from "./classes.js";

const RISK_LOW = [
  0, 0.00000001, 0.0000001, 0.000001, 0.00001, 0.0001, 0.001, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08,
  0.09, 0.1, 0.125, 0.143, 0.167, 0.2, 0.25, 0.334, 0.5,
];
const RISK_HIGH = [...RISK_LOW.slice(1), 1];

export interface RiskBucket {
  /** Exclusive lower bound. */
  low: number;
  /** Inclusive upper bound. */
  high: number;
  /** Share of records whose risk falls in (low, high]. */
  records: number;
  /** Share of records whose risk is at most `high`. */
  cumulative: number;
}
export type RiskDistribution = RiskBucket[];

export function riskDistribution(frequencies: ClassSizeFrequencies): RiskDistribution {
  const shares = new Array<number>(RISK_HIGH.length).fill(0);
  const { sizes, counts, records } = frequencies;
  for (let i = 0; i < sizes.length; i++) {
    const risk = 1 / sizes[i]!;
    // First bound ≥ risk, as ARX's binary search.
    let index = RISK_HIGH.findIndex((high) => high >= risk);
    if (index < 0) index = RISK_HIGH.length - 1;
    shares[index]! += (counts[i]! * sizes[i]!) / records;
  }
  let cumulative = 0;
  return RISK_HIGH.map((high, i) => {
    cumulative += shares[i]!;
    return { low: RISK_LOW[i]!, high, records: shares[i]!, cumulative };
  });
}

export interface SizeBucket {
  /** Smallest class size in the bucket. */
  from: number;
  /** Largest, or null for "and above". */
  to: number | null;
  classes: number;
  records: number;
}
export type SizeDistribution = SizeBucket[];

const SIZE_BUCKETS: [number, number | null][] = [
  [1, 1],
  [2, 2],
  [3, 3],
  [4, 4],
  [5, 5],
  [6, 10],
  [11, 20],
  [21, 50],
  [51, 100],
  [101, null],
];

export function sizeDistribution(frequencies: ClassSizeFrequencies): SizeDistribution {
  const buckets = SIZE_BUCKETS.map(([from, to]) => ({ from, to, classes: 0, records: 0 }));
  const { sizes, counts } = frequencies;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!;
    const bucket = buckets.find((b) => size >= b.from && (b.to === null || size <= b.to))!;
    bucket.classes += counts[i]!;
    bucket.records += counts[i]! * size;
  }
  return buckets;
}

/** "1", "6–10", "101+". */
export function sizeBucketLabel(bucket: SizeBucket): string {
  if (bucket.to === null) return `${bucket.from}+`;
  return bucket.from === bucket.to ? `${bucket.from}` : `${bucket.from}–${bucket.to}`;
}

/** "(0.2, 0.25]" with the bounds as percentages: "20–25%". */
export function riskBucketLabel(bucket: RiskBucket): string {
  const pct = (v: number) => `${+(v * 100).toPrecision(3)}`;
  return `${pct(bucket.low)}–${pct(bucket.high)}%`;
}
