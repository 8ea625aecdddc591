/**
 * The build spec (`learnpool dataset build <spec.yaml>`): what one build of a pooled dataset asks for.
 * Every key is checked, unknown keys are refused, and all problems are reported together with their key
 * path. Defaults (applied here, so that a build records what it actually used):
 *
 *   name                        required, [a-z0-9][a-z0-9._-]* (≤ 100): the dataset's name
 *   agreement                   required: the agreement id the build runs under
 *   providers                   required, non-empty, unique: the providers' store ids
 *   span: {from, to}            required: dates or instants with offset, from < to (to exclusive)
 *   views                       required, at least one of:
 *     statements: true | {}
 *     learner_periods: {period: day | week}         period default week
 *     sequences: {unit: item | skill}               unit default item
 *     cohort_statistics: {...}                      see `cohort.ts`
 *   cutoff_day                  integer ≥ 0, days since each learner's start; required with a label
 *   label                       optional; see `LabelDefinition` (labels.ts says who gets no label)
 *     kind: dropout | withdrawal | failure | completion
 *     inactivity_days           dropout: N, default 14
 *     active_within_days        dropout: at risk when active in the last K days up to the cut-off, default N
 *     horizon_days              other kinds: events counted in (cut-off, cut-off + H]; default until span.to
 *     outcomes: {withdrawal|failure|completion|pass: [{verb, result: {success, completion}}]}
 *                               default: see `outcomes.ts`; a kind given replaces its default rules
 *   splits                      default {by: learner, ratios: {train: 0.8, validation: 0.1, test: 0.1}}
 *     by: learner   ratios {name: r} summing to 1; stratify (by the label) default false
 *     by: provider  held_out [store ids]; shared_learners: test | exclude (default test); validation r
 *     by: time      date; validation r (default 0)
 *   seed                        integer in [0, 2^32), default 0
 *   risk                        min_k (≥ 2, default 5), max_average_risk ((0, 1], default 0.05),
 *                               action generalize | suppress | refuse (default refuse),
 *                               max_suppressed_fraction ([0, 1), default 0.05)
 *   formats                     parquet always; csv and jsonl on request; default [parquet]
 *   output                      default datasets/<name>; relative to the spec file's folder when read
 *                               with a baseDir
 *   deidentification            optional: {profile: <path to a de-identification profile, YAML or JSON>}
 *                               (relative like output); without it only statements already pseudonymized
 *                               in the agreement's linkage domain are taken
 *   skills                      optional: {alignments: <path to an alignment set JSON>, framework: <target
 *                               framework id or IRI>}: competencies translated before loading
 *   attributes                  optional: {<column>: {extension: <context extension IRI>, hierarchy?: <path
 *                               to an ARX-style hierarchy CSV>}}: per-learner values for the risk check
 */
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { isPlain, type Plain, Reader, SpecError, show } from "./check.js";
import { type CohortStatisticsSpec, readCohortStatistics } from "./cohort.js";
import {
  DEFAULT_OUTCOME_RULES,
  OUTCOME_KINDS,
  type OutcomeKind,
  type OutcomeRule,
  type OutcomeRules,
} from "./outcomes.js";

export type Period = "day" | "week";
export type SequenceUnit = "item" | "skill";
export type LabelKind = "dropout" | "withdrawal" | "failure" | "completion";
export type RiskAction = "generalize" | "suppress" | "refuse";
export type Format = "parquet" | "csv" | "jsonl";

export type LabelDefinition =
  | {
      kind: "dropout";
      /** N: a dropout has no activity in (cut-off, cut-off + N]. */
      inactivityDays: number;
      /** K: only learners active in [cut-off − K + 1, cut-off] are at risk of dropping out. */
      activeWithinDays: number;
      outcomes: OutcomeRules;
    }
  | {
      kind: "withdrawal" | "failure" | "completion";
      /** H: the event counts in (cut-off, cut-off + H]; absent: until the data end. */
      horizonDays?: number;
      outcomes: OutcomeRules;
    };

