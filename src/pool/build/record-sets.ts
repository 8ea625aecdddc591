/**
 * Step 3 of the build: from the loaded `statements` table to the version's record sets, as DuckDB
 * tables each with the learner's label and split:
 * - `version_statements`: every statement of the span of the version's learners (raw material: after
 *   the cut-off too, marked by `before_cutoff`);
 * - `version_learner_periods`: features before each learner's cut-off;
 * - `version_sequences`: interactions with items or skills, before each learner's cut-off;
 * - `cohort_rows`: the learner-level rows cohort statistics read (learner_periods with the learner's
 *   label, split, providers and declared attributes), never written as such.
 * Only the views the spec asks for are made (learner_periods also when cohort statistics need it).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  assignSplits,
  type BuildSpec,
  checkNoLeak,
  classifyOutcome,
  computeLabels,
  DAY_MS,
  type LearnerActivity,
  labelWindowDays,
  lastPeriodBefore,
  periodDays,
} from "../prepare/index.js";
import {
  buildLearnerPeriods,
  STATEMENT_COLUMNS,
  sequencesSql,
  sqlIdentifier,
  sqlString,
  type ViewColumn,
} from "../views/index.js";

/** The record sets a version can hold, in the order the documents list them. */
export const VIEW_NAMES = ["learner_periods", "sequences", "statements", "cohort_statistics"] as const;
export type ViewName = (typeof VIEW_NAMES)[number];
/** The views written per split (cohort statistics are aggregates: no split). */
export type SplitView = Exclude<ViewName, "cohort_statistics">;

