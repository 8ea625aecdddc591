/** Small helpers for the plain JSON objects that the converters read and build. */

/** A JSON object as the converters see it: string keys, values not yet checked. */
export type Json = Record<string, unknown>;

/** True for a non-null object that is not an array. */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drops undefined members and empty objects, so that optional parts are absent rather than empty. */
export function prune<T extends Json>(value: T): T {
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as T;
}