export type SplitPolicy =
  | { by: "learner"; ratios: Readonly<Record<string, number>>; stratify: boolean }
  | { by: "provider"; heldOut: readonly string[]; sharedLearners: "test" | "exclude"; validation: number }
  | { by: "time"; date: Date; validation: number };

export interface RiskThresholds {
  minK: number;
  maxAverageRisk: number;
  action: RiskAction;
  maxSuppressedFraction: number;
}

export interface Views {
  statements?: Record<string, never>;
  learnerPeriods?: { period: Period };
  sequences?: { unit: SequenceUnit };
  cohortStatistics?: CohortStatisticsSpec;
}

/** A learner attribute for the risk check: the last value of a context extension in their statements. */
export interface LearnerAttribute {
  /** The context extension's IRI. */
  extension: string;
  /** An ARX-style hierarchy CSV (`learnpool anonymize` reads them), resolved like `output`. */
  hierarchy?: string;
}

export interface BuildSpec {
  name: string;
  agreement: string;
  providers: readonly string[];
  span: { from: Date; to: Date };
  views: Views;
  cutoffDay?: number;
  label?: LabelDefinition;
  splits: SplitPolicy;
  seed: number;
  risk: RiskThresholds;
  formats: readonly Format[];
  output: string;
  /** The de-identification profile applied to statements not yet pseudonymized (a file path). */
  deidentification?: { profile: string };
  /** Competencies translated into `framework` through the alignment set at `alignments` (a file path). */
  skills?: { alignments: string; framework: string };
  /** Per-learner attributes by column name (`learner_attributes` table). */
  attributes?: Readonly<Record<string, LearnerAttribute>>;
}

export const DEFAULTS = {
  period: "week" as Period,
  sequenceUnit: "item" as SequenceUnit,
  inactivityDays: 14,
  splits: {
    by: "learner",
    ratios: { train: 0.8, validation: 0.1, test: 0.1 },
    stratify: false,
  } as SplitPolicy,
  seed: 0,
  risk: { minK: 5, maxAverageRisk: 0.05, action: "refuse", maxSuppressedFraction: 0.05 } as RiskThresholds,
  formats: ["parquet"] as Format[],
} as const;

const NAME = { re: /^[a-z0-9][a-z0-9._-]{0,99}$/, what: "lower-case letters, digits, . _ - (≤ 100)" };
const SPLIT_NAME = { re: /^[a-z][a-z0-9_]{0,39}$/, what: "a split name such as train, validation, test" };
const IRI = { re: /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, what: "an absolute IRI" };
/** Ratios summing to 1 within this tolerance (0.7 + 0.2 + 0.1 is 0.9999999999999999 in doubles). */
const SUM_TOLERANCE = 1e-9;

const TOP_KEYS = [
  "name",
  "agreement",
  "providers",
  "span",
  "views",
  "cutoff_day",
  "label",
  "splits",
  "seed",
  "risk",
  "formats",
  "output",
  "deidentification",
  "skills",
  "attributes",
] as const;

/** A column of `learner_attributes`: a plain SQL name, not `learner` (the key). */
const COLUMN = { re: /^[a-z][a-z0-9_]{0,62}$/, what: "a column name: lower-case letters, digits, _ (≤ 63)" };

function required(r: Reader, doc: Plain, key: string): unknown {
  if (doc[key] === undefined) r.fail(key, "is required");
  return doc[key];
}

