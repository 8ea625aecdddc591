import { TrainError } from "../errors.js";

/**
 * SVG charts written by hand (no browser, no DOM): a line chart and a horizontal bar chart, with a
 * title, labelled axes, a legend, and colours from the Okabe–Ito palette (told apart by people with
 * colour-vision deficiencies) on white, text in near-black.
 */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"] as const;
const INK = "#1a1a1a";
const GRID = "#d9d9d9";
const MUTED = "#767676";
const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LineSeries {
  readonly label: string;
  readonly points: readonly Point[];
  /** Draw a marker on every point (calibration bins, early-detection days). */
  readonly markers?: boolean;
  readonly dashed?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** A grey reference line (chance on ROC, perfect calibration). */
  readonly reference?: readonly [Point, Point];
  readonly referenceLabel?: string;
  readonly width?: number;
  readonly height?: number;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Drawn in grey with this note (e.g. "small group"). */
  readonly muted?: string;
}

export interface BarChartSpec {
  readonly title: string;
  readonly valueLabel: string;
  readonly bars: readonly Bar[];
  readonly domain?: readonly [number, number];
  readonly format?: (v: number) => string;
  readonly width?: number;
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/** Round numbers for axis ticks ("nice" steps of 1, 2 or 5 × 10^k). */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toFixed(10)));
  return out;
}

