/**
 * The lineage manifest of a dataset version and its verification.
 *
 * Merkle tree over the records, defined so that anyone can recompute it:
 * - record hash = SHA-256 of the record's RFC 8785 canonical JSON (bigint → number when safe, else
 *   decimal string; Date → ISO 8601 string: the forms DuckDB rows come back in);
 * - leaf node = SHA-256(0x00 ‖ record hash), interior node = SHA-256(0x01 ‖ left ‖ right): the domain
 *   separation of RFC 6962 §2.1, so a leaf can never pass for an interior node;
 * - levels pair nodes left to right and promote an odd last node unchanged, which gives the same root
 *   as RFC 6962's MTH (split at the largest power of two below n); the empty tree is SHA-256("");
 * - order: files by the version's split order, then record set order, then path; inside a file, its
 *   row order. Only Parquet shards are covered when there are any: CSV and JSON Lines copies are
 *   renderings of the same rows, held by their sha256.
 * The builder keeps one node per level (O(log n) memory), so a build streams its records through it.
 * Each file also gets its own root, so a mismatch names the file; the optional leaves sidecar
 * (record hashes, 32 bytes each, in tree order) names the record. The manifest also lists the version's
 * documents (Croissant, card, datasheet, risk report) by sha256: it is written after them, so nothing
 * it hashes can hash it back.
 */
import { createHash } from "node:crypto";
import type { ProfileRef, SourceCount, VersionDescription, VersionFile } from "./description.js";
import { canonicalJson } from "./json.js";

export const LINEAGE_FORMAT = "learnpool-lineage/1";

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

function jsonForm(value: unknown): unknown {
  if (typeof value === "bigint")
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonForm);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonForm(v);
    return out;
  }
  return value;
}

/** SHA-256 of the record's RFC 8785 canonical JSON. */
export function recordHash(record: unknown): Buffer {
  return sha256(Buffer.from(canonicalJson(jsonForm(record)), "utf8"));
}

/** Streaming Merkle root: one pending subtree per level, merged as a binary counter carries. */
export class MerkleBuilder {
  private readonly stack: { node: Buffer; size: number }[] = [];
  private n = 0;

  get count(): number {
    return this.n;
  }

  /** Adds a record by its record hash (32 bytes). */
  addHash(hash: Uint8Array): void {
    if (hash.length !== 32) throw new RangeError("a record hash is 32 bytes");
    let top = { node: sha256(LEAF, hash), size: 1 };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === top.size) {
      const left = this.stack.pop()!;
      top = { node: sha256(NODE, left.node, top.node), size: left.size * 2 };
    }
    this.stack.push(top);
    this.n++;
  }

  /** Adds a record; returns its record hash. */
  add(record: unknown): Buffer {
    const h = recordHash(record);
    this.addHash(h);
    return h;
  }

  /** The root (hex) of the records added so far; the builder can go on after. */
  root(): string {
    if (this.stack.length === 0) return sha256().toString("hex");
    let acc = this.stack[this.stack.length - 1]!.node;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = sha256(NODE, this.stack[i]!.node, acc);
    return acc.toString("hex");
  }
}

export interface LineageFile {
  path: string;
  /** Absent for files of no split (aggregates over all of them). */
  split?: string;
  format: VersionFile["format"];
  recordSet: string;
  sha256: string;
  bytes: number;
  rows: number;
  /** Present on the files the tree covers: their first leaf index, record count and own root. */
  records?: { first: number; count: number; root: string };
}

export interface LineageManifest {
  format: typeof LINEAGE_FORMAT;
  dataset: { name: string; version: string; created: string; seed: string | number };
  agreement: string;
  profiles: { deidentification: ProfileRef; pseudonymization: { domain: string; method: string } };
  sources: SourceCount[];
  consentReceipts: string[];
  merkle: {
    hash: "sha256";
    leaf: string;
    node: string;
    order: string;
    records: number;
    root: string;
    /** SHA-256 of the leaves sidecar (record hashes in tree order), when written. */
    leavesSha256: string;
  };
  files: LineageFile[];
  /** The version's documents, by sha256 (absent in manifests written before they were covered). */
  documents?: LineageDocument[];
}

