/**
 * OULAD as a pool, for the real-data benchmark: the CSV tables converted to xAPI by the interop module
 * (one provider per module AAA…GGG, one JSON Lines file each), loaded into the pool's `statements`
 * view, and learner-level rows at a cut-off day built with the pool's `learner_periods` view plus a few
 * assessment features the view does not compute (registration day, cohort-relative lateness, missed
 * assessments), the declared attributes and the labels.
 *
 * Why not the whole `buildDataset`: it needs a store per provider, a linkage domain, a consent record
 * per learner and a cut-off per build; OULAD's presentations start on four different dates and the
 * curve needs 21 cut-off days, i.e. 84 builds of 32,593 consenting learners. The conversion, the
 * statements view and learner_periods are the real modules; consent, pseudonyms and the risk check
 * are not exercised here (their own tests and benchmarks cover them).
 *
 * The unit is a registration (a student in a module-presentation): `learner` is
 * `{student}/{module}/{presentation}`, a key used for joining only and never printed.
 *
 * No leakage: at day d (presentation-relative) every feature comes from statements with a timestamp
 * before 00:00 UTC of day d, i.e. events of days < d. Learners not registered before day d, or who
 * unregistered before day d, are outside the population at day d. Labels come from the whole span:
 * `at_risk` = a `completed` without success (Fail) or an `unregistered` with no `completed`
 * (Withdrawn); `withdrawn` = the latter only; a registration with neither outcome has no label.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { Format, SourceRecord } from "../interop/converter.js";
import {
  OULAD_ATTRIBUTE_COLUMNS,
  OULAD_ATTRIBUTE_EXTENSIONS,
  OULAD_EXTENSIONS,
  OULAD_VERBS,
  type OuladRow,
  ouladFormat,
  ouladSettings,
  presentationStart,
} from "../interop/oulad/index.js";
import { outcomes } from "../interop/pipeline.js";
import { buildLearnerPeriods, loadStatements, sqlIdentifier, sqlString } from "../pool/views/index.js";
import { TrainError } from "./errors.js";
import { rocAuc } from "./evaluate/metrics.js";
import { type LearnerTable, type LearnerTableOptions, learnerTable } from "./features.js";
import { fitGbdt, type GbdtModel, type GbdtParams, predictGbdt } from "./models/gbdt.js";
import { fitLogistic, type LogisticParams, predictLogistic } from "./models/logistic.js";
import type { FeatureTable } from "./table.js";

export const OULAD_MODULES = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"] as const;
export const TRAIN_PRESENTATIONS = ["2013B", "2013J"] as const;
export const TEST_PRESENTATIONS = ["2014B", "2014J"] as const;
/** Demographic attributes used as categories (the others are numbers). */
export const OULAD_CATEGORICAL = [
  "gender",
  "region",
  "highest_education",
  "imd_band",
  "age_band",
  "disability",
];

export interface OuladPoolOptions {
  /** The OULAD folder (its CSV tables). */
  readonly dir: string;
  /** Where the per-provider JSON Lines files go. */
  readonly work: string;
  /** Converter setting `attributes` (demographics on registration statements); default true. */
  readonly attributes?: boolean;
  /** Keep only these modules (default all). */
  readonly modules?: readonly string[];
  /** Keep a deterministic share of the students (0 < share ≤ 1; default 1), for fast tests. */
  readonly studentShare?: number;
  /** Called every 10,000 records read. */
  readonly onProgress?: (records: number) => void;
}

export interface OuladPool {
  readonly connection: DuckDBConnection;
  /** Statements per provider (module). */
  readonly statements: Record<string, number>;
  /** Source records by outcome (skipped: Withdrawn final results, whose withdrawal is the unregistered statement). */
  readonly records: { read: number; converted: number; skipped: number; rejected: number };
  close(): void;
}

/** A stable share of ids: FNV-1a of the id, compared to the share. */
function inShare(id: string, share: number): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000 < share;
}

function moduleOfRow(row: OuladRow): string | undefined {
  if (row.cells.code_module) return row.cells.code_module;
  const id = row.cells.id_assessment;
  return id === undefined ? undefined : row.reference.assessments.get(id)?.module;
}