function readViews(r: Reader, value: unknown): Views | undefined {
  const path = "views";
  const o = r.object(value, path, ["statements", "learner_periods", "sequences", "cohort_statistics"]);
  if (!o) return undefined;
  const views: Views = {};
  /** `true` or a mapping: true means the view with its defaults; false or absent, not requested. */
  const view = (key: string, allowed: string[]): Plain | undefined => {
    const v = o[key];
    if (v === undefined || v === false) return undefined;
    if (v === true || v === null) return {};
    return r.object(v, `${path}.${key}`, allowed);
  };
  if (view("statements", [])) views.statements = {};
  const periods = view("learner_periods", ["period"]);
  if (periods) {
    const period =
      periods.period === undefined
        ? DEFAULTS.period
        : r.oneOf(periods.period, "views.learner_periods.period", ["day", "week"] as const);
    if (period) views.learnerPeriods = { period };
  }
  const sequences = view("sequences", ["unit"]);
  if (sequences) {
    const unit =
      sequences.unit === undefined
        ? DEFAULTS.sequenceUnit
        : r.oneOf(sequences.unit, "views.sequences.unit", ["item", "skill"] as const);
    if (unit) views.sequences = { unit };
  }
  if (o.cohort_statistics !== undefined && o.cohort_statistics !== false) {
    const cohort = readCohortStatistics(r, o.cohort_statistics, "views.cohort_statistics");
    if (cohort) views.cohortStatistics = cohort;
  }
  // A view asked for but misspelt is already reported; only a truly empty request is reported here.
  if (Object.values(o).every((v) => v === undefined || v === false))
    r.fail(path, "must request at least one of statements, learner_periods, sequences, cohort_statistics");
  return views;
}

function readOutcomes(r: Reader, value: unknown, path: string): OutcomeRules | undefined {
  if (value === undefined) return DEFAULT_OUTCOME_RULES;
  const o = r.object(value, path, OUTCOME_KINDS);
  if (!o) return undefined;
  const rules: Record<OutcomeKind, readonly OutcomeRule[]> = { ...DEFAULT_OUTCOME_RULES };
  for (const kind of OUTCOME_KINDS) {
    if (o[kind] === undefined) continue;
    const list = r.list(
      o[kind],
      `${path}.${kind}`,
      (v, p) => {
        const rule = r.object(v, p, ["verb", "result"]);
        if (!rule) return undefined;
        const verb = r.string(rule.verb, `${p}.verb`, IRI);
        let result: OutcomeRule["result"];
        if (rule.result !== undefined) {
          const res = r.object(rule.result, `${p}.result`, ["success", "completion"]);
          if (res) {
            result = {};
            if (res.success !== undefined) {
              const s = r.boolean(res.success, `${p}.result.success`);
              if (s !== undefined) result.success = s;
            }
            if (res.completion !== undefined) {
              const c = r.boolean(res.completion, `${p}.result.completion`);
              if (c !== undefined) result.completion = c;
            }
          }
        }
        return verb === undefined ? undefined : { verb, ...(result && { result }) };
      },
      { unique: true },
    );
    if (list) rules[kind] = list;
  }
  return rules;
}

function readLabel(r: Reader, value: unknown): LabelDefinition | undefined {
  const path = "label";
  if (!isPlain(value)) return r.fail(path, `must be a mapping, got ${show(value)}`);
  const kind = r.oneOf(value.kind, `${path}.kind`, [
    "dropout",
    "withdrawal",
    "failure",
    "completion",
  ] as const);
  if (!kind) return undefined;
  if (kind === "dropout") {
    const o = r.object(value, path, ["kind", "inactivity_days", "active_within_days", "outcomes"]);
    if (!o) return undefined;
    const inactivityDays =
      o.inactivity_days === undefined
        ? DEFAULTS.inactivityDays
        : r.integer(o.inactivity_days, `${path}.inactivity_days`, 1, 3650);
    const activeWithinDays =
      o.active_within_days === undefined
        ? inactivityDays
        : r.integer(o.active_within_days, `${path}.active_within_days`, 1, 3650);
    const outcomes = readOutcomes(r, o.outcomes, `${path}.outcomes`);
    if (inactivityDays === undefined || activeWithinDays === undefined || !outcomes) return undefined;
    return { kind, inactivityDays, activeWithinDays, outcomes };
  }
  const o = r.object(value, path, ["kind", "horizon_days", "outcomes"]);
  if (!o) return undefined;
  const horizonDays =
    o.horizon_days === undefined ? undefined : r.integer(o.horizon_days, `${path}.horizon_days`, 1, 3650);
  const outcomes = readOutcomes(r, o.outcomes, `${path}.outcomes`);
  if (!outcomes || (o.horizon_days !== undefined && horizonDays === undefined)) return undefined;
  return { kind, ...(horizonDays !== undefined && { horizonDays }), outcomes };
}

