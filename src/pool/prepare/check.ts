/**
 * A small reader of untrusted plain objects that collects every problem with the key path it concerns
 * (`splits.ratios.train: must be a number in [0, 1], got "x"`), so that a spec's author sees them all at
 * once rather than one per run.
 */

export interface SpecIssue {
  /** Dotted key path, with [i] for list items; "" for the document itself. */
  path: string;
  message: string;
}

export class SpecError extends Error {
  constructor(
    readonly issues: readonly SpecIssue[],
    readonly source?: string,
  ) {
    const where = source ? `${source}: ` : "";
    super(
      `${where}invalid build spec (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  ${i.path || "(document)"}: ${i.message}`).join("\n"),
    );
    this.name = "SpecError";
  }
}

export type Plain = Record<string, unknown>;

export function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a value is shown in a message: JSON, short. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Date) return value.toISOString();
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Collects issues while a document is read; every getter returns undefined after recording a problem. */
export class Reader {
  readonly issues: SpecIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** A mapping with only these keys; unknown keys are refused (a typo must not silently fall to a default). */
  object(value: unknown, path: string, allowed: readonly string[]): Plain | undefined {
    if (!isPlain(value)) return this.fail(path, `must be a mapping, got ${show(value)}`);
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        this.fail(join(path, key), `unknown key (allowed here: ${allowed.join(", ")})`);
    return value;
  }

  string(value: unknown, path: string, pattern?: { re: RegExp; what: string }): string | undefined {
    if (typeof value !== "string" || value.trim() === "")
      return this.fail(path, `must be a non-empty string, got ${show(value)}`);
    if (pattern && !pattern.re.test(value))
      return this.fail(path, `must be ${pattern.what}, got ${show(value)}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T | undefined {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value))
      return this.fail(path, `must be one of ${choices.join(", ")}, got ${show(value)}`);
    return value as T;
  }

  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
      return this.fail(
        path,
        `must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`}, got ${show(value)}`,
      );
    return value;
  }

  /** A finite number in a range; `open` excludes the bound(s) named. */
  number(
    value: unknown,
    path: string,
    range: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean } = {},
  ): number | undefined {
    const { min, max, minOpen, maxOpen } = range;
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (min === undefined || (minOpen ? value > min : value >= min)) &&
      (max === undefined || (maxOpen ? value < max : value <= max));
    if (!ok) {
      const lo = min === undefined ? "(-∞" : `${minOpen ? "(" : "["}${min}`;
      const hi = max === undefined ? "∞)" : `${max}${maxOpen ? ")" : "]"}`;
      return this.fail(path, `must be a number in ${lo}, ${hi}, got ${show(value)}`);
    }
    return value as number;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== "boolean") return this.fail(path, `must be true or false, got ${show(value)}`);
    return value;
  }

  /** A list whose items are read by `item`; undefined items (already reported) are dropped. */
  list<T>(
    value: unknown,
    path: string,
    item: (v: unknown, p: string) => T | undefined,
    options: { nonEmpty?: boolean; unique?: boolean } = {},
  ): T[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be a list, got ${show(value)}`);
    if (options.nonEmpty && value.length === 0) return this.fail(path, "must not be empty");
    const out: T[] = [];
    const seen = new Set<string>();
    value.forEach((v, i) => {
      const read = item(v, join(path, i));
      if (read === undefined) return;
      const key = JSON.stringify(read);
      if (options.unique && seen.has(key)) this.fail(join(path, i), `${show(read)} is listed twice`);
      seen.add(key);
      out.push(read);
    });
    return out;
  }

  /**
   * An instant from a YAML date or timestamp (the yaml package gives a Date for `2024-01-01` only under
   * its 1.1 schema; under 1.2 it stays a string) or an ISO 8601 string. A date alone is midnight UTC.
   */
  instant(value: unknown, path: string): Date | undefined {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
    if (typeof value === "string") {
      const re = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
      if (re.test(value)) {
        const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value.replace(" ", "T"));
        if (!Number.isNaN(date.getTime())) return date;
      }
    }
    return this.fail(
      path,
      `must be a date (2024-01-31) or an instant with its offset (2024-01-31T08:00:00Z), got ${show(value)}`,
    );
  }
}