/** The OULAD format with its records filtered by module and student share (the converter is unchanged). */
function filteredFormat(modules: Set<string> | null, share: number): Format {
  const read = ouladFormat.read!;
  return {
    ...ouladFormat,
    read: (input, config) =>
      (async function* (): AsyncGenerator<SourceRecord> {
        for await (const record of read(input, config)) {
          const row = record.value as OuladRow;
          if (!row.malformed) {
            const module = moduleOfRow(row);
            if (modules && module !== undefined && !modules.has(module)) continue;
            const student = row.cells.id_student;
            if (share < 1 && student !== undefined && !inShare(student, share)) continue;
          }
          yield record;
        }
      })(),
  };
}

const MODULE_OF = /\/modules\/([^/]+)$/;

/** Converts OULAD with the interop module (validated), one JSON Lines file per module, and loads them. */
export async function poolOulad(options: OuladPoolOptions): Promise<OuladPool> {
  const share = options.studentShare ?? 1;
  if (!(share > 0 && share <= 1)) throw new TrainError("oulad.studentShare: must be in (0, 1]");
  const modules = options.modules ? new Set(options.modules) : null;
  const config = { attributes: options.attributes ?? true };
  mkdirSync(options.work, { recursive: true });
  const writers = new Map<string, WriteStream>();
  const records = { read: 0, converted: 0, skipped: 0, rejected: 0 };
  let firstRejection: string | undefined;
  for await (const outcome of outcomes(filteredFormat(modules, share), options.dir, config)) {
    records.read++;
    if (records.read % 10_000 === 0) options.onProgress?.(records.read);
    if (outcome.kind !== "converted") {
      records[outcome.kind]++;
      if (outcome.kind === "rejected") firstRejection ??= outcome.reason;
      continue;
    }
    records.converted++;
    for (const statement of outcome.statements) {
      const grouping = (statement.context as { contextActivities: { grouping: { id: string }[] } })
        .contextActivities.grouping;
      const module = MODULE_OF.exec(grouping[0]!.id)?.[1];
      if (!module) throw new TrainError("oulad: a converted statement has no module in its grouping");
      let out = writers.get(module);
      if (!out) {
        out = createWriteStream(join(options.work, `${module}.jsonl`));
        writers.set(module, out);
      }
      if (!out.write(`${JSON.stringify(statement)}\n`)) await once(out, "drain");
    }
  }
  await Promise.all(
    [...writers.values()].map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.on("error", reject);
          w.end(resolve);
        }),
    ),
  );
  if (records.rejected > 0) {
    throw new TrainError(
      `oulad: ${records.rejected} records rejected by the converter, the first: ${firstRejection}`,
    );
  }
  if (writers.size === 0) throw new TrainError(`oulad: no statement from ${options.dir}`);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const providers = [...writers.keys()].sort();
  const statements = await loadStatements(
    connection,
    providers.map((provider) => ({ provider, path: join(options.work, `${provider}.jsonl`) })),
  );
  await connection.run(eventsSql());
  return {
    connection,
    statements,
    records,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const PRESENTATION_OF = "'/presentations/([^/]+)$'";
const ext = (iri: string) => `json_extract(json, ${sqlString(`$.context.extensions."${iri}"`)})`;

const V = {
  registered: sqlString(OULAD_VERBS.registered.id),
  unregistered: sqlString(OULAD_VERBS.unregistered.id),
  completed: sqlString(OULAD_VERBS.completed.id),
  submitted: sqlString(OULAD_VERBS.submitted.id),
  scored: sqlString(OULAD_VERBS.scored.id),
};

/**
 * `oulad_events`: the statements view (its JSON left out) with the registration key, presentation,
 * day and banked flag; `oulad_registrations`: one row per registration with its registration and
 * unregistration instants, its outcome and the attributes its registration statement declares.
 */
function eventsSql(): string {
  const presentation = `coalesce(nullif(regexp_extract(object_id, ${PRESENTATION_OF}, 1), ''),
      regexp_extract(parent_ids[1], ${PRESENTATION_OF}, 1))`;
  const attributes = OULAD_ATTRIBUTE_COLUMNS.map((c) => {
    const value = ext(OULAD_ATTRIBUTE_EXTENSIONS[c]);
    return OULAD_CATEGORICAL.includes(c)
      ? `json_extract_string(${value}, '$') AS ${sqlIdentifier(c)}`
      : `CAST(${value} AS DOUBLE) AS ${sqlIdentifier(c)}`;
  });
  return `CREATE OR REPLACE TABLE oulad_events AS
    SELECT * EXCLUDE (json) REPLACE (learner || '/' || provider || '/' || presentation AS learner),
      learner AS student
    FROM (SELECT *, ${presentation} AS presentation,
        CAST(${ext(OULAD_EXTENSIONS.day)} AS INTEGER) AS day,
        CAST(${ext(OULAD_EXTENSIONS.banked)} AS BOOLEAN) AS banked
      FROM statements);
  CREATE OR REPLACE TABLE oulad_attributes AS
    SELECT learner || '/' || provider || '/' || regexp_extract(object_id, ${PRESENTATION_OF}, 1) AS learner,
      ${attributes.join(",\n      ")}
    FROM statements WHERE verb = ${V.registered};
  CREATE OR REPLACE TABLE oulad_registrations AS
    SELECT learner, any_value(student) AS student, any_value(provider) AS module,
      any_value(presentation) AS presentation,
      min(timestamp) FILTER (WHERE verb = ${V.registered}) AS registered_at,
      min(day) FILTER (WHERE verb = ${V.registered}) AS registration_day,
      min(timestamp) FILTER (WHERE verb = ${V.unregistered}) AS unregistered_at,
      bool_or(verb = ${V.completed}) AS completed,
      bool_or(verb = ${V.completed} AND NOT success) AS failed
    FROM oulad_events GROUP BY learner;`;
}

/** Derives `oulad_events`, `oulad_attributes` and `oulad_registrations` again from `statements` (after a change to it). */
export async function refreshOuladTables(pool: OuladPool): Promise<void> {
  await pool.connection.run(eventsSql());
}

/** YYYY-MM-DD of a presentation's day d, under the converter's default dates. */
export function cutoffDate(presentation: string, day: number): string {
  const start = presentationStart(ouladSettings(undefined), presentation);
  if (start === undefined) throw new TrainError(`oulad: no start date for presentation "${presentation}"`);
  return new Date(start + day * 86_400_000).toISOString().slice(0, 10);
}

/** A missed assessment: one that at least this share of the registrations had submitted before the cut-off. */
const DUE_SHARE = 0.3;

/**
 * The per-registration columns besides learner_periods, at cut-off `cutoff` of one presentation:
 * population, labels, attributes, registration day, banked, lateness against the cohort's median
 * submission day, assessments missed, days since the last submission, lowest and last score.
 */
function extrasSql(presentation: string, cutoff: string, day: number): string {
  const at = `DATE ${sqlString(cutoff)}`;
  const before = `timestamp < ${at}`;
  return `WITH population AS (
      SELECT r.learner, r.student, r.module, r.registration_day, a.* EXCLUDE (learner),
        CASE WHEN r.completed THEN r.failed WHEN r.unregistered_at IS NOT NULL THEN true END AS at_risk,
        CASE WHEN r.completed THEN false WHEN r.unregistered_at IS NOT NULL THEN true END AS withdrawn
      FROM oulad_registrations r LEFT JOIN oulad_attributes a USING (learner)
      WHERE r.presentation = ${sqlString(presentation)} AND r.registered_at < ${at}
        AND (r.unregistered_at IS NULL OR r.unregistered_at >= ${at})
    ), events AS (
      SELECT * FROM oulad_events WHERE presentation = ${sqlString(presentation)} AND ${before}
        AND learner IN (SELECT learner FROM population)
    ), submissions AS (
      SELECT learner, provider, object_id, day, banked FROM events WHERE verb = ${V.submitted}
    ), cohort AS (
      SELECT module AS provider, count(*) AS registrations FROM population GROUP BY module
    ), assessment AS (
      SELECT s.provider, object_id, median(day) AS median_day,
        count(*) >= ${DUE_SHARE} * any_value(c.registrations) AS due
      FROM submissions s JOIN cohort c USING (provider) GROUP BY s.provider, object_id
    ), per_learner AS (
      SELECT s.learner,
        avg(s.day - a.median_day) AS lateness_mean,
        max(s.day - a.median_day) AS lateness_max,
        count(*) FILTER (WHERE s.banked) AS banked_count,
        ${day} - max(s.day) AS days_since_submission,
        count(*) FILTER (WHERE a.due) AS due_submitted
      FROM submissions s JOIN assessment a USING (provider, object_id) GROUP BY s.learner
    ), scores AS (
      SELECT learner, min(score_scaled) AS score_min, arg_max(score_scaled, day) AS score_last
      FROM events WHERE verb = ${V.scored} GROUP BY learner
    ), due AS (
      SELECT provider, count(*) FILTER (WHERE due) AS due_count FROM assessment GROUP BY provider
    ), history AS (
      -- The student's other registrations as the pool knows them by the cut-off: across modules
      -- (providers) and earlier presentations. The learner's own outcome cannot be among them: it
      -- is dated after the cut-off, or the learner is outside the population.
      SELECT student,
        count(*) FILTER (WHERE completed_known AND NOT failed) AS prior_passes,
        count(*) FILTER (WHERE completed_known AND failed) AS prior_fails,
        count(*) FILTER (WHERE unregistered_at < ${at}) AS prior_withdrawals,
        count(*) FILTER (WHERE presentation = ${sqlString(presentation)}
          AND (unregistered_at IS NULL OR unregistered_at >= ${at})) - 1 AS concurrent_registrations
      FROM (SELECT r.*, coalesce(c.completed_at < ${at}, false) AS completed_known
        FROM oulad_registrations r
        LEFT JOIN (SELECT learner, min(timestamp) AS completed_at FROM oulad_events
          WHERE verb = ${V.completed} GROUP BY learner) c USING (learner)
        WHERE r.student IN (SELECT student FROM population) AND r.registered_at < ${at})
      GROUP BY student
    )
    SELECT p.* EXCLUDE (student), ${sqlString(presentation)} AS presentation,
      coalesce(l.banked_count, 0) AS banked_count,
      l.lateness_mean, l.lateness_max, l.days_since_submission,
      coalesce(d.due_count, 0) - coalesce(l.due_submitted, 0) AS missed_assessments,
      s.score_min, s.score_last,
      coalesce(h.prior_passes, 0) AS prior_passes, coalesce(h.prior_fails, 0) AS prior_fails,
      coalesce(h.prior_withdrawals, 0) AS prior_withdrawals,
      coalesce(h.concurrent_registrations, 0) AS concurrent_registrations
    FROM population p
      LEFT JOIN per_learner l USING (learner)
      LEFT JOIN scores s USING (learner)
      LEFT JOIN due d ON d.provider = p.module
      LEFT JOIN history h USING (student)`;
}

type Row = Record<string, unknown>;

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) if (typeof value === "bigint") row[key] = Number(value);
  }
  return rows;
}

