/**
 * RFC 8785 (JSON Canonicalization Scheme) through `canonicalize`. The package is CommonJS whose type
 * declaration says `export default`; under NodeNext the default import is its `module.exports`, the
 * function itself, so it is typed here once.
 */
import canonicalizeModule from "canonicalize";

const serialize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The RFC 8785 canonical text of a JSON value. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError("not a JSON value");
  return text;
}
