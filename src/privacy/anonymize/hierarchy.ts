/**
 * Generalization hierarchies: one row per original value, level 0 first, the last level usually `*`.
 * Owns reading ARX's CSV layout (`<dir>/*hierarchy_<attr>.csv`, `;`-separated, no header), checking a
 * hierarchy against the data (every value has a row, every row the same depth), and building
 * hierarchies from rules: intervals (nested bands), dates (day → month → year), masking (one more
 * trailing character per level) and ordered groupings (a fanout per level).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export class HierarchyError extends Error {}

/** A hierarchy of one attribute: `rows[i][level]` is the value of row i at that level. */
export interface Hierarchy {
  attribute: string;
  rows: string[][];
}

export function hierarchyDepth(h: Hierarchy): number {
  return h.rows[0]?.length ?? 0;
}

/** Parses ARX's hierarchy CSV (`;`-separated, no header, no quoting in ARX's files). */
export function parseHierarchyCsv(attribute: string, text: string, source = attribute): Hierarchy {
  const rows: string[][] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    rows.push(line.split(";"));
  }
  if (rows.length === 0) throw new HierarchyError(`${source}: the hierarchy of ${attribute} is empty`);
  const depth = rows[0]!.length;
  const seen = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.length !== depth) {
      throw new HierarchyError(
        `${source}: row ${i + 1} (${row[0]}) has ${row.length} levels, the first row has ${depth}: every row must have the same depth`,
      );
    }
    if (seen.has(row[0]!)) throw new HierarchyError(`${source}: value ${row[0]} has two rows (row ${i + 1})`);
    seen.add(row[0]!);
  }
  return { attribute, rows };
}

/** Finds `<dir>/*hierarchy_<attribute>.csv` and reads it. */
export function readHierarchy(dir: string, attribute: string): Hierarchy {
  const suffix = `hierarchy_${attribute}.csv`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new HierarchyError(`hierarchies folder ${dir}: ${(error as Error).message}`);
  }
  const found = names.filter((n) => n.endsWith(suffix));
  if (found.length === 0) throw new HierarchyError(`no file *${suffix} in ${dir} for attribute ${attribute}`);
  if (found.length > 1) throw new HierarchyError(`several files *${suffix} in ${dir}: ${found.join(", ")}`);
  const path = join(dir, found[0]!);
  return parseHierarchyCsv(attribute, readFileSync(path, "utf8"), path);
}

/** Checks that every value of the data has a row; the rows' depth was checked when parsed. */
export function checkHierarchyCovers(h: Hierarchy, values: Iterable<string>): void {
  const known = new Set(h.rows.map((r) => r[0]!));
  const missing: string[] = [];
  for (const v of values) if (!known.has(v)) missing.push(v);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((v) => JSON.stringify(v));
    throw new HierarchyError(
      `the hierarchy of ${h.attribute} has no row for ${missing.length} value(s) of the data: ${shown.join(", ")}${missing.length > 5 ? ", …" : ""}`,
    );
  }
}

// ---- builders -------------------------------------------------------------------------------------

/**
 * Nested intervals over integers: `widths` like [5, 10, 20] give bands `0-4`, `0-9`, `0-19` (each a
 * multiple of the one below so that bands nest), then `*`. Values that are not integers are an error.
 */
export function intervalHierarchy(attribute: string, values: Iterable<string>, widths: number[]): Hierarchy {
  for (let i = 1; i < widths.length; i++) {
    if (widths[i]! % widths[i - 1]! !== 0) {
      throw new HierarchyError(
        `interval widths of ${attribute} must nest: ${widths[i]} is not a multiple of ${widths[i - 1]}`,
      );
    }
  }
  const rows: string[][] = [];
  for (const v of new Set(values)) {
    const x = Number(v);
    if (v.trim() === "" || !Number.isInteger(x))
      throw new HierarchyError(`${attribute}: ${JSON.stringify(v)} is not an integer`);
    const row = [v];
    for (const w of widths) {
      const lo = Math.floor(x / w) * w;
      row.push(`${lo}-${lo + w - 1}`);
    }
    row.push("*");
    rows.push(row);
  }
  return { attribute, rows };
}

/** Dates `YYYY-MM-DD` (or any ISO date-time): day → `YYYY-MM` → `YYYY` → `*`. */
export function dateHierarchy(attribute: string, values: Iterable<string>): Hierarchy {
  const rows: string[][] = [];
  for (const v of new Set(values)) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
    if (!m) throw new HierarchyError(`${attribute}: ${JSON.stringify(v)} is not a date YYYY-MM-DD`);
    rows.push([v, `${m[1]}-${m[2]}`, m[1]!, "*"]);
  }
  return { attribute, rows };
}

/**
 * Masking from the right: level i replaces the last i characters by `*` (postcodes: 75011 → 7501* →
 * 750** …), up to `levels` masked characters (default: the longest value's length), then `*`.
 */
export function maskingHierarchy(attribute: string, values: Iterable<string>, levels?: number): Hierarchy {
  const distinct = [...new Set(values)];
  const longest = distinct.reduce((m, v) => Math.max(m, v.length), 0);
  const depth = Math.min(levels ?? longest, longest);
  const rows = distinct.map((v) => {
    const row = [v];
    for (let i = 1; i <= depth; i++) {
      const keep = Math.max(0, v.length - i);
      row.push(v.slice(0, keep) + "*".repeat(v.length - keep));
    }
    if (row[row.length - 1] !== "*") row.push("*");
    return row;
  });
  // Values shorter than the longest stop masking early: pad them to the same depth with `*`.
  const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
  for (const r of rows) while (r.length < width) r.splice(r.length - 1, 0, "*");
  return { attribute, rows };
}

/**
 * Ordered groupings: values in the given order (or sorted: numerically when all are numbers) are cut
 * into groups of `fanouts[0]` consecutive values, those groups into groups of `fanouts[1]`, and so on;
 * a group is labelled `first-last` (`first` alone when it holds one value), then `*`.
 */
export function orderedHierarchy(
  attribute: string,
  values: Iterable<string>,
  fanouts: number[],
  order?: string[],
): Hierarchy {
  const distinct = [...new Set(values)];
  let ordered: string[];
  if (order) {
    const missing = distinct.filter((v) => !order.includes(v));
    if (missing.length > 0)
      throw new HierarchyError(`${attribute}: the order lacks ${missing.slice(0, 5).join(", ")}`);
    ordered = order.filter((v) => distinct.includes(v));
  } else {
    const numeric = distinct.every((v) => v.trim() !== "" && Number.isFinite(Number(v)));
    ordered = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  }
  const rows = ordered.map((v) => [v]);
  let groupSize = 1;
  for (const f of fanouts) {
    if (!(f >= 2 && Number.isInteger(f)))
      throw new HierarchyError(`${attribute}: fanout ${f} must be an integer ≥ 2`);
    groupSize *= f;
    for (let start = 0; start < ordered.length; start += groupSize) {
      const end = Math.min(start + groupSize, ordered.length) - 1;
      const label = start === end ? ordered[start]! : `${ordered[start]}-${ordered[end]}`;
      for (let i = start; i <= end; i++) rows[i]!.push(label);
    }
  }
  for (const r of rows) r.push("*");
  return { attribute, rows };
}

/** Writes a hierarchy in ARX's CSV layout. */
export function hierarchyToCsv(h: Hierarchy): string {
  return h.rows.map((r) => r.join(";")).join("\n") + "\n";
}
