/**
 * Cryptographic long-term keys (CLKs): Bloom-filter encodings of a learner's identifying fields, for
 * fuzzy linkage of records that share no identifier. Follows the linkage schema v3 of clkhash (CSIRO
 * Data61, https://github.com/data61/clkhash, `docs/schema.rst` and `clkhash/schemas/v3.json`) so that
 * the same schema, secret and prepared values give the same bits as clkhash:
 *
 * - keys: HKDF (RFC 5869, SHA-256 or SHA-512, the schema's salt and info) expands the shared secret
 *   into two keys of `keySize` bytes per feature, in feature order (ignored features included);
 * - each value is checked against its format, a missing value (the `sentinel`) is replaced, integers
 *   are written back in canonical form, dates as YYYYMMDD;
 * - tokens: n-grams of the value padded with n-1 spaces on each side (`positional` prefixes the 1-based
 *   position and a space), the whole value (`exact`), or neighbourhoods of a number (`numeric`);
 * - each token sets `bitsPerToken` bits, or the feature's `bitsPerFeature` bits are shared among its
 *   tokens (the first `bitsPerFeature mod n` tokens get one more);
 * - `doubleHash` (Schnell et al. 2011): bit i of token m is (h1 + i·h2) mod l, h1 = HMAC-SHA1(key 1, m)
 *   and h2 = HMAC-MD5(key 2, m) read as big-endian integers (`prevent_singularity` re-hashes m‖chr(j)
 *   while h2 ≡ 0); `blakeHash` (the default): keyed BLAKE2b-512 of m under key 1 with salt str(j),
 *   read as 32 little-endian 16-bit integers, each mod l (l a power of two);
 * - filters of l·2^xorFolds bits are OR-ed over the features, then XOR-folded to l bits; bit 0 is the
 *   most significant bit of byte 0 (bitarray's big-endian order), and a CLK is written as base64.
 *
 * Pure: no I/O. Values and secrets never appear in an error; errors name the feature and the rule.
 */
import { createHash, createHmac, hkdfSync } from "node:crypto";
import { blake2b } from "@noble/hashes/blake2b";

// ---------------------------------------------------------------- schema

export type TextEncodingName = "ascii" | "utf-8" | "utf-16" | "utf-32";

export type FeatureFormat =
  | {
      type: "string";
      encoding: TextEncodingName;
      case: "upper" | "lower" | "mixed";
      minLength?: number;
      maxLength?: number;
      pattern?: RegExp;
    }
  | { type: "integer"; encoding: TextEncodingName; minimum?: number; maximum?: number }
  | {
      type: "date";
      encoding: TextEncodingName;
      format: string;
      parse: (text: string) => CalendarDate | undefined;
    }
  | { type: "enum"; encoding: TextEncodingName; values: ReadonlySet<string> };

export type Comparison =
  | { type: "ngram"; n: number; positional: boolean }
  | { type: "exact" }
  | { type: "numeric"; thresholdDistance: number; resolution: number; fractionalPrecision: number };

export type Strategy = { bitsPerToken: number } | { bitsPerFeature: number };

export type FeatureHash = { type: "doubleHash"; preventSingularity: boolean } | { type: "blakeHash" };

/** Learnpool's extension (`x-learnpool` in a feature): which source columns, normalized how. */
export interface FeaturePreparation {
  columns: string[];
  normalize: string;
  /** Options of the normalizer (e.g. `keep` for postcodes). */
  options: Record<string, unknown>;
}

export interface HashedFeature {
  identifier: string;
  ignored: false;
  format: FeatureFormat;
  comparison: Comparison;
  strategy: Strategy;
  hash: FeatureHash;
  missingValue?: { sentinel: string; replaceWith: string };
  prepare?: FeaturePreparation;
}

export interface IgnoredFeature {
  identifier: string;
  ignored: true;
}

export type Feature = HashedFeature | IgnoredFeature;

export interface LinkageSchema {
  version: 3;
  /** Length of a CLK in bits, after folding. */
  l: number;
  xorFolds: number;
  kdf: { hash: "SHA256" | "SHA512"; salt: Buffer; info: Buffer; keySize: number };
  features: Feature[];
  /** `sha256:` of the schema's canonical JSON: both sides of a linkage must show the same. */
  fingerprint: string;
}

export class LinkageSchemaError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`linkage schema: ${where}: ${reason}`);
    this.name = "LinkageSchemaError";
  }
}

