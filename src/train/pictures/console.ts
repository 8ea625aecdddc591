import { TrainError } from "../errors.js";
import type { Point } from "./svg.js";

/** Text renditions for terminals: a sparkline, and a small scatter of a curve on a character grid. */
const BLOCKS = "▁▂▃▄▅▆▇█";

export function sparkline(values: readonly number[], domain?: readonly [number, number]): string {
  if (values.length === 0) return "";
  const lo = domain?.[0] ?? Math.min(...values);
  const hi = domain?.[1] ?? Math.max(...values);
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return " ";
      const t = hi > lo ? (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo) : 0.5;
      return BLOCKS[Math.round(t * (BLOCKS.length - 1))];
    })
    .join("");
}

export interface AsciiSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly points: readonly Point[];
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

/** The curve's points as "•" on a width × height grid, with the y range on the left and x below. */
export function asciiCurve(spec: AsciiSpec): string {
  const width = spec.width ?? 48;
  const height = spec.height ?? 12;
  if (width < 8 || height < 4) throw new TrainError("asciiCurve: at least 8 × 4 characters");
  if (spec.points.length === 0) throw new TrainError(`asciiCurve "${spec.title}": no point`);
  const xs = spec.points.map((p) => p.x);
  const ys = spec.points.map((p) => p.y);
  const [x0, x1] = spec.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = spec.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => " "));
  for (const p of spec.points) {
    const cx = x1 > x0 ? Math.round(((p.x - x0) / (x1 - x0)) * (width - 1)) : 0;
    const cy = y1 > y0 ? Math.round(((p.y - y0) / (y1 - y0)) * (height - 1)) : 0;
    if (cx < 0 || cx >= width || cy < 0 || cy >= height) continue;
    grid[height - 1 - cy]![cx] = "•";
  }
  const label = (v: number) => String(Number(v.toPrecision(3))).padStart(6);
  const lines = [`${spec.title}  (y: ${spec.yLabel})`];
  grid.forEach((row, r) => {
    const edge = r === 0 ? label(y1) : r === height - 1 ? label(y0) : " ".repeat(6);
    lines.push(`${edge} │${row.join("")}`);
  });
  lines.push(`${" ".repeat(6)} └${"─".repeat(width)}`);
  const left = String(Number(x0.toPrecision(3)));
  const right = String(Number(x1.toPrecision(3)));
  lines.push(`${" ".repeat(8)}${left}${" ".repeat(Math.max(1, width - left.length - right.length))}${right}`);
  lines.push(`${" ".repeat(8)}${spec.xLabel}`);
  return lines.join("\n");
}