/**
 * The learner-level rows of the pool at day `day` of each presentation: learner_periods (weekly,
 * the per-provider columns left out: one registration is at one provider) joined to the extras.
 * One row per registration and week; the extras repeat on each.
 */
export async function ouladRowsAt(
  pool: OuladPool,
  day: number,
  presentations: readonly string[] = [...TRAIN_PRESENTATIONS, ...TEST_PRESENTATIONS],
): Promise<Row[]> {
  if (!(Number.isInteger(day) && day >= 0))
    throw new TrainError(`oulad: cut-off day ${day} is not an integer ≥ 0`);
  const out: Row[] = [];
  for (const presentation of presentations) {
    const cutoff = cutoffDate(presentation, day);
    // A registration is at one provider: the view's per-provider copies would repeat its columns,
    // so the view sees one provider and gives the overall columns only (with one copy, left out).
    const source = `(SELECT * REPLACE ('pool' AS provider) FROM oulad_events WHERE presentation = ${sqlString(presentation)})`;
    const columns = await buildLearnerPeriods(
      pool.connection,
      { cutoff, period: "week", source },
      "oulad_lp",
    );
    const overall = columns
      .filter((c) => c.provider === undefined && c.name !== "period_start")
      .map((c) => c.name);
    await pool.connection.run(
      `CREATE OR REPLACE TABLE oulad_extras AS ${extrasSql(presentation, cutoff, day)}`,
    );
    out.push(
      ...(await rowsOf(
        pool.connection,
        `SELECT ${overall.map((c) => `lp.${sqlIdentifier(c)}`).join(", ")}, x.* EXCLUDE (learner)
         FROM oulad_extras x JOIN oulad_lp lp USING (learner) ORDER BY lp.learner, lp.period`,
      )),
    );
  }
  return out;
}

