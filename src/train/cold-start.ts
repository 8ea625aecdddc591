import { TrainError } from "./errors.js";
import { rocAuc } from "./evaluate/metrics.js";
import { fitGbdt, type GbdtParams, predictGbdt } from "./models/gbdt.js";
import { fitLogistic, type LogisticParams, predictLogistic } from "./models/logistic.js";
import { coldStartSvg } from "./pictures/charts.js";
import { seededRandom } from "./random.js";
import { checkLabels, checkTable, type FeatureTable, selectRows } from "./table.js";

/**
 * The cold-start study: does pooling help a provider with few learners of its own? For each provider P,
 * model A is trained on P's own train learners alone and model B on the pool's train learners (every
 * provider's, P's included); both score P's test learners. The gain is AUC(B) − AUC(A), with a percentile
 * bootstrap interval over P's test learners (one resample scores both models, so the interval is that of
 * the paired difference). Pure: one row per learner in, a table and a chart out.
 */
export interface ColdStartInput {
  readonly table: FeatureTable;
  readonly labels: ArrayLike<number>;
  /** The provider (or module) of each row's learner. */
  readonly providers: readonly string[];
  /** Each row's split; rows of other splits (validation…) are left out. */
  readonly splits: readonly string[];
}

export type ColdStartModel =
  | { readonly kind: "logistic"; readonly params?: LogisticParams }
  | { readonly kind: "gbdt"; readonly params?: GbdtParams };

export interface ColdStartOptions {
  readonly model: ColdStartModel;
  /** Seed of the bootstrap (default 1); a GBDT's own seed is in its params. */
  readonly seed?: number;
  /** Bootstrap resamples (default 1000; 0 for no interval). */
  readonly resamples?: number;
  /** Coverage of the interval (default 0.95). */
  readonly level?: number;
  readonly trainSplit?: string;
  readonly testSplit?: string;
  /** A provider is studied only with at least this many own train learners (default 20)… */
  readonly minTrain?: number;
  /** …and test learners (default 20). */
  readonly minTest?: number;
  /** Providers to study (default all, in first-seen order); the pool is always every provider's. */
  readonly only?: readonly string[];
}

export interface ColdStartRow {
  readonly provider: string;
  readonly n_train_own: number;
  readonly n_train_pool: number;
  readonly n_test: number;
  readonly auc_own: number;
  readonly auc_pool: number;
  /** auc_pool − auc_own. */
  readonly gain: number;
  /** Percentile bootstrap interval of the gain (null without resamples). */
  readonly gain_low: number | null;
  readonly gain_high: number | null;
  /** Resamples left out because they held one class only. */
  readonly resamples_dropped: number;
}

export interface ColdStartSkip {
  readonly provider: string;
  readonly n_train_own: number;
  readonly n_test: number;
  readonly reason: string;
}

export interface ColdStartStudy {
  readonly model: ColdStartModel["kind"];
  readonly rows: readonly ColdStartRow[];
  readonly skipped: readonly ColdStartSkip[];
  readonly bootstrap: { readonly seed: number; readonly resamples: number; readonly level: number };
  /** The chart of the gains (coldStartSvg), null when no provider could be studied. */
  readonly svg: string | null;
}