/** A value that does not fit its feature: names the row and the feature, never the value. */
export class ClkValueError extends Error {
  constructor(
    readonly feature: string,
    reason: string,
    readonly row?: number,
  ) {
    super(`${row === undefined ? "" : `row ${row}, `}feature "${feature}": ${reason}`);
    this.name = "ClkValueError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const ENCODINGS: readonly TextEncodingName[] = ["ascii", "utf-8", "utf-16", "utf-32"];

/** Reads and checks a linkage schema (v3); every error names the feature and the property at fault. */
export function parseLinkageSchema(input: unknown): LinkageSchema {
  const top = "schema";
  if (!isObject(input)) throw new LinkageSchemaError(top, "must be a JSON object");
  if (input.version !== 3) {
    throw new LinkageSchemaError("version", "only linkage schema version 3 is supported");
  }
  const clk = input.clkConfig;
  if (!isObject(clk)) throw new LinkageSchemaError("clkConfig", "is required (an object)");
  const l = positiveInteger(clk.l, "clkConfig.l", 1);
  const xorFolds = clk.xorFolds === undefined ? 0 : positiveInteger(clk.xorFolds, "clkConfig.xorFolds", 0);
  const kdfIn = clk.kdf;
  if (!isObject(kdfIn)) throw new LinkageSchemaError("clkConfig.kdf", "is required (an object)");
  if (kdfIn.type !== "HKDF") throw new LinkageSchemaError("clkConfig.kdf.type", 'must be "HKDF"');
  const hash = kdfIn.hash ?? "SHA256";
  if (hash !== "SHA256" && hash !== "SHA512") {
    throw new LinkageSchemaError("clkConfig.kdf.hash", 'must be "SHA256" or "SHA512"');
  }
  const kdf = {
    hash,
    salt: base64Field(kdfIn.salt, "clkConfig.kdf.salt"),
    info: base64Field(kdfIn.info, "clkConfig.kdf.info"),
    keySize: kdfIn.keySize === undefined ? 64 : positiveInteger(kdfIn.keySize, "clkConfig.kdf.keySize", 1),
  } as const;
  if (!Array.isArray(input.features) || input.features.length === 0) {
    throw new LinkageSchemaError("features", "must be a non-empty array");
  }
  const features = input.features.map((f, i) => parseFeature(f, i, l * 2 ** xorFolds, kdf.keySize));
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.identifier))
      throw new LinkageSchemaError(`feature "${f.identifier}"`, "identifier repeated");
    seen.add(f.identifier);
  }
  if (!features.some((f) => !f.ignored)) throw new LinkageSchemaError("features", "every feature is ignored");
  const hashLength = hash === "SHA256" ? 32 : 64;
  if (2 * features.length * kdf.keySize > 255 * hashLength) {
    throw new LinkageSchemaError("clkConfig.kdf.keySize", "HKDF cannot give that many keys of that size");
  }
  const fingerprint = `sha256:${createHash("sha256").update(canonicalJson(input)).digest("hex")}`;
  return { version: 3, l, xorFolds, kdf, features, fingerprint };
}

function positiveInteger(value: unknown, where: string, minimum: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum) {
    throw new LinkageSchemaError(where, `must be an integer ≥ ${minimum}`);
  }
  return value;
}

function base64Field(value: unknown, where: string): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new LinkageSchemaError(where, "must be base64-encoded bytes");
  }
  return Buffer.from(value, "base64");
}