export type OuladLabel = "at_risk" | "withdrawn";
export const OULAD_LABELS: readonly OuladLabel[] = ["at_risk", "withdrawn"];

/** Which presentations train and which score. */
export interface OuladSplit {
  readonly train: readonly string[];
  readonly test: readonly string[];
}
/** The benchmark: train on the past (2013), test on the future (2014). */
export const OULAD_SPLIT: OuladSplit = { train: TRAIN_PRESENTATIONS, test: TEST_PRESENTATIONS };
/**
 * Model selection sees 2013 only, in two folds: train on 2013B and validate on 2013J, then the other
 * way round — the same "one presentation → another" shift the benchmark measures, which a random
 * learner split of 2013 would hide. One fold alone (2013B has three modules, 2013J six) made choices
 * among near ties that moved with the seed; the mean over both folds is steadier.
 */
export const OULAD_SELECTION_FOLDS: readonly OuladSplit[] = [
  { train: ["2013B"], test: ["2013J"] },
  { train: ["2013J"], test: ["2013B"] },
];

/**
 * Skewed counts (statements, sessions, seconds, verbs, activity types, prior registrations…) by
 * their name; the logistic regression may take them as log1p. Scores, shares, days and lateness are
 * not counts and stay as they are.
 */
const COUNT_FEATURE =
  /^(statements|active_days|duration_seconds|sessions|session_seconds|assessments|successes|completions|reading|reading_completed|banked_count|missed_assessments|num_of_prev_attempts|studied_credits|concurrent_registrations)$|^(verb|type|prior)_/;

