/**
 * The `learner_periods` view: one row per learner and period (day or week counted from the learner's
 * first activity), with activity counts by verb and activity type, active days, time on task,
 * assessment outcomes, video and reading progress — over all providers, then the same per provider
 * (columns `{provider}__{metric}`) so that cross-provider signals sit side by side.
 *
 * Anti-leakage lives in the SQL: the first step keeps only statements whose timestamp is before the
 * cut-off day (00:00 UTC), and everything else — the learner's first day, the periods, sessions, and
 * even which verb and type columns exist — is derived from what that step keeps.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { iriColumns, sqlDay, sqlIdentifier, sqlNumber, sqlString } from "./sql.js";

/** Verbs that mean "read a text" (ActivityStreams, as ADL's registry lists it, and the ADB profile). */
export const READING_VERBS = [
  "http://activitystrea.ms/schema/1.0/read",
  "https://w3id.org/xapi/adb/verbs/read",
] as const;

import type { Period } from "../prepare/index.js";

export type { Period };

export interface LearnerPeriodsOptions {
  /** Features come only from statements with a timestamp before this day (YYYY-MM-DD, UTC). */
  cutoff: string;
  period: Period;
  /** A relation with the `statements` view's columns: a table name or `read_parquet('…')`. */
  source?: string;
  /**
   * A gap between two consecutive statements of a learner longer than this ends a session (30 by
   * default, the usual web-analytics rule). Session time is the sum of the gaps within sessions, so a
   * lone statement counts zero: an estimate from below.
   */
  sessionGapMinutes?: number;
}

/** What the data before the cut-off holds: the pivoted columns are made from it. */
export interface PresentValues {
  providers: string[];
  verbs: string[];
  types: string[];
}

export interface ViewColumn {
  name: string;
  /** What the column counts or measures, for cards and datasheets. */
  description: string;
  /** The IRI behind a pivoted column. */
  iri?: string;
  provider?: string;
}

export interface LearnerPeriodsSql {
  sql: string;
  columns: ViewColumn[];
}

/**
 * A metric is computed in two steps: per learner, period and provider (`provider`, which is also the
 * provider's column), then across providers from those rows (`overall`, over the `partials`). Gap-based
 * metrics need their own partials, since sessions and days across providers are not the sum of each
 * provider's; the window step marks them per row, so no DISTINCT is needed anywhere.
 */
interface Metric {
  name: string;
  description: string;
  provider: string;
  partials?: Record<string, string>;
  overall: string;
  /** Absent at a provider in a period means 0, not NULL (counts and sums). */
  zero: boolean;
  iri?: string;
}

const count = (condition: string | null) =>
  condition === null ? "count(*)" : `count(*) FILTER (WHERE ${condition})`;

function metrics(present: PresentValues, gapSeconds: string): Metric[] {
  const reading = `verb IN (${READING_VERBS.map(sqlString).join(", ")})`;
  const additive = (name: string, description: string, expression: string, iri?: string): Metric => ({
    name,
    description,
    provider: expression,
    overall: `sum(${sqlIdentifier(`p_${name}`)})`,
    zero: true,
    ...(iri ? { iri } : {}),
  });
  const list: Metric[] = [
    additive("statements", "statements", count(null)),
    {
      name: "active_days",
      description: "distinct UTC days with a statement",
      provider: count("provider_new_day"),
      partials: { a_active_days: count("new_day") },
      overall: "sum(a_active_days)",
      zero: true,
    },
    additive(
      "duration_seconds",
      "time on task: sum of result.duration",
      "coalesce(sum(duration_seconds), 0)",
    ),
    {
      name: "sessions",
      description: `sessions: runs of statements with gaps of at most ${gapSeconds} s`,
      provider: count(`(provider_gap IS NULL OR provider_gap > ${gapSeconds})`),
      partials: { a_sessions: count(`(gap IS NULL OR gap > ${gapSeconds})`) },
      overall: "sum(a_sessions)",
      zero: true,
    },
    {
      name: "session_seconds",
      description: `time on task estimated from sessions: sum of gaps of at most ${gapSeconds} s`,
      provider: `coalesce(sum(provider_gap) FILTER (WHERE provider_gap <= ${gapSeconds}), 0)`,
      partials: { a_session_seconds: `coalesce(sum(gap) FILTER (WHERE gap <= ${gapSeconds}), 0)` },
      overall: "sum(a_session_seconds)",
      zero: true,
    },
    additive(
      "assessments",
      "attempts: statements with a success or a scaled score",
      count("(success IS NOT NULL OR score_scaled IS NOT NULL)"),
    ),
    additive("successes", "statements with success true", count("success")),
    {
      name: "score_scaled_mean",
      description: "mean of result.score.scaled",
      provider: "avg(score_scaled)",
      partials: { a_score_sum: "sum(score_scaled)", a_score_n: "count(score_scaled)" },
      overall: "sum(a_score_sum) / nullif(sum(a_score_n), 0)",
      zero: false,
    },
    additive("completions", "statements with completion true", count("completion")),
    {
      name: "video_progress_max",
      description: "highest xAPI video profile progress (0..1)",
      provider: "max(video_progress)",
      overall: "max(p_video_progress_max)",
      zero: false,
    },
    additive("reading", "statements with a reading verb", count(reading)),
    additive(
      "reading_completed",
      "reading statements with completion true",
      count(`${reading} AND completion`),
    ),
  ];
  for (const { iri, column } of iriColumns("verb_", present.verbs))
    list.push(additive(column, `statements with verb ${iri}`, count(`verb = ${sqlString(iri)}`), iri));
  for (const { iri, column } of iriColumns("type_", present.types))
    list.push(
      additive(
        column,
        `statements about activities of type ${iri}`,
        count(`object_type = ${sqlString(iri)}`),
        iri,
      ),
    );
  return list;
}

