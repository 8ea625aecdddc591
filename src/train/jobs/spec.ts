/**
 * The training job spec (`learnpool train <job.yaml>`, `POST /train/jobs`): what one training run on a
 * dataset version asks for. Every key is checked, unknown keys are refused, and every problem is
 * reported at once with its key path. Defaults are applied here, so that a job records what it used.
 *
 *   version        required: the dataset version's id (urn:uuid:…)
 *   view           the version's view to train on (default learner_periods)
 *   label          required: the label column (the build's label kind, e.g. dropout)
 *   purpose        the purpose asked for at admission (a DPV IRI or dpv: name); default: the purpose the
 *                  version was built for, else the one the agreement's permissions name
 *   features       {include: [columns], exclude: [columns], categorical: [columns]}; default: every
 *                  numeric column but the keys, the label and the groups
 *   periods        how a learner's periods become one row: sum | wide | last (default sum)
 *   model          {kind: logistic | gbdt, params: {…}} (default logistic); params in snake_case:
 *                  logistic: l2, l1, class_weights, max_iterations, tolerance
 *                  gbdt: trees, learning_rate, max_depth, max_leaves, growth, min_child_weight, lambda,
 *                        gamma, subsample, colsample, max_bins, class_weights, early_stopping_rounds
 *                  class_weights: balanced | {negative, positive}
 *   groups         attribute columns to report metrics per group (fairness); default none
 *   validation     the split used for early stopping (default validation); training uses `train` and
 *                  the evaluation `test`
 *   seed           integer in [0, 2^32) (default 0)
 *   early_detection  cut-offs of the early-detection curve, an integer in [0, 52] (default 8; 0: none):
 *                  at each, a model of the same kind is trained and evaluated on the periods before it
 *   cold_start     true: the cold-start study, each provider's own learners against the pool's (default
 *                  false); a learner counts for the provider where they were most active
 *   limits         {memory_mb: [1, 65536] (default 1024), seconds: [1, 86400] (default 3600)}
 *   release        dp: {epsilon > 0, delta in [0, 1)}: differentially private training (logistic only),
 *                  its ε charged to the budget ledger before anything leaves;
 *                  min_cohort (integer ≥ 10), max_advantage ([0, 0.1]): the job's own release bounds,
 *                  which may only tighten the gate's defaults and the agreement's
 */
import { parse as parseYaml } from "yaml";
import { isPlain, join, Reader, show } from "../../pool/prepare/check.js";
import { DEFAULT_MAX_ADVANTAGE, DEFAULT_MIN_COHORT } from "../release/gate.js";
import type { ClassWeights } from "../table.js";

export type PeriodAggregation = "sum" | "wide" | "last";
export const PERIOD_AGGREGATIONS: readonly PeriodAggregation[] = ["sum", "wide", "last"];
export type ModelKind = "logistic" | "gbdt";

export interface LogisticJobParams {
  l2?: number;
  l1?: number;
  classWeights?: ClassWeights;
  maxIterations?: number;
  tolerance?: number;
}

export interface GbdtJobParams {
  trees?: number;
  learningRate?: number;
  maxDepth?: number;
  maxLeaves?: number;
  growth?: "depthwise" | "lossguide";
  minChildWeight?: number;
  lambda?: number;
  gamma?: number;
  subsample?: number;
  colsample?: number;
  maxBins?: number;
  classWeights?: ClassWeights;
  earlyStoppingRounds?: number;
}

export type JobModel =
  | { kind: "logistic"; params: LogisticJobParams }
  | { kind: "gbdt"; params: GbdtJobParams };

export interface JobSpec {
  version: string;
  view: string;
  label: string;
  purpose?: string;
  features: { include?: string[]; exclude?: string[]; categorical?: string[] };
  periods: PeriodAggregation;
  model: JobModel;
  groups: string[];
  validation: string;
  seed: number;
  /** Cut-offs of the early-detection curve (0: none). */
  earlyDetection: number;
  /** Whether to run the cold-start study. */
  coldStart: boolean;
  limits: { memoryMb: number; seconds: number };
  release: { dp?: { epsilon: number; delta: number }; minCohort?: number; maxAdvantage?: number };
}

export const JOB_DEFAULTS = {
  view: "learner_periods",
  periods: "sum" as PeriodAggregation,
  validation: "validation",
  seed: 0,
  earlyDetection: 8,
  coldStart: false,
  memoryMb: 1024,
  seconds: 3600,
} as const;

export interface JobSpecIssue {
  /** Dotted key path, [i] for list items; "" for the document itself. */
  path: string;
  message: string;
}