function parseFeature(input: unknown, index: number, hashL: number, keySize: number): Feature {
  let where = `features[${index}]`;
  if (!isObject(input)) throw new LinkageSchemaError(where, "must be an object");
  const identifier = input.identifier;
  if (typeof identifier !== "string" || identifier === "") {
    throw new LinkageSchemaError(where, "identifier is required (a non-empty string)");
  }
  where = `feature "${identifier}"`;
  if (input.ignored === true) return { identifier, ignored: true };
  const format = parseFormat(input.format, where);
  const hashing = input.hashing;
  if (!isObject(hashing)) throw new LinkageSchemaError(`${where}: hashing`, "is required (an object)");
  for (const key of Object.keys(hashing)) {
    if (!["comparison", "strategy", "hash", "missingValue"].includes(key)) {
      throw new LinkageSchemaError(`${where}: hashing.${key}`, "unknown property");
    }
  }
  const comparison = parseComparison(hashing.comparison, `${where}: hashing.comparison`);
  const strategy = parseStrategy(hashing.strategy, `${where}: hashing.strategy`);
  const hash = parseHash(hashing.hash, `${where}: hashing.hash`);
  if (hash.type === "blakeHash") {
    if ((hashL & (hashL - 1)) !== 0) {
      throw new LinkageSchemaError(
        `${where}: hashing.hash`,
        "blakeHash needs l·2^xorFolds to be a power of two",
      );
    }
    if (keySize > 64) {
      throw new LinkageSchemaError(
        `${where}: hashing.hash`,
        "blakeHash keys are at most 64 bytes (kdf.keySize)",
      );
    }
  }
  let missingValue: HashedFeature["missingValue"];
  if (hashing.missingValue !== undefined) {
    const m = hashing.missingValue;
    if (!isObject(m) || typeof m.sentinel !== "string") {
      throw new LinkageSchemaError(`${where}: hashing.missingValue`, "needs a sentinel (a string)");
    }
    if (m.replaceWith !== undefined && typeof m.replaceWith !== "string") {
      throw new LinkageSchemaError(`${where}: hashing.missingValue.replaceWith`, "must be a string");
    }
    missingValue = { sentinel: m.sentinel, replaceWith: m.replaceWith ?? m.sentinel };
  }
  const feature: HashedFeature = { identifier, ignored: false, format, comparison, strategy, hash };
  if (missingValue) feature.missingValue = missingValue;
  const extension = input["x-learnpool"];
  if (extension !== undefined)
    feature.prepare = parsePreparation(extension, `${where}: x-learnpool`, identifier);
  return feature;
}

function parsePreparation(input: unknown, where: string, identifier: string): FeaturePreparation {
  if (!isObject(input)) throw new LinkageSchemaError(where, "must be an object");
  const { columns, normalize, ...options } = input;
  let list = [identifier];
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === "string")) {
      throw new LinkageSchemaError(`${where}.columns`, "must be a non-empty array of column names");
    }
    list = columns as string[];
  }
  if (normalize !== undefined && typeof normalize !== "string") {
    throw new LinkageSchemaError(`${where}.normalize`, "must be a string");
  }
  return { columns: list, normalize: normalize ?? "none", options };
}

function parseFormat(input: unknown, where: string): FeatureFormat {
  const at = `${where}: format`;
  if (!isObject(input)) throw new LinkageSchemaError(at, "is required (an object)");
  const encoding = input.encoding ?? "utf-8";
  if (!ENCODINGS.includes(encoding as TextEncodingName)) {
    throw new LinkageSchemaError(`${at}.encoding`, `must be one of ${ENCODINGS.join(", ")}`);
  }
  const enc = encoding as TextEncodingName;
  const optionalInteger = (key: string, minimum: number): number | undefined =>
    input[key] === undefined ? undefined : positiveInteger(input[key], `${at}.${key}`, minimum);
  switch (input.type) {
    case "string": {
      if (input.pattern !== undefined) {
        if (typeof input.pattern !== "string")
          throw new LinkageSchemaError(`${at}.pattern`, "must be a string");
        let pattern: RegExp;
        try {
          pattern = new RegExp(`^(?:${input.pattern})$`, "u");
        } catch {
          throw new LinkageSchemaError(`${at}.pattern`, "is not a valid regular expression");
        }
        return { type: "string", encoding: enc, case: "mixed", pattern };
      }
      const c = input.case ?? "mixed";
      if (c !== "upper" && c !== "lower" && c !== "mixed") {
        throw new LinkageSchemaError(`${at}.case`, 'must be "upper", "lower" or "mixed"');
      }
      const format: FeatureFormat = { type: "string", encoding: enc, case: c };
      const min = optionalInteger("minLength", 0);
      const max = optionalInteger("maxLength", 1);
      if (min !== undefined) format.minLength = min;
      if (max !== undefined) format.maxLength = max;
      return format;
    }
    case "integer": {
      const format: FeatureFormat = { type: "integer", encoding: enc };
      for (const key of ["minimum", "maximum"] as const) {
        const v = input[key];
        if (v === undefined) continue;
        if (typeof v !== "number" || !Number.isInteger(v)) {
          throw new LinkageSchemaError(`${at}.${key}`, "must be an integer");
        }
        format[key] = v;
      }
      return format;
    }
    case "date": {
      if (typeof input.format !== "string") {
        throw new LinkageSchemaError(`${at}.format`, "is required (a strptime format such as %Y-%m-%d)");
      }
      let parse: (text: string) => CalendarDate | undefined;
      try {
        parse = strptime(input.format);
      } catch (error) {
        throw new LinkageSchemaError(`${at}.format`, (error as Error).message);
      }
      return { type: "date", encoding: enc, format: input.format, parse };
    }
    case "enum": {
      const values = input.values;
      if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
        throw new LinkageSchemaError(`${at}.values`, "must be an array of strings");
      }
      return { type: "enum", encoding: enc, values: new Set(values as string[]) };
    }
    default:
      throw new LinkageSchemaError(`${at}.type`, 'must be "string", "integer", "date" or "enum"');
  }
}

