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
  if (key in source) return source[key];
  for (const name in source) {
    const value = source[name];
    if (isObject(value)) {
      const found = findNested(value, key);
      if (found !== undefined && found !== null) return found;
    }
  }
  return undefined;
}

/** A dotted path split once per key, not per event. */
const splitPaths = new Map<string, string[]>();

function walk(event: EdxEvent, key: string): unknown {
  let parts = splitPaths.get(key);
  if (parts === undefined) {
    parts = key.split(".");
    splitPaths.set(key, parts);
  }
  let value: unknown = event;
  for (const part of parts) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** ERB's `get_data(key)`: the value, or undefined when absent or empty. */
export function getData(event: EdxEvent, key: string): unknown {
  const value = key.includes(".") ? walk(event, key) : findNested(event, key);
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

/** Python's `value or fallback` over two get_data reads. */
export function firstOf(event: EdxEvent, ...keys: string[]): unknown {
  let value: unknown;
  for (const key of keys) {
    value = getData(event, key);
    if (value !== undefined && value !== 0 && value !== false) return value;
  }
  return value;
}
