/**
 * Streaming CSV rows: bytes decoded with a chosen encoding (invalid bytes are an error, not replaced),
 * parsed by csv-parse one record at a time, so memory stays constant whatever the file's size. Shared
 * by the `csv` and `oulad` formats.
 */
import { createReadStream } from "node:fs";
import { pipeline, type Readable, Transform } from "node:stream";
import { parse } from "csv-parse";

export interface CsvReadOptions {
  /** Field separator; default `,`. */
  delimiter?: string;
  /** Quote character; default `"`; `null` for none. */
  quote?: string | null;
  /** Escape character inside quoted fields; default the quote itself (`""`). */
  escape?: string;
  /** A WHATWG encoding label: `utf-8` (default), `windows-1252`, `iso-8859-1`, `utf-16le`… */
  encoding?: string;
  /** The first row names the columns (default true). */
  header?: boolean;
  /** Column names when there is no header row (or to replace the header's). */
  columns?: string[];
  /** Trim spaces around each field. */
  trim?: boolean;
}

/**
 * A row of a table: its cells by column name, and the 1-based line it starts on. A row whose cell
 * count differs from the header's carries `malformed` instead (and `cells` is empty).
 */
export interface CsvRow {
  line: number;
  cells: Record<string, string>;
  malformed?: string;
}

/** The label a position or message gives a file: the path as given, or `stdin`. */
export function fileLabel(input: string): string {
  return input === "-" ? "stdin" : input;
}

/** A text decoder as a stream stage; undecodable bytes fail the read with the encoding named. */
function decoder(encoding: string, file: string): Transform {
  let text: InstanceType<typeof TextDecoder>;
  try {
    text = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new Error(`${file}: unknown encoding '${encoding}'`);
  }
  let offset = 0;
  const fail = (size: number) =>
    new Error(`${file}: bytes near offset ${offset} are not valid ${text.encoding} (size ${size})`);
  return new Transform({
    readableObjectMode: false,
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      try {
        const out = text.decode(chunk, { stream: true });
        offset += chunk.length;
        done(null, out);
      } catch {
        done(fail(chunk.length));
      }
    },
    flush(done) {
      try {
        done(null, text.decode());
      } catch {
        done(fail(0));
      }
    },
  });
}

/** How many lines a parsed record spans beyond its first: line breaks can only sit in quoted fields. */
function extraLines(fields: string[]): number {
  let n = 0;
  for (const field of fields) {
    if (field.indexOf("\n") < 0 && field.indexOf("\r") < 0) continue;
    n += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  }
  return n;
}

/**
 * The header (or the configured column names), then every data row of a CSV file (or `-`, stdin).
 * Blank lines are passed over. A syntax error (an unclosed quote…) ends the read with an error that
 * names the file and the line.
 */
export async function* readCsvRows(
  input: string,
  options: CsvReadOptions = {},
  onHeader?: (columns: string[]) => void,
): AsyncGenerator<CsvRow> {
  const file = fileLabel(input);
  const source: Readable = input === "-" ? process.stdin : createReadStream(input);
  const parser = parse({
    delimiter: options.delimiter ?? ",",
    quote: options.quote === undefined ? '"' : options.quote,
    escape: options.escape ?? (options.quote === undefined ? '"' : (options.quote ?? undefined)),
    relax_column_count: true,
    trim: options.trim ?? false,
    columns: false,
  });
  pipeline(source, decoder(options.encoding ?? "utf-8", file), parser, () => {
    // Errors surface through the parser's iteration below.
  });
  let headerPending = options.header ?? true;
  let columns: string[] | undefined = options.columns;
  let announced = false;
  const announce = () => {
    if (!announced && columns) onHeader?.(columns);
    announced = true;
  };
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = line;
      line += 1 + extraLines(record);
      if (record.length === 1 && record[0] === "") continue;
      if (headerPending) {
        headerPending = false;
        if (!columns) columns = checkedHeader(record, file);
        announce();
        continue;
      }
      if (!columns) throw new Error(`${file}: no column names (header is false and no columns are given)`);
      announce();
      if (record.length !== columns.length) {
        yield {
          line: start,
          cells: {},
          malformed: `${file}, line ${start}: ${record.length} fields where the header has ${columns.length}`,
        };
        continue;
      }
      const cells: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) cells[columns[i]!] = record[i]!;
      yield { line: start, cells };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith(file)) throw error;
    throw new Error(`${file}: CSV syntax error: ${message}`);
  } finally {
    if (!source.destroyed && input !== "-") source.destroy();
  }
  announce();
}

function checkedHeader(record: string[], file: string): string[] {
  const seen = new Map<string, number>();
  record.forEach((name, i) => {
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new Error(`${file}: the header repeats column '${name}' (columns ${earlier + 1} and ${i + 1})`);
    }
    seen.set(name, i);
  });
  return record;
}