function readValidation(r: Reader, value: unknown, path: string): number | undefined {
  return value === undefined ? 0 : r.number(value, path, { min: 0, max: 1, maxOpen: true });
}

function readSplits(
  r: Reader,
  value: unknown,
  providers: readonly string[] | undefined,
  span: { from: Date; to: Date } | undefined,
): SplitPolicy | undefined {
  const path = "splits";
  if (value === undefined) return DEFAULTS.splits;
  if (!isPlain(value)) return r.fail(path, `must be a mapping, got ${show(value)}`);
  const by = r.oneOf(value.by, `${path}.by`, ["learner", "provider", "time"] as const);
  if (by === "learner") {
    const o = r.object(value, path, ["by", "ratios", "stratify"]);
    if (!o) return undefined;
    let ratios: Record<string, number> | undefined = { ...(DEFAULTS.splits as { ratios: object }).ratios };
    if (o.ratios !== undefined) {
      const given = r.object(o.ratios, `${path}.ratios`, Object.keys(isPlain(o.ratios) ? o.ratios : {}));
      ratios = given ? {} : undefined;
      if (given && ratios) {
        for (const [name, ratio] of Object.entries(given)) {
          if (r.string(name, `${path}.ratios.${name}`, SPLIT_NAME) === undefined) ratios = undefined;
          const x = r.number(ratio, `${path}.ratios.${name}`, { min: 0, max: 1, minOpen: true });
          if (x === undefined) ratios = undefined;
          else if (ratios) ratios[name] = x;
        }
        if (ratios) {
          const sum = Object.values(ratios).reduce((a, b) => a + b, 0);
          if (Object.keys(ratios).length === 0)
            ratios = r.fail(`${path}.ratios`, "must name at least one split");
          else if (Math.abs(sum - 1) > SUM_TOLERANCE)
            ratios = r.fail(`${path}.ratios`, `must sum to 1, got ${Number(sum.toPrecision(12))}`);
        }
      }
    }
    const stratify = o.stratify === undefined ? false : r.boolean(o.stratify, `${path}.stratify`);
    if (!ratios || stratify === undefined) return undefined;
    return { by, ratios, stratify };
  }
  if (by === "provider") {
    const o = r.object(value, path, ["by", "held_out", "shared_learners", "validation"]);
    if (!o) return undefined;
    const heldOut = r.list(
      o.held_out === undefined ? r.fail(`${path}.held_out`, "is required with by: provider") : o.held_out,
      `${path}.held_out`,
      (v, p) => {
        const id = r.string(v, p);
        if (id !== undefined && providers && !providers.includes(id))
          return r.fail(p, `${show(id)} is not one of the build's providers (${providers.join(", ")})`);
        return id;
      },
      { nonEmpty: true, unique: true },
    );
    if (heldOut && providers && heldOut.length >= providers.length)
      r.fail(`${path}.held_out`, "must leave at least one provider to train on");
    const sharedLearners =
      o.shared_learners === undefined
        ? "test"
        : r.oneOf(o.shared_learners, `${path}.shared_learners`, ["test", "exclude"] as const);
    const validation = readValidation(r, o.validation, `${path}.validation`);
    if (!heldOut || !sharedLearners || validation === undefined) return undefined;
    return { by, heldOut, sharedLearners, validation };
  }
  if (by === "time") {
    const o = r.object(value, path, ["by", "date", "validation"]);
    if (!o) return undefined;
    const date =
      o.date === undefined
        ? r.fail(`${path}.date`, "is required with by: time")
        : r.instant(o.date, `${path}.date`);
    if (date && span && !(date > span.from && date < span.to))
      r.fail(
        `${path}.date`,
        `must lie inside the span (${span.from.toISOString()} to ${span.to.toISOString()})`,
      );
    const validation = readValidation(r, o.validation, `${path}.validation`);
    if (!date || validation === undefined) return undefined;
    return { by, date, validation };
  }
  return undefined;
}

