/**
 * Step 4 of the build: the version's files. Every requested view is its own record set and Hugging Face
 * config: with one view its shards are `data/{split}-0000i-of-0000N.{ext}` (the Hub's default layout),
 * with several each view has its folder, `data/{view}/{split}-…`; `cohort_statistics` are aggregates
 * over every split, one file `data/cohort_statistics.{ext}`. Then the documents (Croissant, card,
 * datasheet) and, last, the lineage manifest, which hashes the records, every data file and every
 * document (the documents cannot hash the manifest: it is written after them).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  buildLineage,
  documentEntry,
  type FieldDataType,
  type FieldDescription,
  type JsonObject,
  type LineageManifest,
  type RecordSetDescription,
  type VersionDescription,
  type VersionFile,
  versionDocuments,
} from "../docs/index.js";
import type { BuildSpec } from "../prepare/index.js";
import { sqlIdentifier, sqlString, writeShards } from "../views/index.js";
import { COHORT_STATISTICS_FIELDS, type CohortRelease, loadCohortStatistics } from "./cohort-release.js";
import { readParquetRecords } from "./parquet.js";
import type { PreparedRecordSets, SplitView, ViewName } from "./record-sets.js";
import type { describeSelection } from "./select.js";

/** Documents the lineage hashes when present (`risk.json` is written by the risk check). */
export const VERSION_DOCUMENTS = ["croissant.json", "README.md", "DATASHEET.md", "risk.json"] as const;

export interface VersionContext {
  spec: BuildSpec;
  agreementId: string;
  policy: JsonObject;
  purpose: string;
  deidentificationProfile?: string;
  linkageDomain?: string;
  consent: { provider: string; asked: number; consented: number; notConsenting: number }[];
  at: Date;
  version: string;
  prepared: PreparedRecordSets;
  cohort?: CohortRelease;
  /** What selection knows of the version (profile, pseudonyms, consent, receipts): `describeSelection`. */
  selection?: ReturnType<typeof describeSelection>;
  /** The risk check's figures and treatment, when it ran. */
  risk?: { summary: VersionDescription["risk"]; suppression: VersionDescription["suppression"] };
}

export interface WrittenVersion {
  files: VersionFile[];
  manifest: LineageManifest;
  description: VersionDescription;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

export function fieldType(duck: string): FieldDataType {
  const t = duck.toUpperCase();
  if (t === "BOOLEAN") return "sc:Boolean";
  if (t === "DATE") return "sc:Date";
  if (t.startsWith("TIMESTAMP")) return "sc:DateTime";
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(t))
    return "sc:Integer";
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith("DECIMAL")) return "sc:Float";
  return "sc:Text";
}

const STATEMENT_FIELDS: Record<string, string> = {
  id: "The statement's id.",
  provider: "The provider whose store holds the statement.",
  learner: "Pseudonym of the learner in the agreement's linkage domain.",
  learner_namespace: "Where the pseudonym lives (the account's homePage).",
  verb: "The verb IRI.",
  object_id: "The object's id (activity IRI).",
  object_kind: "The object's kind: Activity, Agent, Group, StatementRef or SubStatement.",
  object_type: "The activity type (object.definition.type).",
  timestamp: "When the experience happened, UTC.",
  stored: "When the provider's LRS stored the statement, UTC.",
  registration: "The context's registration (an enrolment or attempt id).",
  success: "result.success.",
  completion: "result.completion.",
  score_scaled: "result.score.scaled (-1..1).",
  score_raw: "result.score.raw.",
  duration_seconds: "result.duration in seconds (empty when unreadable or in years or months).",
  video_progress: "The xAPI video profile's progress (0..1).",
  platform: "context.platform.",
  parent_ids: "Ids of the context's parent activities.",
  grouping_ids: "Ids of the context's grouping activities.",
  skills: "Competency IRIs the statement is evidence of.",
  json: "The whole de-identified statement, as JSON.",
  before_cutoff:
    "Whether the statement is before the learner's cut-off (the statements features may use without leakage).",
};

