import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/contract/index.js";
import {
  buildLineage,
  documentEntry,
  type LineageFile,
  MerkleBuilder,
  recordHash,
  stableJson,
  type VersionFile,
  verifyLineage,
} from "../../src/pool/docs/index.js";
import { sampleVersion } from "./fixtures/docs/version.js";

const sha = (...parts: (Uint8Array | string)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 6962 §2.1 MTH, written from the RFC's recursion: the reference for the streaming builder. */
function mth(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return sha("");
  if (hashes.length === 1) return sha(Uint8Array.of(0), hashes[0]!);
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha(Uint8Array.of(1), mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}

/** The rows of each file of the sample version (CSV copy included: it is not in the tree). */
function sampleRows(): Map<string, Record<string, unknown>[]> {
  const rows = new Map<string, Record<string, unknown>[]>();
  let n = 0;
  for (const f of sampleVersion().files) {
    const list: Record<string, unknown>[] = [];
    for (let i = 0; i < f.rows; i++, n++)
      list.push({ learner: `p${n}`, period: BigInt(i), active_days: n % 4, dropout: n % 3 === 0 });
    rows.set(f.path, list);
  }
  return rows;
}

async function build(rows = sampleRows()) {
  const leaves: Buffer[] = [];
  const manifest = await buildLineage(sampleVersion(), (f: VersionFile) => rows.get(f.path)!, {
    onRecordHash: (h) => leaves.push(h),
  });
  return { manifest, leaves: Buffer.concat(leaves), rows };
}

const reader = (rows: Map<string, unknown[]>) => (f: LineageFile) => rows.get(f.path)!;

describe("Merkle builder", () => {
  it("equals RFC 6962's MTH for every size up to 40, in O(log n) pending nodes", () => {
    for (let n = 0; n <= 40; n++) {
      const hashes = Array.from({ length: n }, (_, i) => recordHash({ i }));
      const b = new MerkleBuilder();
      for (const h of hashes) b.addHash(h);
      expect(b.root(), `n=${n}`).toBe(mth(hashes).toString("hex"));
    }
  });

  it("hashes a record as SHA-256 of its RFC 8785 form, whatever its key order; bigint as number", () => {
    expect(recordHash({ b: 1, a: "x" })).toEqual(sha('{"a":"x","b":1}'));
    expect(recordHash({ a: 1n })).toEqual(recordHash({ a: 1 }));
    expect(canonicalJson({ b: [2, 1], a: null })).toBe('{"a":null,"b":[2,1]}');
  });
});

describe("lineage manifest", () => {
  it("names the agreement, profiles, sources, receipts, file hashes and the root over records in split order", async () => {
    const { manifest, rows } = await build();
    expect(manifest.agreement).toBe("https://example.org/agreements/dropout-2026");
    expect(manifest.profiles.deidentification).toEqual({ name: "lp-default", version: "3" });
    expect(manifest.consentReceipts).toEqual(["urn:receipt:1", "urn:receipt:2"]);
    expect(manifest.sources.map((s) => s.provider)).toEqual(["mooc-fr", "univ-lyon"]);
    expect(manifest.files.map((f) => f.path)).toEqual([
      "data/train-00000-of-00002.parquet",
      "data/train-00001-of-00002.parquet",
      "data/validation-00000-of-00001.parquet",
      "data/test-00000-of-00001.csv",
      "data/test-00000-of-00001.parquet",
    ]);
    expect(manifest.files[3]!.records).toBeUndefined();
    expect(manifest.files[4]!.records).toMatchObject({ first: 8, count: 2 });
    const ordered = manifest.files.filter((f) => f.records).flatMap((f) => rows.get(f.path)!);
    expect(manifest.merkle.records).toBe(10);
    expect(manifest.merkle.root).toBe(mth(ordered.map(recordHash)).toString("hex"));
  });

  it("is byte-identical for the same input", async () => {
    const a = await build();
    const b = await build();
    expect(stableJson(a.manifest)).toBe(stableJson(b.manifest));
    expect(a.leaves.equals(b.leaves)).toBe(true);
  });

  it("refuses a file whose record count differs from its description", async () => {
    const rows = sampleRows();
    rows.get("data/validation-00000-of-00001.parquet")!.pop();
    await expect(build(rows)).rejects.toThrow(/1 records read, 2 rows described/);
  });
});

describe("verifyLineage", () => {
  it("accepts the records it was built from, with file bytes and leaves", async () => {
    const { manifest, leaves, rows } = await build();
    const bytes = new Map(manifest.files.map((f) => [f.path, Buffer.from(f.path)]));
    for (const f of manifest.files) f.sha256 = sha(bytes.get(f.path)!).toString("hex");
    const result = await verifyLineage(manifest, {
      readRecords: reader(rows),
      readBytes: (f) => bytes.get(f.path)!,
      leaves,
    });
    expect(result).toEqual({ ok: true, records: 10 });
  });

  it("names the file and record of a tampered record", async () => {
    const { manifest, leaves, rows } = await build();
    rows.get("data/train-00001-of-00002.parquet")![1]!.active_days = 99;
    expect((await verifyLineage(manifest, { readRecords: reader(rows), leaves })).mismatch).toEqual({
      kind: "record",
      path: "data/train-00001-of-00002.parquet",
      recordIndex: 1,
      leafIndex: 4,
    });
    // Without the leaves the file's own root still names the file.
    expect((await verifyLineage(manifest, { readRecords: reader(rows) })).mismatch).toMatchObject({
      kind: "records",
      path: "data/train-00001-of-00002.parquet",
    });
  });

  it("detects reordering", async () => {
    const { manifest, leaves, rows } = await build();
    const list = rows.get("data/test-00000-of-00001.parquet")!;
    list.reverse();
    expect((await verifyLineage(manifest, { readRecords: reader(rows), leaves })).mismatch).toMatchObject({
      kind: "record",
      path: "data/test-00000-of-00001.parquet",
      recordIndex: 0,
    });
    expect((await verifyLineage(manifest, { readRecords: reader(rows) })).ok).toBe(false);
  });

  it("detects a dropped record, in the middle or at the end", async () => {
    const { manifest, leaves, rows } = await build();
    rows.get("data/train-00000-of-00002.parquet")!.splice(1, 1);
    expect((await verifyLineage(manifest, { readRecords: reader(rows), leaves })).mismatch).toMatchObject({
      kind: "record",
      path: "data/train-00000-of-00002.parquet",
      recordIndex: 1,
    });
    const again = await build();
    again.rows.get("data/validation-00000-of-00001.parquet")!.pop();
    expect(
      (await verifyLineage(again.manifest, { readRecords: reader(again.rows), leaves: again.leaves }))
        .mismatch,
    ).toEqual({
      kind: "count",
      path: "data/validation-00000-of-00001.parquet",
      expected: 2,
      actual: 1,
      recordIndex: 1,
    });
  });

  it("detects a changed file, a changed leaves sidecar and a forged root", async () => {
    const { manifest, leaves, rows } = await build();
    const changed = await verifyLineage(manifest, {
      readRecords: reader(rows),
      readBytes: () => Buffer.from("x"),
    });
    expect(changed.mismatch).toMatchObject({ kind: "file-hash", path: "data/train-00000-of-00002.parquet" });
    const bad = Buffer.from(leaves);
    bad[0] = bad[0]! ^ 1;
    expect((await verifyLineage(manifest, { readRecords: reader(rows), leaves: bad })).mismatch?.kind).toBe(
      "leaves",
    );
    manifest.merkle.root = "0".repeat(64);
    expect((await verifyLineage(manifest, { readRecords: reader(rows) })).mismatch?.kind).toBe("root");
  });
});

describe("the version's documents in the lineage", () => {
  it("checks each listed document's sha256 after the records, naming a changed or missing one", async () => {
    const { manifest, rows } = await build();
    const docs = new Map([
      ["croissant.json", Buffer.from("{}\n")],
      ["README.md", Buffer.from("# card\n")],
      ["DATASHEET.md", Buffer.from("# sheet\n")],
    ]);
    manifest.documents = [...docs].map(([path, bytes]) => documentEntry(path, bytes));
    expect(manifest.documents[2]).toEqual({
      path: "DATASHEET.md",
      sha256: sha("# sheet\n").toString("hex"),
      bytes: 8,
    });
    const verify = (files: Map<string, Buffer>) =>
      verifyLineage(manifest, { readRecords: reader(rows), readDocument: (path) => files.get(path) });
    expect(await verify(docs)).toEqual({ ok: true, records: 10 });
    const edited = new Map(docs).set("DATASHEET.md", Buffer.from("# sheet, edited\n"));
    expect((await verify(edited)).mismatch).toEqual({
      kind: "file-hash",
      path: "DATASHEET.md",
      expected: sha("# sheet\n").toString("hex"),
      actual: sha("# sheet, edited\n").toString("hex"),
    });
    const gone = new Map(docs);
    gone.delete("README.md");
    expect((await verify(gone)).mismatch).toEqual({ kind: "missing", path: "README.md" });
    // Without a reader of documents (older callers), only the records are checked.
    expect(await verifyLineage(manifest, { readRecords: reader(rows) })).toEqual({ ok: true, records: 10 });
  });

  it("places files of no split (aggregates) after every split and omits their split", async () => {
    const d = sampleVersion();
    d.files.push({
      path: "data/cohort_statistics.parquet",
      format: "parquet",
      sha256: "3".repeat(64),
      bytes: 9,
      rows: 1,
    });
    const rows = sampleRows();
    rows.set("data/cohort_statistics.parquet", [{ statistic: "count", value: 3 }]);
    const manifest = await buildLineage(d, (f: VersionFile) => rows.get(f.path)!);
    const last = manifest.files[manifest.files.length - 1]!;
    expect(last.path).toBe("data/cohort_statistics.parquet");
    expect("split" in last).toBe(false);
    expect(last.records).toMatchObject({ first: 10, count: 1 });
  });
});
