/**
 * multipart/mixed bodies (RFC 2046 §5.1) as xAPI uses them for statements with attachments: the first part
 * holds the statements, each further part the raw octets of one attachment. Binary parts are never turned
 * into strings; only header sections are decoded.
 */
import { randomBytes } from "node:crypto";

/** One body part: header names lower-cased, the body as the exact octets between the delimiters. */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** A multipart body or Content-Type that cannot be read; `message` says what is wrong and where. */
export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultipartError";
  }
}

const DASH_DASH = Buffer.from("--");
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const HYPHEN = 0x2d;

/** RFC 2046 bchars: the characters a boundary may contain (space only inside, never last). */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The media type of a Content-Type value, lower-cased, without parameters ("text/plain; charset=x" → "text/plain"). */
export function mediaTypeOf(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** The boundary parameter of a multipart Content-Type, quoted or not. */
export function multipartBoundary(contentType: string): string {
  if (mediaTypeOf(contentType) !== "multipart/mixed") {
    throw new MultipartError(`Content-Type "${contentType}" is not multipart/mixed`);
  }
  const match = /;\s*boundary\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/i.exec(contentType);
  const raw = match?.[1]?.trim();
  if (raw === undefined || raw === "" || raw === '""') {
    throw new MultipartError(`Content-Type "${contentType}" has no boundary parameter`);
  }
  const boundary = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
  // Real clients send boundaries RFC 2046 forbids (e.g. longer than 70); only what would break parsing is refused.
  if (/[\r\n]/.test(boundary)) throw new MultipartError("the boundary parameter contains a line break");
  return boundary;
}

/**
 * Splits a multipart/mixed body into its parts. Tolerates a preamble and an epilogue, transport padding after
 * a delimiter, header lines without a space after the colon, and bodies whose lines end in LF only (the
 * conformance suite's 1.0.3 templates are LF files): the line ending of the first delimiter line sets the one
 * expected before every later delimiter, so a bare LF inside a CRLF message's binary part stays content.
 */
export function parseMultipartMixed(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = multipartBoundary(contentType);
  const dashBoundary = Buffer.concat([DASH_DASH, Buffer.from(boundary, "latin1")]);

  const first = findFirstDelimiter(body, dashBoundary);
  if (first === undefined) {
    throw new MultipartError(
      `the body has no delimiter line "--${boundary}" for the boundary of the Content-Type`,
    );
  }
  if (first.close) throw new MultipartError("the body has no parts: its first delimiter is the closing one");
  const eol = first.eol;
  const delimiter = Buffer.concat([eol, dashBoundary]);

  const parts: MultipartPart[] = [];
  let start = first.next;
  for (;;) {
    const found = findDelimiter(body, delimiter, start);
    if (found === undefined) {
      throw new MultipartError(
        `part ${parts.length + 1} is not terminated: no delimiter "--${boundary}" and no closing "--${boundary}--" follow it`,
      );
    }
    parts.push(readPart(body.subarray(start, found.at), parts.length + 1));
    if (found.close) return parts;
    start = found.next;
  }
}

interface Delimiter {
  /** Offset where the delimiter (including its leading line ending) starts. */
  at: number;
  /** Offset of the first octet after the delimiter line. */
  next: number;
  close: boolean;
}

/** The first delimiter may open the body or follow a preamble; it fixes the line ending (CRLF or LF). */
function findFirstDelimiter(body: Buffer, dashBoundary: Buffer): (Delimiter & { eol: Buffer }) | undefined {
  let from = 0;
  for (;;) {
    const at = body.indexOf(dashBoundary, from);
    if (at < 0) return undefined;
    if (at === 0 || body[at - 1] === LF) {
      const line = endOfDelimiterLine(body, at + dashBoundary.length);
      if (line !== undefined) {
        const eol = line.crlf === false ? Buffer.from("\n") : Buffer.from("\r\n");
        return { at, next: line.next, close: line.close, eol };
      }
    }
    from = at + 1;
  }
}

function findDelimiter(body: Buffer, delimiter: Buffer, from: number): Delimiter | undefined {
  let search = from;
  for (;;) {
    const at = body.indexOf(delimiter, search);
    if (at < 0) return undefined;
    const line = endOfDelimiterLine(body, at + delimiter.length);
    // "--boundary" followed by anything else is content that merely starts like the boundary.
    if (line !== undefined) return { at, next: line.next, close: line.close };
    search = at + 1;
  }
}

/**
 * After "--boundary": optional "--" (close), optional spaces or tabs (transport padding), then a line ending.
 * A close delimiter may also end the body without a line ending. `crlf` is undefined when nothing followed.
 */
function endOfDelimiterLine(
  body: Buffer,
  from: number,
): { next: number; close: boolean; crlf: boolean | undefined } | undefined {
  let i = from;
  let close = false;
  if (body[i] === HYPHEN && body[i + 1] === HYPHEN) {
    close = true;
    i += 2;
  }
  while (body[i] === SPACE || body[i] === TAB) i++;
  if (i >= body.length) return close ? { next: i, close, crlf: undefined } : undefined;
  if (body[i] === CR && body[i + 1] === LF) return { next: i + 2, close, crlf: true };
  if (body[i] === LF) return { next: i + 1, close, crlf: false };
  // Epilogue text right after the close delimiter is tolerated; an open delimiter needs its line ending.
  return close ? { next: i, close, crlf: undefined } : undefined;
}

/** Headers, a blank line, then the body; a part without headers starts with the blank line. */
function readPart(raw: Buffer, number: number): MultipartPart {
  let headerEnd: number;
  let bodyStart: number;
  if (raw[0] === LF) {
    headerEnd = 0;
    bodyStart = 1;
  } else if (raw[0] === CR && raw[1] === LF) {
    headerEnd = 0;
    bodyStart = 2;
  } else {
    // RFC 2046 lets a part end after its headers (body-part := headers [CRLF *OCTET]): then the body is empty.
    const blank = findBlankLine(raw);
    headerEnd = blank?.headerEnd ?? raw.length;
    bodyStart = blank?.bodyStart ?? raw.length;
  }
  const headers = parseHeaders(raw.subarray(0, headerEnd).toString("latin1"), number);
  return { headers, body: raw.subarray(bodyStart) };
}

function findBlankLine(raw: Buffer): { headerEnd: number; bodyStart: number } | undefined {
  let from = 0;
  for (;;) {
    const lf = raw.indexOf(LF, from);
    if (lf < 0) return undefined;
    if (raw[lf + 1] === LF) return { headerEnd: lf + 1, bodyStart: lf + 2 };
    if (raw[lf + 1] === CR && raw[lf + 2] === LF) return { headerEnd: lf + 1, bodyStart: lf + 3 };
    from = lf + 1;
  }
}

function parseHeaders(text: string, number: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  let last: string | undefined;
  for (const line of lines) {
    if (line === "") continue;
    if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
      // RFC 5322 folding: a continuation line belongs to the previous header.
      headers[last] = `${headers[last] ?? ""} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).trim().toLowerCase();
    if (colon < 0 || !TOKEN.test(name)) {
      throw new MultipartError(
        `part ${number} has a malformed header line "${truncate(line)}" (expected "Name: value")`,
      );
    }
    const value = line.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
    last = name;
  }
  return headers;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Builds a multipart/mixed body with CRLF line endings. Without a boundary, a random one is drawn and redrawn
 * in the (astronomically unlikely) case it occurs in a part; a given boundary that occurs in a part is refused.
 */
export function buildMultipartMixed(
  parts: { headers: Record<string, string>; body: Buffer | string }[],
  boundary?: string,
): { contentType: string; body: Buffer } {
  const bodies = parts.map((part) =>
    typeof part.body === "string" ? Buffer.from(part.body, "utf8") : part.body,
  );
  let chosen = boundary ?? randomBoundary();
  if (!BOUNDARY.test(chosen)) throw new MultipartError(`"${chosen}" is not a valid RFC 2046 boundary`);
  while (bodies.some((body) => body.includes(`--${chosen}`))) {
    if (boundary !== undefined) throw new MultipartError(`the boundary "${boundary}" occurs inside a part`);
    chosen = randomBoundary();
  }

  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    const lines = [`--${chosen}`];
    for (const [name, value] of Object.entries(part.headers)) {
      if (!TOKEN.test(name)) throw new MultipartError(`part ${i + 1} has an invalid header name "${name}"`);
      if (/[\r\n]/.test(value))
        throw new MultipartError(`part ${i + 1}'s header ${name} contains a line break`);
      lines.push(`${name}: ${value}`);
    }
    chunks.push(Buffer.from(`${i === 0 ? "" : "\r\n"}${lines.join("\r\n")}\r\n\r\n`, "utf8"));
    chunks.push(bodies[i] ?? Buffer.alloc(0));
  });
  chunks.push(Buffer.from(`${parts.length === 0 ? "" : "\r\n"}--${chosen}--\r\n`, "utf8"));

  const quoted = TOKEN.test(chosen) ? chosen : `"${chosen}"`;
  return { contentType: `multipart/mixed; boundary=${quoted}`, body: Buffer.concat(chunks) };
}

function randomBoundary(): string {
  return `xapi-${randomBytes(18).toString("hex")}`;
}
