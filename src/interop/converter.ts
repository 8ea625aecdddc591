/**
 * The contract every converter keeps: a stream of source records in, one outcome per record out, in
 * order. Converters are pure translations (no I/O); reading inputs and writing outputs is the
 * pipeline's job (`pipeline.ts`), so that every format streams, reports and counts alike.
 */

/** An xAPI statement as a converter emits it (validated by the `xapi` module downstream). */
export type XapiStatement = Record<string, unknown>;

/** Where a record came from, for the errors file: a line of a file, or a file and an index. */
export interface Position {
  file?: string;
  /** 1-based line number, for JSON lines and CSV inputs. */
  line?: number;
  /** 0-based index, for an element of a JSON array or a row of a table. */
  index?: number;
}

export interface SourceRecord {
  value: unknown;
  position: Position;
}

/** A record that cannot be converted: the reason names what is wrong and where (a property path). */
export class ConversionError extends Error {
  constructor(
    readonly reason: string,
    /** Path of the offending property inside the record, such as `event.other.attemptid`. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = "ConversionError";
  }
}

/**
 * A record of a kind this converter deliberately does not map (an edX event with no xAPI counterpart,
 * a Moodle event logstore_xapi ignores). It is reported and counted as skipped, not as rejected.
 */
export class Unmapped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "Unmapped";
  }
}

export type Outcome =
  | { kind: "converted"; position: Position; statements: XapiStatement[] }
  | { kind: "skipped"; position: Position; reason: string }
  | { kind: "rejected"; position: Position; reason: string };

export interface Converter {
  /** Converts a stream of source records; yields exactly one outcome per record, in order. */
  run(records: AsyncIterable<SourceRecord>): AsyncIterable<Outcome>;
}

/** The outcome of converting one record with a pure per-record function. */
export function outcomeOf(
  convert: (value: unknown, position: Position) => XapiStatement[],
  record: SourceRecord,
): Outcome {
  try {
    return {
      kind: "converted",
      position: record.position,
      statements: convert(record.value, record.position),
    };
  } catch (error) {
    if (error instanceof Unmapped)
      return { kind: "skipped", position: record.position, reason: error.reason };
    if (error instanceof ConversionError) {
      return { kind: "rejected", position: record.position, reason: error.message };
    }
    // A bug in a converter must not pass for a data problem silently: it is reported with its message.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "rejected", position: record.position, reason: `converter failure: ${message}` };
  }
}

/** A converter made of a pure function applied to each record on its own. */
export function perRecord(convert: (value: unknown, position: Position) => XapiStatement[]): Converter {
  return {
    async *run(records) {
      for await (const record of records) yield outcomeOf(convert, record);
    },
  };
}

/**
 * A source format: how to read its input (JSON objects by default; CSV rows, OULAD's folder of tables)
 * and how to make its converter from a configuration (the parsed `--config` file, or undefined).
 */
export interface Format {
  name: string;
  description: string;
  /** Reads the input (a path or `-` for stdin). Absent: the common JSON reader (object, array, JSON lines, gzip). */
  read?(input: string, config: unknown): AsyncIterable<SourceRecord>;
  converter(config: unknown): Converter | Promise<Converter>;
}
