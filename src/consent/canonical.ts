/**
 * RFC 8785 canonical JSON through `canonicalize` (CommonJS typed as `export default`: under NodeNext
 * the default import is the function itself), as in the contract module.
 */
import canonicalizeModule from "canonicalize";

const serialize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError("not a JSON value");
  return text;
}