/** The names among `names` that are counts (see COUNT_FEATURE). */
export function ouladCountFeatures(names: readonly string[]): string[] {
  return names.filter((n) => COUNT_FEATURE.test(n));
}

/** A copy of the table with its count columns as sign(x)·log1p(|x|) (missing stays missing). */
export function log1pCounts(table: FeatureTable): FeatureTable {
  const counts = new Set(ouladCountFeatures(table.names));
  return {
    names: table.names,
    rows: table.rows,
    columns: table.columns.map((column, j) =>
      counts.has(table.names[j]!) ? column.map((v) => Math.sign(v) * Math.log1p(Math.abs(v))) : column,
    ),
  };
}

/** The logistic regression of the benchmark: its parameters and whether counts enter as log1p. */
export interface OuladLogistic {
  readonly params: LogisticParams;
  readonly log1pCounts: boolean;
}

/**
 * The models of the benchmark, per label: the result of `selectOuladGbdt` / `selectOuladLogistic` over
 * the folds 2013B → 2013J and 2013J → 2013B at day 28 (`npm run bench:ml -- --select` reruns it).
 * 2014 played no part. The number of trees is the early-stopping count on the mean validation AUC,
 * kept as it is for the refit on all of 2013.
 */
export const OULAD_GBDT: Readonly<Record<OuladLabel, GbdtParams>> = {
  // Mean validation AUC 0.741 (the grid spans 0.732–0.741).
  at_risk: {
    trees: 760,
    learningRate: 0.02,
    maxDepth: 3,
    minChildWeight: 1,
    subsample: 0.8,
    colsample: 0.8,
    seed: 1,
  },
  // Mean validation AUC 0.639 (the grid spans 0.625–0.639; 60 and 70 trees tie to the third decimal).
  withdrawn: {
    trees: 70,
    learningRate: 0.1,
    maxDepth: 3,
    minChildWeight: 1,
    subsample: 0.8,
    colsample: 0.8,
    seed: 1,
  },
};
export const OULAD_LOGISTIC: Readonly<Record<OuladLabel, OuladLogistic>> = {
  // Mean validation AUC 0.755 (raw counts).
  at_risk: { params: { l2: 1e-2 }, log1pCounts: false },
  // Mean validation AUC 0.659 (counts as log1p).
  withdrawn: { params: { l2: 1e-2 }, log1pCounts: true },
};

