/**
 * xAPI time values: Timestamps (ISO 8601 date-times, read as RFC 3339 allows them) and Durations
 * (ISO 8601:2004 §4.4.3.2). Scanners over char codes, no regular expressions, no exceptions.
 */

/** A point in time to sub-millisecond precision: `ms` since the epoch plus `nanos` (0-999999) within it. */
export interface Instant {
  ms: number;
  nanos: number;
}

function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The value of `count` digits at `i`, or -1. */
function digits(s: string, i: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = digitAt(s, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * Reads an ISO 8601 date-time in extended (`2013-05-18T05:32:34.804+02:00`) or basic
 * (`20130518T053234Z`) format; `T`, `t` or a space (RFC 3339 §5.6) between date and time; seconds and
 * fraction optional; offset `Z`, `±hh`, `±hhmm` or `±hh:mm`, UTC when absent. A negative zero offset
 * (`-00`, `-0000`, `-00:00`, RFC 3339's "unknown local offset") is refused: the conformance suite
 * rejects it under both xAPI versions.
 */
export function parseInstant(value: unknown): Instant | undefined {
  if (typeof value !== "string") return undefined;
  const s = value;
  const n = s.length;
  if (n < 13 || n > 64) return undefined;
  const year = digits(s, 0, 4);
  if (year < 0) return undefined;
  const extended = s.charCodeAt(4) === 0x2d;
  let i = 4;
  if (extended) i++;
  const month = digits(s, i, 2);
  i += 2;
  if (extended) {
    if (s.charCodeAt(i) !== 0x2d) return undefined;
    i++;
  }
  const day = digits(s, i, 2);
  i += 2;
  const sep = s.charCodeAt(i);
  if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) return undefined;
  i++;
  const hour = digits(s, i, 2);
  i += 2;
  if (extended) {
    if (s.charCodeAt(i) !== 0x3a) return undefined;
    i++;
  }
  const minute = digits(s, i, 2);
  i += 2;
  let second = 0;
  if (extended ? s.charCodeAt(i) === 0x3a : digitAt(s, i) >= 0) {
    if (extended) i++;
    second = digits(s, i, 2);
    i += 2;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  let ms = 0;
  let nanos = 0;
  const mark = s.charCodeAt(i);
  if (mark === 0x2e || mark === 0x2c) {
    i++;
    const from = i;
    while (digitAt(s, i) >= 0) {
      const d = digitAt(s, i);
      const place = i - from;
      if (place < 3) ms = ms * 10 + d;
      else if (place < 9) nanos = nanos * 10 + d;
      i++;
    }
    const count = i - from;
    if (count === 0) return undefined;
    for (let k = count; k < 3; k++) ms *= 10;
    for (let k = Math.max(count, 3); k < 9; k++) nanos *= 10;
  }
  let offsetMinutes = 0;
  if (i < n) {
    const sign = s.charCodeAt(i);
    if ((sign === 0x5a || sign === 0x7a) && i === n - 1) {
      i++;
    } else if (sign === 0x2b || sign === 0x2d) {
      i++;
      const oh = digits(s, i, 2);
      i += 2;
      let om = 0;
      if (i < n) {
        if (s.charCodeAt(i) === 0x3a) i++;
        om = digits(s, i, 2);
        i += 2;
      }
      if (i !== n || oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
      if (sign === 0x2d && oh === 0 && om === 0) return undefined;
      offsetMinutes = (sign === 0x2d ? -1 : 1) * (oh * 60 + om);
    } else return undefined;
  }
  if (i !== n) return undefined;
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) {
    // Date.UTC maps years 0-99 to 1900-1999.
    const d = new Date(t);
    d.setUTCFullYear(year);
    t = d.getTime();
  }
  return { ms: t - offsetMinutes * 60_000, nanos };
}

/** Milliseconds since the epoch of an xAPI Timestamp (also the `since`/`until` parameters), or undefined. */
export function parseTimestamp(value: unknown): number | undefined {
  return parseInstant(value)?.ms;
}

export function isTimestamp(value: unknown): value is string {
  return parseInstant(value) !== undefined;
}

// Designators in the order ISO 8601 requires them, before and after 'T'.
const DATE_DESIGNATORS = "YMD";
const TIME_DESIGNATORS = "HMS";

/**
 * An ISO 8601:2004 §4.4.3.2 duration: `PnYnMnDTnHnMnS` (any components, in order, at least one; only the
 * last may carry a decimal fraction) or `PnW`. The alternative format (`P0003-06-04T12:30:05`) and mixing
 * weeks with other components (`P4W1D`) are refused, as the conformance suite expects.
 */
export function isIsoDuration(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const s = value;
  const n = s.length;
  if (n < 3 || s.charCodeAt(0) !== 0x50) return false;
  let i = 1;
  let components = 0;
  let fractional = false;
  let inTime = false;
  let order = 0; // index in the current designator list that the next component must reach
  while (i < n) {
    if (s.charCodeAt(i) === 0x54) {
      if (inTime || i === n - 1) return false;
      inTime = true;
      order = 0;
      i++;
      continue;
    }
    if (fractional) return false;
    const from = i;
    while (digitAt(s, i) >= 0) i++;
    if (i === from) return false;
    const mark = s.charCodeAt(i);
    if (mark === 0x2e || mark === 0x2c) {
      i++;
      const fraction = i;
      while (digitAt(s, i) >= 0) i++;
      if (i === fraction) return false;
      fractional = true;
    }
    const designator = s[i];
    if (designator === undefined) return false;
    i++;
    if (designator === "W") {
      // weeks stand alone
      return !inTime && components === 0 && i === n;
    }
    const list = inTime ? TIME_DESIGNATORS : DATE_DESIGNATORS;
    const at = list.indexOf(designator, order);
    if (at < 0) return false;
    order = at + 1;
    components++;
  }
  return components > 0;
}
