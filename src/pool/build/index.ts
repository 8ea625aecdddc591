/**
 * `pool/build`: the build of a dataset version under one agreement (first slice: decision, consent
 * selection, `learner_periods` with labels and splits, shards, documents, lineage) and its verification.
 */
export {
  BuildDenied,
  type BuildOptions,
  type BuildResult,
  type BuildServices,
  buildDataset,
  permittedPurposes,
} from "./build.js";
export {
  type BuildLedger,
  CohortBudgetRefused,
  type CohortRelease,
  type CohortStatisticRow,
  releaseCohortStatistics,
} from "./cohort-release.js";
export { readParquetRecords } from "./parquet.js";
export {
  type PreparedRecordSets,
  prepareRecordSets,
  requestedViews,
  type SplitView,
  VIEW_NAMES,
  type ViewName,
} from "./record-sets.js";
export {
  assertRiskPassed,
  checkVersionRisk,
  loadHierarchy,
  RiskCheckError,
  type RiskFigures,
  RiskRefused,
  UNKNOWN_VALUE,
  type VersionRiskInput,
  type VersionRiskReport,
  type VersionRiskResult,
} from "./risk.js";
export { type AppliedRisk, applyRiskCheck } from "./risk-stage.js";
export { buildAndRecord, buildRefusal, type RunOptions, shownResult, type VersionRecorder } from "./run.js";
export {
  buildServicesFromDatabase,
  describeSelection,
  LeakFound,
  linkageDomainOf,
  NOT_PSEUDONYMIZED,
  type ProgressEvent,
  type ProviderCoverage,
  type RecordState,
  type Selection,
  type SelectionServices,
  type ServicesOptions,
  selectionReport,
  selectStatements,
  writeLearnerAttributes,
} from "./select.js";
export { describeMismatch, type VersionVerification, verifyVersion } from "./verify.js";
export {
  VERSION_DOCUMENTS,
  type VersionContext,
  type WrittenVersion,
  writeVersion,
} from "./write-version.js";
