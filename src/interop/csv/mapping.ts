/**
 * The declarative mapping of a CSV file to xAPI: the JSON a provider writes instead of code. This file
 * checks a mapping once, at load, with errors that name the bad key (`mapping.result.score.raw: …`),
 * and compiles it into functions from a row to the statement's parts. Pure: no I/O.
 */
import { v5 as uuidv5 } from "uuid";
import { isIri, isIsoDuration, isLanguageTag, isUuid } from "../../xapi/index.js";
import { ConversionError } from "../converter.js";
import type { CsvReadOptions } from "./read.js";
import { isoTimestamp, type TimeParser, timeParser } from "./time.js";

/** A mapping that cannot be used; the message names the key at fault. */
export class MappingError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "MappingError";
  }
}

/** A row as the mapping sees it: the line it starts on and its cells by column name. */
export interface Row {
  line: number;
  cells: Record<string, string>;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A compiled value: a function of the row (undefined when its cells are empty) and the columns it reads. */
export interface Value<T> {
  of(row: Row): T | undefined;
  columns: string[];
  /** The mapping key it came from, for messages. */
  path: string;
}

type Kind = "text" | "iri" | "number" | "integer" | "boolean" | "duration" | "json" | "uuid";

export interface SkipRule {
  column: string;
  test(value: string | undefined): boolean;
  describe: string;
  reason?: string;
}

export interface CompiledActivity {
  id: Value<string>;
  type?: Value<string>;
  name?: [string, Value<string>][];
  description?: [string, Value<string>][];
  extensions?: [string, Value<Json>][];
}

export type CompiledVerb =
  | { kind: "constant"; id: string; display?: Record<string, string> }
  | {
      kind: "mapped";
      column: string;
      map: Map<string, { id: string; display?: Record<string, string> }>;
    };

/** A mapping checked and compiled: what the reader and the converter need. */
export interface CompiledMapping {
  csv: CsvReadOptions;
  missing: Set<string>;
  skip: SkipRule[];
  id?: { namespace: string; columns: string[] };
  actor: {
    mbox?: Value<string>;
    account?: { homePage: Value<string>; name: Value<string> };
    name?: Value<string>;
  };
  verb: CompiledVerb;
  object: CompiledActivity;
  result?: {
    score?: { raw?: Value<number>; min?: Value<number>; max?: Value<number>; scaled?: Value<number> };
    success?: Value<boolean>;
    completion?: Value<boolean>;
    duration?: Value<string>;
    response?: Value<string>;
    extensions?: [string, Value<Json>][];
  };
  context?: {
    registration?: Value<string>;
    platform?: Value<string>;
    language?: Value<string>;
    contextActivities?: Partial<Record<ContextKind, CompiledActivity[]>>;
    extensions?: [string, Value<Json>][];
  };
  timestamp?: { column: string; parse: TimeParser; format: string };
  /** Every column the mapping reads, to check against the header before the first row. */
  columns: Set<string>;
}

type ContextKind = "parent" | "grouping" | "category" | "other";
const CONTEXT_KINDS: ContextKind[] = ["parent", "grouping", "category", "other"];

type Obj = Record<string, unknown>;
function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function only(path: string, value: Obj, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new MappingError(`${path}.${key}`, `unknown key (allowed here: ${allowed.join(", ")})`);
    }
  }
}

function obj(path: string, value: unknown): Obj {
  if (!isObj(value)) throw new MappingError(path, `must be an object, not ${JSON.stringify(value)}`);
  return value;
}

function str(path: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new MappingError(path, "must be a non-empty string");
  return value;
}

function strings(path: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new MappingError(path, "must be an array of strings");
  }
  return value as string[];
}

/** `'abc'` with its line and column, the shape of every cell error. */
function cellError(row: Row, column: string, text: string, what: string): ConversionError {
  return new ConversionError(`line ${row.line}, column ${column}: '${text}' ${what}`);
}

// ---- templates ----------------------------------------------------------------------------------

type Part = { literal: string } | { column: string };