export class JobSpecError extends Error {
  readonly status = 400;
  constructor(
    readonly issues: readonly JobSpecIssue[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ""}invalid training job spec (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  ${i.path || "(document)"}: ${i.message}`).join("\n"),
    );
    this.name = "JobSpecError";
  }
}

const at = join;

const COLUMN = { re: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, what: "a column name (letters, digits, _)" };
const VIEW = { re: /^[a-z][a-z0-9_]{0,62}$/, what: "a view name such as learner_periods" };
const SPLIT = { re: /^[a-z][a-z0-9_]{0,39}$/, what: "a split name such as validation" };
const VERSION_ID = { re: /^urn:uuid:[0-9a-f-]{36}$/, what: "a dataset version id (urn:uuid:…)" };
const PURPOSE = { re: /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, what: "a purpose IRI or dpv: name" };

/**
 * The build spec's reader (every problem with its path), with the job spec's own shapes: numbers in a
 * closed range (open at the bottom when asked) and lists of column names.
 */
class Checker extends Reader {
  between(value: unknown, path: string, min: number, max: number, minOpen = false): number | undefined {
    return this.number(value, path, { min, max, minOpen });
  }
  columns(value: unknown, path: string): string[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be a list of column names, got ${show(value)}`);
    return this.list(value, path, (v, p) => this.string(v, p, COLUMN), { unique: true });
  }
}

const TOP_KEYS = [
  "version",
  "view",
  "label",
  "purpose",
  "features",
  "periods",
  "model",
  "groups",
  "validation",
  "seed",
  "early_detection",
  "cold_start",
  "limits",
  "release",
];

function classWeights(c: Checker, value: unknown, path: string): ClassWeights | undefined {
  if (value === "balanced") return "balanced";
  if (!isPlain(value)) return c.fail(path, `must be balanced or {negative, positive}, got ${show(value)}`);
  const o = c.object(value, path, ["negative", "positive"]);
  if (!o) return undefined;
  const negative = c.between(o.negative, `${path}.negative`, 0, 1e6, true);
  const positive = c.between(o.positive, `${path}.positive`, 0, 1e6, true);
  return negative !== undefined && positive !== undefined ? { negative, positive } : undefined;
}

/** Reads params by their snake_case key into camelCase, each with its own check. */
function params<T>(
  c: Checker,
  value: unknown,
  path: string,
  readers: Record<string, [keyof T & string, (v: unknown, p: string) => unknown]>,
): T {
  const out: Record<string, unknown> = {};
  if (value === undefined) return out as T;
  const o = c.object(value, path, Object.keys(readers));
  if (!o) return out as T;
  for (const [key, [name, read]] of Object.entries(readers)) {
    if (o[key] === undefined) continue;
    const v = read(o[key], at(path, key));
    if (v !== undefined) out[name] = v;
  }
  return out as T;
}

function readModel(c: Checker, value: unknown): JobModel | undefined {
  if (value === undefined) return { kind: "logistic", params: {} };
  const o = c.object(value, "model", ["kind", "params"]);
  if (!o) return undefined;
  const kind = c.oneOf(o.kind ?? "logistic", "model.kind", ["logistic", "gbdt"] as const);
  const num =
    (min: number, max: number, open = false) =>
    (v: unknown, p: string) =>
      c.between(v, p, min, max, open);
  const int = (min: number, max: number) => (v: unknown, p: string) => c.integer(v, p, min, max);
  const weights = (v: unknown, p: string) => classWeights(c, v, p);
  if (kind === "logistic")
    return {
      kind,
      params: params<LogisticJobParams>(c, o.params, "model.params", {
        l2: ["l2", num(0, 1e6)],
        l1: ["l1", num(0, 1e6)],
        class_weights: ["classWeights", weights],
        max_iterations: ["maxIterations", int(1, 100_000)],
        tolerance: ["tolerance", num(0, 1, true)],
      }),
    };
  if (kind === "gbdt")
    return {
      kind,
      params: params<GbdtJobParams>(c, o.params, "model.params", {
        trees: ["trees", int(1, 10_000)],
        learning_rate: ["learningRate", num(0, 1, true)],
        max_depth: ["maxDepth", int(1, 16)],
        max_leaves: ["maxLeaves", int(2, 65_536)],
        growth: ["growth", (v, p) => c.oneOf(v, p, ["depthwise", "lossguide"] as const)],
        min_child_weight: ["minChildWeight", num(0, 1e6)],
        lambda: ["lambda", num(0, 1e6)],
        gamma: ["gamma", num(0, 1e6)],
        subsample: ["subsample", num(0, 1, true)],
        colsample: ["colsample", num(0, 1, true)],
        max_bins: ["maxBins", int(2, 255)],
        class_weights: ["classWeights", weights],
        early_stopping_rounds: ["earlyStoppingRounds", int(1, 10_000)],
      }),
    };
  return undefined;
}