const SEQUENCE_FIELDS: Record<string, string> = {
  learner: "Pseudonym of the learner in the agreement's linkage domain.",
  position: "Rank of the interaction in the learner's sequence (1-based, time order).",
  item: "The item interacted with (the statement's object).",
  skill: "The skill the interaction is evidence of (one row per competency).",
  correct: "Outcome: result.success when present, else whether the scaled score reaches 0.5.",
  score_scaled: "result.score.scaled (-1..1).",
  success: "result.success.",
  timestamp: "When the interaction happened, UTC.",
  provider: "The provider whose store holds the statement.",
  statement_id: "The statement's id (joins the statements view).",
};

/** Orders giving each view's rows a total order, so shards are reproducible. */
const ORDER: Record<SplitView, string[]> = {
  learner_periods: ["learner", "period"],
  sequences: ["learner", "position"],
  statements: ["learner", "timestamp", "provider", "id"],
};

async function withOneThread<T>(connection: DuckDBConnection, run: () => Promise<T>): Promise<T> {
  const threads = (await connection.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]?.[0];
  await connection.run("SET threads = 1");
  try {
    return await run();
  } finally {
    await connection.run(`SET threads = ${Number(threads) || 1}`);
  }
}

const COPY_OPTIONS: Record<string, string> = {
  parquet: "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880",
  csv: "FORMAT csv, HEADER true",
  jsonl: "FORMAT json",
};

/** Writes every view's files; returns them as written (paths relative to `dir`). */
async function writeViews(
  connection: DuckDBConnection,
  dir: string,
  ctx: VersionContext,
): Promise<{ file: Omit<VersionFile, "sha256" | "bytes">; view: ViewName }[]> {
  const { prepared, spec } = ctx;
  const formats = [...spec.formats] as ("parquet" | "csv" | "jsonl")[];
  const several = prepared.views.length > 1;
  const out: { file: Omit<VersionFile, "sha256" | "bytes">; view: ViewName }[] = [];
  mkdirSync(join(dir, "data"), { recursive: true });
  for (const view of prepared.views) {
    if (view === "cohort_statistics") {
      for (const format of formats) {
        const path = `data/cohort_statistics.${format}`;
        await withOneThread(connection, () =>
          connection.run(
            `COPY (SELECT * EXCLUDE (position) FROM version_cohort_statistics ORDER BY position) TO ${sqlString(join(dir, path))} (${COPY_OPTIONS[format]})`,
          ),
        );
        out.push({
          view,
          file: { path, format, rows: ctx.cohort?.rows.length ?? 0, recordSet: view },
        });
      }
      continue;
    }
    const prefix = several ? `${view}/` : "";
    if (several) mkdirSync(join(dir, "data", view), { recursive: true });
    const table = `version_${view}`;
    // The split is in each file's path, not a column: Croissant's `split` field is taken from the path.
    const names = (
      await rows(connection, `SELECT DISTINCT split FROM ${sqlIdentifier(table)} ORDER BY split`)
    ).map((r) => String(r.split));
    for (const split of names) {
      await connection.run(
        `CREATE OR REPLACE TABLE version_split AS SELECT * EXCLUDE (split) FROM ${sqlIdentifier(table)} WHERE split = ${sqlString(split)}`,
      );
      for (const w of await writeShards(connection, "version_split", {
        dir,
        orderBy: ORDER[view],
        split,
        formats,
        prefix,
      }))
        out.push({
          view,
          file: { path: w.path, split: w.split, format: w.format, rows: w.rows, recordSet: view },
        });
    }
    await connection.run("DROP TABLE IF EXISTS version_split");
  }
  return out;
}

async function fieldsOf(
  connection: DuckDBConnection,
  table: string,
  text: (name: string) => string,
  exclude: string[],
): Promise<FieldDescription[]> {
  const described = await rows(connection, `DESCRIBE ${sqlIdentifier(table)}`);
  return described
    .filter((r) => !exclude.includes(String(r.column_name)))
    .map((r) => {
      const name = String(r.column_name);
      return { name, dataType: fieldType(String(r.column_type)), description: text(name) };
    });
}

