/**
 * RFC 5646 language tags, as xAPI uses them for language-map keys and `context.language`.
 * A single pass over the subtags, without splitting the string (tags are checked for every key of every
 * language map on the ingest path).
 */

/** Grandfathered tags (RFC 5646 §2.2.8), lower case: valid although the grammar does not produce them. */
const GRANDFATHERED = new Set([
  "en-gb-oed",
  "i-ami",
  "i-bnn",
  "i-default",
  "i-enochian",
  "i-hak",
  "i-klingon",
  "i-lux",
  "i-mingo",
  "i-navajo",
  "i-pwn",
  "i-tao",
  "i-tay",
  "i-tsu",
  "sgn-be-fr",
  "sgn-be-nl",
  "sgn-ch-de",
  "art-lojban",
  "cel-gaulish",
  "no-bok",
  "no-nyn",
  "zh-guoyu",
  "zh-hakka",
  "zh-min",
  "zh-min-nan",
  "zh-xiang",
]);

// Where the parser is in `language [-script] [-region] *(-variant) *(-extension) [-privateuse]`.
const AFTER_SHORT_LANGUAGE = 0; // a 2-3 letter language: up to three extlangs may follow (states 1, 2)
const AFTER_EXTLANG_2 = 2;
const AFTER_LANGUAGE = 3; // no more extlangs
const AFTER_SCRIPT = 4;
const AFTER_REGION = 5;
const IN_VARIANTS = 6;
const EXTENSION_START = 7; // right after a singleton: at least one 2-8 subtag needed
const IN_EXTENSION = 8;
const PRIVATE_START = 9; // right after 'x': at least one 1-8 subtag needed
const IN_PRIVATE = 10;

/**
 * A well-formed RFC 5646 language tag. Beyond the grammar, a tag repeating an extension singleton
 * (`zh-z-aaa-z-bbb`, which the conformance suite rejects) or a variant is refused, as RFC 5646 §2.2.9
 * requires of valid tags.
 */
export function isLanguageTag(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const s = value;
  const n = s.length;
  if (n === 0 || n > 255) return false;
  let state = -1;
  let singletons = ""; // lower-case singletons seen, to refuse repeats
  let variants: string[] | undefined;
  let start = 0;
  while (start <= n) {
    let end = start;
    let alpha = 0;
    let digit = 0;
    while (end < n) {
      const c = s.charCodeAt(end);
      if (c === 0x2d) break;
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) alpha++;
      else if (c >= 0x30 && c <= 0x39) digit++;
      else return false;
      end++;
    }
    const len = end - start;
    if (len === 0 || len > 8) return GRANDFATHERED.has(s.toLowerCase());
    const allAlpha = alpha === len;
    const allDigit = digit === len;
    if (state === -1) {
      if (len === 1 && (s.charCodeAt(start) | 0x20) === 0x78) state = PRIVATE_START;
      else if (!allAlpha || len === 1) return GRANDFATHERED.has(s.toLowerCase());
      else state = len <= 3 ? AFTER_SHORT_LANGUAGE : AFTER_LANGUAGE;
    } else if (state === PRIVATE_START || state === IN_PRIVATE) {
      state = IN_PRIVATE;
    } else if (len === 1) {
      if (state === EXTENSION_START) return false;
      const singleton = String.fromCharCode(s.charCodeAt(start) | 0x20);
      if (singleton === "x") state = PRIVATE_START;
      else {
        if (singletons.includes(singleton)) return false;
        singletons += singleton;
        state = EXTENSION_START;
      }
    } else if (state === EXTENSION_START || state === IN_EXTENSION) {
      if (len < 2) return false;
      state = IN_EXTENSION;
    } else if (state <= AFTER_EXTLANG_2 && len === 3 && allAlpha) {
      state = state === AFTER_EXTLANG_2 ? AFTER_LANGUAGE : state + 1;
    } else if (state <= AFTER_LANGUAGE && len === 4 && allAlpha) {
      state = AFTER_SCRIPT;
    } else if (state <= AFTER_SCRIPT && ((len === 2 && allAlpha) || (len === 3 && allDigit))) {
      state = AFTER_REGION;
    } else if (len >= 5 || (len === 4 && isDigitCode(s.charCodeAt(start)))) {
      const variant = s.slice(start, end).toLowerCase();
      if (variants === undefined) variants = [variant];
      else if (variants.includes(variant)) return false;
      else variants.push(variant);
      state = IN_VARIANTS;
    } else {
      return GRANDFATHERED.has(s.toLowerCase());
    }
    start = end + 1;
    if (end === n) break;
  }
  // A trailing '-' leaves start === n + 1 after a final empty subtag was refused above; a singleton or
  // 'x' must be followed by at least one subtag.
  return state !== EXTENSION_START && state !== PRIVATE_START;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