function parseComparison(input: unknown, where: string): Comparison {
  if (!isObject(input)) throw new LinkageSchemaError(where, "is required (an object)");
  switch (input.type) {
    case "ngram": {
      const n = positiveInteger(input.n, `${where}.n`, 0);
      if (input.positional !== undefined && typeof input.positional !== "boolean") {
        throw new LinkageSchemaError(`${where}.positional`, "must be true or false");
      }
      return { type: "ngram", n, positional: input.positional === true };
    }
    case "exact":
      return { type: "exact" };
    case "numeric": {
      const d = input.thresholdDistance;
      if (typeof d !== "number" || !(d > 0)) {
        throw new LinkageSchemaError(`${where}.thresholdDistance`, "must be a positive number");
      }
      const resolution = positiveInteger(input.resolution, `${where}.resolution`, 1);
      const fractionalPrecision =
        input.fractional_precision === undefined
          ? 0
          : positiveInteger(input.fractional_precision, `${where}.fractional_precision`, 0);
      if (Math.round(d * 10 ** fractionalPrecision) === 0) {
        throw new LinkageSchemaError(`${where}.thresholdDistance`, "too small for the fractional precision");
      }
      return { type: "numeric", thresholdDistance: d, resolution, fractionalPrecision };
    }
    default:
      throw new LinkageSchemaError(`${where}.type`, 'must be "ngram", "exact" or "numeric"');
  }
}

function parseStrategy(input: unknown, where: string): Strategy {
  if (!isObject(input)) throw new LinkageSchemaError(where, "is required (an object)");
  const keys = Object.keys(input);
  if (keys.length === 1 && keys[0] === "bitsPerToken") {
    return { bitsPerToken: positiveInteger(input.bitsPerToken, `${where}.bitsPerToken`, 1) };
  }
  if (keys.length === 1 && keys[0] === "bitsPerFeature") {
    return { bitsPerFeature: positiveInteger(input.bitsPerFeature, `${where}.bitsPerFeature`, 1) };
  }
  throw new LinkageSchemaError(where, "needs exactly one of bitsPerToken or bitsPerFeature");
}

function parseHash(input: unknown, where: string): FeatureHash {
  if (input === undefined) return { type: "blakeHash" };
  if (!isObject(input)) throw new LinkageSchemaError(where, "must be an object");
  if (input.type === "blakeHash") return { type: "blakeHash" };
  if (input.type === "doubleHash") {
    const p = input.prevent_singularity;
    if (p !== undefined && typeof p !== "boolean") {
      throw new LinkageSchemaError(`${where}.prevent_singularity`, "must be true or false");
    }
    return { type: "doubleHash", preventSingularity: p === true };
  }
  throw new LinkageSchemaError(`${where}.type`, 'must be "doubleHash" or "blakeHash"');
}

// ---------------------------------------------------------------- dates (strptime subset)

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/**
 * The directives of Python's `strptime` a date column needs (%Y %y %m %d %b %B %h %H %M %S %%),
 * case-insensitive, whitespace in the format matching any run of whitespace, as Python does.
 */
