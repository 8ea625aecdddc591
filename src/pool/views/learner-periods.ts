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

export type Period = "day" | "week";

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

interface Metric {
  name: string;
  description: string;
  /** The aggregate, with `{f}` where the scope's filter goes (`FILTER (WHERE …)` needs AND-ing). */
  expression: (filter: string | null) => string;
  iri?: string;
}

function where(...conditions: Array<string | null>): string {
  const kept = conditions.filter((c): c is string => c !== null);
  return kept.length === 0 ? "" : ` FILTER (WHERE ${kept.join(" AND ")})`;
}

function metrics(present: PresentValues, gapSeconds: string, scope: "all" | "provider"): Metric[] {
  const gap = scope === "all" ? "gap" : "provider_gap";
  const reading = READING_VERBS.map(sqlString).join(", ");
  const list: Metric[] = [
    { name: "statements", description: "statements", expression: (f) => `count(*)${where(f)}` },
    {
      name: "active_days",
      description: "distinct UTC days with a statement",
      expression: (f) => `count(DISTINCT day)${where(f)}`,
    },
    {
      name: "duration_seconds",
      description: "time on task: sum of result.duration",
      expression: (f) => `coalesce(sum(duration_seconds)${where(f)}, 0)`,
    },
    {
      name: "sessions",
      description: `sessions: runs of statements with gaps of at most ${gapSeconds} s`,
      expression: (f) => `count(*)${where(f, `(${gap} IS NULL OR ${gap} > ${gapSeconds})`)}`,
    },
    {
      name: "session_seconds",
      description: `time on task estimated from sessions: sum of gaps of at most ${gapSeconds} s`,
      expression: (f) => `coalesce(sum(${gap})${where(f, `${gap} <= ${gapSeconds}`)}, 0)`,
    },
    {
      name: "assessments",
      description: "attempts: statements with a success or a scaled score",
      expression: (f) => `count(*)${where(f, "(success IS NOT NULL OR score_scaled IS NOT NULL)")}`,
    },
    {
      name: "successes",
      description: "statements with success true",
      expression: (f) => `count(*)${where(f, "success")}`,
    },
    {
      name: "score_scaled_mean",
      description: "mean of result.score.scaled",
      expression: (f) => `avg(score_scaled)${where(f)}`,
    },
    {
      name: "completions",
      description: "statements with completion true",
      expression: (f) => `count(*)${where(f, "completion")}`,
    },
    {
      name: "video_progress_max",
      description: "highest xAPI video profile progress (0..1)",
      expression: (f) => `max(video_progress)${where(f)}`,
    },
    {
      name: "reading",
      description: "statements with a reading verb",
      expression: (f) => `count(*)${where(f, `verb IN (${reading})`)}`,
    },
    {
      name: "reading_completed",
      description: "reading statements with completion true",
      expression: (f) => `count(*)${where(f, `verb IN (${reading})`, "completion")}`,
    },
  ];
  for (const { iri, column } of iriColumns("verb_", present.verbs))
    list.push({
      name: column,
      iri,
      description: `statements with verb ${iri}`,
      expression: (f) => `count(*)${where(f, `verb = ${sqlString(iri)}`)}`,
    });
  for (const { iri, column } of iriColumns("type_", present.types))
    list.push({
      name: column,
      iri,
      description: `statements about activities of type ${iri}`,
      expression: (f) => `count(*)${where(f, `object_type = ${sqlString(iri)}`)}`,
    });
  return list;
}

/** The SQL of the view for the given present values (pure: the service asks DuckDB for them). */
export function learnerPeriodsSql(options: LearnerPeriodsOptions, present: PresentValues): LearnerPeriodsSql {
  const source = options.source ?? "statements";
  const cutoff = sqlDay(options.cutoff);
  const days = options.period === "week" ? 7 : options.period === "day" ? 1 : null;
  if (days === null) throw new RangeError(`unknown period: ${String(options.period)}`);
  const gapSeconds = sqlNumber((options.sessionGapMinutes ?? 30) * 60);
  const columns: ViewColumn[] = [
    { name: "learner", description: "the learner's pseudonym, linked across providers" },
    { name: "period", description: `${options.period}s since the learner's first activity (0 = first)` },
    { name: "period_start", description: "the UTC day the period starts" },
  ];
  const aggregates: string[] = [];
  for (const m of metrics(present, gapSeconds, "all")) {
    aggregates.push(`${m.expression(null)} AS ${sqlIdentifier(m.name)}`);
    columns.push({ name: m.name, description: m.description, ...(m.iri ? { iri: m.iri } : {}) });
  }
  for (const provider of [...new Set(present.providers)].sort()) {
    const filter = `provider = ${sqlString(provider)}`;
    for (const m of metrics(present, gapSeconds, "provider")) {
      const name = `${provider}__${m.name}`;
      aggregates.push(`${m.expression(filter)} AS ${sqlIdentifier(name)}`);
      columns.push({
        name,
        description: `${m.description}, at ${provider}`,
        provider,
        ...(m.iri ? { iri: m.iri } : {}),
      });
    }
  }
  const sql = `WITH kept AS (
    SELECT learner, provider, id, verb, object_type, timestamp, duration_seconds, success, completion,
      score_scaled, video_progress, CAST(timestamp AS DATE) AS day
    FROM ${source}
    WHERE timestamp < ${cutoff} AND learner IS NOT NULL
  ), placed AS (
    SELECT *,
      min(day) OVER (PARTITION BY learner) AS first_day,
      epoch(timestamp) - epoch(lag(timestamp) OVER (PARTITION BY learner ORDER BY timestamp, provider, id)) AS gap,
      epoch(timestamp) - epoch(lag(timestamp) OVER (PARTITION BY learner, provider ORDER BY timestamp, id))
        AS provider_gap
    FROM kept
  )
  SELECT learner,
    CAST(date_diff('day', first_day, day) // ${days} AS INTEGER) AS period,
    CAST(min(first_day) + CAST(date_diff('day', first_day, day) // ${days} AS INTEGER) * ${days} AS DATE) AS period_start,
    ${aggregates.join(",\n    ")}
  FROM placed
  GROUP BY learner, period
  ORDER BY learner, period`;
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
