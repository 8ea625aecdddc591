/**
 * Fuzzy linkage over files, the I/O around clk.ts and linkage.ts (what `learnpool linkage` runs).
 * `schema` writes the learner linkage schema with a fresh salt; `encode` turns a provider's CSV into
 * CLKs (JSON lines: a header, then `{id, clk}` per record; no identifying field is ever written);
 * `match` links two CLK files and writes the matches and the linkage report. Each action is an exported
 * function returning what it did, so that tests call it without a process.
 */
import { once } from "node:events";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import {
  ClkEncoder,
  ClkValueError,
  clkFromBase64,
  clkToBase64,
  type LinkageSchema,
  LinkageSchemaError,
  parseLinkageSchema,
  popcount,
} from "./clk.js";
import {
  checkPreparation,
  learnerLinkageSchema,
  PreparationError,
  prepareRecord,
  sourceColumns,
} from "./clk-learners.js";
import {
  type Blocking,
  ClkSet,
  DEFAULT_BLOCKING,
  DEFAULT_THRESHOLD,
  type LinkageReport,
  link,
} from "./linkage.js";

export class LinkageCommandError extends Error {}

export const CLK_FILE_FORMAT = "learnpool-clk/1";

/** The first line of a CLK file: what the CLKs were made under (nothing secret). */
export interface ClkFileHeader {
  format: typeof CLK_FILE_FORMAT;
  l: number;
  schema: string;
}

export function readSchemaFile(path: string): LinkageSchema {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new LinkageCommandError(`${path}: not a JSON file (${(error as Error).message})`);
  }
  try {
    const schema = parseLinkageSchema(json);
    checkPreparation(schema);
    return schema;
  } catch (error) {
    if (error instanceof LinkageSchemaError || error instanceof PreparationError) {
      throw new LinkageCommandError(`${path}: ${error.message}`);
    }
    throw error;
  }
}

/** The shared secret: the file's bytes, one trailing newline removed. */
export function readSecretFile(path: string): Buffer {
  let bytes = readFileSync(path);
  if (bytes.at(-1) === 0x0a) bytes = bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1);
  if (bytes.length < 16)
    throw new LinkageCommandError(`${path}: the linkage secret must have at least 16 bytes`);
  return bytes;
}

// ---------------------------------------------------------------- schema

export interface SchemaCommandOptions {
  out: string;
  postcodeKeep?: number;
  l?: number;
}

export function schemaCommand(options: SchemaCommandOptions): { out: string } {
  const schema = learnerLinkageSchema({
    ...(options.postcodeKeep !== undefined ? { postcodeKeep: options.postcodeKeep } : {}),
    ...(options.l !== undefined ? { l: options.l } : {}),
  });
  parseLinkageSchema(schema);
  writeFileSync(options.out, `${JSON.stringify(schema, null, 2)}\n`);
  return { out: options.out };
}

// ---------------------------------------------------------------- encode

export interface EncodeCommandOptions {
  schema: string;
  secretFile: string;
  in: string;
  out: string;
  /** The column holding the provider's record id (default `id`). */
  idColumn?: string;
  /** Skip rows that do not fit the schema (counted, with their row numbers) instead of stopping. */
  skipInvalid?: boolean;
}

export interface EncodeSummary {
  records: number;
  skipped: number;
  skippedRows: number[];
  meanPopcount: number;
  schema: string;
}

export async function encodeCommand(options: EncodeCommandOptions): Promise<EncodeSummary> {
  const schema = readSchemaFile(options.schema);
  const encoder = new ClkEncoder(schema, readSecretFile(options.secretFile));
  const idColumn = options.idColumn ?? "id";
  const needed = [idColumn, ...sourceColumns(schema)];
  const output = createWriteStream(options.out);
  const write = async (line: string) => {
    if (!output.write(`${line}\n`)) await once(output, "drain");
  };
  const header: ClkFileHeader = { format: CLK_FILE_FORMAT, l: schema.l, schema: schema.fingerprint };
  const summary: EncodeSummary = {
    records: 0,
    skipped: 0,
    skippedRows: [],
    meanPopcount: 0,
    schema: schema.fingerprint,
  };
  const ids = new Set<string>();
  let bits = 0;
  let row = 0;
  try {
    await write(JSON.stringify(header));
    const parser = createReadStream(options.in).pipe(
      parse({ columns: true, bom: true, skip_empty_lines: true }),
    );
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      row++;
      if (row === 1) {
        const missing = needed.filter((c) => !(c in record));
        if (missing.length > 0) {
          throw new LinkageCommandError(
            `${options.in}: no column ${missing.map((c) => `"${c}"`).join(", ")}`,
          );
        }
      }
      const id = record[idColumn] ?? "";
      if (id === "") throw new LinkageCommandError(`${options.in}: row ${row}: empty id`);
      if (ids.has(id)) throw new LinkageCommandError(`${options.in}: row ${row}: id repeated`);
      ids.add(id);
      let clk: Uint8Array;
      try {
        clk = encoder.encode(prepareRecord(schema, record, row), row);
      } catch (error) {
        if (!(error instanceof ClkValueError || error instanceof PreparationError)) throw error;
        if (!options.skipInvalid) throw new LinkageCommandError(`${options.in}: ${error.message}`);
        summary.skipped++;
        if (summary.skippedRows.length < 1000) summary.skippedRows.push(row);
        continue;
      }
      bits += popcount(clk);
      summary.records++;
      await write(JSON.stringify({ id, clk: clkToBase64(clk) }));
    }
    output.end();
    await once(output, "finish");
  } catch (error) {
    output.on("error", () => undefined); // the failure to report is the one being handled
    if (!output.closed) {
      const closed = new Promise<void>((resolve) => output.once("close", () => resolve()));
      output.destroy();
      await closed;
    }
    rmSync(options.out, { force: true });
    if (
      error instanceof Error &&
      (error as NodeJS.ErrnoException).code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH"
    ) {
      throw new LinkageCommandError(`${options.in}: row ${row + 1}: not as many fields as the header`);
    }
    throw error;
  }
  summary.meanPopcount = summary.records === 0 ? 0 : bits / summary.records;
  return summary;
}

