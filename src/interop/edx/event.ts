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

/**
 * username, timestamp and session, the bare keys every event is searched for, found in one traversal:
 * each is what its own findNested gives (the same depth-first order, the same rule for null), the
 * traversal only stops going down for a key once that key is settled.
 */
class ScopeSearch {
  username: unknown = undefined;
  timestamp: unknown = undefined;
  session: unknown = undefined;
  usernameDone = false;
  timestampDone = false;
  sessionDone = false;

  constructor(event: EdxEvent) {
    // At the top level a key's value counts as it is, even null.
    if (Object.hasOwn(event, "username")) {
      this.username = event.username;
      this.usernameDone = true;
    }
    if (Object.hasOwn(event, "timestamp")) {
      this.timestamp = event.timestamp;
      this.timestampDone = true;
    }
    if (Object.hasOwn(event, "session")) {
      this.session = event.session;
      this.sessionDone = true;
    }
    if (this.usernameDone && this.timestampDone && this.sessionDone) return;
    for (const name in event) {
      const value = event[name];
      if (isObject(value)) {
        this.search(value, !this.usernameDone, !this.timestampDone, !this.sessionDone);
        if (this.usernameDone && this.timestampDone && this.sessionDone) return;
      }
    }
  }

  /** Deeper, a key present with null stops the search for it in this object's subtree only. */
  private search(source: Record<string, unknown>, username: boolean, timestamp: boolean, session: boolean) {
    if (username && Object.hasOwn(source, "username")) {
      const value = source.username;
      if (value !== undefined && value !== null) {
        this.username = value;
        this.usernameDone = true;
      }
      username = false;
    }
    if (timestamp && Object.hasOwn(source, "timestamp")) {
      const value = source.timestamp;
      if (value !== undefined && value !== null) {
        this.timestamp = value;
        this.timestampDone = true;
      }
      timestamp = false;
    }
    if (session && Object.hasOwn(source, "session")) {
      const value = source.session;
      if (value !== undefined && value !== null) {
        this.session = value;
        this.sessionDone = true;
      }
      session = false;
    }
    if (!username && !timestamp && !session) return;
    for (const name in source) {
      const value = source[name];
      if (isObject(value)) {
        this.search(
          value,
          username && !this.usernameDone,
          timestamp && !this.timestampDone,
          session && !this.sessionDone,
        );
        if (
          (!username || this.usernameDone) &&
          (!timestamp || this.timestampDone) &&
          (!session || this.sessionDone)
        )
          return;
      }
    }
  }
}

/** get_data("username"), get_data("timestamp") and get_data("session") of an event, in one traversal. */
export function scopeData(event: EdxEvent): { username: unknown; timestamp: unknown; session: unknown } {
  const found = new ScopeSearch(event);
  return {
    username: present(found.username),
    timestamp: present(found.timestamp),
    session: present(found.session),
  };
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
  return present(parts === null ? findNested(event, key) : walk(event, parts));
}

/** A read value, or undefined when it is empty. */
function present(value: unknown): unknown {
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
