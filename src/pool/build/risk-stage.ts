/**
 * Step 7 in the build: the risk check (`risk.ts`, pure) run over the learners the version will hold
 * (the `assigned` table: labelled, given a split), with the spec's declared attributes
 * (`learner_attributes`) as quasi-identifiers, and its result applied in DuckDB: suppressed learners
 * leave `assigned` (so every view, which joins it, loses them) and generalized values replace the
 * attributes. A refusal throws RiskRefused before any file is written.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { RiskSummary, Suppression } from "../docs/index.js";
import type { BuildSpec } from "../prepare/index.js";
import { sqlIdentifier } from "../views/index.js";
import {
  assertRiskPassed,
  checkVersionRisk,
  loadHierarchy,
  type RiskQuasiIdentifier,
  UNKNOWN_VALUE,
  type VersionRiskReport,
} from "./risk.js";

export interface AppliedRisk {
  report: VersionRiskReport;
  summary: RiskSummary;
  suppression: Suppression;
  /** The attribute columns, as the views carry them (generalized when the check generalized). */
  attributes: string[];
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Fills a one-column temporary table with `values` (appender: no SQL text of pseudonyms). */
async function learnerTable(connection: DuckDBConnection, name: string, values: readonly string[]) {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${name} (learner VARCHAR)`);
  const appender = await connection.createAppender(name);
  for (const v of values) {
    appender.appendVarchar(v);
    appender.endRow();
  }
  appender.closeSync();
}

/** Runs the risk check over `assigned` ⋈ `learner_attributes` and applies its remedy. */
export async function applyRiskCheck(connection: DuckDBConnection, spec: BuildSpec): Promise<AppliedRisk> {
  const declared = Object.entries(spec.attributes ?? {});
  const columns = declared.map(([name]) => name);
  const select = columns.map((c) => `, CAST(la.${sqlIdentifier(c)} AS VARCHAR) AS ${sqlIdentifier(c)}`);
  const learners = (
    await rows(
      connection,
      columns.length
        ? `SELECT a.learner${select.join("")} FROM assigned a LEFT JOIN learner_attributes la USING (learner) ORDER BY a.learner`
        : "SELECT learner FROM assigned ORDER BY learner",
    )
  ).map((r) => {
    const row: Record<string, string | null> = { learner: String(r.learner) };
    for (const c of columns) row[c] = r[c] === null || r[c] === undefined ? null : String(r[c]);
    return row;
  });
  const quasiIdentifiers: RiskQuasiIdentifier[] = declared.map(([name, attribute]) => ({
    name,
    ...(attribute.hierarchy !== undefined && { hierarchy: loadHierarchy(attribute.hierarchy, name) }),
  }));
  const result = checkVersionRisk({ learners, quasiIdentifiers, thresholds: spec.risk });
  assertRiskPassed(result);

  let records = 0;
  if (result.suppressedLearners.length > 0) {
    await learnerTable(connection, "suppressed_learners", result.suppressedLearners);
    records = Number(
      (
        await rows(
          connection,
          "SELECT count(*) AS n FROM statements WHERE learner IN (SELECT learner FROM suppressed_learners)",
        )
      )[0]?.n ?? 0,
    );
    await connection.run("DELETE FROM assigned WHERE learner IN (SELECT learner FROM suppressed_learners)");
  }
  if (result.applied === "generalize" && columns.length > 0) {
    // The recoded values replace the attributes; `unknown` stays the text the check measured.
    await connection.run(
      `CREATE OR REPLACE TABLE learner_attributes (learner VARCHAR${columns.map((c) => `, ${sqlIdentifier(c)} VARCHAR`).join("")})`,
    );
    const appender = await connection.createAppender("learner_attributes");
    for (const [learner, values] of [...result.recoded].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      appender.appendVarchar(learner);
      for (const c of columns) appender.appendVarchar(values[c] ?? UNKNOWN_VALUE);
      appender.endRow();
    }
    appender.closeSync();
  }
  const after = result.after;
  const levels = Object.entries(result.levels)
    .map(([qi, level]) => `${qi} at level ${level}`)
    .join(", ");
  const description =
    result.applied === "none"
      ? `No suppression: k = ${after.k} ≥ ${spec.risk.minK} and average risk ${after.averageRisk.toFixed(4)} ≤ ${spec.risk.maxAverageRisk} on the declared attributes as they were.`
      : result.applied === "suppress"
        ? `${result.suppressedLearners.length} learners of the smallest classes suppressed to reach k ≥ ${spec.risk.minK} and average risk ≤ ${spec.risk.maxAverageRisk}.`
        : `Generalized (${levels}) with ${result.suppressedLearners.length} learners suppressed to reach k ≥ ${spec.risk.minK} and average risk ≤ ${spec.risk.maxAverageRisk}.`;
  return {
    report: result.report,
    summary: {
      k: after.k,
      averageRisk: after.averageRisk,
      highestRisk: after.highestRisk,
      suppressed: result.suppressedLearners.length,
    },
    suppression: { learners: result.suppressedLearners.length, records, description },
    attributes: columns,
  };
}
