/**
 * The table to anonymize, encoded for speed: attribute roles (identifying → dropped, quasi-identifying,
 * sensitive, insensitive), each quasi-identifier dictionary-encoded to ints with, per hierarchy level,
 * the generalized code of every row (so that evaluating a transformation touches typed arrays only),
 * the frequency of each generalized value and its domain share (for the loss metric).
 */
import { parse as parseCsv } from "csv-parse/sync";
import { checkHierarchyCovers, type Hierarchy, HierarchyError } from "./hierarchy.js";

export class DatasetError extends Error {}

export interface Table {
  header: string[];
  rows: string[][];
}

/** Chooses `;` or `,` from the header line: the one that occurs more often. */
export function detectDelimiter(text: string): string {
  const end = text.indexOf("\n");
  const first = end < 0 ? text : text.slice(0, end);
  const semi = first.split(";").length;
  const comma = first.split(",").length;
  return semi >= comma && semi > 1 ? ";" : ",";
}

export function parseTable(text: string, delimiter?: string, source = "input"): Table {
  const d = delimiter ?? detectDelimiter(text);
  let records: string[][];
  try {
    records = parseCsv(text, { delimiter: d, relax_quotes: true, skip_empty_lines: true, bom: true });
  } catch (error) {
    throw new DatasetError(
      `${source}: not a CSV file with delimiter ${JSON.stringify(d)} (${(error as Error).message})`,
    );
  }
  const [header, ...rows] = records;
  if (!header) throw new DatasetError(`${source}: empty file`);
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]!.length !== header.length) {
      throw new DatasetError(
        `${source}: row ${i + 2} has ${rows[i]!.length} fields, the header has ${header.length}`,
      );
    }
  }
  return { header, rows };
}

export interface QuasiIdentifier {
  name: string;
  column: number;
  /** Number of levels (level 0 = original values). */
  depth: number;
  /** gen[level][row] = generalized code of the row at that level (codes dense per level). */
  gen: Int32Array[];
  /** map[level][code0] = code at that level of the level-0 code. */
  map: Int32Array[];
  labels: string[][];
  /** counts[level][code] = rows holding that generalized value. */
  counts: Int32Array[];
  /** share[level][code] = leaves of the hierarchy under the value / leaves of the hierarchy. */
  share: Float64Array[];
}

export interface SensitiveAttribute {
  name: string;
  column: number;
  codes: Int32Array;
  labels: string[];
  /** ancestors[level][code] = the value's node at that level, when a hierarchy is given (t-closeness). */
  ancestors?: Int32Array[];
  /** nodes per level, with ancestors. */
  levelSizes?: number[];
}

export interface EncodedDataset {
  header: string[];
  rows: string[][];
  n: number;
  qis: QuasiIdentifier[];
  sensitive?: SensitiveAttribute;
  /** Columns dropped from the output (identifying attributes). */
  identifying: number[];
}

export interface Roles {
  quasiIdentifiers: string[];
  sensitive?: string;
  identifying?: string[];
}

function columnOf(header: string[], name: string, role: string): number {
  const i = header.indexOf(name);
  if (i < 0)
    throw new DatasetError(
      `${role} attribute ${JSON.stringify(name)} is not a column (columns: ${header.join(", ")})`,
    );
  return i;
}