async function recordSets(
  connection: DuckDBConnection,
  ctx: VersionContext,
): Promise<RecordSetDescription[]> {
  const { prepared, spec } = ctx;
  const labelColumn = prepared.labelColumn;
  const labelText = `The learner's ${labelColumn} label (empty for learners without one).`;
  const out: RecordSetDescription[] = [];
  const cutoff = spec.cutoffDay !== undefined;
  for (const view of prepared.views) {
    if (view === "learner_periods") {
      const descriptionOf = new Map(prepared.periodColumns.map((c) => [c.name, c.description]));
      out.push({
        name: view,
        description: `One row per learner and ${prepared.period} since the learner's start${cutoff ? ", before the cut-off" : ""}: activity features, all providers and each side by side.`,
        key: ["learner", "period"],
        fields: await fieldsOf(
          connection,
          "version_learner_periods",
          (name) =>
            name === "learner"
              ? "Pseudonym of the learner in the agreement's linkage domain."
              : name === "period"
                ? `${prepared.period === "day" ? "Day" : "Week"} since the learner's start.`
                : name === labelColumn
                  ? labelText
                  : (descriptionOf.get(name) ?? name),
          ["split"],
        ),
      });
    } else if (view === "sequences") {
      const unit = spec.views.sequences?.unit ?? "item";
      out.push({
        name: view,
        description: `Each learner's interactions with ${unit === "item" ? "items" : "skills"} and their outcome, in time order${cutoff ? ", before the cut-off" : ""}, for knowledge tracing.`,
        key: ["learner", "position"],
        fields: await fieldsOf(
          connection,
          "version_sequences",
          (name) => (name === labelColumn ? labelText : (SEQUENCE_FIELDS[name] ?? name)),
          ["split"],
        ),
      });
    } else if (view === "statements") {
      out.push({
        name: view,
        description: `The de-identified statements of the version's learners, flattened into columns with the full JSON kept: the whole span${cutoff ? ", after the cut-off too (see before_cutoff): features built from them must stop at the cut-off, as learner_periods and sequences do" : ""}.`,
        key: ["learner", "timestamp", "provider", "id"],
        fields: await fieldsOf(
          connection,
          "version_statements",
          (name) => (name === labelColumn ? labelText : (STATEMENT_FIELDS[name] ?? name)),
          ["split"],
        ),
      });
    } else {
      const plan = ctx.cohort?.plan;
      out.push({
        name: view,
        description: `Differentially private aggregates over the learner-level rows (learner_periods with the learner's label, split, providers and attributes), all splits together: ${plan?.releases.length ?? 0} releases costing ε ${plan?.total.epsilon ?? 0}, δ ${plan?.total.delta ?? 0}, charged to the privacy-budget ledger.`,
        key: ["release", "group", "lower"],
        fields: await fieldsOf(
          connection,
          "version_cohort_statistics",
          (name) => COHORT_STATISTICS_FIELDS[name] ?? name,
          ["position"],
        ),
      });
    }
  }
  return out;
}