/** A document of the version (not records): its path relative to the version, sha256 and size. */
export interface LineageDocument {
  path: string;
  sha256: string;
  bytes: number;
}

export function documentEntry(path: string, bytes: Uint8Array): LineageDocument {
  return { path, sha256: sha256(bytes).toString("hex"), bytes: bytes.length };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The files in tree order, those the tree covers marked. */
export function lineageOrder(
  d: VersionDescription,
): { file: VersionFile; recordSet: string; covered: boolean }[] {
  const splitRank = new Map(d.splits.map((s, i) => [s.name, i]));
  // Files of no split (aggregates) come after every split.
  const rankOf = (f: VersionFile) =>
    (f.split === undefined ? undefined : splitRank.get(f.split)) ?? Number.MAX_SAFE_INTEGER;
  const rsRank = new Map(d.recordSets.map((r, i) => [r.name, i]));
  const firstRs = d.recordSets[0]?.name ?? "";
  const anyParquet = d.files.some((f) => f.format === "parquet");
  return d.files
    .map((file) => ({
      file,
      recordSet: file.recordSet ?? firstRs,
      covered: !anyParquet || file.format === "parquet",
    }))
    .sort(
      (a, b) =>
        rankOf(a.file) - rankOf(b.file) ||
        (rsRank.get(a.recordSet) ?? 0) - (rsRank.get(b.recordSet) ?? 0) ||
        cmp(a.file.path, b.file.path),
    );
}

export type RecordSource = Iterable<unknown> | AsyncIterable<unknown>;

export interface LineageOptions {
  /** Called with each record hash in tree order: write them to the leaves sidecar. */
  onRecordHash?: (hash: Buffer) => void;
}

/** Streams every covered file's records through the tree and returns the manifest. */
export async function buildLineage(
  d: VersionDescription,
  readRecords: (file: VersionFile) => RecordSource,
  options: LineageOptions = {},
): Promise<LineageManifest> {
  const all = new MerkleBuilder();
  const leaves = createHash("sha256");
  const files: LineageFile[] = [];
  for (const { file, recordSet, covered } of lineageOrder(d)) {
    const entry: LineageFile = {
      path: file.path,
      ...(file.split !== undefined && { split: file.split }),
      format: file.format,
      recordSet,
      sha256: file.sha256,
      bytes: file.bytes,
      rows: file.rows,
    };
    if (covered) {
      const own = new MerkleBuilder();
      const first = all.count;
      for await (const record of readRecords(file)) {
        const h = own.add(record);
        all.addHash(h);
        leaves.update(h);
        options.onRecordHash?.(h);
      }
      if (own.count !== file.rows)
        throw new Error(`file ${file.path}: ${own.count} records read, ${file.rows} rows described`);
      entry.records = { first, count: own.count, root: own.root() };
    }
    files.push(entry);
  }
  return {
    format: LINEAGE_FORMAT,
    dataset: { name: d.name, version: d.version, created: d.created, seed: d.seed },
    agreement: d.agreement.id,
    profiles: { deidentification: { ...d.deidentification }, pseudonymization: { ...d.pseudonymization } },
    sources: [...d.sources].sort((a, b) => cmp(a.provider, b.provider)),
    consentReceipts: [...new Set(d.consentReceipts)].sort(),
    merkle: {
      hash: "sha256",
      leaf: "SHA-256(0x00 || SHA-256(RFC 8785 canonical JSON of the record))",
      node: "SHA-256(0x01 || left || right); odd last node promoted (RFC 6962 MTH)",
      order: "files by split order, record set order, path; rows in file order; Parquet files only when any",
      records: all.count,
      root: all.root(),
      leavesSha256: leaves.digest("hex"),
    },
    files,
  };
}

export type LineageMismatch =
  | { kind: "file-hash"; path: string; expected: string; actual: string }
  | { kind: "leaves"; expected: string; actual: string }
  | { kind: "record"; path: string; recordIndex: number; leafIndex: number }
  | { kind: "records"; path: string; expected: string; actual: string }
  | { kind: "count"; path: string; expected: number; actual: number; recordIndex: number }
  | { kind: "root"; expected: string; actual: string }
  | { kind: "missing"; path: string };

export interface VerifyInputs {
  /** The records of a file, in its row order. */
  readRecords: (file: LineageFile) => RecordSource;
  /** The file's bytes, to check its sha256; skipped when absent. */
  readBytes?: (file: LineageFile) => Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** The leaves sidecar: with it a changed record is named by its index. */
  leaves?: Uint8Array;
  /** A document's bytes (undefined when missing), to check the manifest's documents; skipped when absent. */
  readDocument?: (path: string) => Uint8Array | undefined;
}

export interface LineageVerification {
  ok: boolean;
  /** The first mismatch found, in tree order. */
  mismatch?: LineageMismatch;
  records: number;
}

/** Recomputes file hashes, per-file roots and the root; stops at the first mismatch. */
export async function verifyLineage(
  manifest: LineageManifest,
  inputs: VerifyInputs,
): Promise<LineageVerification> {
  const fail = (mismatch: LineageMismatch, records: number): LineageVerification => ({
    ok: false,
    mismatch,
    records,
  });
  const { leaves } = inputs;
  if (leaves) {
    const actual = sha256(leaves).toString("hex");
    if (actual !== manifest.merkle.leavesSha256)
      return fail({ kind: "leaves", expected: manifest.merkle.leavesSha256, actual }, 0);
  }
  const all = new MerkleBuilder();
  for (const file of manifest.files) {
    if (inputs.readBytes) {
      const h = createHash("sha256");
      const bytes = inputs.readBytes(file);
      if (bytes instanceof Uint8Array) h.update(bytes);
      else for await (const chunk of bytes) h.update(chunk);
      const actual = h.digest("hex");
      if (actual !== file.sha256)
        return fail({ kind: "file-hash", path: file.path, expected: file.sha256, actual }, all.count);
    }
    if (!file.records) continue;
    const own = new MerkleBuilder();
    for await (const record of inputs.readRecords(file)) {
      const h = recordHash(record);
      const leafIndex = file.records.first + own.count;
      if (leaves && own.count < file.records.count) {
        const expected = leaves.subarray(leafIndex * 32, leafIndex * 32 + 32);
        if (!h.equals(expected))
          return fail({ kind: "record", path: file.path, recordIndex: own.count, leafIndex }, all.count);
      }
      own.addHash(h);
      all.addHash(h);
    }
    if (own.count !== file.records.count)
      return fail(
        {
          kind: "count",
          path: file.path,
          expected: file.records.count,
          actual: own.count,
          recordIndex: Math.min(own.count, file.records.count),
        },
        all.count,
      );
    const root = own.root();
    if (root !== file.records.root)
      return fail({ kind: "records", path: file.path, expected: file.records.root, actual: root }, all.count);
  }
  const root = all.root();
  if (root !== manifest.merkle.root || all.count !== manifest.merkle.records)
    return fail({ kind: "root", expected: manifest.merkle.root, actual: root }, all.count);
  if (inputs.readDocument)
    for (const doc of manifest.documents ?? []) {
      const bytes = inputs.readDocument(doc.path);
      if (bytes === undefined) return fail({ kind: "missing", path: doc.path }, all.count);
      const actual = sha256(bytes).toString("hex");
      if (actual !== doc.sha256)
        return fail({ kind: "file-hash", path: doc.path, expected: doc.sha256, actual }, all.count);
    }
  return { ok: true, records: all.count };
}
