/**
 * Reading an Open edX event the way ERB's `BaseTransformerMixin.get_data` does, because which value a
 * statement carries depends on it: a dotted key walks the path, a bare key is searched depth-first through
 * every nested object (the first non-null hit wins), and an empty value (None, "", [], {}) counts as absent
 * while 0 and false do not.
 */
import { ConversionError } from "../converter.js";

export type EdxEvent = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return true;
  if (typeof value !== "object") return false;
  if (Array.isArray(value)) return value.length === 0;
  for (const _ in value) return false;
  return true;
}

/** ERB's `find_nested`: a key at the top level as it is (even null), deeper only a non-null value. */
function findNested(source: Record<string, unknown>, key: string): unknown {
  // An own key, as Python's `in` on a dict (hasOwn is also far quicker than `in` on events of many shapes).
  if (Object.hasOwn(source, key)) return source[key];
  for (const name in source) {
    const value = source[name];
    if (isObject(value)) {
      const found = findNested(value, key);
      if (found !== undefined && found !== null) return found;
    }
  }
  return undefined;
}

/** A dotted path split once per key, not per event; a bare key maps to null. */
const splitPaths = new Map<string, string[] | null>();

function pathOf(key: string): string[] | null {
  let parts = splitPaths.get(key);
  if (parts === undefined) {
    parts = key.includes(".") ? key.split(".") : null;
    splitPaths.set(key, parts);
  }
  return parts;
}

function walk(event: EdxEvent, parts: string[]): unknown {
  let value: unknown = event;
  for (let i = 0; i < parts.length; i++) {
    if (!isObject(value)) return undefined;
    // The paths' keys are the converter's own, none of them a name Object.prototype has: a plain read
    // gives the own value or undefined.
    value = value[parts[i]!];
  }
  return value;
}

/** ERB's `get_data(key)`: the value, or undefined when absent or empty. */
export function getData(event: EdxEvent, key: string): unknown {
  const parts = pathOf(key);
  const value = parts === null ? findNested(event, key) : walk(event, parts);
  // Strings and numbers, the usual values, are told apart from empty ones without isEmpty's call.
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number") return value;
  return isEmpty(value) ? undefined : value;
}

/** ERB's `get_data(key, required=True)`: a missing or empty value rejects the event, naming the key. */
export function requireData(event: EdxEvent, key: string): unknown {
  const value = getData(event, key);
  if (value === undefined) throw new ConversionError("required value is missing or empty", key);
  return value;
}

/** A required value that must be a string (an id, a path), for the places ERB concatenates it. */
export function requireString(event: EdxEvent, key: string): string {
  const value = requireData(event, key);
  if (typeof value !== "string") {
    throw new ConversionError(`expected a string, got ${JSON.stringify(value)}`, key);
  }
  return value;
}

/** An optional value that, when present, must be a string. */
export function optionalString(event: EdxEvent, key: string): string | undefined {
  const value = getData(event, key);
  if (value === undefined || typeof value === "string") return value;
  throw new ConversionError(`expected a string, got ${JSON.stringify(value)}`, key);
}

/** Python's `a or b or c` over get_data reads (fixed arity: no array per call). */
export function firstOf(event: EdxEvent, first: string, second?: string, third?: string): unknown {
  let value = getData(event, first);
  if (second === undefined || (value !== undefined && value !== 0 && value !== false)) return value;
  value = getData(event, second);
  if (third === undefined || (value !== undefined && value !== 0 && value !== false)) return value;
  return getData(event, third);
}
