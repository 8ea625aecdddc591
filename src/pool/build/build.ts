/**
 * The build of a pooled dataset version, first vertical slice: policy decision → selection under
 * consent → views → labels → splits → shards → documents and lineage.
 *
 * The provider-side steps (`select.ts`): each learner's pseudonym in the agreement's linkage domain,
 * consent checked on it, de-identification under the agreement's profile with the leak check, and
 * skill translation; statements already pseudonymized in the linkage domain are taken as they are.
 * Linkage is by equal pseudonym (a learner at two providers is one learner).
 *
 * What this slice leaves out (said in the datasheet's limitations too):
 * - only the `learner_periods` view is written; no risk check (the risk summary is empty and says so);
 * - statements are read from the LRS's `statements` table into memory, store by store.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { AccessRequest } from "../../contract/odrl/evaluate.js";
import type { Policy } from "../../contract/odrl/parse.js";
import type { Database } from "../../store/index.js";
import {
  buildLineage,
  type FieldDataType,
  type JsonObject,
  type VersionDescription,
  type VersionFile,
  versionDocuments,
} from "../docs/index.js";
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
import { buildLearnerPeriods, loadStatements, sqlIdentifier, writeShards } from "../views/index.js";
import { readParquetRecords } from "./parquet.js";
import {
  BuildDenied,
  type ProgressEvent,
  type ProviderCoverage,
  type Selection,
  type SelectionServices,
  selectionReport,
  selectStatements,
  writeLearnerAttributes,
} from "./select.js";

export { BuildDenied };

const ODRL = "http://www.w3.org/ns/odrl/2/";

/**
 * What the build needs of the registries (AgreementRegistry, ConsentRegistry, PolicyEnforcement) and,
 * to de-identify, of the linkage domain's pseudonymizer (`SelectionServices`).
 */
export interface BuildServices extends SelectionServices {
  db: Database;
  agreements: {
    get(id: string): Promise<
      | {
          id: string;
          parties: readonly { participant: string; role: string; iri?: string }[];
          linkageDomain?: string;
          deidentificationProfile?: string;
          document: { policy: Record<string, unknown> };
        }
      | undefined
    >;
    status(id: string, at?: Date): Promise<{ state: string; valid: boolean; reason: string }>;
    policyOf(id: string): Promise<Policy>;
    participants: { get(id: string): Promise<{ iri: string } | undefined> };
  };
  enforcement: {
    decide(input: {
      step: "dataset-build";
      agreementId: string;
      actor: string;
      request: AccessRequest;
      at?: Date;
    }): Promise<{ decision: string; reason: string }>;
  };
}

export interface BuildOptions {
  /** Who builds, for the audit trail. */
  actor: string;
  /** The purpose of the build (a DPV IRI or `dpv:` name); default: the one the agreement's permission names. */
  purpose?: string;
  /** The ODRL action asked (default odrl:derive). */
  action?: string;
  /** The build's instant (default now): consent and the agreement are judged at it. */
  at?: Date;
  /** The version (default 1.0.0). */
  version?: string;
  /** Called during selection per provider (statements read, kept) and at each later stage's start. */
  onProgress?: (event: ProgressEvent) => void;
}

