/**
 * Deterministic JSON: RFC 8785 for what is hashed, sorted-key pretty JSON for what people read.
 * `canonicalize` is CommonJS typed as `export default`; under NodeNext the default import is the function.
 */
import canonicalizeModule from "canonicalize";

const serialize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The RFC 8785 canonical text of a JSON value. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError("not a JSON value");
  return text;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Pretty JSON with keys sorted at every level and a final newline, so equal inputs give equal bytes. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