export interface OuladTables {
  /** The train presentations' learners and the test presentations', aligned on the training table's features. */
  readonly train: LearnerTable;
  readonly test: LearnerTable;
  /** Both, stacked, with `split` train/test and the module of each row (for the cold-start study). */
  readonly all: { table: FeatureTable; labels: Uint8Array; splits: string[]; modules: string[] };
}

/** The train (default 2013) and test (default 2014) tables of one label from `ouladRowsAt`'s rows. */
export function ouladTables(
  rows: readonly Record<string, unknown>[],
  label: OuladLabel,
  split: OuladSplit = OULAD_SPLIT,
): OuladTables {
  const of = (list: readonly string[]) => rows.filter((r) => list.includes(String(r.presentation)));
  const options: LearnerTableOptions = {
    label,
    periods: "sum",
    categorical: ["module", ...OULAD_CATEGORICAL],
    groups: ["module"],
    exclude: ["presentation", ...OULAD_LABELS.filter((l) => l !== label)],
  };
  const trainRows = of(split.train);
  const testRows = of(split.test);
  if (trainRows.length === 0)
    throw new TrainError(`oulad: no row of the training presentations ${split.train.join(", ")}`);
  if (testRows.length === 0)
    throw new TrainError(`oulad: no row of the test presentations ${split.test.join(", ")}`);
  const train = learnerTable(trainRows, options);
  const test = learnerTable(testRows, {
    ...options,
    categories: train.categories,
    features: train.table.names,
  });
  const columns = train.table.columns.map((column, j) => {
    const out = new Float64Array(train.table.rows + test.table.rows);
    out.set(column);
    out.set(test.table.columns[j]!, train.table.rows);
    return out;
  });
  const labels = new Uint8Array(train.labels.length + test.labels.length);
  labels.set(train.labels);
  labels.set(test.labels, train.labels.length);
  return {
    train,
    test,
    all: {
      table: { names: train.table.names, columns, rows: labels.length },
      labels,
      splits: [...train.learners.map(() => "train"), ...test.learners.map(() => "test")],
      modules: [...train.groups.module!, ...test.groups.module!],
    },
  };
}

/** Fits the benchmark's logistic regression (counts as log1p when asked) and returns its scorer. */
function fitOuladLogistic(
  table: FeatureTable,
  labels: Uint8Array,
  config: OuladLogistic,
): (t: FeatureTable) => Float64Array {
  const prepare = config.log1pCounts ? log1pCounts : (t: FeatureTable) => t;
  const model = fitLogistic(prepare(table), labels, config.params);
  return (t) => predictLogistic(model, prepare(t));
}

export interface OuladDayAuc {
  readonly day: number;
  readonly label: OuladLabel;
  readonly logistic: number;
  readonly gbdt: number;
  readonly nTrain: number;
  readonly nTest: number;
  readonly positivesTest: number;
}

/** Trains both models on 2013 and scores 2014 at one cut-off day, for one label. */
export function ouladDayAuc(
  rows: readonly Record<string, unknown>[],
  day: number,
  label: OuladLabel,
  params: { gbdt?: GbdtParams; logistic?: OuladLogistic } = {},
): OuladDayAuc {
  const { train, test } = ouladTables(rows, label);
  const logistic = fitOuladLogistic(train.table, train.labels, params.logistic ?? OULAD_LOGISTIC[label]);
  const gbdt = fitGbdt(train.table, train.labels, params.gbdt ?? OULAD_GBDT[label]);
  return {
    day,
    label,
    logistic: rocAuc(logistic(test.table), test.labels),
    gbdt: rocAuc(predictGbdt(gbdt, test.table), test.labels),
    nTrain: train.table.rows,
    nTest: test.table.rows,
    positivesTest: test.labels.reduce((a, b) => a + b, 0),
  };
}