export interface BuildResult {
  dir: string;
  files: VersionFile[];
  root: string;
  records: number;
  sources: { provider: string; statements: number; learners: number }[];
  consent: ProviderCoverage[];
  /** Statements per provider: in the span, taken as pseudonymized, de-identified here, kept. */
  statements: Selection["statements"];
  /** Statements that could not be taken, by provider and reason (never a value). */
  rejected: Selection["rejected"];
  skills: Selection["skills"];
  leakCheck: Selection["leakCheck"];
  /** Sorted pseudonyms of the learners whose statements the version was built from. */
  members: string[];
  /** Sorted receipt hashes of the consent events relied on (also in lineage.json). */
  consentReceipts: string[];
  learners: number;
  labels: { labelled: number; positive: number; excluded: Record<string, number> } | null;
  splits: Record<string, number>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The purposes named by `purpose` constraints in the policy's permissions (IRIs or compact names). */
export function permittedPurposes(policy: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    const left = o.leftOperand;
    if (typeof left === "string" && /(^|[/#:])purpose$/.test(left)) {
      const right = o.rightOperand;
      for (const r of Array.isArray(right) ? right : [right]) {
        if (typeof r === "string") out.add(r);
        else if (r && typeof r === "object" && typeof (r as { "@id"?: unknown })["@id"] === "string")
          out.add((r as { "@id": string })["@id"]);
      }
    }
    for (const [k, v] of Object.entries(o)) if (k !== "prohibition") visit(v);
  };
  visit(policy.permission);
  return [...out].sort();
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

function fieldType(duck: string): FieldDataType {
  const t = duck.toUpperCase();
  if (t === "BOOLEAN") return "sc:Boolean";
  if (t === "DATE") return "sc:Date";
  if (t.startsWith("TIMESTAMP")) return "sc:DateTime";
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(t))
    return "sc:Integer";
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith("DECIMAL")) return "sc:Float";
  return "sc:Text";
}

const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * Builds one version of the dataset `spec` describes, under its agreement, into `spec.output`.
 * A denied decision throws BuildDenied before anything is read or written.
 */
export async function buildDataset(
  services: BuildServices,
  spec: BuildSpec,
  options: BuildOptions,
): Promise<BuildResult> {
  const at = options.at ?? new Date();
  const agreementId = spec.agreement;
  const agreement = await services.agreements.get(agreementId);
  if (!agreement) throw new BuildDenied(`no agreement ${agreementId}`, "Deny");
  const status = await services.agreements.status(agreementId, at);
  if (!status.valid)
    throw new BuildDenied(`agreement ${agreementId} is ${status.state}: ${status.reason}`, "Deny");

  // 1. The policy decision.
  const policyJson = agreement.document.policy;
  let purpose = options.purpose;
  if (purpose === undefined) {
    const named = permittedPurposes(policyJson);
    if (named.length !== 1)
      throw new BuildDenied(
        `the build's purpose must be given: the agreement's permissions name ${named.length === 0 ? "none" : named.join(", ")}`,
        "Deny",
      );
    purpose = named[0] as string;
  }
  const consumer = agreement.parties.find((p) => p.role === "consumer");
  const consumerIri =
    consumer && (consumer.iri ?? (await services.agreements.participants.get(consumer.participant))?.iri);
  const policy = await services.agreements.policyOf(agreementId);
  const target = policy.permissions.flatMap((p) => p.targets)[0];
  const action = options.action ?? "derive";
  const request: AccessRequest = {
    action: /^[a-z][a-zA-Z]*$/.test(action) ? `${ODRL}${action}` : action,
    ...(target ? { target } : {}),
    ...(consumerIri ? { assignee: consumerIri } : {}),
    context: { purpose },
  };
  const decision = await services.enforcement.decide({
    step: "dataset-build",
    agreementId,
    actor: options.actor,
    request,
    at,
  });
  if (decision.decision !== "Permit") throw new BuildDenied(decision.reason, decision.decision);

  // 2. Selection: the provider-side steps (select.ts), consenting learners only.
  options.onProgress?.({ stage: "decision", done: 1, total: 1 });
  const work = mkdtempSync(join(tmpdir(), "learnpool-build-"));
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const selection = await selectStatements(services, spec, {
      agreement,
      at,
      purpose,
      ...(consumer ? { recipient: consumer.participant } : {}),
      work,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const { files, coverage } = selection;
    await writeLearnerAttributes(connection, spec, selection);
    options.onProgress?.({ stage: "views", done: 0 });

    // 3. Views, labels, splits.
    await loadStatements(connection, files);
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
    const featureSource =
      cutoffDay === undefined
        ? "statements"
        : `(SELECT s.* FROM statements s JOIN starts USING (learner)
            WHERE s.timestamp < date_trunc('day', starts.start) + INTERVAL ${cutoffDay + 1} DAY)`;
    await connection.run(`CREATE TABLE features AS SELECT * FROM ${featureSource}`);
    const after = new Date(spec.span.to.getTime() + DAY_MS).toISOString().slice(0, 10);
    const columns = await buildLearnerPeriods(connection, { cutoff: after, period, source: "features" });
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

    const starts = await rows(connection, "SELECT learner, epoch_ms(start) AS start, providers FROM starts");
    let labelOf = new Map<string, 0 | 1>();
    let labelReport: BuildResult["labels"] = null;
    if (spec.label && cutoffDay !== undefined) {
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
             WHERE s.verb IN (${verbs.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")})`,
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
      const labels = computeLabels(learners, {
        definition: spec.label,
        cutoffDay,
        dataEnd: spec.span.to,
      });
      labelOf = new Map(labels.labels.map((l) => [l.learner, l.label]));
      labelReport = {
        labelled: labels.report.labelled,
        positive: labels.report.positive,
        excluded: labels.report.excluded,
      };
    }
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
    const labelColumn = spec.label?.kind ?? "label";
    await connection.run(
      `CREATE TABLE version_rows AS SELECT lp.*, a.label AS ${sqlIdentifier(labelColumn)}, a.split
       FROM learner_periods lp JOIN assigned a USING (learner)`,
    );

    // 4. Shards, documents, lineage.
    const dir = spec.output;
    if (existsSync(join(dir, "lineage.json")))
      throw new Error(`${dir} already holds a version (lineage.json): choose another output`);
    // The split is in each file's path (`data/{split}-…`), not a column: Croissant's `split` field is
    // taken from the path, and the docs refuse a column of that name.
    const written = [];
    await connection.run(
      "CREATE TABLE version_split AS SELECT * EXCLUDE (split) FROM version_rows WHERE false",
    );
    const names = (await rows(connection, "SELECT DISTINCT split FROM version_rows ORDER BY split")).map(
      (r) => String(r.split),
    );
    for (const split of names) {
      await connection.run(
        `CREATE OR REPLACE TABLE version_split AS SELECT * EXCLUDE (split) FROM version_rows WHERE split = '${split.replace(/'/g, "''")}'`,
      );
      written.push(
        ...(await writeShards(connection, "version_split", {
          dir,
          orderBy: ["learner", "period"],
          split,
          formats: [...spec.formats] as ("parquet" | "csv" | "jsonl")[],
        })),
      );
    }
    const files2: VersionFile[] = written.map((w) => {
      const full = join(dir, w.path);
      return {
        path: w.path,
        split: w.split,
        format: w.format,
        sha256: sha256File(full),
        bytes: readFileSync(full).length,
        rows: w.rows,
        recordSet: "learner_periods",
      };
    });
    const described = await rows(connection, "DESCRIBE version_split");
    const descriptionOf = new Map(columns.map((c) => [c.name, c.description]));
    const fields = described.map((r) => {
      const name = String(r.column_name);
      const text =
        name === "learner"
          ? "Pseudonym of the learner in the agreement's linkage domain."
          : name === "period"
            ? `${period === "day" ? "Day" : "Week"} since the learner's start.`
            : name === labelColumn
              ? `The ${labelColumn} label.`
              : (descriptionOf.get(name) ?? name);
      return { name, dataType: fieldType(String(r.column_type)), description: text };
    });
    const order =
      spec.splits.by === "learner" ? Object.keys(spec.splits.ratios) : ["train", "validation", "test"];
    const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
    const splitNames = [...new Set(written.map((w) => w.split))].sort(
      (a, b) => rank(a) - rank(b) || cmp(a, b),
    );
    const kindOf = (name: string): "train" | "validation" | "test" =>
      name === "validation" || name === "test" ? name : "train";
    const span = {
      start: spec.span.from.toISOString().slice(0, 10),
      end: spec.span.to.toISOString().slice(0, 10),
    };
    const description: VersionDescription = {
      name: spec.name,
      description: `Learner-period features from ${spec.providers.length} providers under agreement ${agreementId}.`,
      version: options.version ?? "1.0.0",
      url: `urn:learnpool:dataset:${spec.name}:${options.version ?? "1.0.0"}`,
      creator: [{ name: "Learnpool operator" }],
      agreement: { id: agreementId, policy: policyJson as JsonObject },
      files: files2,
      recordSets: [
        {
          name: "learner_periods",
          description: `One row per learner and ${period} since the learner's start, before the cut-off.`,
          key: ["learner", "period"],
          fields,
        },
      ],
      splits: splitNames.map((name) => ({ name, kind: kindOf(name) })),
      label: {
        recordSet: "learner_periods",
        field: labelColumn,
        definition: spec.label
          ? spec.label.kind === "dropout"
            ? `dropout: no activity in the ${spec.label.inactivityDays} days after the cut-off day`
            : `${spec.label.kind} within ${spec.label.horizonDays ?? "the data's end"} days after the cut-off day`
          : "none",
      },
      cutOff: {
        at: cutoffDay === undefined ? "none" : `day ${cutoffDay} since the learner's start`,
        antiLeakage:
          "Features use only statements before the UTC midnight ending the learner's cut-off day; labels only days after it.",
      },
      splitPolicy: {
        by: spec.splits.by,
        description: `seeded (${spec.seed}) by a keyed hash of the pseudonym`,
      },
      deidentification: { name: agreement.deidentificationProfile ?? "provider-side", version: "unverified" },
      pseudonymization: {
        domain: agreement.linkageDomain ?? "unknown",
        method: "keyed pseudonyms made by the providers in the agreement's linkage domain",
      },
      suppression: {
        learners: 0,
        records: 0,
        description: "No suppression: the risk check is not run by this build yet.",
      },
      consent: coverage.map((c) => ({
        provider: c.provider,
        asked: c.asked,
        consented: c.consented,
        refused: c.notConsenting,
        withdrew: 0,
      })),
      risk: { k: 0, averageRisk: 0, highestRisk: 0, suppressed: 0 },
      sources,
      consentReceipts: [],
      biases: ["Only learners who consented are included; they may differ from those who did not."],
      limitations: [
        "Re-identification risk was not measured for this version (the risk check is not part of this build yet).",
        "Statements are taken as already de-identified and pseudonymized by the providers in the linkage domain.",
        "Consent coverage counts as refused every learner seen without valid consent (refused, withdrawn or never asked).",
      ],
      uses: [`Purpose ${purpose}, as agreement ${agreementId} permits.`],
      timeFrame: span,
      seed: spec.seed,
      created: at.toISOString(),
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
    writeFileSync(join(dir, "lineage.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const counts: Record<string, number> = {};
    for (const [name, list] of Object.entries(splits.splits)) counts[name] = list.length;
    return {
      dir,
      files: files2,
      root: manifest.merkle.root,
      records: manifest.merkle.records,
      sources,
      consent: coverage,
      ...selectionReport(selection),
      learners: splits.assignment.size,
      labels: labelReport,
      splits: counts,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}
