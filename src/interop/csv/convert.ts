/**
 * One CSV row → one xAPI statement under a compiled mapping. Pure. The statement is checked against the
 * project's xAPI 2.0 validation before it leaves, so that a mapping producing an invalid statement
 * (a score above its max, a template making a relative IRI) rejects the row with the line named.
 */
import { v5 as uuidv5 } from "uuid";
import { validateStatement } from "../../xapi/index.js";
import { ConversionError, Unmapped, type XapiStatement } from "../converter.js";
import {
  type CompiledActivity,
  type CompiledMapping,
  cell,
  cellError,
  isoTimestamp,
  type Row,
  type Value,
} from "./mapping.js";

type Json = XapiStatement[string];

/** The value, or a rejection naming the row's line and the empty columns it needed. */
function required<T>(mapping: CompiledMapping, row: Row, v: Value<T>, what: string): T {
  const out = v.of(row);
  if (out !== undefined) return out;
  // A value is absent only when a cell it reads is empty (or one of csv.missing).
  const empty = v.columns.filter((column) => cell(mapping, row, column) === undefined);
  throw new ConversionError(
    `line ${row.line}: ${what} (${v.path}) has no value: ${empty.length > 1 ? "columns" : "column"} ${empty.join(", ")} empty`,
  );
}

function languageMap(
  row: Row,
  entries: [string, Value<string>][] | undefined,
): Record<string, string> | undefined {
  if (!entries) return undefined;
  const out: Record<string, string> = {};
  for (const [tag, v] of entries) {
    const text = v.of(row);
    if (text !== undefined) out[tag] = text;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function extensionMap(
  row: Row,
  entries: [string, Value<Json>][] | undefined,
): Record<string, Json> | undefined {
  if (!entries) return undefined;
  const out: Record<string, Json> = {};
  for (const [iri, v] of entries) {
    const x = v.of(row);
    if (x !== undefined) out[iri] = x;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Keeps only the keys whose value is present, so that an empty cell leaves its property out. */
function present(o: Record<string, unknown>): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as Json;
  return Object.keys(out).length > 0 ? out : undefined;
}

function activity(
  mapping: CompiledMapping,
  row: Row,
  a: CompiledActivity,
  what: string,
): Record<string, Json> {
  const definition = present({
    type: a.type?.of(row),
    name: languageMap(row, a.name),
    description: languageMap(row, a.description),
    extensions: extensionMap(row, a.extensions),
  });
  return {
    objectType: "Activity",
    id: required(mapping, row, a.id, what),
    ...(definition ? { definition } : {}),
  };
}

/** An optional activity (a context parent): left out, not rejected, when its id's cells are empty. */
function optionalActivity(
  mapping: CompiledMapping,
  row: Row,
  a: CompiledActivity,
  what: string,
): Record<string, Json> | undefined {
  return a.id.of(row) === undefined ? undefined : activity(mapping, row, a, what);
}

/** The skip rule the row falls under, as an `Unmapped` with its reason; none → undefined. */
function skipped(mapping: CompiledMapping, row: Row): Unmapped | undefined {
  for (const [i, rule] of mapping.skip.entries()) {
    const text = cell(mapping, row, rule.column);
    if (!rule.test(text)) continue;
    const shown = text === undefined ? "(empty)" : `'${text}'`;
    return new Unmapped(
      `line ${row.line}, column ${rule.column}: ${shown} ${rule.describe} (skip[${i}]${rule.reason ? `: ${rule.reason}` : ""})`,
    );
  }
  return undefined;
}

function verb(mapping: CompiledMapping, row: Row): Record<string, Json> {
  const v = mapping.verb;
  if (v.kind === "constant") return v.display ? { id: v.id, display: v.display } : { id: v.id };
  const text = cell(mapping, row, v.column);
  if (text === undefined)
    throw new ConversionError(`line ${row.line}, column ${v.column}: empty, so no verb`);
  const target = v.map.get(text);
  if (!target) {
    throw cellError(row, v.column, text, `has no verb in verb.map (mapped: ${[...v.map.keys()].join(", ")})`);
  }
  return target.display ? { id: target.id, display: target.display } : { id: target.id };
}

/** The statement of one row, or `Unmapped` for a row a skip rule excludes. */
export function convertRow(mapping: CompiledMapping, row: Row): XapiStatement {
  const skip = skipped(mapping, row);
  if (skip) throw skip;

  const statement: XapiStatement = {};
  if (mapping.id) {
    const values = mapping.id.columns.map((column) => cell(mapping, row, column) ?? "");
    statement.id = uuidv5(JSON.stringify(values), mapping.id.namespace);
  }

  const actor: Record<string, Json> = { objectType: "Agent" };
  const name = mapping.actor.name?.of(row);
  if (name !== undefined) actor.name = name;
  if (mapping.actor.mbox) {
    const mbox = required(mapping, row, mapping.actor.mbox, "the actor's mbox");
    actor.mbox = mbox.startsWith("mailto:") ? mbox : `mailto:${mbox}`;
  } else if (mapping.actor.account) {
    actor.account = {
      homePage: required(mapping, row, mapping.actor.account.homePage, "the actor's account homePage"),
      name: required(mapping, row, mapping.actor.account.name, "the actor's account name"),
    };
  }
  statement.actor = actor;
  statement.verb = verb(mapping, row);
  statement.object = activity(mapping, row, mapping.object, "the object's id");

  const r = mapping.result;
  if (r) {
    const score = r.score
      ? present({
          scaled: r.score.scaled?.of(row),
          raw: r.score.raw?.of(row),
          min: r.score.min?.of(row),
          max: r.score.max?.of(row),
        })
      : undefined;
    // A score of only its bounds (raw and scaled empty) says nothing: it is left out.
    const scored = score && (score.raw !== undefined || score.scaled !== undefined) ? score : undefined;
    const result = present({
      score: scored,
      success: r.success?.of(row),
      completion: r.completion?.of(row),
      response: r.response?.of(row),
      duration: r.duration?.of(row),
      extensions: extensionMap(row, r.extensions),
    });
    if (result) statement.result = result;
  }

  const x = mapping.context;
  if (x) {
    let contextActivities: Record<string, Json> | undefined;
    if (x.contextActivities) {
      const lists: Record<string, Json> = {};
      for (const [kind, activities] of Object.entries(x.contextActivities)) {
        const list = (activities ?? [])
          .map((a) => optionalActivity(mapping, row, a, `context activity ${kind}`))
          .filter((a): a is Record<string, Json> => a !== undefined);
        if (list.length > 0) lists[kind] = list;
      }
      if (Object.keys(lists).length > 0) contextActivities = lists;
    }
    const context = present({
      registration: x.registration?.of(row),
      platform: x.platform?.of(row),
      language: x.language?.of(row),
      contextActivities,
      extensions: extensionMap(row, x.extensions),
    });
    if (context) statement.context = context;
  }

  if (mapping.timestamp) {
    const { column, parse, format } = mapping.timestamp;
    const text = cell(mapping, row, column);
    if (text === undefined)
      throw new ConversionError(`line ${row.line}, column ${column}: empty, so no timestamp`);
    const ms = parse(text);
    if (typeof ms === "string") throw cellError(row, column, text, ms);
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
      throw cellError(row, column, text, `is out of range for the date format '${format}'`);
    }
    statement.timestamp = isoTimestamp(ms);
  }

  const problems = validateStatement(statement, "2.0.0");
  if (problems.length > 0) {
    throw new ConversionError(
      `line ${row.line}: the mapped statement is not valid xAPI: ${problems.map((p) => p.message).join("; ")}`,
    );
  }
  return statement;
}
