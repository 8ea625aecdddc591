/**
 * Tabular anonymization (issue 5): full-domain generalization with record suppression under
 * k-anonymity, l-diversity, t-closeness and an average-risk threshold, optimal for ARX's utility
 * metrics. Entry point of the sub-module; other code imports from here.
 */
export {
  type AnonymizationConfig,
  type AnonymizationReport,
  type AnonymizationResult,
  anonymize,
  applyTransformation,
  type ProsecutorRisk,
  prosecutorRisk,
} from "./anonymize.js";
export {
  DatasetError,
  detectDelimiter,
  type EncodedDataset,
  encodeDataset,
  parseTable,
  type QuasiIdentifier,
  type Roles,
  type SensitiveAttribute,
  type Table,
} from "./dataset.js";
export {
  checkModels,
  type Evaluation,
  Evaluator,
  type LDiversityVariant,
  PrivacyModelError,
  type PrivacyModels,
  type TDistance,
} from "./evaluate.js";
export {
  checkHierarchyCovers,
  dateHierarchy,
  type Hierarchy,
  HierarchyError,
  hierarchyDepth,
  hierarchyToCsv,
  intervalHierarchy,
  maskingHierarchy,
  orderedHierarchy,
  parseHierarchyCsv,
  readHierarchy,
} from "./hierarchy.js";
export {
  arxRound,
  createMetric,
  gsFactors,
  METRIC_NAMES,
  type MetricName,
  type MetricOptions,
  type UtilityMetric,
} from "./metrics.js";
export { latticeSize, modelsMonotone, type SearchOptions, type SearchResult, search } from "./search.js";
