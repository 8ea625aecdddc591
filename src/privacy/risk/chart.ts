/**
 * Charts of a risk profile, for the terminal (text bars) and for reports (a self-contained SVG string,
 * built here without any dependency): the share of records per class size and per risk interval, and,
 * given a second profile, the two side by side (before / after anonymization). Pure.
 */
import { riskBucketLabel, sizeBucketLabel } from "./distribution.js";
import type { RiskProfile } from "./sample.js";

/** One chart: labelled rows, one bar per series in each row, values are shares in [0, 1]. */
export interface ChartData {
  title: string;
  series: string[];
  rows: { label: string; values: number[] }[];
}

/** Records by class size, then by risk interval; one series per profile given. */
export function riskCharts(profiles: { name: string; profile: RiskProfile }[]): ChartData[] {
  const series = profiles.map((p) => p.name);
  const first = profiles[0]?.profile;
  if (!first) return [];
  const bySize: ChartData = {
    title: "Records by equivalence-class size",
    series,
    rows: first.sizeDistribution.map((bucket, i) => ({
      label: sizeBucketLabel(bucket),
      values: profiles.map(({ profile }) =>
        profile.records === 0 ? 0 : profile.sizeDistribution[i]!.records / profile.records,
      ),
    })),
  };
  // Risk intervals that hold no record in any profile are left out; the rest stay in order.
  const byRisk: ChartData = {
    title: "Records by prosecutor risk",
    series,
    rows: first.riskDistribution
      .map((bucket, i) => ({
        label: riskBucketLabel(bucket),
        values: profiles.map(({ profile }) => profile.riskDistribution[i]!.records),
      }))
      .filter((row) => row.values.some((v) => v > 0)),
  };
  const summary: ChartData = {
    title: "Risk measures",
    series,
    rows: [
      ["prosecutor, average", (p: RiskProfile) => p.prosecutor.averageRisk],
      ["prosecutor, highest", (p: RiskProfile) => p.prosecutor.highestRisk],
      ["records at risk", (p: RiskProfile) => p.prosecutor.recordsAtRisk],
      ["journalist, average", (p: RiskProfile) => p.journalist.averageRisk],
      ["marketer", (p: RiskProfile) => p.marketer.averageRisk],
      ["sample uniqueness", (p: RiskProfile) => p.sampleUniqueness],
      ["population uniqueness", (p: RiskProfile) => p.populationUniqueness?.fractions.dankar ?? Number.NaN],
    ].map(([label, get]) => ({
      label: label as string,
      values: profiles.map(({ profile }) => (get as (p: RiskProfile) => number)(profile)),
    })),
  };
  summary.rows = summary.rows.filter((row) => row.values.every((v) => !Number.isNaN(v)));
  return [summary, bySize, byRisk];
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** Text bars, `width` characters for 100%; one line per row and series. */
export function chartText(chart: ChartData, width = 40): string {
  const labelWidth = Math.max(...chart.rows.map((r) => r.label.length), 5);
  const seriesWidth = chart.series.length > 1 ? Math.max(...chart.series.map((s) => s.length)) + 1 : 0;
  const marks = ["█", "▒", "░"];
  const lines = [chart.title];
  for (const row of chart.rows) {
    row.values.forEach((value, s) => {
      const label = s === 0 ? row.label.padStart(labelWidth) : " ".repeat(labelWidth);
      const name = seriesWidth ? ` ${chart.series[s]!.padEnd(seriesWidth - 1)}` : "";
      const bar = marks[s % marks.length]!.repeat(Math.round(Math.min(1, Math.max(0, value)) * width));
      lines.push(`${label}${name} │${bar} ${pct(value)}`);
    });
  }
  return lines.join("\n");
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`);

/** A tiny builder: elements with escaped attributes and text. */
function element(name: string, attributes: Record<string, string | number>, content = ""): string {
  const attrs = Object.entries(attributes)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join("");
  return content === "" ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

const COLORS = ["#c0392b", "#2471a3", "#7d8c8d"];

/** The charts stacked in one SVG document: horizontal bars, percentages beside them, a legend. */
export function chartsSvg(charts: ChartData[], options: { width?: number } = {}): string {
  const width = options.width ?? 640;
  const labelWidth = 150;
  const barArea = width - labelWidth - 70;
  const barHeight = 12;
  const font = 'font-family="sans-serif" font-size="11"';
  const parts: string[] = [];
  let y = 10;
  for (const chart of charts) {
    parts.push(element("text", { x: 10, y: y + 14, "font-weight": "bold" }, escapeXml(chart.title)));
    y += 24;
    if (chart.series.length > 1) {
      let x = labelWidth;
      chart.series.forEach((name, s) => {
        parts.push(element("rect", { x, y, width: 10, height: 10, fill: COLORS[s % COLORS.length]! }));
        parts.push(element("text", { x: x + 14, y: y + 9 }, escapeXml(name)));
        x += 20 + name.length * 7;
      });
      y += 18;
    }
    for (const row of chart.rows) {
      parts.push(
        element("text", { x: labelWidth - 6, y: y + 10, "text-anchor": "end" }, escapeXml(row.label)),
      );
      row.values.forEach((value, s) => {
        const w = Math.max(0, Math.min(1, value)) * barArea;
        parts.push(
          element("rect", {
            x: labelWidth,
            y,
            width: w.toFixed(1),
            height: barHeight,
            fill: COLORS[s % COLORS.length]!,
          }),
        );
        parts.push(element("text", { x: labelWidth + w + 4, y: y + 10 }, pct(value)));
        y += barHeight + 2;
      });
      y += 4;
    }
    y += 10;
  }
  const body = parts.join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" ${font}>${element("rect", { width: "100%", height: "100%", fill: "white" })}${body}</svg>`;
}