export function coldStartStudy(input: ColdStartInput, options: ColdStartOptions): ColdStartStudy {
  const o = checkOptions(options);
  const { table, labels, providers, splits } = input;
  checkTable(table, "cold-start table");
  checkLabels(labels, table.rows, "cold-start labels", false);
  if (providers.length !== table.rows) {
    throw new TrainError(`cold-start providers: ${providers.length} for ${table.rows} rows`);
  }
  if (splits.length !== table.rows)
    throw new TrainError(`cold-start splits: ${splits.length} for ${table.rows} rows`);
  const train = new Map<string, number[]>();
  const test = new Map<string, number[]>();
  const poolTrain: number[] = [];
  const order: string[] = [];
  for (let i = 0; i < table.rows; i++) {
    const provider = providers[i];
    if (typeof provider !== "string" || provider === "")
      throw new TrainError(`cold-start providers: row ${i} is empty`);
    if (!train.has(provider)) {
      train.set(provider, []);
      test.set(provider, []);
      order.push(provider);
    }
    if (splits[i] === o.trainSplit) {
      train.get(provider)!.push(i);
      poolTrain.push(i);
    } else if (splits[i] === o.testSplit) test.get(provider)!.push(i);
  }
  for (const p of o.only ?? []) {
    if (!train.has(p)) throw new TrainError(`cold-start only: provider "${p}" has no row`);
  }
  const studied = o.only ? order.filter((p) => o.only!.includes(p)) : order;
  const poolLabels = pick(labels, poolTrain);
  const poolClasses = classes(poolLabels);
  if (poolClasses.positives === 0 || poolClasses.negatives === 0) {
    throw new TrainError(
      `cold-start: the pool's train split has one class only (${poolClasses.positives} positives)`,
    );
  }
  // The pool's model is the same for every provider: trained once.
  const pooled = trainModel(o.model, selectRows(table, poolTrain), poolLabels);
  const rows: ColdStartRow[] = [];
  const skipped: ColdStartSkip[] = [];
  for (const provider of studied) {
    const own = train.get(provider)!;
    const held = test.get(provider)!;
    const skip = (reason: string) =>
      skipped.push({ provider, n_train_own: own.length, n_test: held.length, reason });
    const ownLabels = pick(labels, own);
    const testLabels = pick(labels, held);
    const ownClasses = classes(ownLabels);
    const testClasses = classes(testLabels);
    if (own.length < o.minTrain) {
      skip(`${own.length} own train learners, fewer than ${o.minTrain}`);
      continue;
    }
    if (held.length < o.minTest) {
      skip(`${held.length} test learners, fewer than ${o.minTest}`);
      continue;
    }
    if (ownClasses.positives === 0 || ownClasses.negatives === 0) {
      skip(`own train learners have one class only (${ownClasses.positives} positives)`);
      continue;
    }
    if (testClasses.positives === 0 || testClasses.negatives === 0) {
      skip(`test learners have one class only (${testClasses.positives} positives): no AUC`);
      continue;
    }
    const ownModel = trainModel(o.model, selectRows(table, own), ownLabels);
    const heldTable = selectRows(table, held);
    const ownScores = ownModel(heldTable);
    const poolScores = pooled(heldTable);
    const aucOwn = rocAuc(ownScores, testLabels);
    const aucPool = rocAuc(poolScores, testLabels);
    const interval = bootstrapGain(ownScores, poolScores, testLabels, o, provider);
    rows.push({
      provider,
      n_train_own: own.length,
      n_train_pool: poolTrain.length,
      n_test: held.length,
      auc_own: aucOwn,
      auc_pool: aucPool,
      gain: aucPool - aucOwn,
      gain_low: interval.low,
      gain_high: interval.high,
      resamples_dropped: interval.dropped,
    });
  }
  return {
    model: o.model.kind,
    rows,
    skipped,
    bootstrap: { seed: o.seed, resamples: o.resamples, level: o.level },
    svg:
      rows.length === 0
        ? null
        : coldStartSvg(rows.map((r) => ({ provider: r.provider, own: r.auc_own, pooled: r.auc_pool }))),
  };
}

type Options = Required<Omit<ColdStartOptions, "only">> & { only: readonly string[] | null };

function checkOptions(options: ColdStartOptions): Options {
  const kind = options.model?.kind;
  if (kind !== "logistic" && kind !== "gbdt") {
    throw new TrainError(`cold-start model.kind: "logistic" or "gbdt", not ${String(kind)}`);
  }
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const minTrain = options.minTrain ?? 20;
  const minTest = options.minTest ?? 20;
  if (!Number.isInteger(seed)) throw new TrainError("cold-start seed: must be an integer");
  if (!(Number.isInteger(resamples) && resamples >= 0))
    throw new TrainError("cold-start resamples: an integer ≥ 0");
  if (!(level > 0 && level < 1)) throw new TrainError("cold-start level: must lie strictly between 0 and 1");
  if (!(Number.isInteger(minTrain) && minTrain >= 2))
    throw new TrainError("cold-start minTrain: an integer ≥ 2");
  if (!(Number.isInteger(minTest) && minTest >= 2))
    throw new TrainError("cold-start minTest: an integer ≥ 2");
  const trainSplit = options.trainSplit ?? "train";
  const testSplit = options.testSplit ?? "test";
  if (trainSplit === testSplit)
    throw new TrainError(`cold-start: train and test split are both "${trainSplit}"`);
  return {
    model: options.model,
    seed,
    resamples,
    level,
    trainSplit,
    testSplit,
    minTrain,
    minTest,
    only: options.only ?? null,
  };
}