/** `https://x/{course}/m/{module}`: literals and `{column}` placeholders; `{{` and `}}` are braces. */
function parseTemplate(path: string, text: string): Part[] {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" && text[i + 1] === "{") {
      literal += "{";
      i++;
    } else if (c === "}" && text[i + 1] === "}") {
      literal += "}";
      i++;
    } else if (c === "{") {
      const end = text.indexOf("}", i);
      if (end < 0) throw new MappingError(path, `unclosed '{' in template '${text}'`);
      const column = text.slice(i + 1, end);
      if (column === "") throw new MappingError(path, `empty placeholder '{}' in template '${text}'`);
      if (literal) parts.push({ literal });
      literal = "";
      parts.push({ column });
      i = end;
    } else if (c === "}") {
      throw new MappingError(path, `unmatched '}' in template '${text}' (write '}}' for a brace)`);
    } else literal += c;
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** Percent-encodes a value placed inside an IRI (so `a/b c` is one segment: `a%2Fb%20c`). */
function encodeSegment(row: Row, column: string, text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    throw cellError(row, column, text, "cannot be placed in an IRI (invalid Unicode)");
  }
}

// ---- values -------------------------------------------------------------------------------------

const KINDS_OF_TYPE: Record<string, Kind> = {
  string: "text",
  number: "number",
  integer: "integer",
  boolean: "boolean",
};
const DURATION_UNITS = ["seconds", "milliseconds", "iso"];
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "yes", "y", "1", "t"]);
const FALSE = new Set(["false", "no", "n", "0", "f"]);

function secondsToDuration(seconds: number): string {
  const fixed = Number(seconds.toFixed(2));
  return `PT${fixed}S`;
}

/** Converts a cell's text (or a mapped constant) to the position's kind; a string is the reason it failed. */
function coerce(kind: Kind, value: Json, unit?: string): Json | Failure {
  const text = typeof value === "string" ? value.trim() : undefined;
  switch (kind) {
    case "text":
    case "iri":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "number":
    case "integer": {
      const n =
        typeof value === "number" ? value : text !== undefined && NUMBER.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(n))
        return new Failure(kind === "integer" ? "is not an integer" : "is not a number");
      if (kind === "integer" && !Number.isInteger(n)) return new Failure("is not an integer");
      return n;
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      if (text !== undefined && TRUE.has(text.toLowerCase())) return true;
      if (text !== undefined && FALSE.has(text.toLowerCase())) return false;
      return new Failure("is not a boolean (true/false, yes/no, y/n, 1/0)");
    case "duration": {
      if (unit === "iso") {
        return typeof value === "string" && isIsoDuration(value.trim())
          ? value.trim()
          : new Failure("is not an ISO 8601 duration");
      }
      const n =
        typeof value === "number" ? value : text !== undefined && NUMBER.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(n) || n < 0)
        return new Failure(`is not a non-negative number of ${unit ?? "seconds"}`);
      return secondsToDuration(unit === "milliseconds" ? n / 1000 : n);
    }
    case "uuid":
      return typeof value === "string" && isUuid(value.trim())
        ? value.trim().toLowerCase()
        : new Failure("is not a UUID");
    case "json":
      return value;
  }
}

interface Compiler {
  missing: Set<string>;
  columns: Set<string>;
  idNamespace?: string;
}

function cellOf(c: Compiler, row: Row, column: string): string | undefined {
  const text = row.cells[column];
  return text === undefined || c.missing.has(text) ? undefined : text;
}

/**
 * A value of the mapping at `path` for a position of `kind`: a template string (placeholders
 * percent-encoded when `kind` is `iri`), a number or boolean constant, `{ "value": … }` (any JSON
 * constant), `{ "column": …, "map"?, "default"?, "type"?, "unit"? }`, or for UUIDs `{ "uuidOf": [...] }`.
 */