export interface PreparedRecordSets {
  sources: { provider: string; statements: number; learners: number }[];
  /** The views requested, in VIEW_NAMES order; each split view is in table `version_{name}`. */
  views: ViewName[];
  /** The label's column in every split view. */
  labelColumn: string;
  period: "day" | "week";
  /** Descriptions of learner_periods' feature columns. */
  periodColumns: ViewColumn[];
  labels: { labelled: number; positive: number; excluded: Record<string, number> } | null;
  learners: number;
  /** Split name → learners. */
  splits: Record<string, number>;
  /** Whether `cohort_rows` holds the attributes of a `learner_attributes` table. */
  attributes: string[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

async function columnsOf(connection: DuckDBConnection, table: string): Promise<string[]> {
  return (await rows(connection, `DESCRIBE ${sqlIdentifier(table)}`)).map((r) => String(r.column_name));
}

async function tableExists(connection: DuckDBConnection, table: string): Promise<boolean> {
  const found = await rows(
    connection,
    `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${sqlString(table)}`,
  );
  return Number(found[0]?.n ?? 0) > 0;
}

/** The requested views, in VIEW_NAMES order. */
export function requestedViews(spec: BuildSpec): ViewName[] {
  const v = spec.views;
  return VIEW_NAMES.filter((name) =>
    name === "learner_periods"
      ? v.learnerPeriods !== undefined
      : name === "sequences"
        ? v.sequences !== undefined
        : name === "statements"
          ? v.statements !== undefined
          : v.cohortStatistics !== undefined,
  );
}

/**
 * Builds the requested views, labels and splits from the `statements` table. The label's column is the
 * label's kind (`label` without one), `{kind}_label` when a view already has a column of that name.
 */
export async function prepareRecordSets(
  connection: DuckDBConnection,
  spec: BuildSpec,
  options: {
    /**
     * Runs once `assigned` (learner, label, split) holds the version's learners and before any view is
     * made from it: the risk check removes suppressed learners there and recodes `learner_attributes`.
     */
    afterAssignment?: (connection: DuckDBConnection) => Promise<void>;
  } = {},
): Promise<PreparedRecordSets> {
  const views = requestedViews(spec);
  const sourceRows = await rows(
    connection,
    "SELECT provider, count(*) AS statements, count(DISTINCT learner) AS learners FROM statements GROUP BY 1",
  );
  const sources = spec.providers.map((provider) => {
    const r = sourceRows.find((x) => x.provider === provider);
    return { provider, statements: Number(r?.statements ?? 0), learners: Number(r?.learners ?? 0) };
  });
  const period = spec.views.learnerPeriods?.period ?? "week";
  const cutoffDay = spec.cutoffDay;
  // Per-learner start: the first statement at any provider (the linked learner's start).
  await connection.run(
    "CREATE TABLE starts AS SELECT learner, min(timestamp) AS start, list_sort(list(DISTINCT provider)) AS providers FROM statements WHERE learner IS NOT NULL AND timestamp IS NOT NULL GROUP BY learner",
  );
  // Features: only statements before the learner's cut-off, at the midnight (UTC) that starts
  // calendar day C + 1 of the learner: never later than the label's own day C, so nothing leaks.
  const cutoffInstant = `date_trunc('day', starts.start) + INTERVAL ${Number(cutoffDay)} DAY + INTERVAL 1 DAY`;
  const featureSource =
    cutoffDay === undefined
      ? "statements"
      : `(SELECT s.* FROM statements s JOIN starts USING (learner) WHERE s.timestamp < ${cutoffInstant})`;
  await connection.run(`CREATE TABLE features AS SELECT * FROM ${featureSource}`);

  let periodColumns: ViewColumn[] = [];
  const needPeriods = views.includes("learner_periods") || views.includes("cohort_statistics");
  if (needPeriods) {
    const after = new Date(spec.span.to.getTime() + DAY_MS).toISOString().slice(0, 10);
    periodColumns = await buildLearnerPeriods(connection, { cutoff: after, period, source: "features" });
    if (cutoffDay !== undefined) {
      await connection.run(
        `DELETE FROM learner_periods WHERE period > ${lastPeriodBefore(period, cutoffDay)}`,
      );
      const periods = await rows(connection, "SELECT learner, period FROM learner_periods");
      checkNoLeak(
        periods.map((r) => ({ learner: String(r.learner), ...periodDays(period, Number(r.period)) })),
        cutoffDay,
      );
    }
  }
  if (views.includes("sequences")) {
    const unit = spec.views.sequences?.unit ?? "item";
    await connection.run(`CREATE TABLE sequences AS ${sequencesSql({ unit, source: "features" })}`);
  }

  const { labelOf, labels } = await computeLearnerLabels(connection, spec);
  const starts = await rows(connection, "SELECT learner, epoch_ms(start) AS start, providers FROM starts");
  const candidates = starts
    .filter((r) => !spec.label || labelOf.has(String(r.learner)))
    .map((r) => ({
      learner: String(r.learner),
      providers: (r.providers as string[]).map(String),
      start: new Date(Number(r.start)),
      ...(spec.label ? { label: labelOf.get(String(r.learner)) as number } : {}),
    }));
  const window = spec.label ? labelWindowDays(spec.label) : undefined;
  const splits = assignSplits(candidates, spec.splits, {
    seed: spec.seed,
    ...(cutoffDay !== undefined ? { cutoffDay } : {}),
    ...(window !== undefined ? { labelWindowDays: window } : {}),
  });
  await connection.run("CREATE TABLE assigned (learner VARCHAR, label INTEGER, split VARCHAR)");
  const appender = await connection.createAppender("assigned");
  for (const [learner, split] of [...splits.assignment].sort((a, b) => cmp(a[0], b[0]))) {
    appender.appendVarchar(learner);
    const label = labelOf.get(learner);
    if (label === undefined) appender.appendNull();
    else appender.appendInteger(label);
    appender.appendVarchar(split);
    appender.endRow();
  }
  appender.closeSync();
  await options.afterAssignment?.(connection);
  // The declared attributes travel with learner_periods (fairness by group needs them), as the risk
  // check left them.
  const carried = (await tableExists(connection, "learner_attributes"))
    ? (await columnsOf(connection, "learner_attributes")).filter((c) => c !== "learner")
    : [];

  // One label column name for every view, clear of each view's own columns.
  const taken = new Set<string>(["learner", "split", "before_cutoff"]);
  if (views.includes("statements")) for (const [name] of STATEMENT_COLUMNS) taken.add(name);
  if (needPeriods) {
    const own = await columnsOf(connection, "learner_periods");
    const clash = carried.filter((c) => own.includes(c));
    if (clash.length > 0)
      throw new Error(
        `attributes: column ${clash.join(", ")} is already a column of learner_periods; rename it`,
      );
    for (const name of own) taken.add(name);
  }
  for (const name of carried) taken.add(name);
  if (views.includes("sequences"))
    for (const name of await columnsOf(connection, "sequences")) taken.add(name);
  const kind = spec.label?.kind ?? "label";
  const labelColumn = taken.has(kind) ? `${kind}_label` : kind;
  const label = sqlIdentifier(labelColumn);

  if (views.includes("learner_periods"))
    await connection.run(
      `CREATE TABLE version_learner_periods AS SELECT lp.*${carried.map((c) => `, la.${sqlIdentifier(c)}`).join("")}, a.label AS ${label}, a.split
       FROM learner_periods lp JOIN assigned a USING (learner)${carried.length ? " LEFT JOIN learner_attributes la USING (learner)" : ""}`,
    );
  if (views.includes("sequences"))
    await connection.run(
      `CREATE TABLE version_sequences AS SELECT sq.*, a.label AS ${label}, a.split
       FROM sequences sq JOIN assigned a USING (learner)`,
    );
  if (views.includes("statements")) {
    // The whole span: the raw material. `before_cutoff` says which statements features may use.
    const marker =
      cutoffDay === undefined
        ? ""
        : `, (s.timestamp IS NOT NULL AND s.timestamp < ${cutoffInstant}) AS before_cutoff`;
    await connection.run(
      `CREATE TABLE version_statements AS SELECT s.*${marker}, a.label AS ${label}, a.split
       FROM statements s JOIN assigned a USING (learner) ${cutoffDay === undefined ? "" : "JOIN starts USING (learner)"}`,
    );
  }
  const attributes = views.includes("cohort_statistics")
    ? await prepareCohortRows(connection, labelColumn)
    : [];

  // Counted from `assigned`, after the risk check's suppression: the learners the files hold.
  const counts: Record<string, number> = {};
  for (const name of Object.keys(splits.splits)) counts[name] = 0;
  for (const r of await rows(connection, "SELECT split, count(*) AS n FROM assigned GROUP BY split"))
    counts[String(r.split)] = Number(r.n);
  return {
    sources,
    views,
    labelColumn,
    period,
    periodColumns,
    labels,
    learners: Object.values(counts).reduce((a, b) => a + b, 0),
    splits: counts,
    attributes,
  };
}

/** Labels from the declared definition (none without a label or a cut-off). */
async function computeLearnerLabels(
  connection: DuckDBConnection,
  spec: BuildSpec,
): Promise<{ labelOf: Map<string, 0 | 1>; labels: PreparedRecordSets["labels"] }> {
  const cutoffDay = spec.cutoffDay;
  if (!spec.label || cutoffDay === undefined) return { labelOf: new Map(), labels: null };
  const starts = await rows(connection, "SELECT learner, epoch_ms(start) AS start, providers FROM starts");
  const activity = await rows(
    connection,
    `SELECT s.learner, list_sort(list(DISTINCT CAST(floor((epoch_ms(s.timestamp) - epoch_ms(st.start)) / ${DAY_MS}) AS INTEGER))) AS days
     FROM statements s JOIN starts st USING (learner) GROUP BY s.learner`,
  );
  const verbs = [...new Set(Object.values(spec.label.outcomes).flatMap((r) => r.map((x) => x.verb)))];
  const events = verbs.length
    ? await rows(
        connection,
        `SELECT s.learner, s.verb, s.success, s.completion, CAST(floor((epoch_ms(s.timestamp) - epoch_ms(st.start)) / ${DAY_MS}) AS INTEGER) AS day
         FROM statements s JOIN starts st USING (learner)
         WHERE s.verb IN (${verbs.map(sqlString).join(", ")})`,
      )
    : [];
  const daysOf = new Map(activity.map((r) => [String(r.learner), (r.days as number[]).map(Number)]));
  const outcomesOf = new Map<string, LearnerActivity["outcomes"][number][]>();
  for (const e of events) {
    const result: { success?: boolean; completion?: boolean } = {};
    if (typeof e.success === "boolean") result.success = e.success;
    if (typeof e.completion === "boolean") result.completion = e.completion;
    for (const kind of classifyOutcome({ verb: String(e.verb), result }, spec.label.outcomes)) {
      const list = outcomesOf.get(String(e.learner)) ?? [];
      list.push({ kind, day: Number(e.day) });
      outcomesOf.set(String(e.learner), list);
    }
  }
  const learners: LearnerActivity[] = starts.map((r) => ({
    learner: String(r.learner),
    providers: (r.providers as string[]).map(String),
    start: new Date(Number(r.start)),
    activityDays: daysOf.get(String(r.learner)) ?? [],
    outcomes: outcomesOf.get(String(r.learner)) ?? [],
  }));
  const computed = computeLabels(learners, { definition: spec.label, cutoffDay, dataEnd: spec.span.to });
  return {
    labelOf: new Map(computed.labels.map((l) => [l.learner, l.label])),
    labels: {
      labelled: computed.report.labelled,
      positive: computed.report.positive,
      excluded: computed.report.excluded,
    },
  };
}

/**
 * `cohort_rows`: one row per learner and period of the version (learner_periods, before the cut-off),
 * with the learner's label, split, `providers` (comma-separated ids) and the columns of the
 * `learner_attributes(learner, …)` table when the build declared one. Returns the attribute columns.
 */
async function prepareCohortRows(connection: DuckDBConnection, labelColumn: string): Promise<string[]> {
  const periodColumns = await columnsOf(connection, "learner_periods");
  const attributes = (await tableExists(connection, "learner_attributes"))
    ? (await columnsOf(connection, "learner_attributes")).filter((c) => c !== "learner")
    : [];
  const own = new Set([...periodColumns, labelColumn, "split", "providers"]);
  const clash = attributes.filter((c) => own.has(c));
  if (clash.length > 0)
    throw new Error(
      `learner_attributes: column ${clash.join(", ")} is already a column of the learner-level rows; rename it`,
    );
  const attributeSelect = attributes.map((c) => `, la.${sqlIdentifier(c)}`).join("");
  const attributeJoin = attributes.length ? "LEFT JOIN learner_attributes la USING (learner)" : "";
  await connection.run(
    `CREATE TABLE cohort_rows AS SELECT lp.*, a.label AS ${sqlIdentifier(labelColumn)}, a.split,
       array_to_string(st.providers, ',') AS providers${attributeSelect}
     FROM learner_periods lp JOIN assigned a USING (learner) JOIN starts st USING (learner) ${attributeJoin}
     ORDER BY learner, period`,
  );
  return attributes;
}