function readRisk(r: Reader, value: unknown): RiskThresholds | undefined {
  const path = "risk";
  if (value === undefined) return DEFAULTS.risk;
  const o = r.object(value, path, ["min_k", "max_average_risk", "action", "max_suppressed_fraction"]);
  if (!o) return undefined;
  const d = DEFAULTS.risk;
  const minK = o.min_k === undefined ? d.minK : r.integer(o.min_k, `${path}.min_k`, 2);
  const maxAverageRisk =
    o.max_average_risk === undefined
      ? d.maxAverageRisk
      : r.number(o.max_average_risk, `${path}.max_average_risk`, { min: 0, max: 1, minOpen: true });
  const action =
    o.action === undefined
      ? d.action
      : r.oneOf(o.action, `${path}.action`, ["generalize", "suppress", "refuse"] as const);
  const maxSuppressedFraction =
    o.max_suppressed_fraction === undefined
      ? d.maxSuppressedFraction
      : r.number(o.max_suppressed_fraction, `${path}.max_suppressed_fraction`, {
          min: 0,
          max: 1,
          maxOpen: true,
        });
  if (minK === undefined || maxAverageRisk === undefined || !action || maxSuppressedFraction === undefined)
    return undefined;
  return { minK, maxAverageRisk, action, maxSuppressedFraction };
}

function readFormats(r: Reader, value: unknown): Format[] | undefined {
  if (value === undefined) return [...DEFAULTS.formats];
  const list = r.list(value, "formats", (v, p) => r.oneOf(v, p, ["parquet", "csv", "jsonl"] as const), {
    unique: true,
  });
  if (!list) return undefined;
  // Parquet is always written: it is what the documentation and lineage describe.
  return (["parquet", "csv", "jsonl"] as const).filter((f) => f === "parquet" || list.includes(f));
}

/** A file path resolved against the spec's folder, as `output` is. */
const located = (path: string, baseDir: string | undefined) => (baseDir ? resolve(baseDir, path) : path);

function readDeidentification(
  r: Reader,
  value: unknown,
  baseDir: string | undefined,
): { profile: string } | undefined {
  const o = r.object(value, "deidentification", ["profile"]);
  if (!o) return undefined;
  const profile = r.string(o.profile, "deidentification.profile");
  return profile === undefined ? undefined : { profile: located(profile, baseDir) };
}

function readSkills(
  r: Reader,
  value: unknown,
  baseDir: string | undefined,
): { alignments: string; framework: string } | undefined {
  const o = r.object(value, "skills", ["alignments", "framework"]);
  if (!o) return undefined;
  const alignments = r.string(o.alignments, "skills.alignments");
  const framework = r.string(o.framework, "skills.framework");
  if (alignments === undefined || framework === undefined) return undefined;
  return { alignments: located(alignments, baseDir), framework };
}

function readAttributes(
  r: Reader,
  value: unknown,
  baseDir: string | undefined,
): Record<string, LearnerAttribute> | undefined {
  const o = r.object(value, "attributes", Object.keys(isPlain(value) ? value : {}));
  if (!o) return undefined;
  if (Object.keys(o).length === 0) return r.fail("attributes", "must name at least one column");
  const out: Record<string, LearnerAttribute> = {};
  let ok = true;
  const extensions = new Map<string, string>();
  for (const [column, spec] of Object.entries(o)) {
    const path = `attributes.${column}`;
    if (r.string(column, path, COLUMN) === undefined) ok = false;
    else if (column === "learner") {
      r.fail(path, "is the key column: choose another name");
      ok = false;
    }
    const a = r.object(spec, path, ["extension", "hierarchy"]);
    if (!a) {
      ok = false;
      continue;
    }
    const extension = r.string(a.extension, `${path}.extension`, IRI);
    const hierarchy = a.hierarchy === undefined ? undefined : r.string(a.hierarchy, `${path}.hierarchy`);
    if (extension === undefined || (a.hierarchy !== undefined && hierarchy === undefined)) {
      ok = false;
      continue;
    }
    const twice = extensions.get(extension);
    if (twice !== undefined) {
      r.fail(`${path}.extension`, `is already the extension of ${twice}`);
      ok = false;
    }
    extensions.set(extension, column);
    out[column] = { extension, ...(hierarchy !== undefined && { hierarchy: located(hierarchy, baseDir) }) };
  }
  return ok ? out : undefined;
}