// ---------------------------------------------------------------- match

/** A CLK file: ours (header line, then `{id, clk}` lines), or clkhash's `{"clks": [...]}` (ids 0, 1, …). */
export async function readClkFile(path: string): Promise<{ set: ClkSet; header?: ClkFileHeader }> {
  if (/^\s*\{\s*"clks"/.test(fileStart(path))) {
    const json = JSON.parse(readFileSync(path, "utf8")) as { clks?: unknown };
    if (!Array.isArray(json.clks) || !json.clks.every((c) => typeof c === "string")) {
      throw new LinkageCommandError(`${path}: "clks" must be an array of base64 strings`);
    }
    const bytes = json.clks.map((c) => Buffer.from(c, "base64"));
    const l = (bytes[0]?.length ?? 0) * 8;
    return {
      set: ClkSet.of(
        bytes.map((_, i) => String(i)),
        bytes,
        l,
      ),
    };
  }
  const ids: string[] = [];
  const clks: Uint8Array[] = [];
  let header: ClkFileHeader | undefined;
  let line = 0;
  const seen = new Set<string>();
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === "") continue;
    let value: { format?: string; l?: number; schema?: string; id?: unknown; clk?: unknown };
    try {
      value = JSON.parse(text);
    } catch {
      throw new LinkageCommandError(`${path}: line ${line}: not JSON`);
    }
    if (line === 1 && value.format !== undefined) {
      if (
        value.format !== CLK_FILE_FORMAT ||
        typeof value.l !== "number" ||
        typeof value.schema !== "string"
      ) {
        throw new LinkageCommandError(`${path}: line 1: not a ${CLK_FILE_FORMAT} header`);
      }
      header = { format: CLK_FILE_FORMAT, l: value.l, schema: value.schema };
      continue;
    }
    if (typeof value.id !== "string" || typeof value.clk !== "string") {
      throw new LinkageCommandError(`${path}: line ${line}: expected {"id": …, "clk": …}`);
    }
    if (seen.has(value.id)) throw new LinkageCommandError(`${path}: line ${line}: id repeated`);
    seen.add(value.id);
    const l = header?.l ?? Buffer.from(value.clk, "base64").length * 8;
    try {
      clks.push(clkFromBase64(value.clk, l));
    } catch (error) {
      throw new LinkageCommandError(`${path}: line ${line}: ${(error as Error).message}`);
    }
    ids.push(value.id);
  }
  const l = header?.l ?? (clks[0]?.length ?? 0) * 8;
  const result: { set: ClkSet; header?: ClkFileHeader } = { set: ClkSet.of(ids, clks, l) };
  if (header) result.header = header;
  return result;
}

function fileStart(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(64);
    return buffer.subarray(0, readSync(fd, buffer, 0, 64, 0)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** True pairs: a CSV whose columns are `a_id,b_id` (or `a,b`, or else its first two columns). */
export function readTruthFile(path: string): [string, string][] {
  const rows = parseSync(readFileSync(path), { bom: true, skip_empty_lines: true }) as string[][];
  const [head, ...rest] = rows;
  if (!head || head.length < 2) throw new LinkageCommandError(`${path}: expected two columns (a_id, b_id)`);
  const names = head.map((h) => h.trim().toLowerCase());
  let ia = names.indexOf("a_id");
  let ib = names.indexOf("b_id");
  if (ia < 0 || ib < 0) [ia, ib] = [names.indexOf("a"), names.indexOf("b")];
  if (ia < 0 || ib < 0) [ia, ib] = [0, 1];
  return rest.map((r) => [r[ia] ?? "", r[ib] ?? ""] as [string, string]);
}

export interface MatchCommandOptions {
  a: string;
  b: string;
  threshold?: number;
  truth?: string;
  out: string;
  report: string;
  blocking?: Blocking;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export async function matchCommand(options: MatchCommandOptions): Promise<LinkageReport> {
  const [a, b] = await Promise.all([readClkFile(options.a), readClkFile(options.b)]);
  if (a.header && b.header && a.header.schema !== b.header.schema) {
    throw new LinkageCommandError("the two CLK files were made under different linkage schemas");
  }
  if (a.set.l !== b.set.l)
    throw new LinkageCommandError(`the CLKs differ in length (${a.set.l} and ${b.set.l} bits)`);
  const { matches, report } = link(a.set, b.set, {
    threshold: options.threshold ?? DEFAULT_THRESHOLD,
    blocking: options.blocking ?? DEFAULT_BLOCKING,
    ...(options.truth ? { truth: readTruthFile(options.truth) } : {}),
    ...(a.header ? { schema: a.header.schema } : {}),
  });
  const lines = ["a_id,b_id,score"];
  for (const m of matches) {
    lines.push(`${csvField(a.set.ids[m.a]!)},${csvField(b.set.ids[m.b]!)},${m.score.toFixed(4)}`);
  }
  writeFileSync(options.out, `${lines.join("\n")}\n`);
  writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