function value<T>(c: Compiler, path: string, spec: unknown, kind: Kind): Value<T> {
  if (typeof spec === "string") return template(c, path, spec, kind) as Value<T>;
  if (typeof spec === "number" || typeof spec === "boolean") return constant(path, spec, kind) as Value<T>;
  if (!isObj(spec)) throw new MappingError(path, `must be a template string, a constant or an object`);
  if ("value" in spec) {
    only(path, spec, ["value"]);
    return constant(path, spec.value as Json, kind) as Value<T>;
  }
  if ("uuidOf" in spec) {
    if (kind !== "uuid") throw new MappingError(`${path}.uuidOf`, "is only for context.registration");
    only(path, spec, ["uuidOf", "namespace"]);
    const columns = strings(`${path}.uuidOf`, spec.uuidOf);
    if (columns.length === 0) throw new MappingError(`${path}.uuidOf`, "names no column");
    const namespace = spec.namespace === undefined ? c.idNamespace : str(`${path}.namespace`, spec.namespace);
    if (!namespace || !isUuid(namespace)) {
      throw new MappingError(`${path}.namespace`, "needs a UUID namespace (here or in id.namespace)");
    }
    for (const col of columns) c.columns.add(col);
    return {
      path,
      columns,
      of(row) {
        const values = columns.map((col) => cellOf(c, row, col));
        if (values.some((v) => v === undefined)) return undefined;
        return uuidv5(JSON.stringify(values), namespace) as T;
      },
    };
  }
  if (!("column" in spec)) {
    throw new MappingError(
      path,
      `an object here needs "column", "value"${kind === "uuid" ? ' or "uuidOf"' : ""}`,
    );
  }
  only(path, spec, ["column", "map", "default", "type", "unit"]);
  const column = str(`${path}.column`, spec.column);
  c.columns.add(column);
  let effective = kind;
  if (spec.type !== undefined) {
    if (kind !== "json")
      throw new MappingError(`${path}.type`, "is only for extension values (the position sets the type)");
    const mapped = KINDS_OF_TYPE[spec.type as string];
    if (!mapped)
      throw new MappingError(`${path}.type`, `must be one of ${Object.keys(KINDS_OF_TYPE).join(", ")}`);
    effective = mapped;
  }
  let unit: string | undefined;
  if (spec.unit !== undefined) {
    if (kind !== "duration") throw new MappingError(`${path}.unit`, "is only for result.duration");
    if (!DURATION_UNITS.includes(spec.unit as string)) {
      throw new MappingError(`${path}.unit`, `must be one of ${DURATION_UNITS.join(", ")}`);
    }
    unit = spec.unit as string;
  }
  let map: Map<string, Json> | undefined;
  if (spec.map !== undefined) {
    const entries = Object.entries(obj(`${path}.map`, spec.map)) as [string, Json][];
    for (const [key, mapped] of entries) {
      const coerced = coerce(effective, mapped, unit);
      if (isFailure(coerced))
        throw new MappingError(`${path}.map.${key}`, `${JSON.stringify(mapped)} ${coerced.error}`);
    }
    map = new Map(entries);
  }
  const fallback =
    spec.default === undefined ? undefined : constant(`${path}.default`, spec.default as Json, kind);
  return {
    path,
    columns: [column],
    of(row) {
      const text = cellOf(c, row, column);
      if (text === undefined) return fallback?.of(row) as T | undefined;
      let raw: Json = text;
      if (map) {
        if (!map.has(text)) {
          throw cellError(
            row,
            column,
            text,
            `is not one of the values ${path}.map lists (${[...map.keys()].join(", ")})`,
          );
        }
        raw = map.get(text)!;
      }
      const coerced = coerce(effective, raw, unit);
      if (isFailure(coerced)) throw cellError(row, column, text, coerced.error);
      return coerced as T;
    },
  };
}

class Failure {
  constructor(readonly error: string) {}
}

function isFailure(v: Json | Failure): v is Failure {
  return v instanceof Failure;
}

function constant(path: string, spec: Json, kind: Kind): Value<Json> {
  const coerced = coerce(kind, spec);
  if (isFailure(coerced)) throw new MappingError(path, `${JSON.stringify(spec)} ${coerced.error}`);
  if (kind === "iri" && (typeof coerced !== "string" || !isIri(coerced))) {
    throw new MappingError(path, `${JSON.stringify(spec)} is not an absolute IRI`);
  }
  return { path, columns: [], of: () => coerced };
}

function template(c: Compiler, path: string, text: string, kind: Kind): Value<Json> {
  const parts = parseTemplate(path, text);
  const columns = parts.flatMap((p) => ("column" in p ? [p.column] : []));
  if (columns.length === 0) return constant(path, text, kind);
  if (kind !== "text" && kind !== "iri" && kind !== "json" && kind !== "uuid") {
    throw new MappingError(path, `a template makes text; use { "column": … } for a ${kind}`);
  }
  for (const col of columns) c.columns.add(col);
  const encode = kind === "iri";
  return {
    path,
    columns,
    of(row) {
      let out = "";
      for (const part of parts) {
        if ("literal" in part) {
          out += part.literal;
          continue;
        }
        const cell = cellOf(c, row, part.column);
        if (cell === undefined) return undefined;
        out += encode ? encodeSegment(row, part.column, cell) : cell;
      }
      if (kind === "uuid") {
        const coerced = coerce("uuid", out);
        if (isFailure(coerced)) throw cellError(row, columns.join("+"), out, coerced.error);
        return coerced;
      }
      return out;
    },
  };
}

