/**
 * The common JSON reader of the interop module: a file (or `-`, stdin) holding one JSON object, a JSON
 * array, JSON lines or concatenated (pretty-printed) JSON objects, gzipped or not, read as a stream of
 * source records in constant memory whatever its size.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { streamArray } from "stream-json/streamers/stream-array.js";
import type { Position, SourceRecord } from "./converter.js";

/**
 * The value of a record the reader could not parse: the pipeline reports it as rejected with its
 * position and this reason, and the run goes on with the next record.
 */
export class MalformedRecord {
  constructor(readonly reason: string) {}
}

export function isMalformed(record: SourceRecord): record is SourceRecord & { value: MalformedRecord } {
  return record.value instanceof MalformedRecord;
}

/** Counts the bytes read from the input as stored (compressed when gzipped), for progress bars. */
export interface ByteMeter {
  bytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** A stream of bytes whose first chunk has been looked at: the chunk, and the whole stream again. */
async function peek(source: AsyncIterable<Buffer>): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* again() {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(again(), { objectMode: false }) };
}

/**
 * Opens a path or `-` (stdin) as a stream of decompressed bytes: gzip is recognised by its magic
 * bytes, not by the file's name, so that `events.log` holding gzip and `x.gz` holding text both work.
 */
export async function openInput(input: string, meter?: ByteMeter): Promise<Readable> {
  const raw: Readable =
    input === "-" ? process.stdin : createReadStream(input, { highWaterMark: 256 * 1024 });
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      if (meter) meter.bytes += chunk.length;
      yield chunk;
    }
  }
  const { head, stream } = await peek(counted());
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    const gunzip = createGunzip();
    stream.on("error", (err) => gunzip.destroy(err));
    return stream.pipe(gunzip);
  }
  return stream;
}

/** The first non-blank character of a byte stream (or undefined), and the whole stream again. */
async function firstCharacter(bytes: Readable): Promise<{ char: string | undefined; stream: Readable }> {
  const skipped: Buffer[] = [];
  const iterator = (bytes as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let char: string | undefined;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    skipped.push(next.value);
    const text = next.value.toString("latin1").trimStart();
    if (text !== "") {
      char = text[0];
      break;
    }
  }
  async function* again() {
    yield* skipped;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { char, stream: Readable.from(again(), { objectMode: false }) };
}

/**
 * The records of a JSON input. A top-level array is streamed element by element (position: index);
 * otherwise each line holding a whole JSON value is a record (position: line), and when the first
 * lines are not whole values the input is read as concatenated, possibly pretty-printed, values
 * (position: the line each starts on). A malformed line or value becomes a `MalformedRecord`.
 */
export async function* readJsonRecords(
  input: string,
  options: { meter?: ByteMeter } = {},
): AsyncGenerator<SourceRecord> {
  const file = input === "-" ? undefined : input;
  const { char, stream } = await firstCharacter(await openInput(input, options.meter));
  if (char === "[") {
    yield* arrayRecords(stream, file);
    return;
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const iterator = lines[Symbol.asyncIterator]();
  // Up to two non-blank lines decide the layout; they are kept to be read again as records.
  const lookahead: { text: string; line: number }[] = [];
  let lineNumber = 0;
  const at = (line: number): Position => (file ? { file, line } : { line });
  while (lookahead.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    lineNumber++;
    if (next.value.trim() !== "") lookahead.push({ text: next.value, line: lineNumber });
    if (lookahead.length === 1 && parses(lookahead[0]!.text)) break;
  }
  const first = lookahead[0];
  if (!first) return;
  const jsonLines = parses(first.text) || (lookahead[1] !== undefined && parses(lookahead[1].text));
  const rest = remainingLines(lookahead, lineNumber, iterator);
  if (jsonLines) {
    for await (const { text, line } of rest) {
      if (text.trim() === "") continue;
      yield parseRecord(text, at(line));
    }
  } else {
    yield* concatenatedValues(rest, at);
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseRecord(text: string, position: Position): SourceRecord {
  try {
    return { value: JSON.parse(text), position };
  } catch (err) {
    return { value: new MalformedRecord(`malformed JSON: ${(err as Error).message}`), position };
  }
}

async function* remainingLines(
  lookahead: { text: string; line: number }[],
  lineNumber: number,
  iterator: AsyncIterator<string>,
): AsyncGenerator<{ text: string; line: number }> {
  yield* lookahead;
  let line = lineNumber;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    line++;
    yield { text: next.value, line };
  }
}

/**
 * Elements of a top-level JSON array, parsed by stream-json so that only one element is in memory at
 * a time. A syntax error ends the array: it is reported as one malformed record at the index after
 * the last element read (the parser reads by chunks, so elements of the failing chunk go with it).
 */
async function* arrayRecords(text: Readable, file: string | undefined): AsyncGenerator<SourceRecord> {
  const elements = text.pipe(streamArray.withParserAsStream());
  text.on("error", (err) => elements.destroy(err));
  // Elements are queued from 'data' events rather than read with for-await: on a syntax error the
  // iterator would drop the elements parsed before it in the same chunk; here they are kept.
  const queue: { key: number; value: unknown }[] = [];
  let failure: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  elements.on("data", (item: { key: number; value: unknown }) => {
    queue.push(item);
    if (queue.length >= 256) elements.pause();
    notify();
  });
  elements.on("error", (err: Error) => {
    failure = err;
    notify();
  });
  elements.on("end", () => {
    ended = true;
    notify();
  });
  let index = 0;
  for (;;) {
    const item = queue.shift();
    if (item) {
      index = item.key + 1;
      yield { value: item.value, position: file ? { file, index: item.key } : { index: item.key } };
      continue;
    }
    if (failure) {
      yield {
        value: new MalformedRecord(
          `malformed JSON array: ${failure.message}; the elements from this index on could not be read`,
        ),
        position: file ? { file, index } : { index },
      };
      return;
    }
    if (ended) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      elements.resume();
    });
  }
}

/**
 * Values spread over several lines (pretty-printed objects, one after another): each value ends where
 * its braces and brackets balance outside strings. A value that does not parse is malformed and the
 * next one starts after it, so one bad value costs only itself.
 */
async function* concatenatedValues(
  lines: AsyncIterable<{ text: string; line: number }>,
  at: (line: number) => Position,
): AsyncGenerator<SourceRecord> {
  let buffer: string[] = [];
  let startLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for await (const { text, line } of lines) {
    if (buffer.length === 0) {
      if (text.trim() === "") continue;
      startLine = line;
    }
    buffer.push(text);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
    }
    if (depth <= 0 && !inString) {
      yield parseRecord(buffer.join("\n"), at(startLine));
      buffer = [];
      depth = 0;
    }
  }
  if (buffer.length > 0) {
    yield {
      value: new MalformedRecord("malformed JSON: the input ends inside a value"),
      position: at(startLine),
    };
  }
}
