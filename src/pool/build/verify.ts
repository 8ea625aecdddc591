/**
 * `learnpool dataset verify <dir>`: recomputes every data file's sha256 and the lineage's Merkle roots
 * from the Parquet rows read back with DuckDB, then every document's sha256 (croissant.json, README.md,
 * DATASHEET.md, risk.json when the manifest lists them), and names the first mismatch.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type LineageManifest, type LineageMismatch, verifyLineage } from "../docs/index.js";
import { readParquetRecords } from "./parquet.js";

export interface VersionVerification {
  ok: boolean;
  records: number;
  mismatch?: LineageMismatch;
  /** The first mismatch in words. */
  message?: string;
}

export function describeMismatch(m: NonNullable<VersionVerification["mismatch"]>): string {
  switch (m.kind) {
    case "missing":
      return `${m.path}: missing`;
    case "file-hash":
      return `${m.path}: sha256 ${m.actual}, expected ${m.expected}`;
    case "leaves":
      return `lineage.leaves: sha256 ${m.actual}, expected ${m.expected}`;
    case "record":
      return `${m.path}: record ${m.recordIndex} (leaf ${m.leafIndex}) differs`;
    case "records":
      return `${m.path}: records root ${m.actual}, expected ${m.expected}`;
    case "count":
      return `${m.path}: ${m.actual} records, expected ${m.expected}`;
    case "root":
      return `Merkle root ${m.actual}, expected ${m.expected}`;
  }
}

export async function verifyVersion(dir: string): Promise<VersionVerification> {
  const manifest = JSON.parse(readFileSync(join(dir, "lineage.json"), "utf8")) as LineageManifest;
  for (const f of manifest.files)
    if (!existsSync(join(dir, f.path))) {
      const mismatch = { kind: "missing" as const, path: f.path };
      return { ok: false, records: 0, mismatch, message: describeMismatch(mismatch) };
    }
  const leavesPath = join(dir, "lineage.leaves");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const result = await verifyLineage(manifest, {
      readBytes: (f) => readFileSync(join(dir, f.path)),
      readRecords: async function* (f) {
        let rows: Record<string, unknown>[];
        try {
          rows = await readParquetRecords(connection, join(dir, f.path));
        } catch {
          // An unreadable shard: its hash check has already failed; count no record.
          rows = [];
        }
        yield* rows;
      },
      ...(existsSync(leavesPath) ? { leaves: readFileSync(leavesPath) } : {}),
      readDocument: (path) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path)) : undefined),
    });
    return result.ok
      ? { ok: true, records: result.records }
      : {
          ok: false,
          records: result.records,
          ...(result.mismatch
            ? { mismatch: result.mismatch, message: describeMismatch(result.mismatch) }
            : {}),
        };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
