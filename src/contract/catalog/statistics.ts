/**
 * The statistical part of a description, derived by SQL over the provider's rows of `statements`
 * (one source per dialect, side by side). Only aggregates leave these queries: counts, the time span,
 * and the IRIs of verbs, profiles and activity types; learners are counted, never listed. Voided
 * statements and the voiding statements themselves are left out: they are not learning records.
 */
import type { Dialect, Queryable } from "../../store/index.js";
import type { DerivedStatistics, TermCount } from "./description.js";
import { VOIDED_VERB } from "./vocabulary.js";

interface Queries {
  totals: string;
  verbs: string;
  profiles: string;
  activityTypes: string;
}

const SQLITE_KEPT = `s.store_id = ? AND s.voided = 0 AND json_extract(s.body, '$.verb.id') <> ?`;
/** An agent's IFI, kind first so that two kinds never collide; NULL for groups. */
const SQLITE_LEARNER = `CASE WHEN COALESCE(json_extract(s.body, '$.actor.objectType'), 'Agent') <> 'Agent' THEN NULL
  WHEN json_extract(s.body, '$.actor.mbox') IS NOT NULL THEN 'mbox ' || json_extract(s.body, '$.actor.mbox')
  WHEN json_extract(s.body, '$.actor.mbox_sha1sum') IS NOT NULL THEN 'sha1 ' || json_extract(s.body, '$.actor.mbox_sha1sum')
  WHEN json_extract(s.body, '$.actor.openid') IS NOT NULL THEN 'openid ' || json_extract(s.body, '$.actor.openid')
  WHEN json_extract(s.body, '$.actor.account.name') IS NOT NULL
    THEN 'account ' || json_extract(s.body, '$.actor.account.homePage') || ' ' || json_extract(s.body, '$.actor.account.name')
  END`;
/** julianday reads offsets (+02:00, Z) and fractions; strftime writes UTC to the millisecond. */
const SQLITE_TS = `julianday(json_extract(s.body, '$.timestamp'))`;

const SQLITE: Queries = {
  totals: `SELECT COUNT(*) AS statements, COUNT(DISTINCT ${SQLITE_LEARNER}) AS learners,
  strftime('%Y-%m-%dT%H:%M:%fZ', MIN(${SQLITE_TS})) AS start_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', MAX(${SQLITE_TS})) AS end_at
FROM statements s WHERE ${SQLITE_KEPT}`,
  verbs: `SELECT json_extract(s.body, '$.verb.id') AS id, COUNT(*) AS n
FROM statements s WHERE ${SQLITE_KEPT} GROUP BY 1`,
  profiles: `SELECT json_extract(c.value, '$.id') AS id, COUNT(DISTINCT s.seq) AS n
FROM statements s, json_each(s.body, '$.context.contextActivities.category') c
WHERE ${SQLITE_KEPT} AND json_type(s.body, '$.context.contextActivities.category') = 'array' GROUP BY 1`,
  activityTypes: `SELECT json_extract(s.body, '$.object.definition.type') AS id, COUNT(*) AS n
FROM statements s WHERE ${SQLITE_KEPT}
  AND COALESCE(json_extract(s.body, '$.object.objectType'), 'Activity') = 'Activity'
  AND json_extract(s.body, '$.object.definition.type') IS NOT NULL GROUP BY 1`,
};

// PostgreSQL: the body is TEXT; `json` (not jsonb) keeps any string jsonb would refuse.
const PG_KEPT = `(SELECT s.seq, s.body::json AS b FROM statements s WHERE s.store_id = ? AND s.voided = 0) k
WHERE k.b->'verb'->>'id' <> ?`;
const PG_LEARNER = `CASE WHEN COALESCE(k.b->'actor'->>'objectType', 'Agent') <> 'Agent' THEN NULL
  WHEN k.b->'actor'->>'mbox' IS NOT NULL THEN 'mbox ' || (k.b->'actor'->>'mbox')
  WHEN k.b->'actor'->>'mbox_sha1sum' IS NOT NULL THEN 'sha1 ' || (k.b->'actor'->>'mbox_sha1sum')
  WHEN k.b->'actor'->>'openid' IS NOT NULL THEN 'openid ' || (k.b->'actor'->>'openid')
  WHEN k.b->'actor'->'account'->>'name' IS NOT NULL
    THEN 'account ' || (k.b->'actor'->'account'->>'homePage') || ' ' || (k.b->'actor'->'account'->>'name')
  END`;
const PG_TS = `(k.b->>'timestamp')::timestamptz`;
const PG_ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

const POSTGRES: Queries = {
  totals: `SELECT COUNT(*) AS statements, COUNT(DISTINCT ${PG_LEARNER}) AS learners,
  to_char(MIN(${PG_TS}) AT TIME ZONE 'UTC', ${PG_ISO}) AS start_at,
  to_char(MAX(${PG_TS}) AT TIME ZONE 'UTC', ${PG_ISO}) AS end_at
FROM ${PG_KEPT}`,
  verbs: `SELECT k.b->'verb'->>'id' AS id, COUNT(*) AS n FROM ${PG_KEPT} GROUP BY 1`,
  profiles: `SELECT c.value->>'id' AS id, COUNT(DISTINCT k.seq) AS n
FROM (SELECT s.seq, s.body::json AS b FROM statements s WHERE s.store_id = ? AND s.voided = 0) k
CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(k.b->'context'->'contextActivities'->'category') = 'array'
  THEN k.b->'context'->'contextActivities'->'category' END) c
WHERE k.b->'verb'->>'id' <> ? GROUP BY 1`,
  activityTypes: `SELECT k.b->'object'->'definition'->>'type' AS id, COUNT(*) AS n FROM ${PG_KEPT}
  AND COALESCE(k.b->'object'->>'objectType', 'Activity') = 'Activity'
  AND k.b->'object'->'definition'->>'type' IS NOT NULL GROUP BY 1`,
};

const QUERIES: Record<Dialect, Queries> = { sqlite: SQLITE, postgres: POSTGRES };

/** Most used first, then by IRI, so that two derivations of the same store are equal. */
function counted(rows: { id: string | null; n: number | string }[]): TermCount[] {
  return rows
    .filter((r): r is { id: string; n: number | string } => typeof r.id === "string" && r.id !== "")
    .map((r) => ({ id: r.id, statements: Number(r.n) }))
    .sort((a, b) => b.statements - a.statements || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Derives the statistics of one store's statements. */
export async function deriveStatistics(
  q: Queryable,
  storeId: string,
  now: Date = new Date(),
): Promise<DerivedStatistics> {
  const sql = QUERIES[q.dialect];
  const params = [storeId, VOIDED_VERB];
  const totals = await q.one<{
    statements: number | string;
    learners: number | string;
    start_at: string | null;
    end_at: string | null;
  }>(sql.totals, params);
  const [verbs, profiles, activityTypes] = [
    await q.all<{ id: string | null; n: number }>(sql.verbs, params),
    await q.all<{ id: string | null; n: number }>(sql.profiles, params),
    await q.all<{ id: string | null; n: number }>(sql.activityTypes, params),
  ];
  const start = totals?.start_at ?? null;
  const end = totals?.end_at ?? null;
  return {
    derivedAt: now.toISOString(),
    statements: Number(totals?.statements ?? 0),
    learners: Number(totals?.learners ?? 0),
    temporal: start && end ? { start, end } : null,
    verbs: counted(verbs),
    profiles: counted(profiles),
    activityTypes: counted(activityTypes),
  };
}
