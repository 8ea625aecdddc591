/**
 * The conversion pipeline every format shares: read the input, convert each record, check each
 * statement against xAPI, write statements as JSON lines and every record that was not converted to
 * the errors file, count, and show progress. Converters stay pure; this is where the I/O is.
 */
import { createWriteStream, statSync } from "node:fs";
import type { Writable } from "node:stream";
import cliProgress from "cli-progress";
import { type Problem, validateStatement, type XapiVersion } from "../xapi/index.js";
import type { Format, Outcome, Position, SourceRecord } from "./converter.js";
import { type ByteMeter, isMalformed, readJsonRecords } from "./reader.js";

export interface Counts {
  /** Source records read (every one ends converted, skipped or rejected). */
  read: number;
  /** Records converted (each into zero or more statements). */
  converted: number;
  statements: number;
  skipped: number;
  rejected: number;
}

export function emptyCounts(): Counts {
  return { read: 0, converted: 0, statements: 0, skipped: 0, rejected: 0 };
}

export function countOutcome(counts: Counts, outcome: Outcome): void {
  counts.read++;
  if (outcome.kind === "converted") {
    counts.converted++;
    counts.statements += outcome.statements.length;
  } else if (outcome.kind === "skipped") counts.skipped++;
  else counts.rejected++;
}

export interface OutcomeOptions {
  /**
   * Check every emitted statement with the xAPI validator (default true): a record whose statements an
   * LRS would refuse is rejected here with the problem, rather than failing a whole batch later.
   */
  validate?: boolean;
  /** The xAPI version statements are validated under (default 2.0.0). */
  version?: XapiVersion;
  /** Counts the input's bytes as read, when the common JSON reader reads it. */
  meter?: ByteMeter;
}

/** The records a format reads from an input: its own reader, or the common JSON reader. */
export function recordsOf(
  format: Format,
  input: string,
  config: unknown,
  meter?: ByteMeter,
): AsyncIterable<SourceRecord> {
  return format.read ? format.read(input, config) : readJsonRecords(input, meter ? { meter } : {});
}

/**
 * One outcome per source record, in input order: malformed records rejected with the reader's reason,
 * the others converted by the format's converter and, when asked, validated.
 */
export async function* outcomes(
  format: Format,
  input: string,
  config: unknown,
  options: OutcomeOptions = {},
): AsyncGenerator<Outcome> {
  const validate = options.validate ?? true;
  const version = options.version ?? "2.0.0";
  const converter = await format.converter(config);
  // Malformed records never reach the converter; their rejections are put back in order between the
  // outcomes of the records around them.
  const pending: Outcome[] = [];
  async function* wellFormed(): AsyncGenerator<SourceRecord> {
    for await (const record of recordsOf(format, input, config, options.meter)) {
      if (isMalformed(record))
        pending.push({ kind: "rejected", position: record.position, reason: record.value.reason });
      else yield record;
    }
  }
  for await (const outcome of converter.run(wellFormed())) {
    // The converter pulled the next well-formed record before yielding this outcome: the malformed
    // records read on the way came after this one, unless the converter reads ahead.
    const before = pending.filter((p) => precedes(p.position, outcome.position));
    if (before.length > 0) {
      yield* before;
      pending.splice(0, before.length);
    }
    yield validate ? checked(outcome, version) : outcome;
  }
  yield* pending;
}

/** Whether position a comes before b in the same input (lines or indexes compared). */
function precedes(a: Position, b: Position): boolean {
  if (a.file !== b.file) return false;
  if (a.line !== undefined && b.line !== undefined) return a.line < b.line;
  if (a.index !== undefined && b.index !== undefined) return a.index < b.index;
  return false;
}

/** A converted outcome whose statements all pass xAPI validation; otherwise the record is rejected. */
export function checked(outcome: Outcome, version: XapiVersion): Outcome {
  if (outcome.kind !== "converted") return outcome;
  const problems: Problem[] = [];
  outcome.statements.forEach((statement, i) => {
    problems.push(...validateStatement(statement, version, `statements[${i}]`));
  });
  if (problems.length === 0) return outcome;
  const shown = problems
    .slice(0, 3)
    .map((p) => `${p.path}: ${p.message} (${p.rule})`)
    .join("; ");
  const more = problems.length > 3 ? ` and ${problems.length - 3} more` : "";
  return {
    kind: "rejected",
    position: outcome.position,
    reason: `the converter emitted an invalid xAPI statement: ${shown}${more}`,
  };
}

/** A line of the errors file: where, what happened, why. */
export function errorLine(outcome: Exclude<Outcome, { kind: "converted" }>): string {
  return `${JSON.stringify({ position: outcome.position, outcome: outcome.kind, reason: outcome.reason })}\n`;
}

