/**
 * The Python behaviours ERB's output depends on, reproduced exactly: `json.dumps` (which the statement id
 * hashes), `str()` of a value (which tincan applies to a non-list problem response), `"{0:.3f}"` rounding,
 * tincan's ISO 8601 duration and `datetime.isoformat()` of a parsed timestamp.
 */
import { ConversionError } from "../converter.js";

const HEX = "0123456789abcdef";

function escapeCodeUnit(code: number): string {
  return `\\u${HEX[(code >> 12) & 15]}${HEX[(code >> 8) & 15]}${HEX[(code >> 4) & 15]}${HEX[code & 15]}`;
}

/** A string as Python's json.dumps writes it (ensure_ascii escapes every non-ASCII UTF-16 unit). */
export function pyJsonString(value: string, ensureAscii = true): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    let escaped: string | undefined;
    if (code === 34) escaped = '\\"';
    else if (code === 92) escaped = "\\\\";
    else if (code < 32) {
      escaped =
        code === 10
          ? "\\n"
          : code === 13
            ? "\\r"
            : code === 9
              ? "\\t"
              : code === 8
                ? "\\b"
                : code === 12
                  ? "\\f"
                  : escapeCodeUnit(code);
    } else if (code > 126 && ensureAscii) escaped = escapeCodeUnit(code);
    if (escaped !== undefined) {
      out += value.slice(start, i) + escaped;
      start = i + 1;
    }
  }
  return out + value.slice(start) + '"';
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  return String(value);
}

/** Python's `json.dumps(value)` with its default separators `", "` and `": "`. */
export function pyJsonDumps(value: unknown, ensureAscii = true): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return pyJsonString(value, ensureAscii);
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((item) => pyJsonDumps(item, ensureAscii)).join(", ")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value as object)) {
    const item = (value as Record<string, unknown>)[key];
    parts.push(`${pyJsonString(key, ensureAscii)}: ${pyJsonDumps(item, ensureAscii)}`);
  }
  return `{${parts.join(", ")}}`;
}

/** Python's `repr()` of a string: single quotes unless the text holds a `'` and no `"`. */
function pyReprString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 32 || code === 127) out += `\\x${HEX[code >> 4]}${HEX[code & 15]}`;
    else out += char;
  }
  return out + quote;
}

function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return pyReprString(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pyNumber(value).replace("Infinity", "inf");
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value as object)) {
    parts.push(`${pyReprString(key)}: ${pyRepr((value as Record<string, unknown>)[key])}`);
  }
  return `{${parts.join(", ")}}`;
}

/** Python's `str(value)`. */
export function pyStr(value: unknown): string {
  return typeof value === "string" ? value : pyRepr(value);
}

/** Python's truthiness, for `a or b` in ERB. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") {
    for (const _ in value) return true;
    return false;
  }
  return true;
}

/** A number from an event value the way Python's `float()` reads it, or a ConversionError at `path`. */
export function pyFloat(value: unknown, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const text = value.trim();
    const number = Number(text);
    if (text !== "" && !Number.isNaN(number) && !/^0[xob]/i.test(text)) return number;
  }
  throw new ConversionError(`expected a number of seconds, got ${JSON.stringify(value)}`, path);
}

/**
 * ERB's `convert_seconds_to_float`: `float("{0:.3f}".format(float(seconds)))`, None for an absent value.
 * toFixed rounds an exact binary tie up where Python rounds it to even; the tie is detected and corrected.
 */
export function secondsToFloat(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null || (value !== 0 && !pyTruthy(value))) return undefined;
  const seconds = pyFloat(value, path);
  // A whole number of seconds is its own 3-decimal rounding (toFixed writes -0 as 0, hence the `|| 0`).
  if (Number.isSafeInteger(seconds)) return seconds || 0;
  const scaled = seconds * 1000;
  let rounded = Number(seconds.toFixed(3));
  // An exact tie (k + 0.5 thousandths) is a dyadic number only when it is an odd number of sixteenths;
  // any other value that only looks like a tie (0.0005) lies off it, and toFixed rounds it as Python does.
  const sixteenths = seconds * 16;
  if (Number.isFinite(scaled) && Number.isInteger(sixteenths) && sixteenths % 2 !== 0) {
    const floor = Math.floor(scaled);
    rounded = (floor % 2 === 0 ? floor : floor + 1) / 1000;
  }
  return rounded;
}

/** tincan's `jsonify_timedelta` of `timedelta(seconds=value)`: `PT03M15S`, `PT1.5S`, `P1DT00H00M00S`. */
export function isoDuration(totalSeconds: number): string {
  // Python's divmod floors, so a negative duration keeps floor semantics as in tincan.
  let minutes = Math.floor(totalSeconds / 60);
  let seconds = totalSeconds - minutes * 60;
  let hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const days = Math.floor(hours / 24);
  hours -= days * 24;
  seconds = Math.round(seconds * 1e6) / 1e6;
  const date = days ? `${days}D` : "";
  let time = "T";
  let bigger = date !== "" || hours !== 0;
  if (bigger) time += `${String(hours).padStart(2, "0")}H`;
  bigger = bigger || minutes !== 0;
  if (bigger) time += `${String(minutes).padStart(2, "0")}M`;
  if (Number.isInteger(seconds)) time += `${String(seconds).padStart(2, "0")}S`;
  else time += `${seconds.toFixed(6).padStart(9, "0").replace(/0+$/, "")}S`;
  return `P${date}${time}`;
}

// aniso8601's datetime grammar as ERB's inputs use it: a `T` between date and time, optional seconds and
// fraction, and a zone (tincan refuses a timestamp without one).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * The form Open edX writes (`2020-07-15T06:46:41.543562+00:00`: microseconds and a zone), which
 * isoformat() returns unchanged unless its fraction is zero or its zone is -00:00; checked without a regex.
 */
function isCanonical(value: string): boolean {
  if (value.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const code = value.charCodeAt(i);
    const expected = CANONICAL_SHAPE.charCodeAt(i);
    if (expected === 48 /* 0: a digit */) {
      if (code < 48 || code > 57) return false;
    } else if (expected === 43 /* +: a sign */) {
      if (code !== 43 && code !== 45) return false;
    } else if (code !== expected) return false;
  }
  return !value.includes(".000000") && !value.endsWith("-00:00");
}

const CANONICAL_SHAPE = "0000-00-00T00:00:00.000000+00:00";

/** tincan's `make_datetime(value).isoformat()`: the statement's timestamp as ERB writes it. */
export function isoTimestamp(value: unknown, path: string): string {
  if (typeof value !== "string") {
    throw new ConversionError(`expected an ISO 8601 timestamp, got ${JSON.stringify(value)}`, path);
  }
  if (isCanonical(value)) return value;
  const match = TIMESTAMP.exec(value);
  if (!match) {
    throw new ConversionError(`not an ISO 8601 timestamp with a time zone: ${JSON.stringify(value)}`, path);
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, zoneHours, zoneMinutes] = match;
  const micros = fraction ? fraction.slice(0, 6).padEnd(6, "0") : "000000";
  const minutes = zoneMinutes ?? "00";
  // A zero offset is UTC whichever its sign: isoformat() writes +00:00.
  const zone = zulu || (zoneHours === "00" && minutes === "00") ? "+00:00" : `${sign}${zoneHours}:${minutes}`;
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${micros === "000000" ? "" : `.${micros}`}${zone}`;
}
