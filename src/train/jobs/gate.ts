/**
 * What a job asks of the release gate, and what it answers: which of the job's artefacts may leave,
 * and why each other one is withheld. The gate itself (metric slices at least the minimum cohort, the
 * membership-inference test, DP training charged to the ledger, the model card) lives in
 * `train/release`; `releaseGateOf` puts it around a job (the registry's default), `withholdAll`
 * withholds everything. Nothing leaves ungated, and then only under a model-release permit.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Policy } from "../../contract/index.js";
import type { PrivacyLedger } from "../../privacy/dp/ledger.js";
import { modelFromJson } from "../models/json.js";
import { agreementForRelease, type DpReport, perExampleLosses, releaseGate } from "../release/index.js";
import type { JobSpec } from "./spec.js";
import type { Artefact, ArtefactKind, TrainingResult } from "./training.js";

export interface GateInput {
  job: string;
  agreement: string;
  version: string;
  consumer: string;
  spec: JobSpec;
  /** The job's folder: the gate may add files there (a model card), returned in `added`. */
  dir: string;
  result: TrainingResult;
}

export interface GateVerdict {
  /** Names of the artefacts the gate would let leave. */
  released: string[];
  /** Every other artefact, with the reason. */
  withheld: { name: string; reason: string }[];
  /** Files the gate wrote into the job's folder (a model card, a DP model), with their verdict in the lists above. */
  added?: Artefact[];
  /** What the gate measured (membership advantage, ε charged…), kept with the job. */
  details?: Record<string, unknown>;
}

export type ReleaseGate = (input: GateInput) => Promise<GateVerdict>;

export const GATE_NOT_WIRED = "the release gate is not wired";

/** The gate of a registry built without one: everything is withheld. */
export const withholdAll: ReleaseGate = async (input) => ({
  released: [],
  withheld: input.result.artefacts.map((a) => ({ name: a.name, reason: GATE_NOT_WIRED })),
});

/** What the gate needs of the agreements registry and of the DP ledger. */
export interface GateServices {
  agreements: { policyOf(id: string): Promise<Policy> };
  /** The dataset's name for a version (the ledger's dataset), e.g. DatasetVersions' `get`. */
  versions: { get(id: string): Promise<{ name: string } | undefined> };
  /** The privacy-budget ledger: a DP job's ε is charged to it before its model may leave. */
  ledger?: Pick<PrivacyLedger, "spend">;
}

/** Where the gate's released copies go inside the job's folder (the working files stay under `work/`). */
export const WORKING_COPY =
  "a working file of the job: it stays in the environment (what leaves is the release gate's copy)";

/**
 * The release gate (`train/release`) around a job: the agreement's terms (lp:minK, lp:maxEpsilon,
 * purposes, nextPolicy), the job's own bounds, the evaluation, the membership-inference losses on
 * held-in (train) and held-out (test) learners, and for a DP job its charge to the ledger (made here,
 * before the gate judges). What the gate releases is written into the job's folder — pictures as SVG
 * and PNG — and is all that may leave; the working files and every withheld item stay, with reasons.
 */
export function releaseGateOf(services: GateServices): ReleaseGate {
  return async (input) => {
    const { result, spec } = input;
    const policy = await services.agreements.policyOf(input.agreement);
    const version = await services.versions.get(input.version);
    const dp = result.dp ? await charge(services, input, version?.name ?? input.version) : undefined;
    const overall = result.metrics
      ? { ...result.metrics }
      : { n: result.rows.test ?? 0, positives: result.positives.test ?? 0 };
    const decision = releaseGate({
      title: `${spec.label} (${spec.model.kind}, view ${spec.view})`,
      model: modelFromJson(result.modelJson),
      data: {
        dataset: version?.name ?? input.version,
        view: spec.view,
        label: spec.label,
        splits: result.rows,
      },
      agreement: agreementForRelease(input.agreement, policy),
      job: {
        ...(spec.release.minCohort !== undefined && { minCohort: spec.release.minCohort }),
        ...(spec.release.maxAdvantage !== undefined && { maxAdvantage: spec.release.maxAdvantage }),
      },
      evaluation: {
        overall,
        groups: result.groups,
        ...(result.curves && { curves: result.curves }),
        ...(result.early.length > 0 && { early: result.early }),
        ...(result.coldStart && { coldStart: result.coldStart.rows }),
      },
      membership: {
        lossesIn: perExampleLosses(result.heldIn.probabilities, result.heldIn.labels),
        lossesOut: perExampleLosses(result.heldOut.probabilities, result.heldOut.labels),
      },
      ...(dp && { dp }),
      // Pictures leave as SVG and PNG.
      png: true,
    });
    const added: Artefact[] = [];
    const write = (name: string, kind: ArtefactKind, mediaType: string, content: string | Uint8Array) => {
      const data = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
      writeFileSync(join(input.dir, name), data);
      added.push({
        name,
        kind,
        path: name,
        sha256: createHash("sha256").update(data).digest("hex"),
        bytes: data.byteLength,
        mediaType,
      });
    };
    for (const item of decision.released) write(item.name, item.kind, item.mediaType, item.content);
    return {
      released: added.map((a) => a.name),
      withheld: [
        ...result.artefacts.map((a) => ({ name: a.name, reason: WORKING_COPY })),
        ...decision.withheld.map((w) => ({ name: w.name, reason: w.reason })),
      ],
      added,
      details: { ...decision.decisions },
    };
  };
}

/** A DP job's charge to the ledger; without a ledger or budget, the report says uncharged (the gate then withholds the model). */
async function charge(services: GateServices, input: GateInput, dataset: string): Promise<DpReport> {
  const accounting = input.result.dp!;
  const report: DpReport = { ...accounting, seeded: false };
  if (!services.ledger) return report;
  try {
    const { charge: record } = await services.ledger.spend(
      {
        dataset,
        consumer: input.consumer,
        epsilon: accounting.epsilon,
        delta: accounting.delta,
        rho: accounting.rho,
        statistic: `logistic model of training job ${input.job} (${input.result.features.length} features, ${accounting.epochs} steps)`,
        mechanism: accounting.mechanism,
        actor: input.consumer,
      },
      () => true,
    );
    return { ...report, charge: record };
  } catch {
    // No budget, or not enough left: the model stays uncharged and the gate withholds it.
    return report;
  }
}