function encodeQi(table: Table, column: number, h: Hierarchy): QuasiIdentifier {
  const n = table.rows.length;
  const name = table.header[column]!;
  const values = new Set<string>();
  for (const r of table.rows) values.add(r[column]!);
  checkHierarchyCovers(h, values);
  const depth = h.rows[0]!.length;
  const rowOf = new Map<string, string[]>();
  for (const r of h.rows) rowOf.set(r[0]!, r);
  // Level 0: codes in order of first appearance in the data.
  const code0 = new Map<string, number>();
  const labels0: string[] = [];
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = table.rows[i]![column]!;
    let c = code0.get(v);
    if (c === undefined) {
      c = labels0.length;
      code0.set(v, c);
      labels0.push(v);
    }
    codes[i] = c;
  }
  // Leaves of the whole hierarchy under each label of each level (domain shares for the loss metric).
  const leaves: Map<string, number>[] = [];
  for (let l = 0; l < depth; l++) {
    const m = new Map<string, number>();
    for (const r of h.rows) m.set(r[l]!, (m.get(r[l]!) ?? 0) + 1);
    leaves.push(m);
  }
  const domain = h.rows.length;
  const map: Int32Array[] = [];
  const labels: string[][] = [];
  const share: Float64Array[] = [];
  for (let l = 0; l < depth; l++) {
    const codeL = new Map<string, number>();
    const lab: string[] = [];
    const m = new Int32Array(labels0.length);
    for (let c = 0; c < labels0.length; c++) {
      const g = rowOf.get(labels0[c]!)![l]!;
      let x = codeL.get(g);
      if (x === undefined) {
        x = lab.length;
        codeL.set(g, x);
        lab.push(g);
      }
      m[c] = x;
    }
    map.push(m);
    labels.push(lab);
    share.push(Float64Array.from(lab, (g) => leaves[l]!.get(g)! / domain));
  }
  const gen: Int32Array[] = [];
  const counts: Int32Array[] = [];
  for (let l = 0; l < depth; l++) {
    const m = map[l]!;
    const g = l === 0 ? codes : new Int32Array(n);
    if (l > 0) for (let i = 0; i < n; i++) g[i] = m[codes[i]!]!;
    const cnt = new Int32Array(labels[l]!.length);
    for (let i = 0; i < n; i++) cnt[g[i]!]!++;
    gen.push(g);
    counts.push(cnt);
  }
  return { name, column, depth, gen, map, labels, counts, share };
}

function encodeSensitive(table: Table, column: number, h?: Hierarchy): SensitiveAttribute {
  const name = table.header[column]!;
  const index = new Map<string, number>();
  const labels: string[] = [];
  const codes = new Int32Array(table.rows.length);
  for (let i = 0; i < table.rows.length; i++) {
    const v = table.rows[i]![column]!;
    let c = index.get(v);
    if (c === undefined) {
      c = labels.length;
      index.set(v, c);
      labels.push(v);
    }
    codes[i] = c;
  }
  const s: SensitiveAttribute = { name, column, codes, labels };
  if (h) {
    checkHierarchyCovers(h, labels);
    const rowOf = new Map(h.rows.map((r) => [r[0]!, r]));
    const depth = h.rows[0]!.length;
    s.ancestors = [];
    s.levelSizes = [];
    for (let l = 0; l < depth; l++) {
      const ids = new Map<string, number>();
      const a = new Int32Array(labels.length);
      for (let c = 0; c < labels.length; c++) {
        const g = rowOf.get(labels[c]!)![l]!;
        let x = ids.get(g);
        if (x === undefined) {
          x = ids.size;
          ids.set(g, x);
        }
        a[c] = x;
      }
      s.ancestors.push(a);
      s.levelSizes.push(ids.size);
    }
  }
  return s;
}

/**
 * Encodes the table under the roles; `hierarchyOf(name)` returns each quasi-identifier's hierarchy
 * (and the sensitive attribute's, for hierarchical t-closeness, or undefined).
 */
export function encodeDataset(
  table: Table,
  roles: Roles,
  hierarchyOf: (attribute: string) => Hierarchy | undefined,
): EncodedDataset {
  if (roles.quasiIdentifiers.length === 0) throw new DatasetError("no quasi-identifier given");
  const seen = new Set<string>();
  for (const q of roles.quasiIdentifiers) {
    if (seen.has(q)) throw new DatasetError(`quasi-identifier ${q} is given twice`);
    seen.add(q);
  }
  if (roles.sensitive && seen.has(roles.sensitive)) {
    throw new DatasetError(`${roles.sensitive} cannot be both quasi-identifying and sensitive`);
  }
  const qis = roles.quasiIdentifiers.map((q) => {
    const column = columnOf(table.header, q, "quasi-identifying");
    const h = hierarchyOf(q);
    if (!h) throw new HierarchyError(`no hierarchy for quasi-identifier ${q}`);
    return encodeQi(table, column, h);
  });
  const sensitive = roles.sensitive
    ? encodeSensitive(
        table,
        columnOf(table.header, roles.sensitive, "sensitive"),
        hierarchyOf(roles.sensitive),
      )
    : undefined;
  const identifying = (roles.identifying ?? []).map((a) => columnOf(table.header, a, "identifying"));
  return { header: table.header, rows: table.rows, n: table.rows.length, qis, sensitive, identifying };
}
