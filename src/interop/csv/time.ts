/**
 * Timestamps of spreadsheet cells: ISO 8601, a pattern such as `YYYY-MM-DD HH:mm:ss` read in a time zone
 * (an IANA name such as `Europe/Paris`, or an offset such as `+02:00`), or epoch seconds/milliseconds.
 * Pure; the result is an xAPI timestamp in UTC (`…Z`).
 */

/** A parser of one cell into epoch milliseconds, or a reason it cannot be read. */
export type TimeParser = (text: string) => number | string;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const TOKENS: Record<string, string> = {
  YYYY: "(\\d{4})",
  MM: "(\\d{2})",
  M: "(\\d{1,2})",
  DD: "(\\d{2})",
  D: "(\\d{1,2})",
  HH: "(\\d{2})",
  H: "(\\d{1,2})",
  mm: "(\\d{2})",
  ss: "(\\d{2})",
  SSS: "(\\d{1,9})",
  Z: "(Z|[+-]\\d{2}(?::?\\d{2})?)",
};
const TOKEN_PATTERN = /YYYY|SSS|MM|DD|HH|mm|ss|M|D|H|Z/g;
type Field = "year" | "month" | "day" | "hour" | "minute" | "second" | "fraction" | "offset";
const FIELD_OF: Record<string, Field> = {
  YYYY: "year",
  MM: "month",
  M: "month",
  DD: "day",
  D: "day",
  HH: "hour",
  H: "hour",
  mm: "minute",
  ss: "second",
  SSS: "fraction",
  Z: "offset",
};

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
  offset: string | undefined;
}

/** Milliseconds to add to UTC to get the wall clock of `timeZone` at `utc`. */
type ZoneOffset = (utc: number) => number;

/**
 * The time zone's offset function: `UTC`/`Z`, a fixed offset `±HH:MM`, or an IANA zone (daylight
 * saving included, through Intl). Throws with the reason for an unknown zone.
 */
export function zoneOffset(timeZone: string): ZoneOffset {
  if (timeZone === "UTC" || timeZone === "Z") return () => 0;
  const fixed = offsetMinutes(timeZone);
  if (fixed !== undefined) return () => fixed * 60_000;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    throw new Error(`'${timeZone}' is not a time zone (an IANA name such as Europe/Paris, or ±HH:MM)`);
  }
  const exact = (utc: number) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(utc)) if (part.type !== "literal") p[part.type] = +part.value;
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return wall - (utc - (((utc % 1000) + 1000) % 1000));
  };
  // Intl is slow (a third of a row's time): the offset is cached per quarter hour, where it is the same
  // at both ends of the quarter (two changes of offset are never 15 minutes apart); otherwise exact.
  const cache = new Map<number, number | null>();
  return (utc) => {
    const bucket = Math.floor(utc / QUARTER_HOUR);
    let offset = cache.get(bucket);
    if (offset === undefined) {
      const start = exact(bucket * QUARTER_HOUR);
      offset = start === exact((bucket + 1) * QUARTER_HOUR - 1000) ? start : null;
      if (cache.size >= 100_000) cache.clear();
      cache.set(bucket, offset);
    }
    return offset ?? exact(utc);
  };
}

const QUARTER_HOUR = 900_000;

function offsetMinutes(text: string): number | undefined {
  if (/^z$/i.test(text)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(text);
  if (!m) return undefined;
  const minutes = +m[2]! * 60 + +(m[3] ?? 0);
  return m[1] === "-" ? -minutes : minutes;
}

/** Wall-clock parts read in a zone → epoch ms; the offset of the instant itself, so DST is right. */
function instant(parts: Parts, zone: ZoneOffset): number | string {
  const { year, month, day, hour, minute, second } = parts;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return "is not a valid date and time";
  }
  const ms = Math.floor(Number(`0.${parts.fraction || "0"}`) * 1000);
  if (parts.offset !== undefined) return wall - offsetMinutes(parts.offset)! * 60_000 + ms;
  const first = zone(wall);
  let utc = wall - first;
  const second_ = zone(utc);
  if (second_ !== first) utc = wall - second_;
  return utc + ms;
}

/**
 * The parser for a `timestamp.format` of the mapping: `iso`, `epoch-seconds`, `epoch-milliseconds` or a
 * pattern of the tokens YYYY MM M DD D HH H mm ss SSS Z. Throws on an invalid format or zone.
 */
export function timeParser(format: string, timeZone = "UTC"): TimeParser {
  const zone = zoneOffset(timeZone);
  if (format === "epoch-seconds" || format === "epoch-milliseconds") {
    const scale = format === "epoch-seconds" ? 1000 : 1;
    return (text) => {
      const t = text.trim();
      if (!/^-?\d+(\.\d+)?$/.test(t)) return `is not a number of ${format.slice(6)}`;
      return Math.round(Number(t) * scale);
    };
  }
  if (format === "iso") {
    return (text) => {
      const m = ISO.exec(text.trim());
      if (!m) return "is not an ISO 8601 date or date-time";
      return instant(
        {
          year: +m[1]!,
          month: +m[2]!,
          day: +m[3]!,
          hour: +(m[4] ?? 0),
          minute: +(m[5] ?? 0),
          second: +(m[6] ?? 0),
          fraction: m[7] ?? "",
          offset: m[8],
        },
        zone,
      );
    };
  }
  const fields: Field[] = [];
  let source = "";
  let last = 0;
  for (const m of format.matchAll(TOKEN_PATTERN)) {
    source += escapeRegExp(format.slice(last, m.index)) + TOKENS[m[0]]!;
    fields.push(FIELD_OF[m[0]]!);
    last = m.index + m[0].length;
  }
  source += escapeRegExp(format.slice(last));
  for (const required of ["year", "month", "day"] as const) {
    if (!fields.includes(required)) {
      throw new Error(
        `'${format}' has no ${required} (tokens: YYYY MM DD HH mm ss SSS Z; or iso, epoch-seconds, epoch-milliseconds)`,
      );
    }
  }
  const pattern = new RegExp(`^${source}$`);
  return (text) => {
    const m = pattern.exec(text.trim());
    if (!m) return `does not match the date format '${format}'`;
    const parts: Parts = {
      year: 0,
      month: 0,
      day: 0,
      hour: 0,
      minute: 0,
      second: 0,
      fraction: "",
      offset: undefined,
    };
    fields.forEach((field, i) => {
      const value = m[i + 1]!;
      if (field === "fraction") parts.fraction = value;
      else if (field === "offset") parts.offset = value;
      else parts[field] = +value;
    });
    return instant(parts, zone);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An xAPI timestamp (UTC, millisecond precision) for epoch milliseconds. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
