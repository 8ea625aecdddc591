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
export { readParquetRecords } from "./parquet.js";
export { describeMismatch, type VersionVerification, verifyVersion } from "./verify.js";