export function strptime(format: string): (text: string) => CalendarDate | undefined {
  let source = "";
  const fields: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "%") {
      const d = format[++i];
      switch (d) {
        case "Y":
          source += "(\\d{4})";
          break;
        case "y":
          source += "(\\d{2})";
          break;
        case "m":
          source += "(1[0-2]|0[1-9]|[1-9])";
          break;
        case "d":
          source += "(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])";
          break;
        case "b":
        case "h":
          source += `(${MONTHS.map((m) => m.slice(0, 3)).join("|")})`;
          break;
        case "B":
          source += `(${MONTHS.join("|")})`;
          break;
        case "H":
          source += "(2[0-3]|[0-1]\\d|\\d)";
          break;
        case "M":
        case "S":
          source += "([0-5]\\d|\\d)";
          break;
        case "%":
          source += "%";
          continue;
        default:
          throw new Error(`the directive %${d ?? ""} is not supported`);
      }
      fields.push(d);
    } else if (/\s/.test(c)) {
      while (i + 1 < format.length && /\s/.test(format[i + 1]!)) i++;
      source += "\\s+";
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    }
  }
  if (!fields.includes("Y") && !fields.includes("y")) throw new Error("a date format needs %Y or %y");
  if (!fields.includes("m") && !fields.includes("b") && !fields.includes("B") && !fields.includes("h")) {
    throw new Error("a date format needs a month (%m, %b or %B)");
  }
  if (!fields.includes("d")) throw new Error("a date format needs %d");
  const re = new RegExp(`^${source}$`, "i");
  return (text) => {
    const m = re.exec(text);
    if (!m) return undefined;
    let year = 1900;
    let month = 1;
    let day = 1;
    fields.forEach((f, k) => {
      const v = m[k + 1]!.trim().toLowerCase();
      if (f === "Y") year = Number(v);
      else if (f === "y") year = Number(v) + (Number(v) <= 68 ? 2000 : 1900);
      else if (f === "m") month = Number(v);
      else if (f === "d") day = Number(v);
      else if (f === "b" || f === "h") month = MONTHS.findIndex((x) => x.startsWith(v)) + 1;
      else if (f === "B") month = MONTHS.indexOf(v) + 1;
    });
    if (year < 1 || day > daysInMonth(year, month)) return undefined;
    return { year, month, day };
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The form clkhash hashes a date in: `%Y%m%d`. */
export function compactDate(d: CalendarDate): string {
  return `${d.year}${String(d.month).padStart(2, "0")}${String(d.day).padStart(2, "0")}`;
}

// ---------------------------------------------------------------- values and tokens

function codePoints(text: string): string[] {
  return Array.from(text);
}

/** Checks a value against its feature's format and gives the text clkhash would tokenize. */
export function formatValue(feature: HashedFeature, raw: string): string {
  if (feature.missingValue && raw === feature.missingValue.sentinel) return feature.missingValue.replaceWith;
  const f = feature.format;
  const fail = (reason: string): never => {
    throw new ClkValueError(feature.identifier, reason);
  };
  if (f.encoding === "ascii" && !/^[\x00-\x7f]*$/.test(raw)) fail("not representable in ascii");
  switch (f.type) {
    case "string": {
      if (f.pattern) {
        if (!f.pattern.test(raw)) fail("does not match the format's pattern");
        return raw;
      }
      const length = codePoints(raw).length;
      if (f.minLength !== undefined && length < f.minLength) fail(`shorter than ${f.minLength} characters`);
      if (f.maxLength !== undefined && length > f.maxLength) fail(`longer than ${f.maxLength} characters`);
      if (f.case === "upper" && raw.toUpperCase() !== raw) fail("expected upper case");
      if (f.case === "lower" && raw.toLowerCase() !== raw) fail("expected lower case");
      return raw;
    }
    case "integer": {
      // Python's int(text, 10): surrounding whitespace and a sign allowed.
      const m = /^\s*([+-]?\d+)\s*$/.exec(raw);
      if (!m) return fail("not an integer");
      const value = BigInt(m[1]!);
      if (f.minimum !== undefined && value < BigInt(f.minimum)) fail(`less than ${f.minimum}`);
      if (f.maximum !== undefined && value > BigInt(f.maximum)) fail(`greater than ${f.maximum}`);
      return value.toString();
    }
    case "date": {
      const d = f.parse(raw);
      if (!d) return fail(`not a date in the format ${f.format}`);
      return compactDate(d);
    }
    case "enum":
      if (!f.values.has(raw)) fail("not one of the enumerated values");
      return raw;
  }
}

/** The tokens of a formatted value, as clkhash's comparators make them. */
export function tokenize(comparison: Comparison, word: string): string[] {
  if (word.length === 0) return [];
  switch (comparison.type) {
    case "ngram":
      return ngrams(word, comparison.n, comparison.positional);
    case "exact":
      return [word];
    case "numeric":
      return numericTokens(word, comparison);
  }
}

/** n-grams of ` value ` (n-1 spaces on each side when n > 1); positional ones read `3 lk`. */
export function ngrams(word: string, n: number, positional = false): string[] {
  if (word.length === 0) return [];
  const pad = n > 1 ? " ".repeat(n - 1) : "";
  const chars = codePoints(pad + word + pad);
  const out: string[] = [];
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join("");
    out.push(positional ? `${i + 1} ${gram}` : gram);
  }
  return out;
}