/** A text sink that waits when the stream's buffer is full, so a slow disk or pipe throttles reading. */
export class LineWriter {
  private failure: Error | undefined;

  constructor(
    readonly stream: Writable,
    private readonly owned: boolean,
  ) {
    stream.on("error", (err) => {
      this.failure = err;
    });
  }

  static open(target: string | Writable, options: { append?: boolean } = {}): LineWriter {
    if (typeof target !== "string") return new LineWriter(target, false);
    if (target === "-") return new LineWriter(process.stdout, false);
    return new LineWriter(createWriteStream(target, { flags: options.append ? "a" : "w" }), true);
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.stream.off("error", onError);
          resolve();
        };
        const onError = (err: Error) => {
          this.stream.off("drain", onDrain);
          reject(err);
        };
        this.stream.once("drain", onDrain);
        this.stream.once("error", onError);
      });
    }
  }

  /** Flushes; closes the stream when this writer opened it (never stdout). */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      if (this.owned) {
        this.stream.once("error", reject);
        this.stream.end(() => resolve());
      } else if (this.stream.writableNeedDrain) this.stream.once("drain", () => resolve());
      else resolve();
    });
  }
}

/** Progress on stderr while a terminal watches: bytes of the input when its size is known, else records. */
export class Progress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly total: number;
  private readonly started = performance.now();
  private last = 0;

  constructor(
    private readonly meter: ByteMeter,
    size: number | undefined,
    enabled: boolean,
  ) {
    this.total = size ?? 0;
    if (!enabled) return;
    const format =
      size !== undefined
        ? "{bar} {percentage}% | {mb}/{totalMb} MB | {records} records | {rate} records/s | eta {eta_formatted}"
        : "{records} records | {rate} records/s";
    this.bar = new cliProgress.SingleBar(
      { format, stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total, 0, { records: 0, rate: 0, mb: "0", totalMb: mb(this.total) });
  }

  update(records: number): void {
    if (!this.bar) return;
    const now = performance.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.bar.update(this.total ? Math.min(this.meter.bytes, this.total) : records, {
      records,
      rate: Math.round(records / ((now - this.started) / 1000)),
      mb: mb(this.meter.bytes),
    });
  }

  stop(records: number): void {
    if (!this.bar) return;
    this.last = 0;
    this.update(records);
    this.bar.stop();
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** The size of an input file read by the common reader (undefined for stdin or a format's own reader). */
export function inputSize(format: Format, input: string): number | undefined {
  if (input === "-" || format.read) return undefined;
  try {
    return statSync(input).size;
  } catch {
    return undefined;
  }
}

export interface ConvertOptions extends Omit<OutcomeOptions, "meter"> {
  format: Format;
  /** A path or `-` for stdin. */
  input: string;
  /** The format's configuration (the parsed `--config` file), if any. */
  config?: unknown;
  /** Where statements go, as JSON lines: a path, `-` for stdout, or a stream. */
  out: string | Writable;
  /** Where each rejected and skipped record goes, as a JSON line `{position, outcome, reason}`. */
  errors?: string | Writable;
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /** Called for each rejection when there is no errors file, so that none passes unseen. */
  onRejected?: (outcome: Exclude<Outcome, { kind: "converted" }>) => void;
}

/** `learnpool convert`: converts an input to xAPI statements as JSON lines and returns the counts. */
export async function convert(options: ConvertOptions): Promise<Counts> {
  const meter: ByteMeter = { bytes: 0 };
  const counts = emptyCounts();
  const out = LineWriter.open(options.out);
  const errors = options.errors === undefined ? undefined : LineWriter.open(options.errors);
  const progress = new Progress(
    meter,
    inputSize(options.format, options.input),
    options.progress ?? process.stderr.isTTY === true,
  );
  try {
    for await (const outcome of outcomes(options.format, options.input, options.config, {
      ...options,
      meter,
    })) {
      countOutcome(counts, outcome);
      if (outcome.kind === "converted") {
        // One write per record keeps the write calls few without holding more than a record.
        if (outcome.statements.length > 0)
          await out.write(outcome.statements.map((s) => `${JSON.stringify(s)}\n`).join(""));
      } else if (errors) await errors.write(errorLine(outcome));
      else if (outcome.kind === "rejected") options.onRejected?.(outcome);
      progress.update(counts.read);
    }
  } finally {
    progress.stop(counts.read);
    await out.close();
    await errors?.close();
  }
  return counts;
}

/** The counts as one line for people: `read 10 records: 8 converted into 9 statements, 1 skipped, 1 rejected`. */
export function describeCounts(counts: Counts): string {
  return (
    `read ${counts.read} records: ${counts.converted} converted into ${counts.statements} statements, ` +
    `${counts.skipped} skipped, ${counts.rejected} rejected`
  );
}
