import { TrainError } from "../errors.js";
import { rocAuc } from "./metrics.js";

/**
 * The early-detection curve: how well a risk can be told apart at each cut-off day (a model
 * trained and evaluated on what was known by that day). The claim "early detection is possible"
 * reads off this series.
 */
export interface EarlyDetectionPoint {
  readonly day: number;
  readonly auc: number;
  /** Learners evaluated at that day, when known. */
  readonly n?: number;
}

export interface EarlyDetectionCurve {
  readonly points: EarlyDetectionPoint[];
  /** The best point (earliest among equals). */
  readonly best: EarlyDetectionPoint;
}

/** Checks and orders AUC-per-day points into the series. */
export function earlyDetectionCurve(points: readonly EarlyDetectionPoint[]): EarlyDetectionCurve {
  if (points.length === 0) throw new TrainError("earlyDetectionCurve: no point");
  const seen = new Set<number>();
  points.forEach((p, k) => {
    if (!(Number.isInteger(p.day) && p.day >= 0))
      throw new TrainError(`earlyDetectionCurve[${k}].day: an integer ≥ 0`);
    if (seen.has(p.day)) throw new TrainError(`earlyDetectionCurve[${k}].day: day ${p.day} appears twice`);
    seen.add(p.day);
    if (!(p.auc >= 0 && p.auc <= 1)) throw new TrainError(`earlyDetectionCurve[${k}].auc: must be in [0, 1]`);
  });
  const sorted = [...points].sort((a, b) => a.day - b.day);
  const best = sorted.reduce((b, p) => (p.auc > b.auc ? p : b));
  return { points: sorted, best };
}

/** The series from each cut-off day's scores and labels. */
export function earlyDetectionFromScores(
  byDay: readonly { day: number; scores: ArrayLike<number>; labels: ArrayLike<number> }[],
): EarlyDetectionCurve {
  return earlyDetectionCurve(
    byDay.map((d) => ({ day: d.day, auc: rocAuc(d.scores, d.labels), n: d.labels.length })),
  );
}

/** The first cut-off day whose AUC reaches the target, or null. */
export function firstDayReaching(curve: EarlyDetectionCurve, target: number): number | null {
  return curve.points.find((p) => p.auc >= target)?.day ?? null;
}