function numericTokens(word: string, c: Extract<Comparison, { type: "numeric" }>): string[] {
  const interval = BigInt(Math.round(c.thresholdDistance * 10 ** c.fractionalPrecision));
  let v: bigint;
  const integer = /^\s*[+-]?\d+\s*$/.test(word);
  if (integer) {
    v = BigInt(word.trim()) * 10n ** BigInt(c.fractionalPrecision);
  } else {
    const x = Number(word);
    if (!Number.isFinite(x)) throw new ClkValueError("numeric", "not a number");
    v = BigInt(c.fractionalPrecision > 0 ? Math.round(x * 10 ** c.fractionalPrecision) : Math.trunc(x));
  }
  v = v * 2n * BigInt(c.resolution);
  const residue = ((v % interval) + interval) % interval;
  if (residue !== 0n) v = residue * 2n < interval ? v - residue : v + (interval - residue);
  const out: string[] = [];
  for (let i = -c.resolution; i <= c.resolution; i++) out.push((v + BigInt(i) * interval).toString());
  return out;
}

/** How many bits each of `count` tokens sets. */
export function bitsPerToken(strategy: Strategy, count: number): number[] {
  if ("bitsPerToken" in strategy) return new Array<number>(count).fill(strategy.bitsPerToken);
  if (count === 0) return [];
  const k = Math.floor(strategy.bitsPerFeature / count);
  const residue = strategy.bitsPerFeature % count;
  return Array.from({ length: count }, (_, i) => (i < residue ? k + 1 : k));
}

/** Bytes of a token in the format's encoding (Python's utf-16/utf-32 codecs write a BOM, little-endian). */
export function encodeText(text: string, encoding: TextEncodingName): Buffer {
  switch (encoding) {
    case "ascii":
    case "utf-8":
      return Buffer.from(text, "utf8");
    case "utf-16":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    case "utf-32": {
      const cps = codePoints(text);
      const out = Buffer.alloc(4 + 4 * cps.length);
      out.writeUInt32LE(0x0000feff, 0);
      cps.forEach((c, i) => {
        out.writeUInt32LE(c.codePointAt(0)!, 4 + 4 * i);
      });
      return out;
    }
  }
}

// ---------------------------------------------------------------- keys and filters

/** Per feature, in schema order, its two keys: HKDF of the secret, split in keySize chunks. */
export function deriveFeatureKeys(schema: LinkageSchema, secret: Uint8Array): Buffer[][] {
  if (secret.length === 0) throw new Error("the linkage secret is empty");
  const { hash, salt, info, keySize } = schema.kdf;
  const perFeature = 2;
  const count = schema.features.length * perFeature;
  const okm = Buffer.from(
    hkdfSync(hash === "SHA256" ? "sha256" : "sha512", secret, salt, info, count * keySize),
  );
  return schema.features.map((_, i) =>
    Array.from({ length: perFeature }, (_, j) =>
      okm.subarray((i * perFeature + j) * keySize, (i * perFeature + j + 1) * keySize),
    ),
  );
}

/** A big-endian unsigned integer modulo m (m < 2^45, so that r·256 stays exact). */
function bytesMod(bytes: Uint8Array, m: number): number {
  let r = 0;
  for (let i = 0; i < bytes.length; i++) r = (r * 256 + bytes[i]!) % m;
  return r;
}

function setBit(filter: Uint8Array, index: number): void {
  filter[index >>> 3]! |= 0x80 >>> (index & 7);
}

