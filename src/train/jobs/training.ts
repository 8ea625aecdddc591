/**
 * One training job's work, as its worker thread runs it: read the version's view, make the learner
 * table, train on `train` (GBDT stops early on the validation split), evaluate on `test` (headline
 * metrics, curves, calibration, metrics per group), and write the model (our JSON and ONNX), the
 * metrics and the pictures (SVG and PNG) into the job's folder with their SHA-256.
 *
 * What it returns holds no pseudonym: counts, metrics, and the held-in and held-out scores the release
 * gate's membership-inference test needs, in row order only.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { secureRandom } from "../../privacy/dp/random.js";
import { type ColdStartRow, type ColdStartSkip, coldStartStudy } from "../cold-start.js";
import { TrainError } from "../errors.js";
import type { EarlyDetectionPoint } from "../evaluate/early.js";
import { type GroupReport, groupMetrics } from "../evaluate/groups.js";
import {
  type Calibration,
  calibration,
  type PrPoint,
  prCurve,
  type RocPoint,
  rocAuc,
  rocCurve,
  type Summary,
  summarize,
} from "../evaluate/metrics.js";
import { type LearnerTable, type LearnerTableOptions, learnerTable, readVersionView } from "../features.js";
import { fitGbdt, type GbdtModel } from "../models/gbdt.js";
import { type Model, type ModelJson, modelToJson, predict } from "../models/json.js";
import { fitLogistic } from "../models/logistic.js";
import { toOnnx } from "../onnx/export.js";
import { calibrationSvg, fairnessSvg, prSvg, rocSvg } from "../pictures/charts.js";
import { svgToPng } from "../pictures/png.js";
import { DP_MECHANISM, type DpAccounting, trainDpLogistic } from "../release/dp-logistic.js";
import { checkLabels, type FeatureTable, selectRows } from "../table.js";
import type { JobSpec } from "./spec.js";

export type ArtefactKind = "model" | "metrics" | "picture" | "card";

/** A file the job wrote into its folder. */
export interface Artefact {
  name: string;
  kind: ArtefactKind;
  /** Relative to the job's folder. */
  path: string;
  sha256: string;
  bytes: number;
  mediaType: string;
}

export interface TrainingInput {
  spec: JobSpec;
  /** The version's folder (its lineage lists the view's shards and their splits). */
  versionDir: string;
  /** The job's folder (created); the training writes its working files under `work/`. */
  outDir: string;
}

/** The evaluation's curves on the test split (aggregates: one point per distinct score or bin). */
export interface TrainingCurves {
  roc: RocPoint[];
  pr: PrPoint[];
  calibration: Calibration;
}

export interface TrainingResult {
  features: string[];
  rows: Record<string, number>;
  positives: Record<string, number>;
  model: { kind: Model["kind"]; fit: Record<string, unknown> };
  /** Headline metrics on the test split; null (with the reason) when it has one class only. */
  metrics: Summary | null;
  metricsReason: string | null;
  groups: GroupReport[];
  curves: TrainingCurves | null;
  /**
   * The early-detection curve on the test split: at each cut-off day (counted from each learner's
   * first activity), a model of the job's kind trained on what was known before it. Empty, with the
   * reason, when it was not drawn.
   */
  early: EarlyDetectionPoint[];
  earlyReason: string | null;
  /** The cold-start study when asked (rows and skipped providers; no pseudonym), else null with the reason. */
  coldStart: { rows: ColdStartRow[]; skipped: ColdStartSkip[] } | null;
  coldStartReason: string | null;
  /** How a DP training was accounted (not yet charged: the parent charges the ledger). */
  dp: (DpAccounting & { mechanism: string }) | null;
  /** The model in our JSON form (what the release gate judges and may let out). */
  modelJson: ModelJson;
  artefacts: Artefact[];
  /** Scores and labels on held-in (train) and held-out (test) learners, for the membership-inference test. */
  heldIn: { probabilities: number[]; labels: number[] };
  heldOut: { probabilities: number[]; labels: number[] };
}

export type ProgressReport = (stage: string, fraction: number) => void;

/** Where a group attribute with fewer learners than this is marked small in the metrics file. */
const GROUP_MIN_SIZE = 5;

function indicesOf(splits: readonly string[], name: string): number[] {
  const out: number[] = [];
  splits.forEach((s, i) => {
    if (s === name) out.push(i);
  });
  return out;
}