/** Writes the version into `ctx.spec.output`: data files, documents, lineage (last). */
export async function writeVersion(
  connection: DuckDBConnection,
  ctx: VersionContext,
): Promise<WrittenVersion> {
  const { spec, prepared } = ctx;
  const dir = spec.output;
  if (ctx.cohort) await loadCohortStatistics(connection, ctx.cohort.rows);
  const written = await writeViews(connection, dir, ctx);
  const files: VersionFile[] = written.map(({ file }) => {
    const full = join(dir, file.path);
    return { ...file, sha256: sha256File(full), bytes: readFileSync(full).length };
  });
  const order =
    spec.splits.by === "learner" ? Object.keys(spec.splits.ratios) : ["train", "validation", "test"];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const splitNames = [
    ...new Set(written.flatMap((w) => (w.file.split === undefined ? [] : [w.file.split]))),
  ].sort((a, b) => rank(a) - rank(b) || cmp(a, b));
  const kindOf = (name: string): "train" | "validation" | "test" =>
    name === "validation" || name === "test" ? name : "train";
  // A view without rows has no file, so no record set (Croissant needs a source per field): said instead.
  const empty = prepared.views.filter((v) => !written.some((w) => w.view === v));
  const labelled = (["learner_periods", "sequences", "statements"] as const).find(
    (v) => prepared.views.includes(v) && !empty.includes(v),
  );
  const version = ctx.version;
  const span = {
    start: spec.span.from.toISOString().slice(0, 10),
    end: spec.span.to.toISOString().slice(0, 10),
  };
  const cutoffDay = spec.cutoffDay;
  const viewsText = prepared.views.join(", ");
  const plan = ctx.cohort?.plan;
  const description: VersionDescription = {
    name: spec.name,
    description: `Pooled learning records (${viewsText}) from ${spec.providers.length} providers under agreement ${ctx.agreementId}.`,
    version,
    url: `urn:learnpool:dataset:${spec.name}:${version}`,
    creator: [{ name: "Learnpool operator" }],
    agreement: { id: ctx.agreementId, policy: ctx.policy },
    files,
    recordSets: (await recordSets(connection, ctx)).filter((rs) => !empty.includes(rs.name as ViewName)),
    splits: splitNames.map((name) => ({ name, kind: kindOf(name) })),
    label: labelled
      ? {
          recordSet: labelled,
          field: prepared.labelColumn,
          definition: spec.label
            ? spec.label.kind === "dropout"
              ? `dropout: no activity in the ${spec.label.inactivityDays} days after the cut-off day`
              : `${spec.label.kind} within ${spec.label.horizonDays ?? "the data's end"} days after the cut-off day`
            : "none",
        }
      : { recordSet: "cohort_statistics", field: "", definition: "none (aggregates only)" },
    cutOff: {
      at: cutoffDay === undefined ? "none" : `day ${cutoffDay} since the learner's start`,
      antiLeakage:
        "Features (learner_periods, sequences) use only statements before the UTC midnight ending the learner's cut-off day; labels only days after it." +
        (prepared.views.includes("statements") && cutoffDay !== undefined
          ? " The statements view keeps the whole span, marked by before_cutoff."
          : ""),
    },
    splitPolicy: {
      by: spec.splits.by,
      description: `seeded (${spec.seed}) by a keyed hash of the pseudonym`,
    },
    deidentification: ctx.selection?.deidentification ?? {
      name: ctx.deidentificationProfile ?? "provider-side",
      version: "unverified",
    },
    pseudonymization: ctx.selection?.pseudonymization ?? {
      domain: ctx.linkageDomain ?? "unknown",
      method: "keyed pseudonyms made by the providers in the agreement's linkage domain",
    },
    suppression: ctx.risk?.suppression ?? {
      learners: 0,
      records: 0,
      description: "No suppression: the risk check did not run for this version.",
    },
    consent:
      ctx.selection?.consent ??
      ctx.consent.map((c) => ({
        provider: c.provider,
        asked: c.asked,
        consented: c.consented,
        refused: c.notConsenting,
        withdrew: 0,
      })),
    risk: ctx.risk?.summary ?? { k: 0, averageRisk: 0, highestRisk: 0, suppressed: 0 },
    sources: prepared.sources,
    consentReceipts: ctx.selection?.consentReceipts ?? [],
    biases: ["Only learners who consented are included; they may differ from those who did not."],
    limitations: [
      ...(ctx.risk
        ? []
        : ["Re-identification risk was not measured for this version (the risk check did not run)."]),
      ...(ctx.selection?.limitations ?? [
        "Statements are taken as already de-identified and pseudonymized by the providers in the linkage domain.",
        "Consent coverage counts as refused every learner seen without valid consent (refused, withdrawn or never asked).",
      ]),
      ...empty.map(
        (v) =>
          `The ${v} view has no rows in this version (${v === "sequences" ? "no statement of its learners before the cut-off has an outcome" : "no learner's data qualifies"}), so it has no file.`,
      ),
      ...(plan
        ? [
            `Cohort statistics carry differential-privacy noise (${plan.releases.length} releases, ε ${plan.total.epsilon}, δ ${plan.total.delta} in all, basic composition); small cells are dominated by it.`,
          ]
        : []),
    ],
    uses: [`Purpose ${ctx.purpose}, as agreement ${ctx.agreementId} permits.`],
    timeFrame: span,
    seed: spec.seed,
    created: ctx.at.toISOString(),
  };

  const leaves: Buffer[] = [];
  const manifest = await buildLineage(
    description,
    async function* (f) {
      yield* await readParquetRecords(connection, join(dir, f.path));
    },
    { onRecordHash: (h) => leaves.push(h) },
  );
  for (const [name, text] of Object.entries(versionDocuments(description)))
    writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, "lineage.leaves"), Buffer.concat(leaves));
  manifest.documents = VERSION_DOCUMENTS.filter((name) => existsSync(join(dir, name))).map((name) =>
    documentEntry(name, readFileSync(join(dir, name))),
  );
  writeFileSync(join(dir, "lineage.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, manifest, description };
}