/** The GBDT grid of the selection; each point's number of trees comes from early stopping. */
export interface OuladGbdtGrid {
  readonly maxDepth: readonly number[];
  readonly learningRate: readonly number[];
  readonly minChildWeight: readonly number[];
  readonly subsample: readonly number[];
}
export const OULAD_GBDT_GRID: OuladGbdtGrid = {
  maxDepth: [3, 4, 6],
  learningRate: [0.02, 0.05, 0.1],
  minChildWeight: [1, 10],
  subsample: [0.8, 1],
};
/** Fixed across the grid: column subsampling and the seed. */
const GBDT_FIXED = { colsample: 0.8, seed: 1 } as const;
/** Trees grown per grid point: learning rate × trees = this budget (1,000 at 0.02, 200 at 0.1). */
export const OULAD_SELECTION_BUDGET = 20;
/** The validation AUC is read every this many trees. */
export const OULAD_SELECTION_STEP = 10;

/**
 * The validation AUC after every `step` trees and the count with the best (the first on a tie).
 * Early stopping on the validation log loss stops after a few dozen trees here: 2013J's outcome
 * rates differ from 2013B's, and log loss punishes that shift in calibration, which AUC ignores.
 */
export function stagedAuc(
  model: GbdtModel,
  table: FeatureTable,
  labels: ArrayLike<number>,
  step = OULAD_SELECTION_STEP,
): { trees: number; auc: number; curve: number[] } {
  if (!(Number.isInteger(step) && step >= 1))
    throw new TrainError(`oulad: step ${step} is not an integer ≥ 1`);
  const margin = new Float64Array(table.rows);
  const curve: number[] = [];
  let top = { trees: 0, auc: Number.NEGATIVE_INFINITY };
  for (let start = 0; start < model.trees.length; start += step) {
    const chunk = predictGbdt(
      { ...model, baseScore: 0, trees: model.trees.slice(start, start + step) },
      table,
    );
    for (let i = 0; i < margin.length; i++) {
      const q = chunk[i]!;
      margin[i] = margin[i]! + Math.log(q) - Math.log1p(-q);
    }
    const auc = rocAuc(margin, labels);
    curve.push(auc);
    if (auc > top.auc) top = { trees: Math.min(start + step, model.trees.length), auc };
  }
  return { ...top, curve };
}

export interface OuladGbdtTrial {
  readonly maxDepth: number;
  readonly learningRate: number;
  readonly minChildWeight: number;
  readonly subsample: number;
  /** The count of trees with the best validation AUC (see stagedAuc). */
  readonly trees: number;
  readonly validationAuc: number;
}

export interface OuladLogisticTrial {
  readonly l2: number;
  readonly log1pCounts: boolean;
  readonly validationAuc: number;
}

export interface OuladSelection<Trial, Chosen> {
  readonly label: OuladLabel;
  readonly folds: readonly OuladSplit[];
  /** Per fold, the learners trained on and validated on. */
  readonly nTrain: readonly number[];
  readonly nValidation: readonly number[];
  /** Every trial in grid order; its validation AUC is the mean over the folds. */
  readonly trials: readonly Trial[];
  /** The trial with the highest mean validation AUC (the first on a tie), as the benchmark's parameters. */
  readonly chosen: Chosen;
  readonly best: Trial;
}