const pick = (values: ArrayLike<number>, idx: readonly number[]) => Float64Array.from(idx, (i) => values[i]!);

export async function runTraining(
  input: TrainingInput,
  progress: ProgressReport = () => {},
): Promise<TrainingResult> {
  const { spec } = input;
  progress("reading", 0.05);
  const rows = await readVersionView(input.versionDir, spec.view, { memoryMb: spec.limits.memoryMb });
  progress("table", 0.15);
  const tableOptions: LearnerTableOptions = {
    label: spec.label,
    periods: spec.periods,
    ...(spec.features.include && { include: spec.features.include }),
    ...(spec.features.exclude && { exclude: spec.features.exclude }),
    ...(spec.features.categorical && { categorical: spec.features.categorical }),
    groups: spec.groups,
  };
  const t = learnerTable(rows, tableOptions);
  if (!t.splits) throw new TrainError(`view ${spec.view}: its rows carry no split`);
  const splits = t.splits;
  const train = indicesOf(splits, "train");
  const test = indicesOf(splits, "test");
  if (train.length === 0) throw new TrainError("split train: no labelled learner");
  if (test.length === 0) throw new TrainError("split test: no labelled learner");
  const trainTable = selectRows(t.table, train);
  const trainLabels = pick(t.labels, train);
  checkLabels(trainLabels, train.length, "split train");
  const testTable = selectRows(t.table, test);
  const testLabels = pick(t.labels, test);

  progress("training", 0.25);
  let model: Model;
  let dp: TrainingResult["dp"] = null;
  if (spec.model.kind === "logistic" && spec.release.dp) {
    // Noise from the CSPRNG: the model is charged to the ledger (by the parent) before anything leaves.
    const trained = trainDpLogistic(
      trainTable,
      trainLabels,
      { ...spec.release.dp, ...(spec.model.params.l2 !== undefined && { l2: spec.model.params.l2 }) },
      secureRandom(),
    );
    model = trained.model;
    dp = { ...trained.accounting, mechanism: DP_MECHANISM };
  } else {
    model = fitJobModel(spec, t);
  }

  progress("evaluating", 0.7);
  const pTrain = predict(model, trainTable);
  const pTest = predict(model, testTable);
  const positives = count(testLabels);
  const oneClass = positives === 0 || positives === test.length;
  const metrics = oneClass ? null : summarize(pTest, testLabels);
  const groups = oneClass
    ? []
    : spec.groups.map((g) =>
        groupMetrics(
          pTest,
          testLabels,
          test.map((i) => t.groups[g]![i]),
          { attribute: g, minSize: GROUP_MIN_SIZE },
        ),
      );

  const early = earlyDetection(spec, rows, tableOptions, t, metrics?.auc ?? null, (f) =>
    progress("early detection", 0.7 + 0.15 * f),
  );

  const cold = spec.coldStart ? coldStart(spec, rows, t) : { study: null, reason: "not asked (cold_start)" };

  progress("writing", 0.85);
  const work = join(input.outDir, "work");
  mkdirSync(work, { recursive: true });
  const artefacts: Artefact[] = [];
  const write = (name: string, kind: ArtefactKind, mediaType: string, bytes: Uint8Array | string) => {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes);
    writeFileSync(join(work, name), data);
    artefacts.push({
      name: `work/${name}`,
      kind,
      path: `work/${name}`,
      sha256: createHash("sha256").update(data).digest("hex"),
      bytes: data.byteLength,
      mediaType,
    });
  };
  write("model.json", "model", "application/json", `${JSON.stringify(modelToJson(model))}\n`);
  write("model.onnx", "model", "application/octet-stream", toOnnx(model));
  const curves = metrics
    ? {
        roc: rocCurve(pTest, testLabels),
        pr: prCurve(pTest, testLabels),
        calibration: calibration(pTest, testLabels),
      }
    : null;
  write(
    "metrics.json",
    "metrics",
    "application/json",
    `${JSON.stringify({ split: "test", metrics, reason: oneClass ? "the test split has one class only" : null, curves, groups, early: early.points, earlyReason: early.reason, coldStart: cold.study, coldStartReason: cold.reason }, null, 2)}\n`,
  );
  const picture = (name: string, svg: string) => {
    write(`${name}.svg`, "picture", "image/svg+xml", svg);
    write(`${name}.png`, "picture", "image/png", svgToPng(svg));
  };
  if (metrics && curves) {
    picture("roc", rocSvg([{ label: spec.model.kind, points: curves.roc, auc: metrics.auc }]));
    picture(
      "pr",
      prSvg(
        [{ label: spec.model.kind, points: curves.pr, averagePrecision: metrics.averagePrecision }],
        positives / test.length,
      ),
    );
    picture("calibration", calibrationSvg([{ label: spec.model.kind, calibration: curves.calibration }]));
    for (const report of groups) picture(`fairness-${report.attribute}`, fairnessSvg(report));
  }
  progress("written", 0.95);

  const splitCounts: Record<string, number> = {};
  const splitPositives: Record<string, number> = {};
  splits.forEach((s, i) => {
    splitCounts[s] = (splitCounts[s] ?? 0) + 1;
    splitPositives[s] = (splitPositives[s] ?? 0) + t.labels[i]!;
  });
  return {
    features: [...t.table.names],
    rows: splitCounts,
    positives: splitPositives,
    model: {
      kind: model.kind,
      fit:
        model.kind === "gbdt" ? { ...(model as GbdtModel).fit, validationLoss: undefined } : { ...model.fit },
    },
    metrics,
    metricsReason: oneClass ? "the test split has one class only" : null,
    groups,
    curves,
    early: early.points,
    earlyReason: early.reason,
    coldStart: cold.study,
    coldStartReason: cold.reason,
    dp,
    modelJson: modelToJson(model),
    artefacts,
    heldIn: { probabilities: [...pTrain], labels: [...trainLabels] },
    heldOut: { probabilities: [...pTest], labels: [...testLabels] },
  };
}

