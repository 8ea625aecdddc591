/**
 * `train/jobs`: training jobs in the trusted environment (compute-to-data). The job spec and its
 * checks (`spec.ts`), the registry over the database with admission, states, progress, artefacts,
 * release outcome and withdrawals after training (`registry.ts`), the worker thread under memory and
 * time limits (`runner.ts`, `worker.ts`) running the training and evaluation (`training.ts`), and what
 * a job asks of the release gate (`gate.ts`).
 */
export {
  GATE_NOT_WIRED,
  type GateInput,
  type GateServices,
  type GateVerdict,
  type ReleaseGate,
  releaseGateOf,
  WORKING_COPY,
  withholdAll,
} from "./gate.js";
export {
  JOB_STATES,
  type JobAgreements,
  type JobArtefact,
  type JobEnforcement,
  JobError,
  type JobEvent,
  type JobEventKind,
  type JobRelease,
  type JobState,
  type JobVersions,
  type JobWithdrawals,
  type TrainingJob,
  type TrainingJobDetail,
  TrainingJobs,
  type TrainingJobsOptions,
} from "./registry.js";
export { runInWorker, type WorkerOptions, type WorkerOutcome } from "./runner.js";
export {
  checkJobSpec,
  type GbdtJobParams,
  JOB_DEFAULTS,
  type JobModel,
  type JobSpec,
  JobSpecError,
  type JobSpecIssue,
  type LogisticJobParams,
  type ModelKind,
  PERIOD_AGGREGATIONS,
  type PeriodAggregation,
  parseJobSpec,
} from "./spec.js";
// Types only: the training itself (and DuckDB with it) loads in the job's worker thread, not here.
export type {
  Artefact,
  ArtefactKind,
  ProgressReport,
  TrainingCurves,
  TrainingInput,
  TrainingResult,
} from "./training.js";
