/**
 * A de-identification run over files, the I/O around the pure rules: statements are read as JSON
 * lines or a JSON array (gzip detected by its magic bytes), de-identified in batches (one call of the
 * pseudonymizer per batch), written as JSON lines (gzipped when the name ends in `.gz`), and the
 * report is written with its leak check, which reads the output back once it is complete. Memory
 * stays constant in the number of statements: a batch at a time, plus the identifiers collected for
 * the leak check and the pseudonyms cached (both grow with distinct learners, not statements).
 */
import { createWriteStream, writeFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { isMalformed, readJsonRecords } from "../interop/index.js";
import { Deidentifier, type DeidentifyCounts, type DeidentifyOptions } from "./deidentify.js";
import { LeakCheck, type LeakCheckResult } from "./deidentify-leaks.js";
import type { DeidentificationProfile } from "./profile.js";

export interface DeidentifyReport {
  profile: { id: string; version: string };
  domain: string;
  /** How the pseudonyms were derived, when the caller says (never a key, only its id). */
  pseudonymization?: DeidentifyPseudonymization;
  input: string;
  output: string;
  startedAt: string;
  seconds: number;
  counts: DeidentifyCounts;
  /** The first rejected statements (at most 100): where in the input, and why (never a value). */
  rejected: { record: number; reason: string }[];
  leakCheck: LeakCheckResult;
}

/** The pseudonymization of a run, for its report: mode, the domain's id and the key id used. */
export interface DeidentifyPseudonymization {
  mode: "keyed" | "OPRF" | "local key";
  domainId?: string;
  keyId?: string;
}

export interface DeidentifyFileOptions extends DeidentifyOptions {
  profile: DeidentificationProfile;
  pseudonymization?: DeidentifyPseudonymization;
  input: string;
  output: string;
  report: string;
  /** Statements per batch (default 1,000). */
  batch?: number;
  /** Called after each batch with the statements read so far (progress display). */
  onProgress?: (read: number) => void;
}

export interface InputRecord {
  /** Line (JSON lines) or index from 1 (array). */
  record: number;
  value: unknown;
  /** Set when the record is not JSON. */
  malformed?: string;
}

/**
 * The statements of a file (JSON lines, one object, or an array streamed element by element; gzip
 * recognised by its magic bytes), through the interop module's reader.
 */
export async function* readStatements(path: string): AsyncGenerator<InputRecord> {
  for await (const record of readJsonRecords(path)) {
    const at = record.position.line ?? (record.position.index ?? 0) + 1;
    if (isMalformed(record)) yield { record: at, value: undefined, malformed: record.value.reason };
    else yield { record: at, value: record.value };
  }
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once("drain", resolve));
}

/** Runs a whole de-identification: input → output and report. The report says whether it leaked. */
export async function deidentifyFile(options: DeidentifyFileOptions): Promise<DeidentifyReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const deidentifier = new Deidentifier(options.profile, options);
  const leaks = new LeakCheck(deidentifier.scrubber);
  const batchSize = options.batch ?? 1000;
  const rejected: DeidentifyReport["rejected"] = [];
  const reject = (record: number, reason: string) => {
    if (rejected.length < 100) rejected.push({ record, reason });
  };

  const file = createWriteStream(options.output);
  const gzip = options.output.endsWith(".gz") ? createGzip({ level: 6 }) : undefined;
  if (gzip) gzip.pipe(file);
  const out: Writable = gzip ?? file;
  let malformed = 0;

  const flush = async (batch: InputRecord[]) => {
    const { statements, rejected: refused } = await deidentifier.run(batch.map((r) => r.value));
    for (const r of refused) reject(batch[r.index]!.record, r.reason);
    if (statements.length > 0) await write(out, statements.map((s) => `${JSON.stringify(s)}\n`).join(""));
    options.onProgress?.(deidentifier.counts.read + malformed);
  };

  let batch: InputRecord[] = [];
  try {
    for await (const record of readStatements(options.input)) {
      if (record.malformed !== undefined) {
        malformed++;
        reject(record.record, record.malformed);
        continue;
      }
      leaks.collect(record.value);
      batch.push(record);
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
  } finally {
    out.end();
    await finished(file);
  }
  deidentifier.counts.read += malformed;
  deidentifier.counts.rejected += malformed;

  // The output is complete: every identifier of the input is known, so each is searched in all of it.
  for await (const record of readStatements(options.output)) leaks.search(record.value, record.record);

  const report: DeidentifyReport = {
    profile: { id: options.profile.id, version: options.profile.version },
    domain: options.profile.domain,
    ...(options.pseudonymization && { pseudonymization: options.pseudonymization }),
    input: options.input,
    output: options.output,
    startedAt,
    seconds: Math.round(performance.now() - started) / 1000,
    counts: deidentifier.counts,
    rejected,
    leakCheck: leaks.result(),
  };
  writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