const count = (y: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < y.length; i++) n += y[i]!;
  return n;
};

/** The job's model (not DP) trained on `train` of a learner table; GBDT stops early on the validation split. */
function fitJobModel(spec: JobSpec, t: LearnerTable): Model {
  const splits = t.splits!;
  const train = indicesOf(splits, "train");
  const trainTable = selectRows(t.table, train);
  const trainLabels = pick(t.labels, train);
  if (spec.model.kind === "logistic") return fitLogistic(trainTable, trainLabels, spec.model.params);
  const validation = indicesOf(splits, spec.validation);
  const validLabels = pick(t.labels, validation);
  const both = validation.length > 0 && count(validLabels) > 0 && count(validLabels) < validation.length;
  return fitGbdt(
    trainTable,
    trainLabels,
    {
      ...spec.model.params,
      seed: spec.seed,
      ...(both && { earlyStoppingRounds: spec.model.params.earlyStoppingRounds ?? 10 }),
    },
    both ? { table: selectRows(t.table, validation), labels: validLabels } : undefined,
  );
}

const DAY_MS = 86_400_000;

/** The days a period spans, from the rows' `period_start` (a learner's later period against its first). */
function daysPerPeriod(rows: readonly Record<string, unknown>[]): number | null {
  const first = new Map<string, { period: number; start: number }>();
  for (const row of rows) {
    const period = Number(row.period);
    const start = Date.parse(String(row.period_start));
    if (!Number.isInteger(period) || Number.isNaN(start)) return null;
    const learner = String(row.learner);
    const seen = first.get(learner);
    if (!seen) first.set(learner, { period, start });
    else if (seen.period !== period) {
      const days = (start - seen.start) / DAY_MS / (period - seen.period);
      if (Number.isInteger(days) && days >= 1) return days;
    }
  }
  return null;
}

/** Which first-k-periods cut-offs to draw: all when there are few, else `wanted` spread evenly. */
function cutoffPeriods(periodCount: number, wanted: number): number[] {
  if (periodCount <= wanted) return Array.from({ length: periodCount }, (_, i) => i + 1);
  return [...new Set(Array.from({ length: wanted }, (_, i) => Math.round(((i + 1) * periodCount) / wanted)))];
}

/**
 * The early-detection curve of a job: at each cut-off, the learners' periods before it only, a model of
 * the job's kind trained on them (same features, categories and splits) and its test AUC; the last
 * cut-off is the job's own model. Not drawn for a DP job (each cut-off's model would spend budget
 * the ledger was not asked for), nor for a view without periods.
 */