export function getBit(filter: Uint8Array, index: number): boolean {
  return (filter[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
}

/** Schnell et al.'s double hashing, keyed per feature, as clkhash's `doubleHash`. */
export function doubleHashInto(
  filter: Uint8Array,
  l: number,
  tokens: readonly Uint8Array[],
  ks: readonly number[],
  keys: readonly Buffer[],
  preventSingularity: boolean,
): void {
  const [keySha1, keyMd5] = keys as [Buffer, Buffer];
  tokens.forEach((m, t) => {
    const h1 = bytesMod(createHmac("sha1", keySha1).update(m).digest(), l);
    let h2 = bytesMod(createHmac("md5", keyMd5).update(m).digest(), l);
    if (preventSingularity) {
      for (let i = 0; h2 === 0; i++) {
        const extra = Buffer.from(String.fromCodePoint(i), "utf8");
        h2 = bytesMod(createHmac("md5", keyMd5).update(m).update(extra).digest(), l);
      }
    }
    const k = ks[t]!;
    for (let i = 0; i < k; i++) setBit(filter, (h1 + i * h2) % l);
  });
}

/** clkhash's `blakeHash`: keyed BLAKE2b-512 with salt str(j), cut into 16-bit little-endian indices. */
export function blakeHashInto(
  filter: Uint8Array,
  l: number,
  tokens: readonly Uint8Array[],
  ks: readonly number[],
  keys: readonly Buffer[],
): void {
  const key = keys[0]!;
  tokens.forEach((m, t) => {
    const k = ks[t]!;
    for (let j = 0; j * 32 < k; j++) {
      const salt = new Uint8Array(16);
      salt.set(Buffer.from(String(j), "ascii"));
      const digest = blake2b(m, { key, salt, dkLen: 64 });
      const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
      for (let i = 0; i < 32 && j * 32 + i < k; i++) setBit(filter, view.getUint16(2 * i, true) % l);
    }
  });
}

/** XOR-folds a filter of `length` bits `folds` times (first half XOR second half). */
export function foldXor(filter: Uint8Array, length: number, folds: number): Uint8Array {
  let current = filter;
  let n = length;
  for (let f = 0; f < folds; f++) {
    const half = n / 2;
    const next = new Uint8Array(Math.ceil(half / 8));
    for (let i = 0; i < half; i++) {
      if (getBit(current, i) !== getBit(current, i + half)) setBit(next, i);
    }
    current = next;
    n = half;
  }
  return current;
}

export function popcount(filter: Uint8Array): number {
  let c = 0;
  for (const byte of filter) {
    let b = byte;
    while (b) {
      b &= b - 1;
      c++;
    }
  }
  return c;
}

/**
 * Encodes records under one schema and secret: the keys are derived once. A record gives one value per
 * feature, in schema order (ignored features' values are not read).
 */
export class ClkEncoder {
  private readonly keys: Buffer[][];
  private readonly hashL: number;

  constructor(
    readonly schema: LinkageSchema,
    secret: Uint8Array,
  ) {
    this.keys = deriveFeatureKeys(schema, secret);
    this.hashL = schema.l * 2 ** schema.xorFolds;
  }

  /** The CLK of one record: `ceil(l / 8)` bytes. `row` only serves error messages. */
  encode(values: readonly (string | undefined)[], row?: number): Uint8Array {
    const { schema, hashL } = this;
    let filter: Uint8Array = new Uint8Array(Math.ceil(hashL / 8));
    schema.features.forEach((feature, i) => {
      if (feature.ignored) return;
      const raw = values[i];
      if (raw === undefined) throw new ClkValueError(feature.identifier, "no value given", row);
      let text: string;
      try {
        text = formatValue(feature, raw);
      } catch (error) {
        if (error instanceof ClkValueError)
          throw new ClkValueError(feature.identifier, stripPrefix(error), row);
        throw error;
      }
      const tokens = tokenize(feature.comparison, text).map((t) => encodeText(t, feature.format.encoding));
      const ks = bitsPerToken(feature.strategy, tokens.length);
      if (feature.hash.type === "doubleHash") {
        doubleHashInto(filter, hashL, tokens, ks, this.keys[i]!, feature.hash.preventSingularity);
      } else {
        blakeHashInto(filter, hashL, tokens, ks, this.keys[i]!);
      }
    });
    if (schema.xorFolds > 0) filter = foldXor(filter, hashL, schema.xorFolds);
    return filter;
  }
}

function stripPrefix(error: ClkValueError): string {
  return error.message.replace(/^(row \d+, )?feature "[^"]*": /, "");
}

/** A CLK as clkhash serializes it: base64 of its bytes. */
export function clkToBase64(clk: Uint8Array): string {
  return Buffer.from(clk.buffer, clk.byteOffset, clk.byteLength).toString("base64");
}

export function clkFromBase64(text: string, l: number): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== Math.ceil(l / 8)) throw new Error(`a CLK of ${l} bits has ${Math.ceil(l / 8)} bytes`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