function formatTick(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** Coordinates to 2 decimals: smaller files, no visible loss. */
function c(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** At most `limit` points, evenly spaced by index, first and last kept: curves over 100,000 scores stay light. */
export function thin<T>(points: readonly T[], limit = 1000): readonly T[] {
  if (points.length <= limit) return points;
  const out: T[] = [];
  for (let k = 0; k < limit; k++) out.push(points[Math.round((k * (points.length - 1)) / (limit - 1))]!);
  return out;
}

function extent(values: number[], fallback: readonly [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [fallback[0], fallback[1]];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return [lo, hi];
}

export function lineChart(spec: LineChartSpec): string {
  if (spec.series.length === 0) throw new TrainError(`chart "${spec.title}": no series`);
  const width = spec.width ?? 640;
  const height = spec.height ?? 480;
  const margin = { left: 72, right: 24, top: 56, bottom: 64 + 20 * Math.ceil(spec.series.length / 2) };
  const all = spec.series.flatMap((s) => s.points);
  const [x0, x1] =
    spec.xDomain ??
    extent(
      all.map((p) => p.x),
      [0, 1],
    );
  const [y0, y1] =
    spec.yDomain ??
    extent(
      all.map((p) => p.y),
      [0, 1],
    );
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const out: string[] = [];
  out.push(open(width, height, spec.title));
  out.push(
    `<text x="${c(width / 2)}" y="32" text-anchor="middle" font-size="18" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  // Grid and ticks.
  for (const t of ticks(x0, x1, 7)) {
    out.push(
      `<line x1="${c(sx(t))}" y1="${margin.top}" x2="${c(sx(t))}" y2="${margin.top + plotH}" stroke="${GRID}"/>`,
    );
    out.push(
      `<text x="${c(sx(t))}" y="${margin.top + plotH + 18}" text-anchor="middle" font-size="12">${formatTick(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    out.push(
      `<line x1="${margin.left}" y1="${c(sy(t))}" x2="${margin.left + plotW}" y2="${c(sy(t))}" stroke="${GRID}"/>`,
    );
    out.push(
      `<text x="${margin.left - 8}" y="${c(sy(t) + 4)}" text-anchor="end" font-size="12">${formatTick(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="${INK}"/>`,
  );
  out.push(
    `<text x="${c(margin.left + plotW / 2)}" y="${margin.top + plotH + 40}" text-anchor="middle" font-size="14">${escapeXml(spec.xLabel)}</text>`,
  );
  out.push(
    `<text x="18" y="${c(margin.top + plotH / 2)}" text-anchor="middle" font-size="14" transform="rotate(-90 18 ${c(margin.top + plotH / 2)})">${escapeXml(spec.yLabel)}</text>`,
  );
  if (spec.reference) {
    const [a, b] = spec.reference;
    out.push(
      `<line class="reference" x1="${c(sx(a.x))}" y1="${c(sy(a.y))}" x2="${c(sx(b.x))}" y2="${c(sy(b.y))}" stroke="${MUTED}" stroke-dasharray="4 4"/>`,
    );
  }
  out.push(`<g clip-path="url(#plot)">`);
  spec.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const pts = thin(s.points);
    const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${c(sx(p.x))},${c(sy(p.y))}`).join(" ");
    out.push(
      `<path class="series" data-label="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="8 4"' : ""}/>`,
    );
    if (s.markers) {
      for (const p of pts) out.push(`<circle cx="${c(sx(p.x))}" cy="${c(sy(p.y))}" r="4" fill="${color}"/>`);
    }
  });
  out.push("</g>");
  out.push(
    `<defs><clipPath id="plot"><rect x="${margin.left - 4}" y="${margin.top - 4}" width="${plotW + 8}" height="${plotH + 8}"/></clipPath></defs>`,
  );
  // Legend below the plot, two entries a row.
  const legend: { label: string; color: string; dashed: boolean }[] = spec.series.map((s, k) => ({
    label: s.label,
    color: PALETTE[k % PALETTE.length]!,
    dashed: false,
  }));
  if (spec.reference && spec.referenceLabel)
    legend.push({ label: spec.referenceLabel, color: MUTED, dashed: true });
  legend.forEach((entry, k) => {
    const x = margin.left + (k % 2) * (plotW / 2);
    const y = margin.top + plotH + 62 + Math.floor(k / 2) * 20;
    out.push(
      `<line x1="${c(x)}" y1="${y - 4}" x2="${c(x + 24)}" y2="${y - 4}" stroke="${entry.color}" stroke-width="2.5"${entry.dashed ? ' stroke-dasharray="4 4"' : ""}/>`,
    );
    out.push(`<text x="${c(x + 30)}" y="${y}" font-size="13">${escapeXml(entry.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

export function barChart(spec: BarChartSpec): string {
  if (spec.bars.length === 0) throw new TrainError(`chart "${spec.title}": no bar`);
  const width = spec.width ?? 640;
  const rowH = 28;
  const margin = { left: 170, right: 80, top: 56, bottom: 56 };
  const height = margin.top + margin.bottom + rowH * spec.bars.length;
  const values = spec.bars.map((b) => b.value);
  const [v0, v1] = spec.domain ?? [Math.min(0, ...values), Math.max(0, ...values)];
  const span = v1 > v0 ? v1 - v0 : 1;
  // Room left of the lowest negative bar for its value, clear of the bar labels.
  const lo = !spec.domain && v0 < 0 ? v0 - 0.25 * span : v0;
  const hi = v1 > v0 ? v1 : v0 + 1;
  const plotW = width - margin.left - margin.right;
  const sx = (v: number) => margin.left + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * plotW;
  const format = spec.format ?? ((v: number) => formatTick(Number(v.toPrecision(3))));
  const out: string[] = [open(width, height, spec.title)];
  out.push(
    `<text x="${c(width / 2)}" y="32" text-anchor="middle" font-size="18" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  const plotBottom = margin.top + rowH * spec.bars.length;
  for (const t of ticks(lo, hi)) {
    out.push(
      `<line x1="${c(sx(t))}" y1="${margin.top}" x2="${c(sx(t))}" y2="${plotBottom}" stroke="${GRID}"/>`,
    );
    out.push(
      `<text x="${c(sx(t))}" y="${plotBottom + 18}" text-anchor="middle" font-size="12">${formatTick(t)}</text>`,
    );
  }
  out.push(
    `<text x="${c(margin.left + plotW / 2)}" y="${plotBottom + 40}" text-anchor="middle" font-size="14">${escapeXml(spec.valueLabel)}</text>`,
  );
  const zero = sx(Math.max(lo, Math.min(hi, 0)));
  spec.bars.forEach((bar, k) => {
    const y = margin.top + k * rowH + 4;
    const color = bar.muted ? "#bdbdbd" : bar.value < 0 ? PALETTE[1] : PALETTE[0];
    const a = Math.min(zero, sx(bar.value));
    const w = Math.abs(sx(bar.value) - zero);
    out.push(
      `<text x="${margin.left - 8}" y="${y + 15}" text-anchor="end" font-size="13">${escapeXml(bar.label)}</text>`,
    );
    out.push(
      `<rect class="bar" data-label="${escapeXml(bar.label)}" data-value="${bar.value}" x="${c(a)}" y="${y}" width="${c(w)}" height="${rowH - 8}" fill="${color}"/>`,
    );
    const note = bar.muted ? `${format(bar.value)} (${bar.muted})` : format(bar.value);
    const tx = bar.value < 0 ? a - 6 : a + w + 6;
    out.push(
      `<text x="${c(tx)}" y="${y + 15}" text-anchor="${bar.value < 0 ? "end" : "start"}" font-size="12"${bar.muted ? ` fill="${MUTED}"` : ""}>${escapeXml(note)}</text>`,
    );
  });
  out.push(`<line x1="${c(zero)}" y1="${margin.top}" x2="${c(zero)}" y2="${plotBottom}" stroke="${INK}"/>`);
  out.push("</svg>");
  return out.join("\n");
}

function open(width: number, height: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="${INK}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ].join("\n");
}