function languageMap(c: Compiler, path: string, spec: unknown): [string, Value<string>][] {
  const entries = Object.entries(obj(path, spec));
  if (entries.length === 0) throw new MappingError(path, "is an empty language map");
  return entries.map(([tag, v]) => {
    if (!isLanguageTag(tag))
      throw new MappingError(`${path}.${tag}`, "is not a language tag (such as en or fr-FR)");
    return [tag, value<string>(c, `${path}.${tag}`, v, "text")];
  });
}

function extensions(c: Compiler, path: string, spec: unknown): [string, Value<Json>][] {
  return Object.entries(obj(path, spec)).map(([iri, v]) => {
    if (!isIri(iri)) throw new MappingError(`${path}["${iri}"]`, "an extension key must be an absolute IRI");
    return [iri, value<Json>(c, `${path}["${iri}"]`, v, "json")];
  });
}

function activity(c: Compiler, path: string, spec: unknown): CompiledActivity {
  const a = obj(path, spec);
  only(path, a, ["id", "definition"]);
  if (a.id === undefined) throw new MappingError(`${path}.id`, "is required");
  const out: CompiledActivity = { id: value<string>(c, `${path}.id`, a.id, "iri") };
  if (a.definition !== undefined) {
    const d = obj(`${path}.definition`, a.definition);
    only(`${path}.definition`, d, ["type", "name", "description", "extensions"]);
    if (d.type !== undefined) out.type = value<string>(c, `${path}.definition.type`, d.type, "iri");
    if (d.name !== undefined) out.name = languageMap(c, `${path}.definition.name`, d.name);
    if (d.description !== undefined) {
      out.description = languageMap(c, `${path}.definition.description`, d.description);
    }
    if (d.extensions !== undefined)
      out.extensions = extensions(c, `${path}.definition.extensions`, d.extensions);
  }
  return out;
}

function verbTarget(path: string, spec: unknown): { id: string; display?: Record<string, string> } {
  if (typeof spec === "string") {
    if (!isIri(spec)) throw new MappingError(path, `'${spec}' is not an absolute IRI`);
    return { id: spec };
  }
  const v = obj(path, spec);
  only(path, v, ["id", "display"]);
  const id = str(`${path}.id`, v.id);
  if (!isIri(id)) throw new MappingError(`${path}.id`, `'${id}' is not an absolute IRI`);
  if (v.display === undefined) return { id };
  const display = obj(`${path}.display`, v.display);
  for (const [tag, text] of Object.entries(display)) {
    if (!isLanguageTag(tag)) throw new MappingError(`${path}.display.${tag}`, "is not a language tag");
    if (typeof text !== "string") throw new MappingError(`${path}.display.${tag}`, "must be a string");
  }
  return { id, display: display as Record<string, string> };
}

function verb(c: Compiler, spec: unknown): CompiledVerb {
  const v = obj("mapping.verb", spec);
  if (v.column === undefined) return { kind: "constant", ...verbTarget("mapping.verb", v) };
  only("mapping.verb", v, ["column", "map"]);
  const column = str("mapping.verb.column", v.column);
  c.columns.add(column);
  const entries = Object.entries(obj("mapping.verb.map", v.map));
  if (entries.length === 0) throw new MappingError("mapping.verb.map", "maps no value to a verb");
  return {
    kind: "mapped",
    column,
    map: new Map(entries.map(([key, target]) => [key, verbTarget(`mapping.verb.map.${key}`, target)])),
  };
}

function skipRule(c: Compiler, path: string, spec: unknown): SkipRule {
  const r = obj(path, spec);
  only(path, r, ["column", "in", "notIn", "present", "reason"]);
  const column = str(`${path}.column`, r.column);
  c.columns.add(column);
  const reason = r.reason === undefined ? undefined : str(`${path}.reason`, r.reason);
  const tests = ["in", "notIn", "present"].filter((k) => r[k] !== undefined);
  if (tests.length !== 1) throw new MappingError(path, 'needs exactly one of "in", "notIn", "present"');
  if (r.in !== undefined || r.notIn !== undefined) {
    const inside = r.in !== undefined;
    const list = new Set(strings(`${path}.${inside ? "in" : "notIn"}`, inside ? r.in : r.notIn));
    const shown = [...list].map((s) => `'${s}'`).join(", ");
    return {
      column,
      reason,
      describe: inside ? `is one of ${shown}` : `is none of ${shown}`,
      test: (value) => list.has(value ?? "") === inside,
    };
  }
  if (typeof r.present !== "boolean") throw new MappingError(`${path}.present`, "must be true or false");
  const present = r.present;
  return {
    column,
    reason,
    describe: present ? "has a value" : "is empty",
    test: (value) => (value !== undefined) === present,
  };
}

