/**
 * Learners' identifying fields prepared for CLK encoding: the normalizations that make the same person
 * written two ways (`Zoé LEFÈVRE` and `zoe lefevre`, `07/03/2004` and `2004-03-07`, `75 011` and
 * `75011`) give the same value, and the default learner linkage schema (names, birth date, postcode,
 * gender). Pure.
 *
 * The preparation is Learnpool's extension of a clkhash v3 schema: a feature may carry
 * `"x-learnpool": {"columns": [...], "normalize": "name" | "text" | "date" | "postcode" | "gender" |
 * "digits" | "none", ...options}` (clkhash ignores the property). Without it, the feature reads the
 * column named like its identifier, unchanged. A partner encoding with clkhash itself must feed it the
 * same prepared values.
 */
import { randomBytes } from "node:crypto";
import type { HashedFeature, LinkageSchema } from "./clk.js";

/** Values written for "unknown" in providers' exports, read as a missing value. */
const MISSING_MARKERS = new Set(["", "n/a", "na", "null", "none", "-", "?", "inconnu", "unknown"]);

/** Letters that Unicode decomposition does not reduce to ASCII. */
const FOLD: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/**
 * Names: accents removed (NFKD, combining marks dropped, ß→ss, œ→oe…), lower case, apostrophes removed
 * (`N'Diaye` → `ndiaye`), hyphens, dots and other separators read as one space, runs of spaces collapsed.
 */
export function normalizeName(raw: string): string {
  const folded = raw
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => FOLD[c] ?? c);
  return folded
    .replace(/['’ʼ`´]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** Free text: as names, digits kept. */
export const normalizeText = normalizeName;

/** Postcodes: upper case, spaces and hyphens removed; `keep` characters kept (masking the rest). */
export function normalizePostcode(raw: string, keep?: number): string {
  const value = raw
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toUpperCase()
    .replace(/[\s.-]+/g, "");
  return keep === undefined ? value : value.slice(0, keep);
}

const MALE = new Set(["m", "male", "man", "masculin", "homme", "h", "garcon", "boy", "1"]);
const FEMALE = new Set(["f", "female", "woman", "feminin", "femme", "fille", "girl", "2"]);

/** Gender: M, F, or X for any other stated value (the schema's enum decides what is accepted). */
export function normalizeGender(raw: string): string {
  const v = normalizeName(raw);
  if (v === "") return "";
  if (MALE.has(v)) return "M";
  if (FEMALE.has(v)) return "F";
  return "X";
}

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/**
 * Dates as providers write them: ISO (`2004-03-07`, with or without a time), `20040307`, or day first
 * (`07/03/2004`, `7.3.2004`, `07-03-04`; `order: "mdy"` for month first). Undefined when not a date.
 */
export function parseLearnerDate(raw: string, order: "dmy" | "mdy" = "dmy"): DateParts | undefined {
  const text = raw.trim();
  let y: number;
  let m: number;
  let d: number;
  const iso =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s].*)?$/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  const dayFirst = /^(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{4}|\d{2})$/.exec(text);
  if (iso) {
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (dayFirst) {
    const [a, b] = [Number(dayFirst[1]), Number(dayFirst[2])];
    [d, m] = order === "dmy" ? [a, b] : [b, a];
    y = Number(dayFirst[3]);
    if (dayFirst[3]!.length === 2) y += y <= 68 ? 2000 : 1900;
  } else {
    return undefined;
  }
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate() || y < 1000) return undefined;
  return { year: y, month: m, day: d };
}

/** Writes a date in a strftime format made of %Y %y %m %d and literal characters. */
export function formatLearnerDate(date: DateParts, format: string): string {
  return format.replace(/%([Yymd%])/g, (_, d: string) => {
    switch (d) {
      case "Y":
        return String(date.year).padStart(4, "0");
      case "y":
        return String(date.year % 100).padStart(2, "0");
      case "m":
        return String(date.month).padStart(2, "0");
      case "d":
        return String(date.day).padStart(2, "0");
      default:
        return "%";
    }
  });
}

export class PreparationError extends Error {
  constructor(
    readonly feature: string,
    reason: string,
    readonly row?: number,
  ) {
    super(`${row === undefined ? "" : `row ${row}, `}feature "${feature}": ${reason}`);
    this.name = "PreparationError";
  }
}

export const NORMALIZERS = ["none", "name", "text", "date", "postcode", "gender", "digits"] as const;

/** The missing-value sentinel of a feature, `""` when it declares none (then missing values are refused). */
function sentinel(feature: HashedFeature): string | undefined {
  return feature.missingValue?.sentinel;
}

/** One feature's value from a source row (columns by name), normalized as its preparation says. */
export function prepareValue(
  feature: HashedFeature,
  row: Readonly<Record<string, string | undefined>>,
  rowNumber?: number,
): string {
  const prep = feature.prepare ?? { columns: [feature.identifier], normalize: "none", options: {} };
  const parts: string[] = [];
  for (const column of prep.columns) {
    const raw = row[column];
    if (raw === undefined) throw new PreparationError(feature.identifier, `no column "${column}"`, rowNumber);
    parts.push(raw);
  }
  if (prep.normalize === "none") return parts.join(" ");
  const missing = sentinel(feature);
  const present = parts.filter((p) => !MISSING_MARKERS.has(p.trim().toLowerCase()));
  const normalized = present.map((p) => normalizeOne(feature, prep.normalize, prep.options, p, rowNumber));
  const value = normalized.filter((v) => v !== "").join(" ");
  if (value === "") {
    if (missing === undefined) throw new PreparationError(feature.identifier, "missing value", rowNumber);
    return missing;
  }
  return value;
}