function trainModel(
  model: ColdStartModel,
  table: FeatureTable,
  labels: Uint8Array,
): (t: FeatureTable) => Float64Array {
  if (model.kind === "logistic") {
    const m = fitLogistic(table, labels, model.params);
    return (t) => predictLogistic(m, t);
  }
  const m = fitGbdt(table, labels, model.params);
  return (t) => predictGbdt(m, t);
}

function pick(labels: ArrayLike<number>, rows: readonly number[]): Uint8Array {
  return Uint8Array.from(rows, (i) => labels[i]!);
}

function classes(labels: Uint8Array): { positives: number; negatives: number } {
  let positives = 0;
  for (const y of labels) positives += y;
  return { positives, negatives: labels.length - positives };
}

/** Paired percentile bootstrap of AUC(pool) − AUC(own) over the provider's test learners. */
function bootstrapGain(
  own: Float64Array,
  pool: Float64Array,
  labels: Uint8Array,
  o: Options,
  provider: string,
): { low: number | null; high: number | null; dropped: number } {
  if (o.resamples === 0) return { low: null, high: null, dropped: 0 };
  // Each provider draws from its own stream, so adding or skipping a provider leaves the others' intervals.
  const random = seededRandom(o.seed ^ hash(provider));
  const n = labels.length;
  const gains: number[] = [];
  let dropped = 0;
  const ownSample = new Float64Array(n);
  const poolSample = new Float64Array(n);
  const labelSample = new Uint8Array(n);
  for (let r = 0; r < o.resamples; r++) {
    let positives = 0;
    for (let k = 0; k < n; k++) {
      const i = Math.floor(random() * n);
      ownSample[k] = own[i]!;
      poolSample[k] = pool[i]!;
      labelSample[k] = labels[i]!;
      positives += labels[i]!;
    }
    if (positives === 0 || positives === n) {
      dropped++;
      continue;
    }
    gains.push(rocAuc(poolSample, labelSample) - rocAuc(ownSample, labelSample));
  }
  if (gains.length === 0) return { low: null, high: null, dropped };
  gains.sort((a, b) => a - b);
  const tail = (1 - o.level) / 2;
  return { low: quantile(gains, tail), high: quantile(gains, 1 - tail), dropped };
}

/** Linear interpolation between order statistics (type 7, as R and NumPy by default). */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** FNV-1a of the provider's name: a stable per-provider offset of the seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The study as a Markdown table (for a README or a job's report), then the skipped providers and why. */
export function coldStartMarkdown(study: ColdStartStudy): string {
  const f = (v: number) => v.toFixed(3);
  const signed = (v: number) => (v >= 0 ? "+" : "") + v.toFixed(3);
  const level = Math.round(study.bootstrap.level * 100);
  const lines = [
    `| provider | train (own) | train (pool) | test | AUC own | AUC pool | gain | ${level} % interval |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...study.rows.map((r) => {
      const interval =
        r.gain_low === null || r.gain_high === null ? "—" : `${signed(r.gain_low)} to ${signed(r.gain_high)}`;
      const cells = [
        r.provider,
        r.n_train_own,
        r.n_train_pool,
        r.n_test,
        f(r.auc_own),
        f(r.auc_pool),
        signed(r.gain),
      ];
      return `| ${cells.join(" | ")} | ${interval} |`;
    }),
  ];
  for (const s of study.skipped) lines.push("", `Skipped ${s.provider}: ${s.reason}.`);
  return lines.join("\n");
}