function csvOptions(spec: unknown): { csv: CsvReadOptions; missing: Set<string> } {
  if (spec === undefined) return { csv: {}, missing: new Set([""]) };
  const o = obj("mapping.csv", spec);
  only("mapping.csv", o, [
    "delimiter",
    "quote",
    "escape",
    "encoding",
    "header",
    "columns",
    "trim",
    "missing",
  ]);
  const csv: CsvReadOptions = {};
  if (o.delimiter !== undefined) csv.delimiter = str("mapping.csv.delimiter", o.delimiter);
  if (o.quote !== undefined) {
    if (o.quote !== null && (typeof o.quote !== "string" || o.quote.length !== 1)) {
      throw new MappingError("mapping.csv.quote", "must be one character, or null for no quoting");
    }
    csv.quote = o.quote as string | null;
  }
  if (o.escape !== undefined) {
    if (typeof o.escape !== "string" || o.escape.length !== 1) {
      throw new MappingError("mapping.csv.escape", "must be one character");
    }
    csv.escape = o.escape;
  }
  if (o.encoding !== undefined) {
    csv.encoding = str("mapping.csv.encoding", o.encoding);
    try {
      new TextDecoder(csv.encoding);
    } catch {
      throw new MappingError(
        "mapping.csv.encoding",
        `'${csv.encoding}' is not an encoding (utf-8, windows-1252…)`,
      );
    }
  }
  if (o.header !== undefined) {
    if (typeof o.header !== "boolean") throw new MappingError("mapping.csv.header", "must be true or false");
    csv.header = o.header;
  }
  if (o.columns !== undefined) csv.columns = strings("mapping.csv.columns", o.columns);
  if (csv.header === false && !csv.columns) {
    throw new MappingError(
      "mapping.csv.columns",
      "is required when header is false (the names of the columns)",
    );
  }
  if (o.trim !== undefined) {
    if (typeof o.trim !== "boolean") throw new MappingError("mapping.csv.trim", "must be true or false");
    csv.trim = o.trim;
  }
  const missing = new Set(o.missing === undefined ? [""] : strings("mapping.csv.missing", o.missing));
  return { csv, missing };
}

const TOP_KEYS = [
  "csv",
  "skip",
  "id",
  "actor",
  "verb",
  "object",
  "result",
  "context",
  "timestamp",
  "$comment",
];

