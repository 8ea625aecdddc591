/**
 * The `cohort_statistics` record set: the spec's planned releases run over the learner-level rows
 * (`cohort_rows`, see record-sets.ts) through the differential-privacy mechanisms, each one charged to
 * the privacy-budget ledger before its value exists outside the ledger's transaction.
 *
 * The whole plan is priced against the ledger's remaining budget first, so that a plan that cannot fit
 * is refused before any charge (a refusal midway, by a concurrent spender, keeps the charges made:
 * the ledger is the record of what was spent).
 *
 * Noise: the CSPRNG by default. Given a secret `noiseKey`, each release's noise is an AES-256-CTR
 * keystream under HMAC-SHA-256(key, the rows' digest, the release): the key holder's rebuild of the
 * same inputs is byte-identical (and repeats the same values, so it reveals nothing new), while any
 * change of the rows gives fresh, independent noise. The seed of the spec is public, so it never keys
 * the noise (whoever knows the seed would know the noise).
 */
import { createCipheriv, createHash, createHmac } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { dp } from "../../privacy/index.js";
import {
  type CohortPlan,
  type CohortStatisticsSpec,
  type PlannedRelease,
  planCohortStatistics,
  runPlannedRelease,
} from "../prepare/index.js";
import { sqlIdentifier } from "../views/index.js";

/** What the build needs of the privacy-budget ledger (`privacy/dp` PrivacyLedger). */
export interface BuildLedger {
  spend<T>(
    request: {
      dataset: string;
      consumer: string;
      epsilon: number;
      delta: number;
      rho?: number;
      statistic: string;
      mechanism: string;
      actor: string;
    },
    answer: () => T | Promise<T>,
  ): Promise<{ result: T }>;
  status(dataset: string, consumer: string): Promise<dp.BudgetStatus | undefined>;
}

/** A build refused by the privacy budget, with the figures. Nothing of the version is written. */
export class CohortBudgetRefused extends Error {
  constructor(
    message: string,
    readonly needed: { epsilon: number; delta: number; rho?: number },
    readonly status?: dp.BudgetStatus,
  ) {
    super(message);
    this.name = "CohortBudgetRefused";
  }
}

/** One row of `cohort_statistics`. */
export interface CohortStatisticRow {
  /** The release's index in the plan (0-based). */
  release: number;
  /** What was asked, e.g. "mean of score where programme=A" (from the plan: no data value). */
  statistic: string;
  /** The cell of a table ("programme=A, period=0"), else null. */
  group: string | null;
  /** Histogram bin [lower, upper), else null. */
  lower: number | null;
  upper: number | null;
  value: number;
  epsilon: number;
  delta: number;
  mechanism: string;
}

export interface CohortRelease {
  plan: CohortPlan;
  rows: CohortStatisticRow[];
  /** The columns of the learner-level rows the statistics could read (for the datasheet). */
  columns: string[];
}

/** The noise source of release `index`: keyed when a key is given, else the CSPRNG. */
function noiseFor(key: Uint8Array | undefined, digest: string, index: number): dp.RandomSource {
  if (!key) return dp.secureRandom();
  const derived = createHmac("sha256", key).update(`learnpool-cohort-noise/1\n${digest}\n${index}`).digest();
  const cipher = createCipheriv("aes-256-ctr", derived, Buffer.alloc(16));
  const zeros = Buffer.alloc(8192);
  return new dp.ByteRandom((buffer) => {
    cipher.update(zeros).copy(buffer);
  });
}

const remaining = (status: dp.BudgetStatus) =>
  status.accounting === "zcdp"
    ? `ρ ${status.remaining.rho} left of ${status.budget.rho}`
    : `ε ${status.remaining.epsilon} and δ ${status.remaining.delta} left of (${status.budget.epsilon}, ${status.budget.delta})`;

/** Whether the plan fits what the ledger has left (the ledger still decides each charge). */
function planFits(plan: CohortPlan, status: dp.BudgetStatus): boolean {
  if (status.accounting === "zcdp") {
    let rho = 0;
    for (const r of plan.releases) {
      if (r.charge.rho === undefined && r.charge.delta > 0) return false;
      rho += r.charge.rho ?? (r.charge.epsilon * r.charge.epsilon) / 2;
    }
    return rho <= Number(status.remaining.rho) * (1 + 1e-12);
  }
  return (
    plan.total.epsilon <= Number(status.remaining.epsilon) * (1 + 1e-12) &&
    plan.total.delta <= Number(status.remaining.delta) * (1 + 1e-12)
  );
}

function rowsOf(index: number, release: PlannedRelease, value: unknown): CohortStatisticRow[] {
  const where = Object.entries(release.where)
    .map(([c, v]) => `${c}=${v}`)
    .join(", ");
  const base = {
    release: index,
    statistic: release.statistic,
    epsilon: release.charge.epsilon,
    delta: release.charge.delta,
    mechanism: release.charge.mechanism,
  };
  if (release.call === "dpHistogram")
    return (value as dp.Bin[]).map((b) => ({
      ...base,
      group: where || null,
      lower: b.lower,
      upper: b.upper,
      value: b.count,
    }));
  if (release.call === "dpTable")
    return (value as dp.Cell[]).map((c) => ({
      ...base,
      group: c.key.map((k, i) => `${release.groupBy?.[i] ?? i}=${k}`).join(", "),
      lower: null,
      upper: null,
      value: c.count,
    }));
  return [{ ...base, group: where || null, lower: null, upper: null, value: Number(value) }];
}

/**
 * Plans the spec's statistics, checks their columns exist in `cohort_rows`, prices the plan against the
 * ledger and runs each release inside its charge. Throws CohortBudgetRefused (no budget, or not enough)
 * before any charge when the plan cannot fit.
 */
