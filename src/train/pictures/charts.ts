import type { EarlyDetectionCurve } from "../evaluate/early.js";
import type { GroupReport } from "../evaluate/groups.js";
import type { Calibration, PrPoint, RocPoint } from "../evaluate/metrics.js";
import { barChart, lineChart } from "./svg.js";

/** The pictures a model card carries, each an SVG string. */

const three = (v: number) => v.toFixed(3);

export function rocSvg(
  curves: readonly { label: string; points: readonly RocPoint[]; auc: number }[],
  title = "ROC curve",
): string {
  return lineChart({
    title,
    xLabel: "False positive rate",
    yLabel: "True positive rate",
    xDomain: [0, 1],
    yDomain: [0, 1],
    reference: [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
    ],
    referenceLabel: "chance",
    series: curves.map((c) => ({
      label: `${c.label} (AUC ${three(c.auc)})`,
      points: c.points.map((p) => ({ x: p.fpr, y: p.tpr })),
    })),
  });
}

export function prSvg(
  curves: readonly { label: string; points: readonly PrPoint[]; averagePrecision: number }[],
  prevalence?: number,
  title = "Precision–recall curve",
): string {
  return lineChart({
    title,
    xLabel: "Recall",
    yLabel: "Precision",
    xDomain: [0, 1],
    yDomain: [0, 1],
    ...(prevalence === undefined
      ? {}
      : {
          reference: [
            { x: 0, y: prevalence },
            { x: 1, y: prevalence },
          ] as const,
          referenceLabel: `prevalence ${three(prevalence)}`,
        }),
    series: curves.map((c) => ({
      label: `${c.label} (AP ${three(c.averagePrecision)})`,
      points: c.points.map((p) => ({ x: p.recall, y: p.precision })),
    })),
  });
}

export function calibrationSvg(
  curves: readonly { label: string; calibration: Calibration }[],
  title = "Calibration",
): string {
  return lineChart({
    title,
    xLabel: "Mean predicted probability",
    yLabel: "Observed share of positives",
    xDomain: [0, 1],
    yDomain: [0, 1],
    reference: [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
    ],
    referenceLabel: "perfect calibration",
    series: curves.map((c) => ({
      label: `${c.label} (ECE ${three(c.calibration.ece)})`,
      markers: true,
      points: c.calibration.bins.map((b) => ({ x: b.predicted, y: b.observed })),
    })),
  });
}

export function earlyDetectionSvg(
  curves: readonly { label: string; curve: EarlyDetectionCurve }[],
  title = "Early detection: AUC by cut-off day",
): string {
  const aucs = curves.flatMap((c) => c.curve.points.map((p) => p.auc));
  const low = Math.min(0.5, ...aucs);
  return lineChart({
    title,
    xLabel: "Cut-off day",
    yLabel: "ROC-AUC",
    yDomain: [Math.floor(low * 10) / 10, 1],
    series: curves.map((c) => ({
      label: c.label,
      markers: true,
      points: c.curve.points.map((p) => ({ x: p.day, y: p.auc })),
    })),
  });
}

/** One attribute's groups, by AUC (or another metric); small groups in grey, marked. */
export function fairnessSvg(
  report: GroupReport,
  metric: "auc" | "averagePrecision" | "brier" = "auc",
): string {
  const names = { auc: "ROC-AUC", averagePrecision: "Average precision", brier: "Brier score" } as const;
  const gap = report.gaps.find((g) => g.metric === metric);
  return barChart({
    title: `${names[metric]} by ${report.attribute}${gap ? ` (largest gap ${three(gap.value)})` : ""}`,
    valueLabel: names[metric],
    domain: metric === "brier" ? undefined : [0, 1],
    format: three,
    bars: report.groups
      .filter((g) => g[metric] !== null)
      .map((g) => ({
        label: `${g.group} (n=${g.n})`,
        value: g[metric]!,
        ...(g.small ? { muted: `below ${report.minSize}` } : {}),
      })),
  });
}

/** Across attributes: each one's largest gap in a metric between its (not small) groups. */
export function fairnessGapsSvg(
  reports: readonly GroupReport[],
  metric: "auc" | "averagePrecision" | "brier" = "auc",
): string {
  const names = { auc: "ROC-AUC", averagePrecision: "average precision", brier: "Brier score" } as const;
  return barChart({
    title: `Largest ${names[metric]} gap between groups`,
    valueLabel: `Highest − lowest group ${names[metric]}`,
    format: three,
    bars: reports.map((r) => {
      const gap = r.gaps.find((g) => g.metric === metric);
      return gap
        ? { label: r.attribute, value: gap.value }
        : { label: r.attribute, value: 0, muted: "fewer than two groups to compare" };
    }),
  });
}

/** The cold-start study: per provider, the AUC gained by training on the pool instead of its own data. */
export function coldStartSvg(
  rows: readonly { provider: string; own: number; pooled: number }[],
  title = "Cold start: AUC gain from pooling",
): string {
  return barChart({
    title,
    valueLabel: "AUC (pooled) − AUC (own data only)",
    format: (v) => (v >= 0 ? "+" : "") + v.toFixed(3),
    bars: rows.map((r) => ({ label: r.provider, value: r.pooled - r.own })),
  });
}