/** Checks a job spec already parsed (a plain object, e.g. a JSON body); throws JobSpecError with every problem. */
export function checkJobSpec(doc: unknown, source?: string): JobSpec {
  const c = new Checker();
  const o = c.object(doc, "", TOP_KEYS);
  if (!o) throw new JobSpecError(c.issues, source);
  const required = (key: string) => (o[key] === undefined ? c.fail(key, "is required") : o[key]);
  const version = required("version") === undefined ? undefined : c.string(o.version, "version", VERSION_ID);
  const view = o.view === undefined ? JOB_DEFAULTS.view : c.string(o.view, "view", VIEW);
  const label = required("label") === undefined ? undefined : c.string(o.label, "label", COLUMN);
  const purpose = o.purpose === undefined ? undefined : c.string(o.purpose, "purpose", PURPOSE);
  let features: JobSpec["features"] = {};
  if (o.features !== undefined) {
    const f = c.object(o.features, "features", ["include", "exclude", "categorical"]);
    if (f) {
      const include = f.include === undefined ? undefined : c.columns(f.include, "features.include");
      const exclude = f.exclude === undefined ? undefined : c.columns(f.exclude, "features.exclude");
      const categorical =
        f.categorical === undefined ? undefined : c.columns(f.categorical, "features.categorical");
      if (include && exclude)
        for (const col of include.filter((x) => exclude.includes(x)))
          c.fail("features", `"${col}" is both included and excluded`);
      features = {
        ...(include && { include }),
        ...(exclude && { exclude }),
        ...(categorical && { categorical }),
      };
    }
  }
  const periods =
    o.periods === undefined ? JOB_DEFAULTS.periods : c.oneOf(o.periods, "periods", PERIOD_AGGREGATIONS);
  const model = readModel(c, o.model);
  const groups = o.groups === undefined ? [] : c.columns(o.groups, "groups");
  if (label && groups?.includes(label)) c.fail("groups", `the label "${label}" cannot be a group`);
  const validation =
    o.validation === undefined ? JOB_DEFAULTS.validation : c.string(o.validation, "validation", SPLIT);
  if (validation === "train" || validation === "test")
    c.fail("validation", `must differ from train and test (the training and evaluation splits)`);
  const seed = o.seed === undefined ? JOB_DEFAULTS.seed : c.integer(o.seed, "seed", 0, 2 ** 32 - 1);
  const earlyDetection =
    o.early_detection === undefined
      ? JOB_DEFAULTS.earlyDetection
      : c.integer(o.early_detection, "early_detection", 0, 52);
  const coldStart =
    o.cold_start === undefined ? JOB_DEFAULTS.coldStart : c.boolean(o.cold_start, "cold_start");
  let limits: JobSpec["limits"] | undefined = {
    memoryMb: JOB_DEFAULTS.memoryMb,
    seconds: JOB_DEFAULTS.seconds,
  };
  if (o.limits !== undefined) {
    const l = c.object(o.limits, "limits", ["memory_mb", "seconds"]);
    const memoryMb =
      l?.memory_mb === undefined
        ? JOB_DEFAULTS.memoryMb
        : c.integer(l.memory_mb, "limits.memory_mb", 1, 65_536);
    const seconds =
      l?.seconds === undefined
        ? JOB_DEFAULTS.seconds
        : c.between(l.seconds, "limits.seconds", 0, 86_400, true);
    limits = l && memoryMb !== undefined && seconds !== undefined ? { memoryMb, seconds } : undefined;
  }
  let release: JobSpec["release"] | undefined = {};
  if (o.release !== undefined) {
    const r = c.object(o.release, "release", ["dp", "min_cohort", "max_advantage"]);
    // The gate takes a job's bound over its default when the agreement states none: a job may only
    // tighten, so its bounds stay within the defaults.
    const minCohort =
      r?.min_cohort === undefined
        ? undefined
        : c.integer(r.min_cohort, "release.min_cohort", DEFAULT_MIN_COHORT, 1_000_000);
    const maxAdvantage =
      r?.max_advantage === undefined
        ? undefined
        : c.between(r.max_advantage, "release.max_advantage", 0, DEFAULT_MAX_ADVANTAGE);
    release = {
      ...(minCohort !== undefined && { minCohort }),
      ...(maxAdvantage !== undefined && { maxAdvantage }),
    };
    if (r?.dp !== undefined) {
      const dp = c.object(r.dp, "release.dp", ["epsilon", "delta"]);
      const epsilon = dp && c.between(dp.epsilon, "release.dp.epsilon", 0, 100, true);
      const delta = dp && (dp.delta === undefined ? 0 : c.between(dp.delta, "release.dp.delta", 0, 0.999999));
      if (model?.kind === "gbdt")
        c.fail("release.dp", "differentially private training is for logistic models only");
      release =
        epsilon !== undefined && delta !== undefined ? { ...release, dp: { epsilon, delta } } : undefined;
    }
  }
  if (c.issues.length > 0) throw new JobSpecError(c.issues, source);
  return {
    version: version as string,
    view: view as string,
    label: label as string,
    ...(purpose !== undefined && { purpose }),
    features,
    periods: periods as PeriodAggregation,
    model: model as JobModel,
    groups: groups as string[],
    validation: validation as string,
    seed: seed as number,
    earlyDetection: earlyDetection as number,
    coldStart: coldStart as boolean,
    limits: limits as JobSpec["limits"],
    release: release as JobSpec["release"],
  };
}

/** Parses a job spec from YAML (or JSON) text and checks it. */
export function parseJobSpec(text: string, options: { source?: string } = {}): JobSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new JobSpecError(
      [{ path: "", message: `not YAML: ${(err as Error).message.split("\n")[0]}` }],
      options.source,
    );
  }
  return checkJobSpec(doc, options.source);
}