/** Checks a parsed document (YAML or JSON) and applies the defaults; throws SpecError with every problem. */
export function validateBuildSpec(
  document: unknown,
  options: { source?: string; baseDir?: string } = {},
): BuildSpec {
  const r = new Reader();
  const doc = r.object(document, "", TOP_KEYS);
  if (!doc) throw new SpecError(r.issues, options.source);
  const name = r.string(required(r, doc, "name"), "name", NAME);
  const agreement = r.string(required(r, doc, "agreement"), "agreement");
  const providers = r.list(required(r, doc, "providers"), "providers", (v, p) => r.string(v, p), {
    nonEmpty: true,
    unique: true,
  });
  let span: { from: Date; to: Date } | undefined;
  const spanDoc = r.object(required(r, doc, "span"), "span", ["from", "to"]);
  if (spanDoc) {
    const from = r.instant(spanDoc.from, "span.from");
    const to = r.instant(spanDoc.to, "span.to");
    if (from && to && !(from < to))
      r.fail("span", `from must be before to, got ${show(from)} and ${show(to)}`);
    else if (from && to) span = { from, to };
  }
  const views = readViews(r, required(r, doc, "views"));
  const cutoffDay =
    doc.cutoff_day === undefined ? undefined : r.integer(doc.cutoff_day, "cutoff_day", 0, 36500);
  const label = doc.label === undefined ? undefined : readLabel(r, doc.label);
  if (doc.label !== undefined && doc.cutoff_day === undefined)
    r.fail("cutoff_day", "is required with a label");
  const splits = readSplits(r, doc.splits, providers, span);
  if (splits?.by === "learner" && splits.stratify && doc.label === undefined)
    r.fail("splits.stratify", "needs a label to stratify by");
  if (splits?.by === "time" && label && label.kind !== "dropout" && label.horizonDays === undefined)
    r.fail(
      "label.horizon_days",
      "is required with splits by time: a training label must end before the date",
    );
  const seed = doc.seed === undefined ? DEFAULTS.seed : r.integer(doc.seed, "seed", 0, 2 ** 32 - 1);
  const risk = readRisk(r, doc.risk);
  const formats = readFormats(r, doc.formats);
  const outputText =
    doc.output === undefined ? `datasets/${name ?? "dataset"}` : r.string(doc.output, "output");
  const deidentification =
    doc.deidentification === undefined
      ? undefined
      : readDeidentification(r, doc.deidentification, options.baseDir);
  const skills = doc.skills === undefined ? undefined : readSkills(r, doc.skills, options.baseDir);
  const attributes =
    doc.attributes === undefined ? undefined : readAttributes(r, doc.attributes, options.baseDir);
  if (r.issues.length > 0) throw new SpecError(r.issues, options.source);
  // Every value below was read without a problem; the casts only tell the compiler so.
  const output = options.baseDir ? resolve(options.baseDir, outputText as string) : (outputText as string);
  return {
    name: name as string,
    agreement: agreement as string,
    providers: providers as string[],
    span: span as { from: Date; to: Date },
    views: views as Views,
    ...(cutoffDay !== undefined && { cutoffDay }),
    ...(label && { label }),
    splits: splits as SplitPolicy,
    seed: seed as number,
    risk: risk as RiskThresholds,
    formats: formats as Format[],
    output,
    ...(deidentification && { deidentification }),
    ...(skills && { skills }),
    ...(attributes && { attributes }),
  };
}

/** Reads a spec from YAML text (JSON is YAML too). Dates stay strings under YAML 1.2 and are read here. */
export function parseBuildSpec(text: string, options: { source?: string; baseDir?: string } = {}): BuildSpec {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new SpecError(
      [{ path: "", message: `not valid YAML: ${(error as Error).message}` }],
      options.source,
    );
  }
  return validateBuildSpec(document, options);
}
