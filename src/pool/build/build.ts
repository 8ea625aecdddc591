/**
 * The build of a pooled dataset version, first vertical slice: policy decision → selection under
 * consent → views → labels → splits → shards → documents and lineage.
 *
 * The provider-side steps (`select.ts`): each learner's pseudonym in the agreement's linkage domain,
 * consent checked on it, de-identification under the agreement's profile with the leak check, and
 * skill translation; statements already pseudonymized in the linkage domain are taken as they are.
 * Linkage is by equal pseudonym (a learner at two providers is one learner).
 *
 * The risk check (`risk.ts`, applied by `risk-stage.ts`) measures the version's learners on the declared
 * attributes and suppresses, generalizes or refuses before any view is made. The views are written by
 * `record-sets.ts` (tables), `cohort-release.ts` (DP releases charged to the ledger) and
 * `write-version.ts` (shards, documents, lineage).
 *
 * How the data are read:
 * - statements are read from the LRS's `statements` table a page at a time, store by store, into
 *   one JSON Lines file per provider that DuckDB loads.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { AccessRequest } from "../../contract/odrl/evaluate.js";
import type { Policy } from "../../contract/odrl/parse.js";
import type { Database } from "../../store/index.js";
import type { JsonObject, VersionFile } from "../docs/index.js";
import type { BuildSpec } from "../prepare/index.js";
import { loadStatements } from "../views/index.js";
import { type BuildLedger, releaseCohortStatistics } from "./cohort-release.js";
import { prepareRecordSets, type ViewName } from "./record-sets.js";
import type { VersionRiskReport } from "./risk.js";
import { type AppliedRisk, applyRiskCheck } from "./risk-stage.js";
import {
  BuildDenied,
  describeSelection,
  type ProgressEvent,
  type ProviderCoverage,
  type Selection,
  type SelectionServices,
  selectionReport,
  selectStatements,
  writeLearnerAttributes,
} from "./select.js";
import { writeVersion } from "./write-version.js";

/** `risk.json`: written before the lineage, which hashes it. Figures only, never a pseudonym. */
function writeRiskReport(dir: string, report: VersionRiskReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "risk.json"), `${JSON.stringify(report, null, 2)}\n`);
}

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
  /** The privacy-budget ledger (PrivacyLedger): required when the spec asks for cohort_statistics. */
  ledger?: BuildLedger;
  /**
   * A secret key for cohort-statistics noise, so that the key holder's rebuild is byte-identical;
   * absent: the CSPRNG (cohort_statistics then differ from build to build). Never the spec's seed.
   */
  noiseKey?: Uint8Array;
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
  /** The record sets written. */
  views: ViewName[];
  /** The risk check's report (also `risk.json` in the version). */
  risk?: VersionRiskReport;
  /** The cohort statistics released: how many, at what total cost. */
  cohort?: { releases: number; epsilon: number; delta: number };
}

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
    const dir = spec.output;
    if (existsSync(join(dir, "lineage.json")))
      throw new Error(`${dir} already holds a version (lineage.json): choose another output`);
    await loadStatements(connection, files);
    // 4. The risk check, once the version's learners are known and before any view is made of them.
    let risk: AppliedRisk | undefined;
    const prepared = await prepareRecordSets(connection, spec, {
      afterAssignment: async (c) => {
        options.onProgress?.({ stage: "risk check", done: 0 });
        risk = await applyRiskCheck(c, spec);
      },
    });
    const applied = risk as AppliedRisk | undefined;
    // The members are the learners the files hold (labelled, given a split, not suppressed).
    const members = (
      await (await connection.runAndReadAll("SELECT learner FROM assigned ORDER BY learner")).getRowsJS()
    ).map((r) => String(r[0]));

    // 5. Cohort statistics, each charged to the privacy budget before any file is written.
    const cohortSpec = spec.views.cohortStatistics;
    if (cohortSpec && !consumer)
      throw new Error("cohort_statistics: the agreement names no consumer to charge the privacy budget to");
    const cohort =
      cohortSpec && consumer
        ? await releaseCohortStatistics(connection, cohortSpec, services.ledger, {
            dataset: spec.name,
            consumer: consumer.participant,
            actor: options.actor,
            ...(services.noiseKey ? { noiseKey: services.noiseKey } : {}),
          })
        : undefined;

    // 6. Shards, documents, lineage (last).
    if (applied) writeRiskReport(dir, applied.report);
    const { files: written, manifest } = await writeVersion(connection, {
      spec,
      agreementId,
      policy: policyJson as JsonObject,
      purpose,
      ...(agreement.deidentificationProfile !== undefined && {
        deidentificationProfile: agreement.deidentificationProfile,
      }),
      ...(agreement.linkageDomain !== undefined && { linkageDomain: agreement.linkageDomain }),
      consent: coverage,
      selection: describeSelection(selection, services.pseudonymizer),
      at,
      version: options.version ?? "1.0.0",
      prepared,
      ...(cohort && { cohort }),
      ...(applied && { risk: { summary: applied.summary, suppression: applied.suppression } }),
    });
    return {
      dir,
      files: written,
      root: manifest.merkle.root,
      records: manifest.merkle.records,
      sources: prepared.sources,
      consent: coverage,
      ...selectionReport(selection),
      members,
      ...(applied && { risk: applied.report }),
      learners: prepared.learners,
      labels: prepared.labels,
      splits: prepared.splits,
      views: prepared.views,
      ...(cohort && {
        cohort: {
          releases: cohort.plan.releases.length,
          epsilon: cohort.plan.total.epsilon,
          delta: cohort.plan.total.delta,
        },
      }),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}
