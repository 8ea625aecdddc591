/**
 * Identifier predicates of xAPI: IRIs, IRLs, URIs, mailto IRIs, UUIDs, hex digests and media types.
 * Hand-written scanners over char codes: they run several times per statement on the ingest path,
 * so they allocate nothing and never throw.
 */

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** NaN (a read past the end) is not hex, so callers need no bounds checks. */
export function isHexCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Index of the ':' ending a valid RFC 3986 scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), or -1. */
function schemeEnd(s: string): number {
  if (s.length === 0 || !isAlpha(s.charCodeAt(0))) return -1;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) return i;
    if (!(isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return -1;
  }
  return -1;
}

/**
 * The part after the scheme holds only characters RFC 3987 allows somewhere in an IRI: no spaces or
 * controls, none of `"<>\^`{|}`, well-formed percent escapes and surrogate pairs, at most one '#'.
 * The hierarchical structure is not checked further: ids such as `course-v1:FUN-MOOC+00002+session01`
 * or `uuid://7d4f…` are valid absolute IRIs and real datasets use them.
 */
function restIsIri(s: string, from: number, asciiOnly: boolean): boolean {
  let fragments = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
    if (c >= 0x80) {
      if (asciiOnly || c <= 0x9f) return false;
      if (c >= 0xd800 && c <= 0xdbff) {
        const low = s.charCodeAt(i + 1);
        if (!(low >= 0xdc00 && low <= 0xdfff)) return false;
        i++;
      } else if (c >= 0xdc00 && c <= 0xdfff) return false;
      continue;
    }
    switch (c) {
      case 0x22: // "
      case 0x3c: // <
      case 0x3e: // >
      case 0x5c: // \
      case 0x5e: // ^
      case 0x60: // `
      case 0x7b: // {
      case 0x7c: // |
      case 0x7d: // }
        return false;
      case 0x25: // %
        if (!isHexCode(s.charCodeAt(i + 1)) || !isHexCode(s.charCodeAt(i + 2))) return false;
        i += 2;
        break;
      case 0x23: // #
        if (++fragments > 1) return false;
        break;
    }
  }
  return true;
}

/** An absolute IRI (RFC 3987): a scheme, ':', and at least one more character. */
export function isIri(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const colon = schemeEnd(value);
  return colon > 0 && colon < value.length - 1 && restIsIri(value, colon + 1, false);
}

/** An absolute URI (RFC 3986): an IRI in ASCII only. Used for `openid`. */
export function isUri(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const colon = schemeEnd(value);
  return colon > 0 && colon < value.length - 1 && restIsIri(value, colon + 1, true);
}

/** An IRL: an IRI that locates something, i.e. has an authority (`scheme://host…`). */
export function isIrl(value: unknown): value is string {
  if (!isIri(value)) return false;
  const colon = schemeEnd(value);
  return (
    value.charCodeAt(colon + 1) === 0x2f &&
    value.charCodeAt(colon + 2) === 0x2f &&
    colon + 3 < value.length &&
    value.charCodeAt(colon + 3) !== 0x2f
  );
}

/** `mailto:` (scheme in any case) followed by one e-mail address: local part, '@', domain. */
export function isMailtoIri(value: unknown): value is string {
  if (typeof value !== "string" || value.length < 10 || !isIri(value)) return false;
  if (value.slice(0, 7).toLowerCase() !== "mailto:") return false;
  const at = value.lastIndexOf("@");
  if (at <= 7 || at === value.length - 1) return false;
  for (let i = 7; i < at; i++) {
    const c = value.charCodeAt(i);
    // '?' would start mailto header fields and ',' a second address; neither belongs in an IFI.
    if (c === 0x3f || c === 0x2c || c === 0x40 || c === 0x28 || c === 0x29) return false;
  }
  const first = value.charCodeAt(at + 1);
  const last = value.charCodeAt(value.length - 1);
  if (first === 0x2e || first === 0x2d || last === 0x2e || last === 0x2d) return false;
  for (let i = at + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(isAlpha(c) || isDigit(c) || c === 0x2d || c === 0x2e || c >= 0x80)) return false;
    if (c === 0x2e && value.charCodeAt(i + 1) === 0x2e) return false;
  }
  return true;
}

/** A UUID in its standard string form (8-4-4-4-12 hex digits, either case, any version or variant). */
export function isUuid(value: unknown): value is string {
  if (typeof value !== "string" || value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!isHexCode(c)) return false;
  }
  return true;
}

/** A string of hex digits (either case) whose length is one of `lengths`. */
export function isHexOfLength(value: unknown, lengths: readonly number[]): value is string {
  if (typeof value !== "string" || !lengths.includes(value.length)) return false;
  for (let i = 0; i < value.length; i++) if (!isHexCode(value.charCodeAt(i))) return false;
  return true;
}

const SHA1_LENGTHS = [40] as const;
/** SHA-224, SHA-256, SHA-384 and SHA-512 in hex. */
const SHA2_LENGTHS = [56, 64, 96, 128] as const;

export function isSha1Hex(value: unknown): value is string {
  return isHexOfLength(value, SHA1_LENGTHS);
}

export function isSha2Hex(value: unknown): value is string {
  return isHexOfLength(value, SHA2_LENGTHS);
}

/** RFC 9110 tchar: the characters of a token. */
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

function skipToken(s: string, i: number): number {
  while (i < s.length && isTchar(s.charCodeAt(i))) i++;
  return i;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  return i;
}

/** An Internet media type (RFC 9110 §8.3.1): `type/subtype` and `; name=value` parameters. */
export function isMediaType(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const s = value;
  let i = skipToken(s, 0);
  if (i === 0 || s.charCodeAt(i) !== 0x2f) return false;
  const subtype = i + 1;
  i = skipToken(s, subtype);
  if (i === subtype) return false;
  for (;;) {
    i = skipSpace(s, i);
    if (i === s.length) return true;
    if (s.charCodeAt(i) !== 0x3b) return false;
    i = skipSpace(s, i + 1);
    const name = i;
    i = skipToken(s, name);
    if (i === name || s.charCodeAt(i) !== 0x3d) return false;
    i++;
    if (s.charCodeAt(i) === 0x22) {
      // quoted-string: any visible character or space, with backslash escapes
      i++;
      for (;;) {
        if (i >= s.length) return false;
        const c = s.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c) i++;
        else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
        i++;
      }
      i++;
    } else {
      const start = i;
      i = skipToken(s, start);
      if (i === start) return false;
    }
  }
}