export async function releaseCohortStatistics(
  connection: DuckDBConnection,
  spec: CohortStatisticsSpec,
  ledger: BuildLedger | undefined,
  account: { dataset: string; consumer: string; actor: string; noiseKey?: Uint8Array },
): Promise<CohortRelease> {
  if (!ledger)
    throw new Error(
      "cohort_statistics: the build has no privacy-budget ledger (BuildServices.ledger) to charge",
    );
  const plan = planCohortStatistics(spec);
  const reader = await connection.runAndReadAll("SELECT * FROM cohort_rows ORDER BY learner, period");
  const columns = reader.columnNames();
  const known = new Set(columns);
  spec.statistics.forEach((q, i) => {
    for (const [what, column] of [
      ...(q.of ? [["of", q.of] as const] : []),
      ...q.by.map((c) => ["by", c] as const),
    ])
      if (!known.has(column))
        throw new Error(
          `views.cohort_statistics.statistics[${i}].${what}: no column ${column} in the learner-level rows (${columns.join(", ")})`,
        );
  });
  const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
  const digest = createHash("sha256")
    .update(JSON.stringify(rows.map((r) => columns.map((c) => jsonValue(r[c])))))
    .update(JSON.stringify(plan))
    .digest("hex");

  const needed = {
    epsilon: plan.total.epsilon,
    delta: plan.total.delta,
    ...(plan.releases.every((r) => r.charge.rho !== undefined) && {
      rho: plan.releases.reduce((s, r) => s + (r.charge.rho ?? 0), 0),
    }),
  };
  const status = await ledger.status(account.dataset, account.consumer);
  if (!status)
    throw new CohortBudgetRefused(
      `cohort_statistics refused: no privacy budget for dataset ${account.dataset} and this agreement's consumer (the plan needs ε ${needed.epsilon}, δ ${needed.delta})`,
      needed,
    );
  if (!planFits(plan, status))
    throw new CohortBudgetRefused(
      `cohort_statistics refused: the plan needs ε ${needed.epsilon}, δ ${needed.delta}${needed.rho !== undefined ? ` (ρ ${needed.rho})` : ""} over ${plan.releases.length} releases; the budget of dataset ${account.dataset} has ${remaining(status)}`,
      needed,
      status,
    );

  const out: CohortStatisticRow[] = [];
  for (const [index, release] of plan.releases.entries()) {
    let released: dp.Release<unknown>;
    try {
      ({ result: released } = await ledger.spend(
        {
          dataset: account.dataset,
          consumer: account.consumer,
          epsilon: release.charge.epsilon,
          delta: release.charge.delta,
          ...(release.charge.rho !== undefined && { rho: release.charge.rho }),
          statistic: release.statistic,
          mechanism: release.charge.mechanism,
          actor: account.actor,
        },
        () => runPlannedRelease(release, rows, { random: noiseFor(account.noiseKey, digest, index) }),
      ));
    } catch (error) {
      if (error instanceof dp.BudgetExceededError || error instanceof dp.NoBudgetError)
        throw new CohortBudgetRefused(
          `cohort_statistics refused at release ${index + 1} of ${plan.releases.length} (${release.statistic}): ${error.message}`,
          needed,
          error instanceof dp.BudgetExceededError ? error.status : undefined,
        );
      throw error;
    }
    out.push(...rowsOf(index, release, released.value));
  }
  return { plan, rows: out, columns };
}

function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v === undefined) return null;
  return v;
}

/** Loads the released rows into `table` (replaced), in release order. */
export async function loadCohortStatistics(
  connection: DuckDBConnection,
  rows: readonly CohortStatisticRow[],
  table = "version_cohort_statistics",
): Promise<void> {
  const t = sqlIdentifier(table);
  await connection.run(
    `CREATE OR REPLACE TABLE ${t} ("release" INTEGER, statistic VARCHAR, "group" VARCHAR, lower DOUBLE, upper DOUBLE, value DOUBLE, epsilon DOUBLE, delta DOUBLE, mechanism VARCHAR, position INTEGER)`,
  );
  const appender = await connection.createAppender(table);
  rows.forEach((r, position) => {
    appender.appendInteger(r.release);
    appender.appendVarchar(r.statistic);
    if (r.group === null) appender.appendNull();
    else appender.appendVarchar(r.group);
    if (r.lower === null) appender.appendNull();
    else appender.appendDouble(r.lower);
    if (r.upper === null) appender.appendNull();
    else appender.appendDouble(r.upper);
    appender.appendDouble(r.value);
    appender.appendDouble(r.epsilon);
    appender.appendDouble(r.delta);
    appender.appendVarchar(r.mechanism);
    appender.appendInteger(position);
    appender.endRow();
  });
  appender.closeSync();
}

/** Descriptions of the `cohort_statistics` columns. */
export const COHORT_STATISTICS_FIELDS: Record<string, string> = {
  release: "Index of the release in the build's plan (0-based).",
  statistic: "What was released: count, sum, mean or histogram, of which column, in which cell.",
  group:
    "The cell of the row (column=value, …) for counts by group and per-cell releases; empty for the whole cohort.",
  lower: "Lower edge of the histogram bin (inclusive); empty for other statistics.",
  upper: "Upper edge of the histogram bin (exclusive, the last bin inclusive); empty for other statistics.",
  value: "The differentially private value (noise added; counts clamped at 0, means to their bounds).",
  epsilon: "ε charged to the privacy-budget ledger for the release.",
  delta: "δ charged to the privacy-budget ledger for the release.",
  mechanism: "The noise mechanism (discrete Laplace or discrete Gaussian).",
};
