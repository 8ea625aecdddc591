/**
 * What a job asks of the release gate, and what it answers: which of the job's artefacts may leave,
 * and why each other one is withheld. The gate itself (metric slices at least the minimum cohort, the
 * membership-inference test, DP training charged to the ledger, the model card) lives in
 * `train/release`; a registry built without one withholds everything — nothing leaves ungated.
 */

import type { JobSpec } from "./spec.js";
import type { Artefact, TrainingResult } from "./training.js";

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