function normalizeOne(
  feature: HashedFeature,
  normalizer: string,
  options: Record<string, unknown>,
  raw: string,
  rowNumber: number | undefined,
): string {
  switch (normalizer) {
    case "name":
    case "text":
      return normalizeName(raw);
    case "postcode":
      return normalizePostcode(raw, typeof options.keep === "number" ? options.keep : undefined);
    case "gender":
      return normalizeGender(raw);
    case "digits":
      return raw.replace(/\D+/g, "");
    case "date": {
      const order = options.order === "mdy" ? "mdy" : "dmy";
      const date = parseLearnerDate(raw, order);
      if (!date) throw new PreparationError(feature.identifier, "not a recognized date", rowNumber);
      const format = feature.format.type === "date" ? feature.format.format : "%Y%m%d";
      return formatLearnerDate(date, format);
    }
    default:
      throw new PreparationError(feature.identifier, `unknown normalizer "${normalizer}"`);
  }
}

/** Checks the preparation of every feature once, before any row is read. */
export function checkPreparation(schema: LinkageSchema): void {
  for (const f of schema.features) {
    if (f.ignored || !f.prepare) continue;
    if (!(NORMALIZERS as readonly string[]).includes(f.prepare.normalize)) {
      throw new PreparationError(
        f.identifier,
        `x-learnpool.normalize must be one of ${NORMALIZERS.join(", ")}`,
      );
    }
    if (f.prepare.normalize === "date" && f.format.type === "date" && /%[^Ymd%y]/.test(f.format.format)) {
      throw new PreparationError(f.identifier, "the date normalizer writes only %Y %y %m %d");
    }
  }
}

/** The source columns a schema reads, for checking a file's header before encoding. */
export function sourceColumns(schema: LinkageSchema): string[] {
  const columns = new Set<string>();
  for (const f of schema.features) {
    if (f.ignored) continue;
    for (const c of f.prepare?.columns ?? [f.identifier]) columns.add(c);
  }
  return [...columns];
}

/** One value per schema feature (ignored ones empty), ready for `ClkEncoder.encode`. */
export function prepareRecord(
  schema: LinkageSchema,
  row: Readonly<Record<string, string | undefined>>,
  rowNumber?: number,
): string[] {
  return schema.features.map((f) => (f.ignored ? "" : prepareValue(f, row, rowNumber)));
}

export interface LearnerSchemaOptions {
  /** HKDF salt (base64); random when absent. Not secret, but both sides must use the same schema. */
  salt?: string;
  /** Postcode characters kept (e.g. 2 for the French département): masking for small areas. */
  postcodeKeep?: number;
  l?: number;
}

/**
 * The learner linkage schema: one name feature made of the given names and the family name (bigrams,
 * so that swapped or hyphenated names still share almost all their tokens), the birth date (positional
 * digits of YYYYMMDD), the postcode (positional characters, optionally masked) and the gender. A blank
 * or "unknown" value sets no bits. blakeHash, as clkhash's default: it avoids the structure that the
 * double-hashing attacks (Kroll & Steinmetzer 2015) exploit.
 */
export function learnerLinkageSchema(options: LearnerSchemaOptions = {}): Record<string, unknown> {
  const salt = options.salt ?? randomBytes(32).toString("base64");
  const missing = { sentinel: "", replaceWith: "" };
  const postcode: Record<string, unknown> = { columns: ["postcode"], normalize: "postcode" };
  if (options.postcodeKeep !== undefined) postcode.keep = options.postcodeKeep;
  return {
    version: 3,
    clkConfig: { l: options.l ?? 1024, kdf: { type: "HKDF", hash: "SHA256", salt, info: "", keySize: 64 } },
    features: [
      { identifier: "id", ignored: true, description: "the provider's own record id, kept beside the CLK" },
      {
        identifier: "name",
        description: "given names then family name",
        format: { type: "string", encoding: "utf-8", case: "lower" },
        hashing: {
          comparison: { type: "ngram", n: 2 },
          strategy: { bitsPerFeature: 360 },
          hash: { type: "blakeHash" },
          missingValue: missing,
        },
        "x-learnpool": { columns: ["given_names", "family_name"], normalize: "name" },
      },
      {
        identifier: "birth_date",
        format: { type: "date", format: "%Y-%m-%d" },
        hashing: {
          comparison: { type: "ngram", n: 1, positional: true },
          strategy: { bitsPerFeature: 200 },
          hash: { type: "blakeHash" },
          missingValue: missing,
        },
        "x-learnpool": { columns: ["birth_date"], normalize: "date" },
      },
      {
        identifier: "postcode",
        format: { type: "string", encoding: "utf-8", case: "upper" },
        hashing: {
          comparison: { type: "ngram", n: 1, positional: true },
          strategy: { bitsPerFeature: 100 },
          hash: { type: "blakeHash" },
          missingValue: missing,
        },
        "x-learnpool": postcode,
      },
      {
        identifier: "gender",
        format: { type: "enum", values: ["M", "F", "X"] },
        hashing: {
          comparison: { type: "exact" },
          strategy: { bitsPerToken: 30 },
          hash: { type: "blakeHash" },
          missingValue: missing,
        },
        "x-learnpool": { columns: ["gender"], normalize: "gender" },
      },
    ],
  };
}