/** The folds' tables, after checking that no fold touches the test presentations. */
function selectionTables(
  rows: readonly Record<string, unknown>[],
  label: OuladLabel,
  folds: readonly OuladSplit[],
): OuladTables[] {
  if (folds.length === 0) throw new TrainError("oulad selection: no fold");
  for (const split of folds) {
    const future = [...split.train, ...split.test].filter((p) => TEST_PRESENTATIONS.includes(p as never));
    if (future.length > 0)
      throw new TrainError(
        `oulad selection: the test presentations (${future.join(", ")}) are not for selection`,
      );
  }
  return folds.map((split) => ouladTables(rows, label, split));
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function best<T extends { validationAuc: number }>(trials: readonly T[]): T {
  let top = trials[0]!;
  for (const t of trials) if (t.validationAuc > top.validationAuc) top = t;
  return top;
}

/** A selection's result: the folds' sizes, every trial, the best (the first on a tie) and what it chooses. */
function selectionOf<Trial extends { validationAuc: number }, Chosen>(
  label: OuladLabel,
  folds: readonly OuladSplit[],
  tables: readonly OuladTables[],
  trials: readonly Trial[],
  choose: (best: Trial) => Chosen,
): OuladSelection<Trial, Chosen> {
  const top = best(trials);
  return {
    label,
    folds,
    nTrain: tables.map((t) => t.train.table.rows),
    nValidation: tables.map((t) => t.test.table.rows),
    trials,
    best: top,
    chosen: choose(top),
  };
}

/**
 * Selects the GBDT for one label without 2014: for each grid point and fold, trains on the fold's
 * train presentations (OULAD_SELECTION_BUDGET / learning rate trees) and reads the validation AUC
 * every `step` trees (stagedAuc); the count of trees kept is the one with the best mean over the
 * folds (early stopping on AUC).
 */
export function selectOuladGbdt(
  rows: readonly Record<string, unknown>[],
  label: OuladLabel,
  options: {
    grid?: OuladGbdtGrid;
    folds?: readonly OuladSplit[];
    budget?: number;
    step?: number;
    onTrial?: (trial: OuladGbdtTrial, index: number, count: number) => void;
  } = {},
): OuladSelection<OuladGbdtTrial, GbdtParams> {
  const folds = options.folds ?? OULAD_SELECTION_FOLDS;
  const tables = selectionTables(rows, label, folds);
  const grid = options.grid ?? OULAD_GBDT_GRID;
  const step = options.step ?? OULAD_SELECTION_STEP;
  const points = grid.maxDepth.flatMap((maxDepth) =>
    grid.learningRate.flatMap((learningRate) =>
      grid.minChildWeight.flatMap((minChildWeight) =>
        grid.subsample.map((subsample) => ({ maxDepth, learningRate, minChildWeight, subsample })),
      ),
    ),
  );
  if (points.length === 0) throw new TrainError("oulad selection: the GBDT grid is empty");
  const trials = points.map((point, index) => {
    const trees = Math.max(1, Math.round((options.budget ?? OULAD_SELECTION_BUDGET) / point.learningRate));
    const curves = tables.map(({ train, test }) => {
      const model = fitGbdt(train.table, train.labels, { ...point, ...GBDT_FIXED, trees });
      return stagedAuc(model, test.table, test.labels, step).curve;
    });
    // Early stopping can end the folds at different lengths: the mean runs over the shortest.
    const length = Math.min(...curves.map((c) => c.length));
    let top = 0;
    const meanCurve = Array.from({ length }, (_, k) => mean(curves.map((c) => c[k]!)));
    for (let k = 1; k < length; k++) if (meanCurve[k]! > meanCurve[top]!) top = k;
    const trial: OuladGbdtTrial = {
      ...point,
      trees: Math.min((top + 1) * step, trees),
      validationAuc: meanCurve[top]!,
    };
    options.onTrial?.(trial, index, points.length);
    return trial;
  });
  return selectionOf(label, folds, tables, trials, ({ validationAuc: _auc, ...chosen }) => ({
    ...chosen,
    ...GBDT_FIXED,
  }));
}

export const OULAD_L2_GRID: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Selects the logistic regression for one label without 2014: l2 × (counts raw or log1p), mean AUC over the folds. */
export function selectOuladLogistic(
  rows: readonly Record<string, unknown>[],
  label: OuladLabel,
  options: { l2?: readonly number[]; folds?: readonly OuladSplit[] } = {},
): OuladSelection<OuladLogisticTrial, OuladLogistic> {
  const folds = options.folds ?? OULAD_SELECTION_FOLDS;
  const tables = selectionTables(rows, label, folds);
  const l2s = options.l2 ?? OULAD_L2_GRID;
  if (l2s.length === 0) throw new TrainError("oulad selection: the l2 grid is empty");
  const trials = [false, true].flatMap((log1p) =>
    l2s.map((l2): OuladLogisticTrial => {
      const aucs = tables.map(({ train, test }) => {
        const score = fitOuladLogistic(train.table, train.labels, { params: { l2 }, log1pCounts: log1p });
        return rocAuc(score(test.table), test.labels);
      });
      return { l2, log1pCounts: log1p, validationAuc: mean(aucs) };
    }),
  );
  return selectionOf(label, folds, tables, trials, (top) => ({
    params: { l2: top.l2 },
    log1pCounts: top.log1pCounts,
  }));
}
