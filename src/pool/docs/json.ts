/**
 * Deterministic JSON: RFC 8785 (the contract module's, the form every digest of the data space covers)
 * for what is hashed, sorted-key pretty JSON for what people read.
 */
export { canonicalJson } from "../../contract/index.js";

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