/** Checks and compiles a mapping file's JSON; throws `MappingError` naming the first bad key. */
export function compileMapping(spec: unknown): CompiledMapping {
  const m = obj("mapping", spec);
  only("mapping", m, TOP_KEYS);
  const { csv, missing } = csvOptions(m.csv);
  const c: Compiler = { missing, columns: new Set() };
  let id: CompiledMapping["id"];
  if (m.id !== undefined) {
    const i = obj("mapping.id", m.id);
    only("mapping.id", i, ["namespace", "columns"]);
    const namespace = str("mapping.id.namespace", i.namespace);
    if (!isUuid(namespace)) throw new MappingError("mapping.id.namespace", `'${namespace}' is not a UUID`);
    const columns = strings("mapping.id.columns", i.columns);
    if (columns.length === 0) throw new MappingError("mapping.id.columns", "names no column");
    for (const col of columns) c.columns.add(col);
    id = { namespace, columns };
    c.idNamespace = namespace;
  }
  const skip =
    m.skip === undefined
      ? []
      : arrayOf("mapping.skip", m.skip).map((r, i) => skipRule(c, `mapping.skip[${i}]`, r));

  if (m.actor === undefined) throw new MappingError("mapping.actor", "is required");
  const a = obj("mapping.actor", m.actor);
  only("mapping.actor", a, ["mbox", "account", "name"]);
  const actor: CompiledMapping["actor"] = {};
  if (a.mbox !== undefined) actor.mbox = value(c, "mapping.actor.mbox", a.mbox, "text");
  if (a.account !== undefined) {
    const acc = obj("mapping.actor.account", a.account);
    only("mapping.actor.account", acc, ["homePage", "name"]);
    if (acc.homePage === undefined) throw new MappingError("mapping.actor.account.homePage", "is required");
    if (acc.name === undefined) throw new MappingError("mapping.actor.account.name", "is required");
    actor.account = {
      homePage: value(c, "mapping.actor.account.homePage", acc.homePage, "iri"),
      name: value(c, "mapping.actor.account.name", acc.name, "text"),
    };
  }
  if ((actor.mbox === undefined) === (actor.account === undefined)) {
    throw new MappingError("mapping.actor", 'needs exactly one identifier: "mbox" or "account"');
  }
  if (a.name !== undefined) actor.name = value(c, "mapping.actor.name", a.name, "text");

  if (m.verb === undefined) throw new MappingError("mapping.verb", "is required");
  const compiledVerb = verb(c, m.verb);
  if (m.object === undefined) throw new MappingError("mapping.object", "is required");
  const object = activity(c, "mapping.object", m.object);

  let result: CompiledMapping["result"];
  if (m.result !== undefined) {
    const r = obj("mapping.result", m.result);
    only("mapping.result", r, ["score", "success", "completion", "duration", "response", "extensions"]);
    result = {};
    if (r.score !== undefined) {
      const s = obj("mapping.result.score", r.score);
      only("mapping.result.score", s, ["raw", "min", "max", "scaled"]);
      result.score = {};
      for (const key of ["raw", "min", "max", "scaled"] as const) {
        if (s[key] !== undefined)
          result.score[key] = value(c, `mapping.result.score.${key}`, s[key], "number");
      }
    }
    if (r.success !== undefined) result.success = value(c, "mapping.result.success", r.success, "boolean");
    if (r.completion !== undefined) {
      result.completion = value(c, "mapping.result.completion", r.completion, "boolean");
    }
    if (r.duration !== undefined)
      result.duration = value(c, "mapping.result.duration", r.duration, "duration");
    if (r.response !== undefined) result.response = value(c, "mapping.result.response", r.response, "text");
    if (r.extensions !== undefined)
      result.extensions = extensions(c, "mapping.result.extensions", r.extensions);
  }

  let context: CompiledMapping["context"];
  if (m.context !== undefined) {
    const x = obj("mapping.context", m.context);
    only("mapping.context", x, ["registration", "platform", "language", "contextActivities", "extensions"]);
    context = {};
    if (x.registration !== undefined) {
      context.registration = value(c, "mapping.context.registration", x.registration, "uuid");
    }
    if (x.platform !== undefined) context.platform = value(c, "mapping.context.platform", x.platform, "text");
    if (x.language !== undefined) context.language = value(c, "mapping.context.language", x.language, "text");
    if (x.contextActivities !== undefined) {
      const ca = obj("mapping.context.contextActivities", x.contextActivities);
      only("mapping.context.contextActivities", ca, CONTEXT_KINDS);
      context.contextActivities = {};
      for (const kind of CONTEXT_KINDS) {
        if (ca[kind] === undefined) continue;
        const path = `mapping.context.contextActivities.${kind}`;
        context.contextActivities[kind] = arrayOf(path, ca[kind]).map((a, i) =>
          activity(c, `${path}[${i}]`, a),
        );
      }
    }
    if (x.extensions !== undefined)
      context.extensions = extensions(c, "mapping.context.extensions", x.extensions);
  }

  let timestamp: CompiledMapping["timestamp"];
  if (m.timestamp !== undefined) {
    const t = obj("mapping.timestamp", m.timestamp);
    only("mapping.timestamp", t, ["column", "format", "timeZone"]);
    const column = str("mapping.timestamp.column", t.column);
    const format = t.format === undefined ? "iso" : str("mapping.timestamp.format", t.format);
    const timeZone = t.timeZone === undefined ? "UTC" : str("mapping.timestamp.timeZone", t.timeZone);
    let parse: TimeParser;
    try {
      parse = timeParser(format, timeZone);
    } catch (error) {
      const key = (error as Error).message.includes("time zone") ? "timeZone" : "format";
      throw new MappingError(`mapping.timestamp.${key}`, (error as Error).message);
    }
    c.columns.add(column);
    timestamp = { column, parse, format };
  }

  return {
    csv,
    missing,
    skip,
    ...(id ? { id } : {}),
    actor,
    verb: compiledVerb,
    object,
    ...(result ? { result } : {}),
    ...(context ? { context } : {}),
    ...(timestamp ? { timestamp } : {}),
    columns: c.columns,
  };
}

function arrayOf(path: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new MappingError(path, "must be an array");
  return value;
}

/** The cell of a row as the mapping reads it: undefined when empty or one of `csv.missing`. */
export function cell(mapping: CompiledMapping, row: Row, column: string): string | undefined {
  const text = row.cells[column];
  return text === undefined || mapping.missing.has(text) ? undefined : text;
}

export { cellError, isoTimestamp };