function earlyDetection(
  spec: JobSpec,
  rows: readonly Record<string, unknown>[],
  options: LearnerTableOptions,
  full: LearnerTable,
  fullAuc: number | null,
  progress: (fraction: number) => void,
): { points: EarlyDetectionPoint[]; reason: string | null } {
  const none = (reason: string) => ({ points: [], reason });
  if (spec.earlyDetection === 0) return none("not asked (early_detection: 0)");
  if (spec.release.dp) return none("a DP job: each cut-off's model would spend privacy budget");
  if (fullAuc === null) return none("the test split has one class only");
  if (rows.length === 0 || !("period" in rows[0]!) || !("period_start" in rows[0]!))
    return none(`view ${spec.view} has no periods (period, period_start)`);
  const days = daysPerPeriod(rows);
  if (days === null) return none("the periods' length could not be read from period_start");
  let maxPeriod = 0;
  for (const row of rows) maxPeriod = Math.max(maxPeriod, Number(row.period));
  const cutoffs = cutoffPeriods(maxPeriod + 1, spec.earlyDetection);
  const points: EarlyDetectionPoint[] = [];
  const testCount = indicesOf(full.splits!, "test").length;
  cutoffs.forEach((k, step) => {
    if (k === maxPeriod + 1) {
      points.push({ day: k * days, auc: fullAuc, n: testCount });
      return;
    }
    const known = rows.filter((r) => Number(r.period) < k);
    const t: LearnerTable = learnerTable(known, {
      ...options,
      categories: full.categories,
      features: full.table.names,
    });
    const test = indicesOf(t.splits!, "test");
    const labels = pick(t.labels, test);
    const positives = count(labels);
    const trainLabels = pick(t.labels, indicesOf(t.splits!, "train"));
    const trainPositives = count(trainLabels);
    if (positives === 0 || positives === test.length) return;
    if (trainPositives === 0 || trainPositives === trainLabels.length) return;
    const scores = predict(fitJobModel(spec, t), selectRows(t.table, test) as FeatureTable);
    points.push({ day: k * days, auc: rocAuc(scores, labels), n: test.length });
    progress((step + 1) / cutoffs.length);
  });
  return { points, reason: points.length === 0 ? "no cut-off had both classes in train and test" : null };
}

/**
 * The cold-start study of a job: each learner counts for the provider where they were most active
 * (the view's `{provider}__statements` columns); for each provider, the job's model kind trained on its
 * own train (and validation) learners against one trained on the pool's, both scored on its test
 * learners. Providers with fewer than 5 own train or test learners, or one class, are skipped with
 * the reason; the gate then releases only the rows whose counts reach the minimum cohort.
 */
function coldStart(
  spec: JobSpec,
  rows: readonly Record<string, unknown>[],
  t: LearnerTable,
): { study: { rows: ColdStartRow[]; skipped: ColdStartSkip[] } | null; reason: string | null } {
  if (spec.release.dp)
    return { study: null, reason: "a DP job: each provider's models would spend privacy budget" };
  const activity = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const learner = String(row.learner);
    const perProvider = activity.get(learner) ?? new Map<string, number>();
    for (const [column, value] of Object.entries(row)) {
      const m = /^(.+)__statements$/.exec(column);
      if (m && typeof value === "number") perProvider.set(m[1]!, (perProvider.get(m[1]!) ?? 0) + value);
    }
    activity.set(learner, perProvider);
  }
  const providers = t.learners.map((learner) => {
    let best = "";
    let most = 0;
    for (const [provider, n] of activity.get(learner) ?? []) if (n > most) [best, most] = [provider, n];
    return best;
  });
  if (providers.some((p) => p === ""))
    return {
      study: null,
      reason: `view ${spec.view} has no per-provider statement counts for every learner`,
    };
  const model =
    spec.model.kind === "logistic"
      ? { kind: "logistic" as const, params: spec.model.params }
      : // No validation split here: the trees are the job's count, without early stopping.
        (() => {
          const { earlyStoppingRounds: _rounds, ...params } = spec.model.params;
          return { kind: "gbdt" as const, params: { ...params, seed: spec.seed } };
        })();
  // No early stopping here: the validation learners train too, so that small providers have more.
  const splits = t.splits!.map((s) => (s === spec.validation ? "train" : s));
  const study = coldStartStudy(
    { table: t.table, labels: t.labels, providers, splits },
    { model, seed: spec.seed, resamples: 200, minTrain: 5, minTest: 5 },
  );
  return { study: { rows: [...study.rows], skipped: [...study.skipped] }, reason: null };
}