/** The SQL of the view for the given present values (pure: the service asks DuckDB for them). */
export function learnerPeriodsSql(options: LearnerPeriodsOptions, present: PresentValues): LearnerPeriodsSql {
  const source = options.source ?? "statements";
  const cutoff = sqlDay(options.cutoff);
  const days = options.period === "week" ? 7 : options.period === "day" ? 1 : null;
  if (days === null) throw new RangeError(`unknown period: ${String(options.period)}`);
  const gapSeconds = sqlNumber((options.sessionGapMinutes ?? 30) * 60);
  const list = metrics(present, gapSeconds);
  const providers = [...new Set(present.providers)].sort();
  const columns: ViewColumn[] = [
    { name: "learner", description: "the learner's pseudonym, linked across providers" },
    { name: "period", description: `${options.period}s since the learner's first activity (0 = first)` },
    { name: "period_start", description: "the UTC day the period starts" },
  ];
  const stepOne: string[] = [];
  const overall: string[] = [];
  for (const m of list) {
    stepOne.push(`${m.provider} AS ${sqlIdentifier(`p_${m.name}`)}`);
    for (const [alias, expression] of Object.entries(m.partials ?? {}))
      stepOne.push(`${expression} AS ${alias}`);
    overall.push(`${m.overall} AS ${sqlIdentifier(m.name)}`);
    columns.push({ name: m.name, description: m.description, ...(m.iri ? { iri: m.iri } : {}) });
  }
  const joins: string[] = [];
  const sideBySide: string[] = [];
  providers.forEach((provider, i) => {
    const alias = `p${i}`;
    joins.push(`LEFT JOIN (SELECT * FROM by_provider WHERE provider = ${sqlString(provider)}) AS ${alias}
      ON ${alias}.learner = o.learner AND ${alias}.period = o.period`);
    for (const m of list) {
      const value = `${alias}.${sqlIdentifier(`p_${m.name}`)}`;
      const name = `${provider}__${m.name}`;
      sideBySide.push(`${m.zero ? `coalesce(${value}, 0)` : value} AS ${sqlIdentifier(name)}`);
      columns.push({
        name,
        description: `${m.description}, at ${provider}`,
        provider,
        ...(m.iri ? { iri: m.iri } : {}),
      });
    }
  });
  // One sort per window: the learner's order across providers, and within each provider.
  const sql = `WITH kept AS (
    SELECT learner, provider, id, verb, object_type, timestamp, duration_seconds, success, completion,
      score_scaled, video_progress, CAST(timestamp AS DATE) AS day
    FROM ${source}
    WHERE timestamp < ${cutoff} AND learner IS NOT NULL
  ), windowed AS (
    SELECT *,
      min(day) OVER (PARTITION BY learner) AS first_day,
      lag(timestamp) OVER (PARTITION BY learner ORDER BY timestamp, provider, id) AS previous,
      lag(timestamp) OVER (PARTITION BY learner, provider ORDER BY timestamp, id) AS provider_previous
    FROM kept
  ), placed AS (
    SELECT *,
      CAST(date_diff('day', first_day, day) // ${days} AS INTEGER) AS period,
      epoch(timestamp) - epoch(previous) AS gap,
      epoch(timestamp) - epoch(provider_previous) AS provider_gap,
      previous IS NULL OR CAST(previous AS DATE) <> day AS new_day,
      provider_previous IS NULL OR CAST(provider_previous AS DATE) <> day AS provider_new_day
    FROM windowed
  ), by_provider AS (
    SELECT learner, period, provider, min(first_day) AS first_day,
      ${stepOne.join(",\n      ")}
    FROM placed
    GROUP BY learner, period, provider
  ), o AS (
    SELECT learner, period, CAST(min(first_day) + period * ${days} AS DATE) AS period_start,
      ${overall.join(",\n      ")}
    FROM by_provider
    GROUP BY learner, period
  )
  SELECT o.*${sideBySide.length ? `,\n    ${sideBySide.join(",\n    ")}` : ""}
  FROM o
  ${joins.join("\n  ")}
  ORDER BY o.learner, o.period`;
  return { sql, columns };
}

/** Distinct providers, verbs and activity types before the cut-off, sorted. */
export function presentValuesSql(source: string, cutoff: string): string {
  return `SELECT
    list_sort(list(DISTINCT provider) FILTER (WHERE provider IS NOT NULL)),
    list_sort(list(DISTINCT verb) FILTER (WHERE verb IS NOT NULL)),
    list_sort(list(DISTINCT object_type) FILTER (WHERE object_type IS NOT NULL))
  FROM ${source} WHERE timestamp < ${sqlDay(cutoff)} AND learner IS NOT NULL`;
}

/** Builds the view as a table (replaced); returns its columns for documentation. */
export async function buildLearnerPeriods(
  connection: DuckDBConnection,
  options: LearnerPeriodsOptions,
  table = "learner_periods",
): Promise<ViewColumn[]> {
  const source = options.source ?? "statements";
  const reader = await connection.runAndReadAll(presentValuesSql(source, options.cutoff));
  const row = reader.getRowsJS()[0] ?? [];
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  const present = { providers: list(row[0]), verbs: list(row[1]), types: list(row[2]) };
  const { sql, columns } = learnerPeriodsSql({ ...options, source }, present);
  await connection.run(`CREATE OR REPLACE TABLE ${sqlIdentifier(table)} AS ${sql}`);
  return columns;
}
